/**
 * The Host check (DNS rebinding, Host-header attacks): a request is answered only when its Host is
 * the public URL's host, or — when the product listens on a loopback address only — one of the
 * loopback names (`localhost`, `127.0.0.1`, `[::1]`, any port), which no other site can make a
 * browser send. Anything else gets 421 Misdirected Request with a sentence naming the setting.
 */
import type { Context, Next } from 'hono';
import type { Config } from '../../config.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
const LOOPBACK_BINDS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function hostCheck(config: Pick<Config, 'publicUrl' | 'host'>) {
  const publicHost = new URL(config.publicUrl).host.toLowerCase();
  const loopbackOnly = LOOPBACK_BINDS.has(config.host) || config.host.startsWith('127.');
  return async (c: Context, next: Next) => {
    let host: string;
    let hostname: string;
    try {
      const url = new URL(c.req.url);
      host = url.host.toLowerCase();
      hostname = url.hostname.toLowerCase();
    } catch {
      host = '';
      hostname = '';
    }
    if (host === publicHost || (loopbackOnly && LOOPBACK_NAMES.has(hostname))) return next();
    const message = `This server answers to ${publicHost} only (QBO_CONNECT_PUBLIC_URL); the request was for another host name, so it was refused.`;
    if (c.req.path.startsWith('/api/') || !(c.req.header('accept') ?? '').includes('text/html')) {
      return c.json({ error: { code: 'request.wrong-host', message, field: 'Host' } }, 421);
    }
    c.header('Content-Type', 'text/html; charset=utf-8');
    return c.body(`<!doctype html><title>Wrong host</title><p>${message}</p>`, 421);
  };
}
