// Requests per second through the whole emulator (bearer check, limits metering, fault roll, API
// routes) against the bare API routes, to show the gateway is not what limits a benchmark.
// Run: npx tsx bench/emulator-http.ts [requests] [parallel]

import { performance } from 'node:perf_hooks';
import { startEmulator } from '../src/emulator/run/server.js';
import { startTestServer } from '../src/emulator/wire/testing.js';

const n = Number(process.argv[2] ?? 3_000);
const parallel = Number(process.argv[3] ?? 10);

async function rate(call: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => call().then((r) => r.arrayBuffer())));
  }
  return Math.round(n / ((performance.now() - started) / 1000));
}

const bare = await startTestServer({ region: 'US' });
// The first run warms the JIT and the connection pool for both servers alike.
const bareCall = () => fetch(`${bare.base}/companyinfo/${bare.realmId}`, { headers: { Accept: 'application/json' } });
await rate(bareCall);
const bareRead = await rate(bareCall);
await bare.close();

const emu = await startEmulator({ preset: 'us', limits: 'off', autoConsent: true });
const loc = new URL(
  (
    await fetch(`${emu.urls.authorize}?client_id=qbo-connect-demo&response_type=code&scope=com.intuit.quickbooks.accounting&redirect_uri=http://127.0.0.1:9/cb&state=b`, {
      redirect: 'manual',
    })
  ).headers.get('location')!,
);
const token = (await (
  await fetch(emu.urls.token, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from('qbo-connect-demo:qbo-connect-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: loc.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/cb' }),
  })
).json()) as { access_token: string };
const realmId = loc.searchParams.get('realmId')!;
const headers = { Authorization: `Bearer ${token.access_token}`, Accept: 'application/json', 'Content-Type': 'application/json' };
const fullCall = () => fetch(`${emu.url}/v3/company/${realmId}/companyinfo/${realmId}`, { headers });
await rate(fullCall);
const fullRead = await rate(fullCall);
let k = 0;
const fullCreate = await rate(() => fetch(`${emu.url}/v3/company/${realmId}/customer`, { method: 'POST', headers, body: JSON.stringify({ DisplayName: `Bench ${k++}` }) }));
await emu.close();

console.table([
  { path: 'API routes only: read', 'requests/s': bareRead },
  { path: 'whole emulator: read', 'requests/s': fullRead },
  { path: 'whole emulator: create', 'requests/s': fullCreate },
]);
console.log(`QBO allows 500 requests/min per company (8.3/s); the emulator serves ${fullRead} reads/s here.`);
