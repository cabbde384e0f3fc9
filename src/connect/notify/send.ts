/**
 * Telling someone: an event becomes one delivery per configured channel (email, webhook). With a job
 * queue (ctx.jobs) each delivery is a 'notify' job, so the queue retries it when the SMTP server or
 * the receiver is down; without one it is sent at once. Either way a failure is logged (no secret)
 * and never thrown to the caller: a sync, a disconnect or the keep-alive is never broken by it.
 */
import type { AppContext } from '../../context.js';
import { DeliveryError, postWebhook, sendEmail } from './deliver.js';
import { renderNotification, type NotificationEvent } from './events.js';
import { refusal } from './reasons.js';
import { DEFAULT_PRACTICE } from './model.js';
import { getNotificationTargets } from './store.js';

export type NotifyCtx = Pick<AppContext, 'db' | 'config' | 'logger' | 'clock' | 'qbo' | 'jobs'>;

export type Channel = 'email' | 'webhook';

/** One delivery: what the 'notify' job carries (ids, counts and sentences only; no secret). */
export interface DeliveryPayload {
  channel: Channel;
  event: NotificationEvent;
  /** When it happened (ISO): a retried delivery still says the original time. */
  at: string;
}

/** A failed delivery is tried this many times in all by the queue. */
export const NOTIFY_MAX_ATTEMPTS = 8;

/** Test hooks: a fetch for the webhook, SMTP timeouts. */
export interface DeliveryOverrides {
  fetch?: typeof fetch;
  timeoutMs?: number;
  lookup?: (host: string) => Promise<string[]>;
}

/**
 * Whose recipients hear of an event: the practice of its company (issue 15: a practice's notices
 * never reach another's people); an event of no company (a test) is the default practice's.
 */
async function practiceOfEvent(ctx: NotifyCtx, event: NotificationEvent): Promise<string> {
  if (!('realmId' in event)) return DEFAULT_PRACTICE;
  const row = await ctx.db.selectFrom('connections').select('practice_id').where('realm_id', '=', event.realmId).executeTakeFirst();
  return row?.practice_id ?? DEFAULT_PRACTICE;
}

async function channelsFor(ctx: NotifyCtx, practiceId: string): Promise<Channel[]> {
  const t = await getNotificationTargets(ctx.db, ctx.qbo.cipher, practiceId);
  const out: Channel[] = [];
  if (t.emails.length > 0) {
    if (ctx.config.smtpUrl) out.push('email');
    else ctx.logger.warn({ recipients: t.emails.length }, 'notification: email recipients are set but QBO_CONNECT_SMTP_URL is not; no email sent');
  }
  if (t.webhookUrl) out.push('webhook');
  return out;
}

/** Delivers one channel now; throws a DeliveryError (the 'notify' task lets the queue retry it). */
export async function deliverNow(ctx: NotifyCtx, payload: DeliveryPayload, overrides: DeliveryOverrides = {}): Promise<void> {
  const t = await getNotificationTargets(ctx.db, ctx.qbo.cipher, await practiceOfEvent(ctx, payload.event));
  const message = renderNotification(payload.event, ctx.config.publicUrl, new Date(payload.at));
  if (payload.channel === 'email') {
    // Changed since it was queued: nobody left to tell is not a failure.
    if (t.emails.length === 0) return;
    if (!ctx.config.smtpUrl) throw new DeliveryError('email', 'QBO_CONNECT_SMTP_URL is not set');
    await sendEmail({ smtpUrl: ctx.config.smtpUrl, from: ctx.config.mailFrom, to: t.emails, ...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {}) }, message);
    return;
  }
  if (!t.webhookUrl) return;
  if (!t.webhookSecret) throw new DeliveryError('webhook', 'the webhook signing secret cannot be read (was the token key changed?): set it again');
  await postWebhook({ url: t.webhookUrl, secret: t.webhookSecret, ...overrides }, message);
}

