/**
 * The QBO emulator's public surface: start one (`startEmulator`), drive it in-process (`control`),
 * and the names another integrator needs (the demo client, OAuth paths, presets).
 */
export { startEmulator, type RunningEmulator, type StartEmulatorOptions } from './run/server.js';
export type { EmulatorControl, EmulatorStats } from './control/control.js';
export { ControlError } from './control/control.js';
export { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, clientFromEnv, type OAuthClientSpec } from './oauth/clients.js';
export { oauthPaths, ACCOUNTING_SCOPE } from './oauth/routes.js';
export { defaultLifetimes, type TokenLifetimes } from './oauth/tokens.js';
export { realLimits, type LimitSettings, type CompanyStats } from './limits/limiter.js';
export { faultKinds, type FaultKind, type FaultSettings } from './faults/plan.js';
export { presets, regions, type Region, type PresetData } from './presets/data.js';
export { PersistenceError } from './run/persist.js';
export type { CorePort, CompanySummary } from './wire/core-port.js';
