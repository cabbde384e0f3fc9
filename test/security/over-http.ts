/**
 * The bench's app served on a real port, so requests arrive in parallel over real sockets (the
 * concurrency tests need that: in-process calls run one after another far more than a server's do).
 */
import { listen, type RunningServer } from '../../src/server/serve.js';
import type { Bench } from './harness.js';

export interface Served {
  server: RunningServer;
  /** The pre-session CSRF cookie and token a browser gets from GET /signin. */
  preSession(): Promise<{ cookie: string; csrf: string }>;
  /** A form post as a browser sends it (Origin is the product's public origin). */
  form(path: string, fields: Record<string, string>, opts?: { cookie?: string; headers?: Record<string, string> }): Promise<Response>;
}

export async function serve(b: Bench): Promise<Served> {
  const server = await listen(b.http, '127.0.0.1', 0);
  return {
    server,
    async preSession() {
      const res = await fetch(`${server.url}/signin`, { headers: { accept: 'text/html' } });
      const cookie = /qbc_csrf=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))![1]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
      return { cookie: `qbc_csrf=${cookie}`, csrf };
    },
    form(path, fields, opts = {}) {
      return fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: b.origin, ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
        body: new URLSearchParams(fields).toString(),
      });
    },
  };
}

/** How many of the answers had each status. */
export function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}
