/**
 * Setting paths: `invoices.memo` names a leaf, `tax.sales.GST` names one entry of a mapping,
 * `tax.sales` the whole mapping. Paths are resolved by walking the zod schema itself, so the model
 * is the only list of settings there is.
 */
import type { z } from 'zod';
import { refusal } from '../reasons.js';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  keyType?: AnySchema;
  entries?: Record<string, string>;
}

function defOf(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function descriptionOf(s: AnySchema): string | undefined {
  return (s as unknown as { description?: string }).description;
}

/** Strips defaults (and, if asked, nullability), keeping the first description met on the way. */
function unwrap(s: AnySchema): { core: AnySchema; nullable: boolean; description: string | undefined } {
  let core = s;
  let nullable = false;
  let description = descriptionOf(s);
  for (;;) {
    const d = defOf(core);
    if (d.type === 'default' || d.type === 'prefault' || d.type === 'nullable' || d.type === 'optional') {
      if (d.type === 'nullable') nullable = true;
      core = d.innerType!;
      description ??= descriptionOf(core);
      continue;
    }
    return { core, nullable, description };
  }
}

export type PathNode =
  | { kind: 'object'; path: string; schema: AnySchema; keys: string[] }
  | { kind: 'map'; path: string; schema: AnySchema; allowed: string }
  | { kind: 'leaf'; path: string; schema: AnySchema; nullable: boolean; mapEntry: boolean; valueType: string; allowed: string };

/** The allowed values of a leaf, as a person reads them. */
function allowedOf(core: AnySchema, nullable: boolean, description: string | undefined): string {
  const d = defOf(core);
  if (d.type === 'enum') return Object.values(d.entries ?? {}).join(', ');
  if (d.type === 'boolean') return 'on, off';
  if (description) return description;
  return nullable ? `a ${d.type}, or none` : `a ${d.type}`;
}

export function splitPath(path: string): string[] {
  return path.split('.');
}

/** Resolves a path against the settings schema, or refuses it with the settings that do exist nearby. */
export function resolvePath(root: AnySchema, path: string): PathNode {
  const segs = typeof path === 'string' && path.length > 0 ? splitPath(path) : [];
  if (segs.length === 0) throw refusal('settings.unknown-path', { path: String(path ?? ''), known: objectKeys(root) }, 'path');
  let node = root;
  let mapEntry = false;
  const walked: string[] = [];
  for (const seg of segs) {
    const { core, description } = unwrap(node);
    const d = defOf(core);
    if (d.type === 'object' && d.shape && Object.hasOwn(d.shape, seg)) {
      node = d.shape[seg]!;
    } else if (d.type === 'record' && d.valueType && !mapEntry && d.keyType?.safeParse(seg).success) {
      node = d.valueType;
      mapEntry = true;
    } else {
      const here = walked.join('.');
      const known =
        d.type === 'object'
          ? Object.keys(d.shape ?? {}).map((k) => (here ? `${here}.${k}` : k))
          : d.type === 'record'
            ? [`${here}.<code> (${description ?? 'a mapping'})`]
            : [here];
      throw refusal('settings.unknown-path', { path, known }, 'path');
    }
    walked.push(seg);
  }
  const { core, nullable, description } = unwrap(node);
  const d = defOf(core);
  if (d.type === 'object') return { kind: 'object', path, schema: node, keys: Object.keys(d.shape ?? {}) };
  if (d.type === 'record') return { kind: 'map', path, schema: node, allowed: `${description ?? 'a mapping'}, as a JSON object` };
  return {
    kind: 'leaf',
    path,
    schema: node,
    // A mapping entry set to none is removed from the mapping.
    nullable: nullable || mapEntry,
    mapEntry,
    valueType: d.type,
    allowed: allowedOf(core, nullable || mapEntry, description),
  };
}

function objectKeys(root: AnySchema): string[] {
  const d = defOf(unwrap(root).core);
  return Object.keys(d.shape ?? {});
}

/** Checks a value against the node's schema; a refusal names the setting and its allowed values. */
export function parseValueAt(node: PathNode, value: unknown): unknown {
  if (node.kind === 'leaf' && node.nullable && value === null) return null;
  const allowed = node.kind === 'object' ? `an object with ${node.keys.join(', ')}` : node.allowed;
  // An explicit value is required: defaults fill documents, not changes.
  if (value === undefined) throw refusal('settings.invalid-value', { path: node.path, value, allowed }, node.path);
  const parsed = node.schema.safeParse(value);
  if (!parsed.success) throw refusal('settings.invalid-value', { path: node.path, value, allowed }, node.path);
  return parsed.data;
}

/**
 * Turns a command-line word into the value a setting takes: on/off for switches, none for an unset
 * id (or to remove a mapping entry), JSON for a whole mapping, the text itself otherwise.
 */
export function coerceCliValue(node: PathNode, raw: string): unknown {
  if (node.kind !== 'leaf') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (node.valueType === 'boolean') {
    const w = raw.trim().toLowerCase();
    if (['on', 'true', 'yes'].includes(w)) return true;
    if (['off', 'false', 'no'].includes(w)) return false;
    return raw;
  }
  if (node.nullable && ['none', 'null'].includes(raw.trim().toLowerCase())) return null;
  return raw;
}

export function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const seg of splitPath(path)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** A copy of `doc` with the value at `path` replaced; a mapping entry set to null is removed. */
export function setAt<T>(doc: T, path: string, value: unknown, removeWhenNull: boolean): T {
  const segs = splitPath(path);
  const copy = structuredClone(doc) as Record<string, unknown>;
  let cur = copy;
  for (const seg of segs.slice(0, -1)) {
    const next = cur[seg];
    if (next === null || typeof next !== 'object') cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  const last = segs[segs.length - 1]!;
  if (value === null && removeWhenNull) delete cur[last];
  else cur[last] = value;
  return copy as T;
}

/** Every leaf of a settings document as `path = value` pairs, mappings entry by entry. */
export function flatten(doc: unknown, prefix = ''): Array<{ path: string; value: unknown }> {
  const out: Array<{ path: string; value: unknown }> = [];
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const entries = Object.entries(doc as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.push({ path: prefix, value: {} });
    for (const [k, v] of entries) out.push(...flatten(v, prefix ? `${prefix}.${k}` : k));
  } else {
    out.push({ path: prefix, value: doc });
  }
  return out;
}
