/**
 * The real `qbo-connect start`, spawned with stdout and stderr piped (issue 17): its log (JSON, not a
 * terminal) is on stderr with an access line per request, stdout keeps the human lines; with
 * QBO_CONNECT_METRICS_TOKEN it serves /metrics to that bearer token only.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { testClockEnv } from '../helpers/test-time.js';

const bin = path.resolve('bin/qbo-connect.js');
const TOKEN = 'start-metrics-token-0123456789';

describe('qbo-connect start: logs on stderr, access log, /metrics', () => {
  it('logs JSON on stderr with the request id, and serves /metrics to the token only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-ops-'));
    const child = spawn(process.execPath, [bin, 'start', '--port', String(await freePort()), '--data-dir', dataDir], {
      env: { ...process.env, ...testClockEnv(), QBO_CONNECT_LOG_LEVEL: 'info', QBO_EMULATOR_PORT: String(await freePort()), QBO_CONNECT_METRICS_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no start line: ${out}\n${err}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /running at (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
      });
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const scraped = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}`, 'X-Request-Id': 'scrape-1' } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('x-request-id')).toBe('scrape-1');
      const text = await scraped.text();
      expect(text).toContain('qbo_connect_process_resident_memory_bytes');
      expect(text).toContain('# TYPE qbo_connect_sync_duration_seconds histogram');
      await (await fetch(`${url}/signin?next=%2F&code=SECRET-q-1`, { headers: { 'X-Request-Id': 'page-1', Cookie: 'sid=SECRET-c-2' } })).text();
      // The access line is written once the answer is sent.
      for (let i = 0; i < 100 && !err.includes('"page-1"'); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.on('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    // stdout: the person's lines only; stderr: one JSON object a line.
    expect(out).toMatch(/QBO Connect is running at/);
    expect(out).not.toMatch(/^\{/m);
    const lines = err
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; req?: { id: string; path: string }; res?: { statusCode: number } });
    expect(lines.find((l) => l.req?.id === 'page-1')).toMatchObject({ req: { path: '/signin' }, res: { statusCode: 303 } }); // to /setup: no administrator yet
    expect(lines.find((l) => l.req?.id === 'scrape-1')).toBeUndefined(); // a successful scrape is logged at debug
    expect(err).not.toContain('SECRET-');
  }, 120_000);
});
