/**
 * Sending one rendered notification: email over SMTP (nodemailer; the server is QBO_CONNECT_SMTP_URL)
 * and the outgoing webhook (JSON, POSTed with an HMAC-SHA256 signature of the exact body in
 * `X-QBO-Connect-Signature: sha256=<hex>`, README "Notifications"). Each throws a `DeliveryError`
 * whose message names no credential: the SMTP URL's password and the signing secret never leave here.
 */
import crypto from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { RenderedNotification } from './events.js';
import { forbiddenAddress } from './model.js';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly channel: 'email' | 'webhook',
    message: string,
  ) {
    super(message);
  }
}

/** The signature header's value for `body`: `sha256=` and the hex HMAC-SHA256 under the secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The SMTP server as a log may show it: scheme, host and port only. */
export function smtpTarget(smtpUrl: string): string {
  try {
    const u = new URL(smtpUrl);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparseable SMTP URL)';
  }
}

/** Strips anything URL-like with credentials, and the secret values given, from an error message. */
function scrub(message: string, secrets: (string | null | undefined)[]): string {
  let m = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1…@');
  for (const s of secrets) if (s && s.length >= 4) m = m.split(s).join('…');
  return m.slice(0, 300);
}

export interface EmailOptions {
  smtpUrl: string;
  from: string;
  to: string[];
  timeoutMs?: number;
}

export async function sendEmail(opts: EmailOptions, message: RenderedNotification): Promise<void> {
  // One deadline for the whole delivery: a caller may hold a lock meanwhile (a disconnect inside the token refresh lock).
  const timeout = opts.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({ url: opts.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'ETIMEDOUT' })), timeout);
  });
  let password: string | undefined;
  try {
    password = decodeURIComponent(new URL(opts.smtpUrl).password) || undefined;
  } catch {
    password = undefined;
  }
  try {
    const sending = transport.sendMail({
      from: opts.from,
      to: opts.to,
      subject: message.subject.replace(/[\p{Cc}\u2028\u2029]+/gu, ' '),
      text: message.text,
      headers: { 'X-QBO-Connect-Event': message.kind },
    });
    // Past the deadline its own failure comes later, with nobody waiting for it.
    sending.catch(() => {});
    await Promise.race([sending, deadline]);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = err instanceof Error ? err.message : String(err);
    throw new DeliveryError('email', `email through ${smtpTarget(opts.smtpUrl)} failed${typeof code === 'string' ? ` (${code})` : ''}: ${scrub(why, [opts.smtpUrl, password])}`);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

export interface WebhookOptions {
  url: string;
  secret: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Test hook: name resolution (default node:dns lookup, every address). */
  lookup?: (host: string) => Promise<string[]>;
}

const lookupAll = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A host name is resolved and every address checked before connecting (model.ts forbiddenAddress): a
 * public name pointing at a private or metadata address is refused at send time, as a literal one is
 * when saved. fetch resolves again when it connects, so a name whose answer changes in between (DNS
 * rebinding) is not fully stopped; pinning the address needs an HTTP agent we do not ship.
 */
async function checkDestination(url: URL, resolve: (host: string) => Promise<string[]>, where: string): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await resolve(host).catch((err: unknown) => {
        throw new DeliveryError('webhook', `webhook to ${where} failed: its host name does not resolve (${(err as { code?: string }).code ?? 'error'})`);
      });
  for (const a of addresses) {
    const bad = forbiddenAddress(a);
    if (bad) throw new DeliveryError('webhook', `webhook to ${where} refused: ${url.hostname} resolves to ${bad}`);
  }
}

/** POSTs the payload; any answer but 2xx is a failure (the queue retries it). */
export async function postWebhook(opts: WebhookOptions, message: RenderedNotification): Promise<void> {
  const body = JSON.stringify(message.payload);
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  const where = (() => {
    try {
      const u = new URL(opts.url);
      return `${u.protocol}//${u.host}`;
    } catch {
      return 'the webhook';
    }
  })();
  let target: URL;
  try {
    target = new URL(opts.url);
  } catch {
    throw new DeliveryError('webhook', 'the webhook URL is not a URL: set it again');
  }
  await checkDestination(target, opts.lookup ?? lookupAll, where);
  try {
    res = await doFetch(opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'qbo-connect-notify',
        'x-qbo-connect-event': message.kind,
        'x-qbo-connect-signature': signBody(opts.secret, body),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new DeliveryError('webhook', `webhook to ${where} failed: ${scrub(err instanceof Error ? err.message : String(err), [opts.secret])}`);
  }
  await res.body?.cancel().catch(() => {});
  if (res.status < 200 || res.status > 299) throw new DeliveryError('webhook', `webhook to ${where} answered HTTP ${res.status}`);
}
