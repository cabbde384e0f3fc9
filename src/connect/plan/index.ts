/** The preview's public surface: build a plan, fill in `@row:` references, skip rows with their linked rows. */
export { buildPlan, prefillSettings, type BuildPlanOptions, type PlanDeps } from './build.js';
export { PREFILL_ACTOR, prefillDoneKey, prefillPending } from './practice-lists.js';
export { skipIdOf, skipKindOf } from '../kinds.js';
export { contentHash, resolveRowRefs, unresolvedRowRefs } from './refs.js';
export { findRow, linkedRows, refOfRow, skipGroup, skipWithLinked, type SkipWithLinkedInput } from './skip.js';
export { documentTaxCents, lineTaxCents, predictTotals } from './totals.js';
export { marker } from './context.js';
export * from './types.js';
// What the sync, the pages and the CLI use of the preview's parts: through here, never a deep import.
export {
  adoptedFields,
  conflictText,
  nextBase,
  sparseBody,
  normalizeField,
  parseSentFields,
  same,
  shownValue,
  type FieldConflict,
  type Json,
  type SentFields,
} from './sent-fields.js';
export { basesOf, baseOf } from './updates.js';
export { QboSnapshot, type QboRow } from './qbo-snapshot.js';
export { renderPlanText } from './render.js';
