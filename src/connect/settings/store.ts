/**
 * Reading and changing a company's settings. Each change and its audit row are written in one
 * transaction; a version number on the document stops two writers from losing each other's change.
 */
import { z } from 'zod';
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import { refusal } from '../reasons.js';
import { regionOf } from '../realm.js';
import { defaultSettings, settingsSchemaAt, type Settings } from './model.js';
import { getAt, parseValueAt, resolvePath, setAt, type PathNode } from './paths.js';
import { prefillSuggestions, type PrefillInput } from './prefill.js';
import type { AuditEntry, AuditFilter, SettingChange, SettingChangeResult } from './store-types.js';

export type { AuditEntry, AuditFilter, SettingChange, SettingChangeResult } from './store-types.js';

const realmIdSchema = z.string().trim().min(1).max(100);
const actorSchema = z.string().trim().min(1).max(200);

function checkRealm(realmId: string): string {
  const r = realmIdSchema.safeParse(realmId);
  if (!r.success) throw refusal('settings.invalid-value', { path: 'realm', value: realmId, allowed: 'a QBO company (realm) id' }, 'realm');
  return r.data;
}

/** JSON with sorted keys, so two equal mappings compare equal whatever their order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

/**
 * A stored document read back: missing settings take their defaults; a stored value the current
 * model no longer accepts falls back to its default rather than making the company unreadable.
 */
function parseStored(text: string, clock: Clock): Settings {
  const schema = settingsSchemaAt(clock);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return defaultSettings(clock);
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    const bad = r.error.issues[0]!.path.map(String);
    if (bad.length === 0) return defaultSettings(clock);
    raw = setAt(raw, bad.join('.'), null, true);
  }
  return defaultSettings(clock);
}

type Tx = Parameters<Parameters<ReturnType<Db['transaction']>['execute']>[0]>[0];
type Executor = Db | Tx;

async function load(db: Executor, realmId: string, clock: Clock): Promise<{ settings: Settings; version: number }> {
  let row = await db.selectFrom('connect_settings').select(['document', 'version']).where('realm_id', '=', realmId).executeTakeFirst();
  if (!row) {
    // First sight of the company: its defaults (notably the export-from dates) are frozen now.
    const now = clock().toISOString();
    await db
      .insertInto('connect_settings')
      .values({ realm_id: realmId, document: JSON.stringify(defaultSettings(clock)), version: 1, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('realm_id').doNothing())
      .execute();
    row = await db.selectFrom('connect_settings').select(['document', 'version']).where('realm_id', '=', realmId).executeTakeFirstOrThrow();
  }
  return { settings: parseStored(row.document, clock), version: Number(row.version) };
}

/** The company's settings, every leaf filled (defaults where nothing was set). */
export async function getSettings(db: Db, realmId: string, clock: Clock): Promise<Settings> {
  return (await load(db, checkRealm(realmId), clock)).settings;
}

/**
 * The settings with their document version, which rises with every change: a run can record the
 * version it used, and the audit trail then tells exactly which settings were in force.
 */
export async function getSettingsWithVersion(db: Db, realmId: string, clock: Clock): Promise<{ settings: Settings; version: number }> {
  return load(db, checkRealm(realmId), clock);
}

/** Resolves and checks one change without writing it: the node, and the value as the model takes it. */
export function validateChange(path: string, value: unknown, clock: Clock): { node: PathNode; value: unknown } {
  const node = resolvePath(settingsSchemaAt(clock), path);
  return { node, value: parseValueAt(node, value) };
}

class VersionConflict extends Error {}

export interface SetSettingsInput {
  realmId: string;
  changes: SettingChange[];
  actor: string;
  clock: Clock;
  /** Only write paths that are still unset (null, or absent from a mapping): used by pre-fill. */
  onlyWhenUnset?: boolean;
}

/**
 * Several changes as one: all are checked first (a single bad one refuses the lot), then written
 * with one audit row per changed setting, in one transaction.
 */
export async function setSettings(db: Db, input: SetSettingsInput): Promise<SettingChangeResult[]> {
  const realmId = checkRealm(input.realmId);
  const actor = actorSchema.safeParse(input.actor);
  if (!actor.success) throw refusal('settings.invalid-actor', { value: input.actor }, 'actor');
  const checked = input.changes.map((c) => ({ path: c.path, ...validateChange(c.path, c.value, input.clock) }));
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const { settings, version } = await load(trx, realmId, input.clock);
        let doc: Settings = settings;
        const results: SettingChangeResult[] = [];
        const now = input.clock().toISOString();
        for (const c of checked) {
          const old = getAt(doc, c.path);
          if (input.onlyWhenUnset && old !== undefined && old !== null) continue;
          if (canonical(old ?? null) === canonical(c.value ?? null)) {
            results.push({ path: c.path, changed: false, oldValue: old ?? null, newValue: old ?? null });
            continue;
          }
          doc = setAt(doc, c.path, c.value, c.node.kind === 'leaf' && c.node.mapEntry);
          results.push({ path: c.path, changed: true, oldValue: old ?? null, newValue: c.value ?? null });
        }
        const changed = results.filter((r) => r.changed);
        if (changed.length === 0) return results;
        await checkTaxForRegion(trx, realmId, changed);
        // The whole document must still be valid (e.g. a mapping replaced wholesale).
        const whole = settingsSchemaAt(input.clock).safeParse(doc);
        if (!whole.success) {
          const path = whole.error.issues[0]!.path.map(String).join('.');
          throw refusal('settings.invalid-value', { path, value: getAt(doc, path), allowed: resolveAllowed(path, input.clock) }, path);
        }
        const upd = await trx
          .updateTable('connect_settings')
          .set({ document: JSON.stringify(whole.data), version: version + 1, updated_at: now })
          .where('realm_id', '=', realmId)
          .where('version', '=', version)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) !== 1) throw new VersionConflict();
        await trx
          .insertInto('settings_audit')
          .values(
            changed.map((r) => ({
              realm_id: realmId,
              path: r.path,
              old_value: r.oldValue === null ? null : JSON.stringify(r.oldValue),
              new_value: r.newValue === null ? null : JSON.stringify(r.newValue),
              actor: actor.data,
              changed_at: now,
            })),
          )
          .execute();
        return results;
      });
    } catch (err) {
      if (!(err instanceof VersionConflict)) throw err;
      if (attempt >= 9) throw refusal('settings.conflict', { path: input.changes.map((c) => c.path).join(', ') });
    }
  }
}

