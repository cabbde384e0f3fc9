/**
 * Undo a sync (issue 18): the preview (`previewUndo`: what will be voided, deleted, made inactive,
 * kept, or cannot be undone and why) and the undo itself (`undoRun`, a run of kind `undo`). The CLI,
 * the API and the history page enter here.
 */
export { createdBy, previewUndo, undoableRun, willText, type UndoAction, type UndoItem, type UndoPreview } from './preview.js';
export { undoRun, type UndoDeps, type UndoOptions, type UndoResult } from './run.js';
export { sentence as undoSentence, type UndoReason } from './reasons.js';
import type { UndoPreview } from './preview.js';

const heading: Record<string, string> = {
  void: 'Will be voided',
  delete: 'Will be deleted (QuickBooks cannot void these)',
  inactivate: 'Will be made inactive',
  keep: 'Stay active (still in use)',
  refuse: 'Cannot be undone',
};

/** The preview as lines of text (the CLI prints it; the page shows the same groups). */
export function renderUndoPreview(p: UndoPreview): string {
  const out = [`Undo of run ${p.runId} (started ${p.runStartedAt}) for company ${p.realmId}:`];
  if (!p.items.length) return `${out[0]} nothing the run created is still linked; nothing to undo.`;
  if (p.bookCloseDate) out.push(`QuickBooks' books are closed up to ${p.bookCloseDate}.`);
  for (const action of ['void', 'delete', 'inactivate', 'keep', 'refuse'] as const) {
    const items = p.items.filter((i) => i.action === action);
    if (!items.length) continue;
    out.push(`${heading[action]} (${items.length}):`);
    for (const i of items) out.push(`  ${i.message}`);
  }
  out.push(`${p.requests} QuickBooks requests.`);
  return out.join('\n');
}
