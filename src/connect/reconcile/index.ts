/** The reconciliation report's public surface: the pages, the CLI and the API enter here. */
export { reconcile, resolvePeriod, type Period, type ReconcileDeps } from './build.js';
export { reportCsv, csvCell } from './csv.js';
export { renderReportText } from './render.js';
export * from './types.js';
