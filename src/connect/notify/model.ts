/**
 * What notifications are: who is told (email recipients, an outgoing webhook with its signing
 * secret), and the checks a change must pass. Each bad value is refused naming its field.
 */
import { isIP } from 'node:net';
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

/** https anywhere; http only to this machine (a receiver on loopback, as in tests); never credentials in the URL. */
export function checkWebhookUrl(value: unknown): string | null {
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 2000 || !URL.canParse(value)) throw refusal('notify.invalid-webhook-url', { value, detail: 'it is not a URL' }, 'webhookUrl');
  const u = new URL(value);
  if (u.username || u.password)
    throw refusal(
      'notify.invalid-webhook-url',
      { value: `${u.protocol}//…@${u.host}`, detail: 'it must not carry a user name or password (the signature authenticates us)' },
      'webhookUrl',
    );
  if (u.protocol === 'https:') return u.toString();
  if (u.protocol === 'http:' && loopback(u.hostname)) return u.toString();
  throw refusal('notify.invalid-webhook-url', { value }, 'webhookUrl');
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
