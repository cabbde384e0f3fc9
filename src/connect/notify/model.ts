/**
 * What notifications are: who is told (email recipients, an outgoing webhook with its signing
 * secret), and the checks a change must pass. Each bad value is refused naming its field.
 */
import { BlockList, isIP } from 'node:net';
import { refusal } from './reasons.js';

/** Today one practice per installation; the many-practices work gives each its own id. */
export const DEFAULT_PRACTICE = 'default';

export interface NotificationSettings {
  emails: string[];
  webhookUrl: string | null;
  /** Whether a signing secret is stored; the secret itself is never read back out of the store for display. */
  webhookSecretSet: boolean;
}

/** A change: each field present is set; `null` turns the webhook (or its secret) off. */
export interface NotificationChange {
  emails?: string[];
  webhookUrl?: string | null;
  webhookSecret?: string | null;
}

export const notificationFields = ['emails', 'webhookUrl', 'webhookSecret'] as const;

// Deliberately plain: one @, a dot in the domain, no spaces or control characters, no display name.
const EMAIL = /^[^\s@<>(),;:"\p{Cc}]{1,64}@[^\s@<>(),;:"\p{Cc}]+\.[^\s@<>(),;:"\p{Cc}]{2,}$/u;

export function checkEmails(value: unknown): string[] {
  if (!Array.isArray(value)) throw refusal('notify.invalid-email', { field: 'emails', value });
  if (value.length > 20) throw refusal('notify.too-many-emails', { value: value.length }, 'emails');
  const out: string[] = [];
  value.forEach((v, i) => {
    const e = typeof v === 'string' ? v.trim() : v;
    if (typeof e !== 'string' || e.length > 254 || !EMAIL.test(e)) throw refusal('notify.invalid-email', { field: `emails[${i}]`, value: v });
    if (!out.some((o) => o.toLowerCase() === e.toLowerCase())) out.push(e);
  });
  return out;
}

function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * Addresses a webhook must never reach (server-side request forgery by a mistaken or hostile
 * administrator): the cloud metadata service and every link-local, private, unspecified, multicast
 * or reserved range. Loopback stays allowed (a local receiver; the product's own tests): it is this
 * machine, which the administrator already controls. Ranges via node:net BlockList, not hand parsing.
 */
const forbidden = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", incl. 0.0.0.0 (unspecified)
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, incl. the metadata service 169.254.169.254
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const)
  forbidden.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  // (IPv4-mapped addresses, ::ffff:10.0.0.1, are checked against the IPv4 rules by BlockList itself.)
  ['fe80::', 10], // link-local
  ['fc00::', 7], // unique local (private), incl. the metadata service fd00:ec2::254
  ['ff00::', 8], // multicast
] as const)
  forbidden.addSubnet(net, bits, 'ipv6');

/** Why `address` (a literal IP) may not receive a webhook, or null when it may. */
export function forbiddenAddress(address: string): string | null {
  const a = address.replace(/^\[|\]$/g, '');
  const family = isIP(a);
  if (family === 0) return null;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a) : null;
  if (mapped) return forbiddenAddress(mapped[1]!);
  if (loopback(a)) return null;
  return forbidden.check(a, family === 4 ? 'ipv4' : 'ipv6')
    ? `${a} is a private, link-local, multicast or unspecified address; a webhook goes to a public https:// receiver (or to this machine)`
    : null;
}

/** The webhook URL as someone who is not an administrator may see it: the path and query can be the receiver's credential (Slack, Teams, Zapier). */
export function maskWebhookUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    const rest = `${u.pathname}${u.search}${u.hash}`;
    return `${u.protocol}//${u.host}/${rest === '/' || rest === '' ? '' : '…'}`;
  } catch {
    return '(hidden)';
  }
}

/** https anywhere public; http only to this machine (a receiver on loopback, as in tests); never credentials in the URL, never a private address. */
export function checkWebhookUrl(value: unknown): string | null {
  // "none" turns the webhook off, as the sentence and the CLI say; so do null and "".
  if (value === null || value === '' || (typeof value === 'string' && value.trim().toLowerCase() === 'none')) return null;
  if (typeof value !== 'string' || value.length > 2000 || !URL.canParse(value)) throw refusal('notify.invalid-webhook-url', { value, detail: 'it is not a URL' }, 'webhookUrl');
  const u = new URL(value);
  if (u.username || u.password)
    throw refusal(
      'notify.invalid-webhook-url',
      { value: `${u.protocol}//…@${u.host}`, detail: 'it must not carry a user name or password (the signature authenticates us)' },
      'webhookUrl',
    );
  const bad = forbiddenAddress(u.hostname);
  if (bad) throw refusal('notify.invalid-webhook-url', { value: maskWebhookUrl(value), detail: bad }, 'webhookUrl');
  if (u.protocol === 'https:') return u.toString();
  if (u.protocol === 'http:' && loopback(u.hostname)) return u.toString();
  throw refusal('notify.invalid-webhook-url', { value: maskWebhookUrl(value) }, 'webhookUrl');
}

export function checkWebhookSecret(value: unknown): string | null {
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || value.length < 16 || value.length > 200 || /[\s\p{Cc}]/u.test(value)) throw refusal('notify.invalid-webhook-secret', {}, 'webhookSecret');
  return value;
}

/** Checks a change as a whole (unknown fields refused) and returns it normalised. */
export function checkChange(input: unknown): NotificationChange {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw refusal('notify.unknown-field', { value: input, list: notificationFields });
  const out: NotificationChange = {};
  for (const [k, v] of Object.entries(input)) {
    if (k === 'emails') out.emails = checkEmails(v);
    else if (k === 'webhookUrl') out.webhookUrl = checkWebhookUrl(v);
    else if (k === 'webhookSecret') out.webhookSecret = checkWebhookSecret(v);
    else throw refusal('notify.unknown-field', { value: k, list: notificationFields }, k);
  }
  return out;
}
