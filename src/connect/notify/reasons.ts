/**
 * Reason codes of notifications (connect/notify) and their sentences, in the shape of every part's
 * reasons module. Each sentence names the field at fault and what it must be; a secret is never quoted.
 */
import { UserFacingError, type RefusalStatus } from '../../user-facing-error.js';

export type NotifyReason =
  | 'notify.invalid-email'
  | 'notify.too-many-emails'
  | 'notify.invalid-webhook-url'
  | 'notify.invalid-webhook-secret'
  | 'notify.webhook-secret-required'
  | 'notify.unknown-field'
  | 'notify.invalid-actor'
  | 'notify.conflict'
  | 'notify.nothing-configured'
  | 'notify.test-failed';

export interface NotifyContext {
  field?: string;
  value?: unknown;
  detail?: string;
  list?: readonly string[];
}

const shown = (v: unknown) => (typeof v === 'string' ? `"${v.length > 80 ? `${v.slice(0, 80)}…` : v}"` : (JSON.stringify(v) ?? String(v)));

const sentences: Record<NotifyReason, (c: NotifyContext) => string> = {
  'notify.invalid-email': (c) => `Notifications: ${shown(c.value)} (field ${c.field ?? 'emails'}) is not an email address: give one like bookkeeper@example.com.`,
  'notify.too-many-emails': (c) => `Notifications: at most 20 email recipients (field emails); ${String(c.value)} were given.`,
  'notify.invalid-webhook-url': (c) =>
    `Notifications: ${shown(c.value)} (field webhookUrl) is not allowed: ${c.detail ?? 'give an https:// URL (http:// only to 127.0.0.1, ::1 or localhost)'}, or none to turn the webhook off.`,
  'notify.invalid-webhook-secret': () =>
    'Notifications: the webhook signing secret (field webhookSecret) must be 16 to 200 characters without spaces or control characters (e.g. `openssl rand -hex 32`).',
  'notify.webhook-secret-required': () =>
    'Notifications: a webhook URL needs a signing secret (field webhookSecret): the receiver checks the X-QBO-Connect-Signature header with it.',
  'notify.unknown-field': (c) => `Notifications: there is no field ${shown(c.value)}; the fields are ${(c.list ?? []).join(', ')}.`,
  'notify.invalid-actor': (c) => `A change must name who made it (actor); got ${shown(c.value)}.`,
  'notify.conflict': () => 'Notifications were changed by someone else at the same moment; nothing was saved. Try again.',
  'notify.nothing-configured': () =>
    'Notifications: no email recipient and no webhook are set, so there is nobody to send a test to. Set a recipient or the webhook first, then send the test.',
  'notify.test-failed': (c) =>
    `The test notification was not delivered: ${c.detail ?? 'unknown failure'}. Check QBO_CONNECT_SMTP_URL, the recipients and the webhook, then try again.`,
};

export function sentence(code: NotifyReason, ctx: NotifyContext = {}): string {
  return sentences[code](ctx);
}

const statuses: Partial<Record<NotifyReason, RefusalStatus>> = {
  'notify.conflict': 409,
  'notify.nothing-configured': 409,
  'notify.test-failed': 502,
};

export function refusal(code: NotifyReason, ctx: NotifyContext = {}, field?: string): UserFacingError<NotifyReason> {
  return new UserFacingError(code, sentence(code, ctx), { field: field ?? ctx.field, status: statuses[code] });
}