function logFailure(ctx: NotifyCtx, payload: DeliveryPayload, err: unknown): void {
  const realmId = 'realmId' in payload.event ? payload.event.realmId : undefined;
  ctx.logger.warn(
    {
      channel: payload.channel,
      event: payload.event.kind,
      ...(realmId ? { realmId } : {}),
      err: err instanceof DeliveryError ? err.message : err instanceof Error ? err.message.slice(0, 200) : 'failed',
    },
    'notification not delivered',
  );
}

/** The same notice (company, kind and wording) again within this window is not sent again: three refused syncs in a row are one email. */
export const REPEAT_WINDOW_MS = 60 * 60_000;

/**
 * When each notice was last sent, per app (keyed by its database handle). It lives in this process's
 * memory only: a restart, or another process of a PostgreSQL installation, may send a repeat once.
 */
const lastSent = new WeakMap<object, Map<string, number>>();

/** True when the same notice went out within REPEAT_WINDOW_MS (and records this one otherwise). */
function isRepeat(ctx: NotifyCtx, event: NotificationEvent, now: Date): boolean {
  if (event.kind === 'test') return false;
  const r = renderNotification(event, ctx.config.publicUrl, now);
  const key = JSON.stringify([event.kind, 'realmId' in event ? event.realmId : '', r.subject, r.text.replace(/\n\n— QBO Connect \(.*\)\n$/, '')]);
  let seen = lastSent.get(ctx.db);
  if (!seen) lastSent.set(ctx.db, (seen = new Map()));
  const t = now.getTime();
  for (const [k, when] of seen) if (t - when >= REPEAT_WINDOW_MS) seen.delete(k);
  const prev = seen.get(key);
  if (prev !== undefined && t - prev < REPEAT_WINDOW_MS) return true;
  seen.set(key, t);
  return false;
}

/** Sends `event` to everyone configured. Never throws. */
export async function notify(ctx: NotifyCtx, event: NotificationEvent, overrides: DeliveryOverrides = {}): Promise<void> {
  try {
    const withCompany = await withCompanyName(ctx, event);
    const at = ctx.clock().toISOString();
    if (isRepeat(ctx, withCompany, new Date(at))) {
      ctx.logger.info({ event: event.kind }, 'notification not sent again: the same one went out within the hour');
      return;
    }
    // The channels are sent side by side: the whole takes as long as the slowest one, not their sum.
    await Promise.all(
      (await channelsFor(ctx, await practiceOfEvent(ctx, withCompany))).map(async (channel) => {
        const payload: DeliveryPayload = { channel, event: withCompany, at };
        try {
          if (ctx.jobs) {
            await ctx.jobs.add('notify', payload as unknown as Record<string, unknown>, { maxAttempts: NOTIFY_MAX_ATTEMPTS });
            return;
          }
          await deliverNow(ctx, payload, overrides);
          ctx.logger.info({ channel, event: event.kind }, 'notification sent');
        } catch (err) {
          logFailure(ctx, payload, err);
        }
      }),
    );
  } catch (err) {
    ctx.logger.warn({ event: event.kind, err: err instanceof Error ? err.message.slice(0, 200) : 'failed' }, 'notification could not be prepared');
  }
}

async function withCompanyName(ctx: NotifyCtx, event: NotificationEvent): Promise<NotificationEvent> {
  if (!('realmId' in event) || event.company) return event;
  const row = await ctx.db.selectFrom('connections').select('company_name').where('realm_id', '=', event.realmId).executeTakeFirst();
  return { ...event, company: row?.company_name ?? null };
}

/** What a sync run was when it closed (connect/run/sync.ts `finish`). */
export interface ClosedRun {
  realmId: string;
  runId: string;
  status: string;
  message: string | null;
  failed: number;
  held: number;
  errors: number;
  /** Of `held`, the rows a scheduled `sync-ready` run held because of errors in the preview (fixed in the practice, not on the held page). */
  heldForErrors?: number;
  /** It stopped because the QuickBooks connection ended (qbo/fault.ts ConnectionLostError): the notice says reconnect, not "fix the records". */
  connectionLost?: boolean;
}