const usLineCodes = ['TAX', 'NON'];

/**
 * US companies take TAX or NON on each line (the rate comes from the transaction's tax code); other
 * regions take real tax code ids, never the US pseudo codes. Checked when the region is known.
 */
async function checkTaxForRegion(trx: Tx, realmId: string, changed: SettingChangeResult[]): Promise<void> {
  const taxChanges = changed.filter((r) => /^tax\.(sales|purchases)(\.|$)/.test(r.path) && r.newValue !== null);
  if (taxChanges.length === 0) return;
  const region = await regionOf(trx, realmId);
  if (!region) return;
  const us = region === 'US';
  for (const r of taxChanges) {
    const values = typeof r.newValue === 'string' ? [r.newValue] : Object.values(r.newValue as Record<string, string>);
    const bad = values.find((v) => (us ? !usLineCodes.includes(v) : usLineCodes.includes(v)));
    if (bad !== undefined) {
      const allowed = us
        ? 'TAX, NON (a US company: the rate comes from tax.transactionTaxCodeId)'
        : `a QBO tax code id of this ${region} company (TAX and NON are for US companies only)`;
      throw refusal('settings.invalid-value', { path: r.path, value: r.newValue, allowed }, r.path);
    }
  }
}

function resolveAllowed(path: string, clock: Clock): string | undefined {
  try {
    const node = resolvePath(settingsSchemaAt(clock), path);
    return node.kind === 'object' ? undefined : node.allowed;
  } catch {
    return undefined;
  }
}

export interface SetSettingInput {
  realmId: string;
  /** e.g. `invoices.memo`, `tax.sales.GST` (a mapping entry; null removes it), `tax.sales` (the whole mapping). */
  path: string;
  value: unknown;
  actor: string;
  clock: Clock;
}

/** Changes one setting (refusing a bad value with the setting named and the allowed values listed) and audits it. */
export async function setSetting(db: Db, input: SetSettingInput): Promise<SettingChangeResult> {
  const [r] = await setSettings(db, { realmId: input.realmId, changes: [{ path: input.path, value: input.value }], actor: input.actor, clock: input.clock });
  return r!;
}

export interface ApplyPrefillInput {
  realmId: string;
  input: PrefillInput;
  actor: string;
  clock: Clock;
}

/**
 * Fills the mappings and accounts that are still unset from what both sides hold; never overwrites
 * a choice already made. Returns the changes written (each audited under `actor`).
 */
export async function applyPrefill(db: Db, input: ApplyPrefillInput): Promise<SettingChangeResult[]> {
  const suggestions = prefillSuggestions(input.input);
  if (suggestions.length === 0) return [];
  const results = await setSettings(db, { realmId: input.realmId, changes: suggestions, actor: input.actor, clock: input.clock, onlyWhenUnset: true });
  return results.filter((r) => r.changed);
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The audit trail of a company, newest first. */
export async function listAudit(db: Db, realmId: string, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  let q = db.selectFrom('settings_audit').selectAll().where('realm_id', '=', checkRealm(realmId));
  if (filter.path) {
    const p = filter.path;
    const prefix = `${p}.`;
    q = q.where((eb) => eb.or([eb('path', '=', p), eb(eb.fn('substr', ['path', eb.val(1), eb.val(prefix.length)]), '=', prefix)]));
  }
  if (filter.actor) q = q.where('actor', '=', filter.actor);
  if (filter.since) q = q.where('changed_at', '>=', filter.since);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 1000, 1), 10_000))
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    realmId: r.realm_id,
    path: r.path,
    oldValue: parseJson(r.old_value),
    newValue: parseJson(r.new_value),
    actor: r.actor,
    changedAt: r.changed_at,
  }));
}
