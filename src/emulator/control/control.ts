/**
 * The control surface as functions, for in-process tests; `routes.ts` serves the same operations as
 * JSON under /control when enabled. Every input is checked with zod here, whichever way it came.
 */
import { z } from 'zod';
import type { EmulatorClock } from '../run/clock.js';
import type { CompanySummary, CorePort } from '../wire/core-port.js';
import { faultPatchSchema, type FaultPlan, type FaultSettings } from '../faults/plan.js';
import type { TokenEndpointStats } from '../faults/token.js';
import { limitPatchSchema, type CompanyStats, type LimitSettings, type Limiter } from '../limits/limiter.js';
import type { TokenLifetimes, TokenStore } from '../oauth/tokens.js';
import { lifetimesPatchSchema } from '../oauth/tokens.js';
import { regions, type Region } from '../presets/data.js';
import { seedPreset } from '../presets/seed.js';
import type { WebhookDelivery, WebhookSender, WebhookSenderView } from '../webhooks/sender.js';

export const presetSchema = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(regions as [Region, ...Region[]]));

const astFlag = z.boolean().optional();
const usOnly = (v: { preset?: string; automatedSalesTax?: boolean }) => !v.automatedSalesTax || v.preset === 'US';
const usOnlyMessage = { message: 'automatedSalesTax is for the us preset only (Intuit: AST is applicable for US locale only)', path: ['automatedSalesTax'] };
export const seedSchema = z
  .object({ preset: presetSchema, name: z.string().trim().min(1).max(100).optional(), automatedSalesTax: astFlag })
  .strict()
  .refine(usOnly, usOnlyMessage);
export const advanceSchema = z
  .object({ seconds: z.number().min(0).optional(), ms: z.number().min(0).optional() })
  .strict()
  .refine((v) => v.seconds !== undefined || v.ms !== undefined, 'give seconds or ms');
export const timeScaleSchema = z.object({ scale: z.number().positive().max(100_000) }).strict();
export const requestIdMemorySchema = z.object({ size: z.number().int().min(0).max(10_000_000) }).strict();
export const autoConsentSchema = z.object({ enabled: z.boolean() }).strict();
export const expireSchema = z.object({ realmId: z.string().optional() }).strict();
export const preferencesSchema = z.record(z.string(), z.unknown());
export const depositedSchema = z.object({ entity: z.string().min(1), id: z.string().regex(/^\d+$/, 'must be a numeric Id'), deposited: z.boolean().default(true) }).strict();
export const resetSchema = z
  .object({ preset: presetSchema.optional(), name: z.string().trim().min(1).max(100).optional(), automatedSalesTax: astFlag })
  .strict()
  .refine(usOnly, usOnlyMessage);

export interface EmulatorStats {
  now: string;
  timeScale: number;
  companies: CompanyStats[];
  /** Calls to the token endpoint (all clients) and the faults served there. */
  tokenEndpoint: TokenEndpointStats;
}

export interface EmulatorControl {
  companies(): CompanySummary[];
  seedCompany(input: { preset: string; name?: string; automatedSalesTax?: boolean }): CompanySummary;
  /** Forgets every company and grant; seeds one company again when a preset is given. */
  reset(input?: { preset?: string; name?: string; automatedSalesTax?: boolean }): CompanySummary[];
  advanceClock(input: { seconds?: number; ms?: number }): { now: string };
  setTimeScale(scale: number): { timeScale: number };
  limits(): LimitSettings;
  setLimits(patch: Partial<LimitSettings>): LimitSettings;
  setRequestIdMemory(size: number): { size: number };
  faults(): FaultSettings;
  armFaults(patch: Partial<FaultSettings>): FaultSettings;
  clearFaults(): FaultSettings;
  autoConsent(): boolean;
  setAutoConsent(enabled: boolean): boolean;
  tokenLifetimes(): TokenLifetimes;
  setTokenLifetimes(patch: Partial<TokenLifetimes>): TokenLifetimes;
  /** Ends the access tokens of one company (or all) now: the next API call gets 401. */
  expireAccessTokens(realmId?: string): { expired: number };
  dump(realmId: string): unknown;
  /** Merges preference fields into a company's Preferences (as a sparse update would). */
  setPreferences(realmId: string, patch: Record<string, unknown>): unknown;
  /** A payment now sits in a bank deposit (writes to it fail with 6540), or no longer does. */
  markDeposited(realmId: string, input: { entity: string; id: string; deposited?: boolean }): { deposited: boolean };
  stats(realmId?: string): EmulatorStats;
  resetStats(): void;
  /** Outgoing webhooks (webhooks/sender.ts): where to, the verifier token (never shown back), delay, format, forge, duplicate. */
  webhooks(): WebhookSenderView;
  setWebhooks(patch: unknown): WebhookSenderView;
  /** Sends every company's pending notification now, and waits for the answers. */
  flushWebhooks(): Promise<WebhookDelivery[]>;
}

