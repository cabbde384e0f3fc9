/**
 * The last step of a plan: adopted rows' Ids fill the `@row:` references, skips are applied (a row
 * needing a skipped row is skipped with it), and rows gather into groups with their counts and totals.
 */
import type { Clock } from '../../context.js';
import { hashOf } from '../../hash.js';
import type { Settings } from '../settings/model.js';
import { payloadHash } from './context.js';
import type { SkipLookup } from './imports.js';
import { resolveRowRefs } from './refs.js';
import { groupOrder, type Plan, type PlanGroup, type PlanRow } from './types.js';

export function settingsHash(settings: Settings): string {
  return hashOf(settings);
}

/** Adopted rows' Ids fill the `@row:` references; rows needing a skipped row are skipped with it; groups and counts. */
export function finish(realmId: string, clock: Clock, settings: Settings, rows: PlanRow[], requests: number, skipOf: SkipLookup): Plan {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  // Names and items skipped by a person (documents were marked as they were read).
  for (const r of rows) {
    const s = r.skipped ? undefined : skipOf(r.record.kind, r.record.id);
    if (s) r.skipped = { by: s.skippedBy, at: s.skippedAt, ...(s.reasonCode ? { reason: s.reasonCode } : {}) };
  }
  const adopted = new Map<string, string>();
  for (const r of rows) if (r.action === 'adopt' && r.qbo.id) adopted.set(r.key, r.qbo.id);
  for (const r of rows) {
    if (!r.payload || !r.dependsOn.some((k) => adopted.has(k))) continue;
    r.payload = resolveRowRefs(r.payload, adopted);
    r.dependsOn = r.dependsOn.filter((k) => !adopted.has(k));
    r.payloadHash = payloadHash(r.payload);
  }
  const now = clock().toISOString();
  for (let changed = true; changed;) {
    changed = false;
    for (const r of rows) {
      if (r.skipped) continue;
      const dep = r.dependsOn.find((k) => byKey.get(k)?.skipped);
      if (dep) {
        r.skipped = { by: 'qbo-connect', at: now, reason: `needs ${dep}, which is skipped` };
        changed = true;
      }
    }
  }
  const groups: PlanGroup[] = groupOrder.map((kind) => {
    const rs = rows.filter((r) => r.group === kind);
    const live = rs.filter((r) => !r.skipped);
    const count = (sev: 'error' | 'warning') => live.reduce((n, r) => n + r.issues.filter((i) => i.severity === sev).length, 0);
    return {
      kind,
      rows: rs,
      records: live.length,
      skipped: rs.length - live.length,
      errors: count('error'),
      warnings: count('warning'),
      // What the sync sends: a row with nothing to send (a document another company of the practice holds, a zero-value one) adds nothing (issue 15, attack finding: two companies' previews counted one invoice twice).
      totalCents: live.filter((r) => r.action !== 'none').reduce((s, r) => s + (r.practiceTotalCents ?? 0), 0),
    };
  });
  return {
    realmId,
    builtAt: now,
    settingsHash: settingsHash(settings),
    groups,
    errors: groups.reduce((n, g) => n + g.errors, 0),
    warnings: groups.reduce((n, g) => n + g.warnings, 0),
    qboRequests: requests,
  };
}
