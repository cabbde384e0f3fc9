/**
 * QBO's webhook notifications on the wire: the signature and the two payload formats Intuit sends.
 *
 * - Signature: header `intuit-signature` = base64(HMAC-SHA256(verifier token, raw request body)).
 *   [DOC https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks] (Step "Validate the
 *   notification"), also docs/qbo-api.md § Webhooks; the hash is over the exact bytes received, so the
 *   body is verified before it is parsed.
 * - Legacy format: `{ eventNotifications: [{ realmId, dataChangeEvent: { entities: [{ name, id,
 *   operation, lastUpdated, deletedId? }] } }] }`, several companies and entities in one request.
 * - CloudEvents format (announced 2025-11-12, mandatory by 2026-05-15): a JSON array of CloudEvents
 *   1.0 envelopes `{ specversion, id, source, type: "qbo.<entity>.<created|updated|deleted|…>.v1",
 *   time, intuitentityid, intuitaccountid (the realm), data }`.
 *   [BLOG https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure]
 * Intuit times a delivery out after 3 seconds and retries (0 s, 10 s, 20 s, 30 s, 5 min, 20 min, 2 h,
 * 4 h, 6 h, …) on a non-2xx or a timeout (docs/qbo-api.md § Webhooks; reference/qbo-api.md §1).
 */
import crypto from 'node:crypto';
import { z } from 'zod';

/** One change QBO told us about, the same whichever format carried it. */
export interface WebhookChange {
  realmId: string;
  /** QBO entity name as QBO spells it (`Invoice`, `Payment`, …). */
  entity: string;
  id: string;
  /** Create | Update | Delete | Merge | Void | Emailed (legacy words; CloudEvents verbs mapped to them). */
  operation: string;
  /** When QBO says it changed (ISO), when it says. */
  at?: string | undefined;
}

/** base64(HMAC-SHA256(token, body)): what Intuit puts in `intuit-signature`. */
export function webhookSignature(verifierToken: string, rawBody: Uint8Array | string): string {
  return crypto.createHmac('sha256', verifierToken).update(rawBody).digest('base64');
}

/** Constant-time check of `intuit-signature` against the body; false for a missing or malformed header. */
export function verifyWebhookSignature(verifierToken: string, rawBody: Uint8Array, header: string | undefined): boolean {
  if (!header) return false;
  const expected = crypto.createHmac('sha256', verifierToken).update(rawBody).digest();
  // Node's base64 decoder skips what is not base64: a malformed header decodes short and fails below.
  const given = Buffer.from(header.trim(), 'base64');
  // timingSafeEqual needs equal lengths; a wrong length is a wrong signature (and its length is no secret).
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

const Id = z.union([z.string().min(1).max(64), z.number().int().nonnegative()]).transform(String);

const LegacyEntity = z.looseObject({
  name: z.string().min(1).max(64),
  id: Id,
  operation: z.string().min(1).max(32),
  lastUpdated: z.string().max(64).optional(),
  deletedId: Id.optional(),
});
const LegacyPayload = z.looseObject({
  eventNotifications: z
    .array(
      z.looseObject({
        realmId: Id,
        dataChangeEvent: z.looseObject({ entities: z.array(LegacyEntity).max(10_000) }).optional(),
      }),
    )
    .max(10_000),
});

const CloudEvent = z.looseObject({
  specversion: z.string().max(16),
  id: z.string().min(1).max(200),
  type: z.string().regex(/^qbo\.[a-z0-9_]+\.[a-z_]+\.v\d+$/i, { error: 'must look like qbo.<entity>.<operation>.v1' }),
  time: z.string().max(64).optional(),
  intuitentityid: Id,
  intuitaccountid: Id,
});
const CloudEventsPayload = z.array(CloudEvent).max(10_000);

/** CloudEvents verbs (past tense) to the legacy operation words the rest of the product reads. */
const VERB: Record<string, string> = { created: 'Create', updated: 'Update', deleted: 'Delete', merged: 'Merge', voided: 'Void', emailed: 'Emailed' };

/**
 * The changes a verified body carries, in either format; a shape neither format has is an error
 * naming the field (zod's path), never echoing the body.
 */
export function parseWebhookPayload(body: unknown): { format: 'legacy' | 'cloudevents'; changes: WebhookChange[] } {
  if (Array.isArray(body)) {
    const r = CloudEventsPayload.safeParse(body);
    if (!r.success) throw new WebhookPayloadError(describe(r.error));
    return {
      format: 'cloudevents',
      changes: r.data.map((e) => {
        const [, entity = '', verb = ''] = e.type.split('.');
        // `qbo.invoice.updated.v1` → Invoice / Update; entity names are QBO's, capitalised (billpayment → Billpayment is fine for matching case-insensitively).
        return {
          realmId: e.intuitaccountid,
          entity: entity.charAt(0).toUpperCase() + entity.slice(1),
          id: e.intuitentityid,
          operation: VERB[verb.toLowerCase()] ?? verb,
          at: e.time,
        };
      }),
    };
  }
  const r = LegacyPayload.safeParse(body);
  if (!r.success) throw new WebhookPayloadError(describe(r.error));
  return {
    format: 'legacy',
    changes: r.data.eventNotifications.flatMap((n) =>
      (n.dataChangeEvent?.entities ?? []).map((e) => ({ realmId: n.realmId, entity: e.name, id: e.id, operation: e.operation, at: e.lastUpdated })),
    ),
  };
}

export class WebhookPayloadError extends Error {
  override name = 'WebhookPayloadError';
}

function describe(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}` : 'not a QBO webhook payload';
}

/** The companies a notification names (in order of first mention). */
export function realmsOf(changes: readonly WebhookChange[]): string[] {
  return [...new Set(changes.map((c) => c.realmId))];
}