export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

/** The core's faults (QboFault: errors[0].Detail) become control errors naming what was wrong. */
function asControlError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const detail = (err as { errors?: { Detail?: string; Message?: string }[] }).errors?.[0];
    if (detail) throw new ControlError(detail.Detail ?? detail.Message ?? 'refused by the emulator core');
    throw err;
  }
}

export interface ControlDeps {
  core: CorePort;
  clock: EmulatorClock;
  limiter: Limiter;
  faults: FaultPlan;
  tokens: TokenStore;
  settings: { autoConsent: boolean };
  changed(): void;
  tokenStats: TokenEndpointStats;
  webhooks: WebhookSender;
}

export function createControl(deps: ControlDeps): EmulatorControl {
  const { core, clock, limiter, faults, tokens, settings } = deps;
  const summary = (realmId: string) => core.companies().find((c) => c.realmId === realmId)!;
  const requireCompany = (realmId: string) => {
    if (!core.hasCompany(realmId)) throw new ControlError(`company ${realmId} does not exist in this emulator`, 404);
  };
  const control: EmulatorControl = {
    companies: () => core.companies(),
    seedCompany(input) {
      const { preset, name, automatedSalesTax } = seedSchema.parse(input);
      const realmId = seedPreset(core, preset, name, { automatedSalesTax });
      deps.changed();
      return summary(realmId);
    },
    reset(input = {}) {
      const { preset, name, automatedSalesTax } = resetSchema.parse(input);
      for (const c of core.companies()) tokens.forgetCompany(c.realmId);
      core.reset();
      limiter.resetStats();
      if (preset) seedPreset(core, preset, name, { automatedSalesTax });
      deps.changed();
      return core.companies();
    },
    advanceClock(input) {
      const v = advanceSchema.parse(input);
      clock.advance((v.seconds ?? 0) * 1000 + (v.ms ?? 0));
      return { now: clock.now().toISOString() };
    },
    setTimeScale(scale) {
      clock.setScale(timeScaleSchema.parse({ scale }).scale);
      return { timeScale: clock.scale };
    },
    limits: () => limiter.settings(),
    setLimits: (patch) => limiter.set(limitPatchSchema.parse(patch)),
    setRequestIdMemory(size) {
      const v = requestIdMemorySchema.parse({ size });
      core.setRequestIdMemory(v.size);
      return v;
    },
    faults: () => faults.settings(),
    armFaults: (patch) => faults.arm(faultPatchSchema.parse(patch)),
    clearFaults() {
      faults.clear();
      return faults.settings();
    },
    autoConsent: () => settings.autoConsent,
    setAutoConsent(enabled) {
      settings.autoConsent = autoConsentSchema.parse({ enabled }).enabled;
      return settings.autoConsent;
    },
    tokenLifetimes: () => tokens.lifetimes(),
    setTokenLifetimes(patch) {
      const next = tokens.setLifetimes(lifetimesPatchSchema.parse(patch));
      deps.changed();
      return next;
    },
    expireAccessTokens(realmId) {
      if (realmId !== undefined) requireCompany(realmId);
      return { expired: tokens.expireAccessTokens(realmId) };
    },
    dump(realmId) {
      requireCompany(realmId);
      return core.dump(realmId);
    },
    setPreferences(realmId, patch) {
      requireCompany(realmId);
      const result = asControlError(() => core.setPreferences(realmId, preferencesSchema.parse(patch)));
      deps.changed();
      return result;
    },
    markDeposited(realmId, input) {
      requireCompany(realmId);
      const v = depositedSchema.parse(input);
      asControlError(() => core.markDeposited(realmId, v.entity, v.id, v.deposited));
      deps.changed();
      return { deposited: v.deposited };
    },
    stats(realmId) {
      if (realmId !== undefined) requireCompany(realmId);
      return { now: clock.now().toISOString(), timeScale: clock.scale, companies: limiter.stats(realmId), tokenEndpoint: structuredClone(deps.tokenStats) };
    },
    resetStats() {
      limiter.resetStats();
      deps.tokenStats.requests = 0;
      deps.tokenStats.faults = {};
    },
    webhooks: () => deps.webhooks.view(),
    setWebhooks: (patch) => deps.webhooks.configure(patch),
    flushWebhooks: () => deps.webhooks.flush(),
  };
  return control;
}
