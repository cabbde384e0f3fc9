/**
 * The 'notify' task (issue 16): delivers one notification on one channel (connect/notify). A failed
 * delivery throws, so the queue retries it with backoff (NOTIFY_MAX_ATTEMPTS in all); the last
 * failure is logged without secrets. The payload holds ids, counts and sentences only.
 */
import { z } from 'zod';
import { deliverNow, type DeliveryPayload } from '../../connect/notify/index.js';
import type { TaskHandler } from '../queue.js';

const payloadSchema = z.object({
  channel: z.enum(['email', 'webhook']),
  at: z.string().refine((v) => !Number.isNaN(Date.parse(v))),
  event: z.object({ kind: z.string() }).passthrough(),
});

export const notifyTask: TaskHandler = async (payload, t) => {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) {
    // A payload no version of us wrote: retrying cannot help.
    t.ctx.logger.error({ problem: parsed.error.issues[0]?.message }, 'notify job with an unreadable payload dropped');
    return;
  }
  const p = parsed.data as unknown as DeliveryPayload;
  try {
    await deliverNow(t.ctx, p);
  } catch (err) {
    const last = t.attempt >= t.maxAttempts;
    t.ctx.logger.warn(
      { channel: p.channel, event: p.event.kind, attempt: t.attempt, maxAttempts: t.maxAttempts, err: err instanceof Error ? err.message.slice(0, 300) : 'failed' },
      last ? 'notification not delivered; giving up' : 'notification not delivered; the queue retries it',
    );
    throw err;
  }
};
