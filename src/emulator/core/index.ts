// The emulator core: pure state and rules for any number of QBO companies. No wall clock and no
// Math.random: the clock and a seeded PRNG are injected so every run can be replayed.

import { Company, type CompanySnapshot } from './company.js';
import type { Region } from './context.js';
import { createPrng, type Prng } from './prng.js';
import { DEFAULT_REQUESTID_RETENTION_MS, type Fidelity } from './fidelity.js';

export { Company } from './company.js';
export type { CompanySnapshot, ChangeEntry, WriteOptions, CdcEntityResult, RowMeta } from './company.js';
export type { Json, Region } from './context.js';
export { QboFault, faults, type FaultError } from './faults.js';
export { ENTITIES, entityByName, type EntityName, type EntityDef } from './entities.js';
export type { QueryResult } from './query/evaluate.js';
export { FIDELITIES, parseFidelity, type Fidelity } from './fidelity.js';
export { runReport, REPORT_NAMES, type ReportSource } from './reports.js';

export interface CoreOptions {
  clock: () => Date;
  seed: number;
  /** How many requestids each company remembers (0 = none). Default 10,000. */
  requestIdMemory?: number;
  /** strict (Intuit's documented guarantees only) or generous (the pre-issue-13 emulator). Default generous. */
  fidelity?: Fidelity;
  /** Strict mode: how long (emulated ms) an answered requestid is replayed. Default 60 s. */
  requestIdRetentionMs?: number;
}

export interface CoreSnapshot {
  version: 1;
  seed: number;
  prngState: number;
  requestIdMemory: number;
  realmSeq: number;
  companies: CompanySnapshot[];
}

export interface Core {
  readonly clock: () => Date;
  createCompany(input: { name: string; region: Region; realmId?: string }): Company;
  /** The company, or undefined when the realm is unknown. */
  company(realmId: string): Company | undefined;
  companies(): Company[];
  removeCompany(realmId: string): boolean;
  /** Forget every company (the realm sequence and PRNG restart from the seed). */
  reset(): void;
  /** A number in [0, 1) from the seeded PRNG. */
  random(): number;
  requestIdMemory(): number;
  setRequestIdMemory(size: number): void;
  fidelity(): Fidelity;
  setFidelity(f: Fidelity): void;
  requestIdRetentionMs(): number;
  setRequestIdRetentionMs(ms: number): void;
  toJSON(): CoreSnapshot;
  fromJSON(snapshot: CoreSnapshot): void;
}

export function createCore(opts: CoreOptions): Core {
  let prng: Prng = createPrng(opts.seed);
  let memory = opts.requestIdMemory ?? 10_000;
  let realmSeq = 0;
  const companies = new Map<string, Company>();
  let fidelity: Fidelity = opts.fidelity ?? 'strict';
  let retentionMs = opts.requestIdRetentionMs ?? DEFAULT_REQUESTID_RETENTION_MS;
  const deps = { clock: opts.clock, requestIdMemory: () => memory, fidelity: () => fidelity, requestIdRetentionMs: () => retentionMs };

  // Realm ids look like Intuit's (long numbers) and come from the seeded PRNG, so they replay.
  const newRealmId = (): string => {
    realmSeq++;
    let id: string;
    do {
      id = `9341${String(Math.floor(prng.next() * 1e12)).padStart(12, '0')}`;
    } while (companies.has(id));
    return id;
  };

  const core: Core = {
    clock: opts.clock,
    createCompany({ name, region, realmId }) {
      if (!['AU', 'US', 'UK', 'CA'].includes(region)) throw new Error(`unknown region ${String(region)}: use AU, US, UK or CA`);
      const id = realmId ?? newRealmId();
      if (companies.has(id)) throw new Error(`company ${id} already exists`);
      const c = new Company(deps, { realmId: id, name, region });
      c.initialise();
      companies.set(id, c);
      return c;
    },
    company: (realmId) => companies.get(realmId),
    companies: () => [...companies.values()],
    removeCompany: (realmId) => companies.delete(realmId),
    reset() {
      companies.clear();
      prng = createPrng(opts.seed);
      realmSeq = 0;
    },
    random: () => prng.next(),
    requestIdMemory: () => memory,
    setRequestIdMemory(size) {
      if (!Number.isInteger(size) || size < 0) throw new Error('requestid memory must be a whole number ≥ 0');
      memory = size;
    },
    fidelity: () => fidelity,
    setFidelity(f) {
      if (f !== 'strict' && f !== 'generous') throw new Error(`unknown fidelity ${String(f)}: use strict or generous`);
      fidelity = f;
    },
    requestIdRetentionMs: () => retentionMs,
    setRequestIdRetentionMs(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error('requestid retention must be a number of milliseconds ≥ 0');
      retentionMs = ms;
    },
    toJSON: () => ({
      version: 1,
      seed: opts.seed,
      prngState: prng.state(),
      requestIdMemory: memory,
      realmSeq,
      companies: [...companies.values()].map((c) => c.toJSON()),
    }),
    fromJSON(s) {
      if (s.version !== 1) throw new Error(`unsupported emulator snapshot version ${String(s.version)}`);
      companies.clear();
      prng = createPrng(s.seed, s.prngState);
      memory = s.requestIdMemory;
      realmSeq = s.realmSeq;
      for (const cs of s.companies) companies.set(cs.realmId, Company.fromJSON(deps, cs));
    },
  };
  return core;
}
