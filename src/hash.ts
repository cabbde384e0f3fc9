/**
 * Hashing, in one place: canonical JSON (sorted keys, no null or undefined members) and its SHA-256.
 * A leaf every part may use: the ledger hashes a record's content with it, the preview a payload and
 * the settings in force, the sync what it sent. Equal content ⇒ equal text ⇒ equal hash.
 */
import crypto from 'node:crypto';

/** JSON with sorted keys and no null/undefined members: equal content ⇒ equal text ⇒ equal hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}
function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && x !== null) out[k] = sortDeep(x);
    }
    return out;
  }
  return v;
}

/** SHA-256 of a text, as 64 hex characters. */
export function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** SHA-256 of a value's canonical JSON (a plan row's payload, the settings in force). */
export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * The hash of a document's CONTENT as sent: the payload without Id, SyncToken and sparse, so a create
 * and a later update of the same content hash alike. The sync stores it in links.payload_hash; the
 * preview compares it to tell a real change from a version bump that changes nothing QBO holds.
 */
export function contentHash(payload: Record<string, unknown>): string {
  const { Id: _id, SyncToken: _st, sparse: _sp, ...content } = payload;
  return hashOf(content);
}
