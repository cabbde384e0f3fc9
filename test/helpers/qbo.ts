/** Connecting companies of a running emulator to a ConnectionStore, the way the product does. */
import { Writable } from 'node:stream';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { authorizeUrl, createOAuthState, exchangeCode } from '../../src/qbo/oauth.js';
import type { QboEndpoints } from '../../src/qbo/endpoints.js';
import type { ConnectionStore } from '../../src/connect/connection/store.js';
import { createLogger, type Logger } from '../../src/log.js';

/** Runs the code flow against the emulator for one company and stores the tokens; returns the realm. */
export async function connectCompany(endpoints: QboEndpoints, store: ConnectionStore, company: string, doFetch: typeof fetch = fetch): Promise<string> {
  const cb = await followEmulatorConsent(authorizeUrl(endpoints, createOAuthState()), company);
  if (!cb.code || !cb.realmId) throw new Error(`the emulator did not grant a code for ${company}: ${cb.error ?? 'no detail'}`);
  const tokens = await exchangeCode({ endpoints, fetch: doFetch }, cb.code);
  await store.saveConnection({ realmId: cb.realmId, tokens, connectedBy: 'test' });
  return cb.realmId;
}

/** A debug-level pino logger whose every line is kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: createLogger('debug', stream), lines };
}

/** A fetch that remembers every token the token endpoint hands out, so tests can look for leaks. */
export function tokenSpyFetch(seen: Set<string>, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    if (String(input instanceof Request ? input.url : input).includes('/oauth2/v1/tokens/bearer') && res.ok) {
      const body = (await res.clone().json()) as { access_token?: string; refresh_token?: string };
      if (body.access_token) seen.add(body.access_token);
      if (body.refresh_token) seen.add(body.refresh_token);
    }
    return res;
  };
}