/** A run that failed, held records or was refused tells someone; a succeeded or interrupted one does not (recovery finishes an interrupted run). */
export async function notifyRunClosed(ctx: NotifyCtx, run: ClosedRun, overrides: DeliveryOverrides = {}): Promise<void> {
  if (run.status === 'refused') return notify(ctx, { kind: 'run-refused', realmId: run.realmId, runId: run.runId, failed: 0, held: 0, errors: run.errors }, overrides);
  if (run.status !== 'failed') return;
  const kind = run.failed === 0 && run.held > 0 ? 'run-held' : 'run-failed';
  return notify(
    ctx,
    {
      kind,
      realmId: run.realmId,
      runId: run.runId,
      failed: run.failed,
      held: run.held,
      errors: 0,
      message: run.message,
      ...(run.heldForErrors ? { heldForErrors: run.heldForErrors } : {}),
      ...(run.connectionLost ? { connectionLost: true } : {}),
    },
    overrides,
  );
}

/** A connection became disconnected: a person disconnected or logged out, or Intuit refused its refresh token (`invalid_grant`). */
export function notifyConnectionDisconnected(ctx: NotifyCtx, realmId: string, reason: string, actor?: string): Promise<void> {
  return notify(ctx, { kind: 'connection-disconnected', realmId, reason, ...(actor ? { by: actor } : {}) });
}

export function notifyConnectionExpiring(ctx: NotifyCtx, e: { realmId: string; why: 'hard-expiry' | 'refresh-failed'; expiresAt?: Date | null; detail?: string }): Promise<void> {
  return notify(ctx, { kind: 'connection-expiring', realmId: e.realmId, why: e.why, expiresAt: e.expiresAt?.toISOString() ?? null, detail: e.detail ?? null });
}

/**
 * A scheduled sync whose preview had blocking errors (the schedules work calls this): `errors` are
 * the preview's blocking sentences (run/sync.ts blockingErrors); the first three are quoted.
 */
export function notifyScheduleBlocked(ctx: NotifyCtx, e: { realmId: string; errors: string[] }, overrides: DeliveryOverrides = {}): Promise<void> {
  return notify(ctx, { kind: 'schedule-blocked', realmId: e.realmId, errors: e.errors.length, detail: e.errors.slice(0, 3) }, overrides);
}

/** A company's schedule came due while it is not connected (jobs/tasks/schedule-tick.ts tells this once per disconnection). */
export function notifyScheduleNotConnected(ctx: NotifyCtx, e: { realmId: string }, overrides: DeliveryOverrides = {}): Promise<void> {
  return notify(ctx, { kind: 'schedule-blocked', realmId: e.realmId, errors: 0, notConnected: true }, overrides);
}

export interface TestOutcome {
  email: 'sent' | 'not-set';
  webhook: 'sent' | 'not-set';
}

/** `notify test`: sends a test message now on every configured channel; refuses naming what failed. */
export async function sendTestNotification(ctx: NotifyCtx, actor: string, overrides: DeliveryOverrides = {}): Promise<TestOutcome> {
  const t = await getNotificationTargets(ctx.db, ctx.qbo.cipher);
  if (t.emails.length === 0 && !t.webhookUrl) throw refusal('notify.nothing-configured', {}, 'emails');
  const at = ctx.clock().toISOString();
  const outcome: TestOutcome = { email: 'not-set', webhook: 'not-set' };
  const failures: string[] = [];
  let failedField: 'emails' | 'webhookUrl' | undefined;
  for (const channel of ['email', 'webhook'] as const) {
    if (channel === 'email' && t.emails.length === 0) continue;
    if (channel === 'webhook' && !t.webhookUrl) continue;
    try {
      await deliverNow(ctx, { channel, event: { kind: 'test', actor }, at }, overrides);
      outcome[channel] = 'sent';
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
      failedField ??= channel === 'email' ? 'emails' : 'webhookUrl';
    }
  }
  if (failures.length) throw refusal('notify.test-failed', { detail: failures.join('; ') }, failedField);
  return outcome;
}
