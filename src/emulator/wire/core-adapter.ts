/** The core port over the emulator's core (`createCore`) and API routes (`apiRoutes`). */
import type { EmulatorClock } from '../run/clock.js';
import type { CorePort } from './core-port.js';
import { createCore, ENTITIES, type Fidelity, type Core, type CoreSnapshot, type EntityName } from '../core/index.js';
import { apiRoutes } from './api.js';

/** `core` may be given (tests that also drive the core directly); otherwise one is made on `clock`. */
export function createCoreAdapter(opts: { clock: EmulatorClock; seed: number; core?: Core; fidelity?: Fidelity; requestIdRetentionMs?: number }): CorePort {
  const core = opts.core ?? createCore({ clock: () => opts.clock.now(), seed: opts.seed, fidelity: opts.fidelity, requestIdRetentionMs: opts.requestIdRetentionMs });
  const company = (realmId: string) => {
    const c = core.company(realmId);
    if (!c) throw new Error(`company ${realmId} does not exist`);
    return c;
  };
  return {
    companies: () => core.companies().map((c) => ({ realmId: c.realmId, name: c.name, region: c.region })),
    hasCompany: (realmId) => core.company(realmId) !== undefined,
    createCompany: ({ region, name }) => core.createCompany({ region, name }).realmId,
    insert: (realmId, entity, body) => {
      const row = company(realmId).insert(entity, body);
      return { Id: String(row.Id) };
    },
    setPreferences: (realmId, patch) => company(realmId).setPreferences(patch),
    markDeposited: (realmId, entity, id, deposited) => company(realmId).markDeposited(entity, id, deposited),
    reset: () => core.reset(),
    setRequestIdMemory: (size) => core.setRequestIdMemory(size),
    fidelity: () => core.fidelity(),
    changes: (realmId, sinceSeq) => core.company(realmId)?.changes(sinceSeq) ?? [],
    dump(realmId) {
      const c = company(realmId);
      const entities: Record<string, unknown[]> = {};
      for (const name of Object.keys(ENTITIES) as EntityName[]) {
        const rows = c.list(name);
        if (rows.length) entities[name] = rows;
      }
      return { realmId: c.realmId, name: c.name, region: c.region, entities, changes: c.changes().length };
    },
    toJSON: () => core.toJSON(),
    fromJSON: (raw) => core.fromJSON(raw as CoreSnapshot),
    routes: (authorize, tid) => apiRoutes({ core, authorize, tid }),
  };
}
