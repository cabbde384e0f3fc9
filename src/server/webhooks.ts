/**
 * `POST /webhooks/intuit`: QBO's change notifications (qbo/webhooks.ts has the wire facts and sources).
 * Mounted before sessions, CSRF and API-token auth: Intuit has none of those; the signature is the
 * authentication. It answers fast — Intuit gives up after 3 seconds and retries — so it only
 * verifies, parses and enqueues; the work (change data capture, marking, importing) is the
 * 'company-changes' job's (jobs/tasks/company-changes.ts), one per company per burst.
 */
import crypto from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { AppContext } from '../context.js';
import { companyQueue } from '../jobs/queue.js';
import { parseWebhookPayload, realmsOf, verifyWebhookSignature, WebhookPayloadError } from '../qbo/webhooks.js';

export const WEBHOOK_PATH = '/webhooks/intuit';
/** Intuit's notifications are a few KB; the app-wide 1 MB body ceiling (http.ts) applies before this. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** A burst (Intuit batches a company's changes, then sends the rest seconds later) waits this long, then runs once. */
export const COALESCE_MS = 5_000;
/** A body seen in this window is a replay (Intuit's retry of a delivery we did answer, or a copy): acknowledged, not queued again. */
const REPLAY_WINDOW_MS = 15 * 60_000;
const REPLAY_MEMORY = 5_000;

export function changesJobKey(realmId: string): string {
  return `company-changes:${realmId}`;
}

const say = (c: Context, status: 200 | 400 | 401 | 404 | 413 | 503, message: string) => c.json({ message }, status);

export function webhooksApi(ctx: AppContext): Hono {
  const api = new Hono();
  // Digest → when first seen. Per process: across processes a replay still coalesces into the
  // company's one pending job, and the job is idempotent (a second run finds nothing new).
  const seen = new Map<string, number>();
  const alreadySeen = (digest: string, now: number): boolean => {
    for (const [d, at] of seen) {
      if (now - at < REPLAY_WINDOW_MS && seen.size <= REPLAY_MEMORY) break;
      seen.delete(d); // oldest first (insertion order)
    }
    return seen.has(digest);
  };

  api.post('/intuit', async (c) => {
    const token = ctx.config.webhookVerifierToken;
    if (!token) return say(c, 404, 'QBO webhooks are off: set QBO_WEBHOOK_VERIFIER_TOKEN to the verifier token of your Intuit app to receive them.');
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (raw.byteLength > WEBHOOK_BODY_LIMIT) return say(c, 413, 'The notification is over 1 MB, so it was refused.');
    if (!verifyWebhookSignature(token, raw, c.req.header('intuit-signature'))) {
      // Neither the body nor the header is logged: a forger learns nothing, the log holds no payload.
      ctx.logger.warn({ bytes: raw.byteLength, signed: c.req.header('intuit-signature') !== undefined }, 'QBO webhook refused: the intuit-signature does not match the body');
      return say(c, 401, 'The intuit-signature header does not match the body signed with the verifier token, so the notification was refused.');
    }
    let changes;
    try {
      changes = parseWebhookPayload(JSON.parse(Buffer.from(raw).toString('utf8')) as unknown).changes;
    } catch (err) {
      const why = err instanceof WebhookPayloadError ? err.message : 'not JSON';
      ctx.logger.warn({ bytes: raw.byteLength, why }, 'QBO webhook not understood');
      return say(c, 400, `The notification is signed but is not a QBO webhook payload (${why}).`);
    }
    const now = ctx.clock().getTime();
    const digest = crypto.createHash('sha256').update(raw).digest('hex');
    if (alreadySeen(digest, now)) {
      ctx.logger.info({ changes: changes.length }, 'QBO webhook replayed: already queued, nothing added');
      return say(c, 200, 'Already received.');
    }
    if (!ctx.jobs) return say(c, 503, 'This process has no job queue, so the notification cannot be queued; QBO will send it again.');
    const connected = new Set((await ctx.qbo.connections.list()).filter((x) => x.status === 'connected').map((x) => x.realmId));
    const realms = realmsOf(changes);
    let queued = 0;
    for (const realmId of realms) {
      // A company not connected here (or disconnected) is acknowledged and ignored: a non-2xx would
      // only make Intuit send it again for hours (its retry schedule), and there is nothing to do.
      if (!connected.has(realmId)) continue;
      await ctx.jobs.add('company-changes', { realmId }, { queueName: companyQueue(realmId), jobKey: changesJobKey(realmId), jobKeyMode: 'preserve_run_at', delayMs: COALESCE_MS });
      queued += 1;
    }
    // Remembered only once queued: a delivery that failed here must count as new when Intuit retries it.
    seen.set(digest, now);
    ctx.logger.info({ changes: changes.length, companies: realms.length, queued }, 'QBO webhook received');
    return say(c, 200, queued ? 'Queued.' : 'No company of this notification is connected here; nothing to do.');
  });
  return api;
}
