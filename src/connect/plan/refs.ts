/**
 * `@row:` references: a payload may name a QBO entity that the same run creates first. The run fills
 * them in with `resolveRowRefs` once those rows are written.
 */

const prefix = '@row:';

/** A copy of the payload with every `@row:<key>` whose key is in the map replaced by its QBO Id. */
export function resolveRowRefs<T>(payload: T, idsByRowKey: ReadonlyMap<string, string> | Record<string, string>): T {
  const get = (k: string) => (idsByRowKey instanceof Map ? idsByRowKey.get(k) : Object.hasOwn(idsByRowKey, k) ? (idsByRowKey as Record<string, string>)[k] : undefined);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith(prefix)) return get(v.slice(prefix.length)) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(payload) as T;
}

/** The `@row:` keys a payload still refers to (none once the run has filled them all in). */
export function unresolvedRowRefs(payload: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.startsWith(prefix)) out.add(v.slice(prefix.length));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(payload);
  return [...out];
}

/** The hash of a document's content as sent (src/hash.ts), for the preview's callers. */
export { contentHash } from '../../hash.js';
