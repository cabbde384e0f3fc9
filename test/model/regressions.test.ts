/**
 * The model test's counterexamples, pinned: each is the shrunk sequence fast-check found (after the
 * shared warm-up: payments direction, three invoices on three clients, one sync), run through the same
 * harness and invariants. Each failed before its issue-19 fix was merged, or guards a neighbouring
 * promise. A bug found before its fix lands is pinned as `it.fails` (its command kind listed in
 * KNOWN_BUGS, known-bugs.ts) and flipped to `it` with the fix; none is open now.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import {
  AccountantEdit,
  AccountantPayment,
  CancelInvoice,
  DisconnectMidSync,
  EditInvoice,
  ImportInvoice,
  PracticePayment,
  RenameContact,
  ResolveHeld,
  SetSetting,
  Sync,
  UndoHeld,
  type Cmd,
} from './commands.js';
import { checked, runSequence } from './harness.js';
import { EditInvoiceB, ImportInvoiceB, MoveProjectB, SetOfficesB, SyncB } from './practice-b.js';
import type { Model } from './model.js';

describe('model test counterexamples (SQLite)', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ preset: 'none', limits: 'off' });
  });
  afterAll(async () => {
    await emu?.close();
  });
  const run = (name: string, direction: Model['direction'], cmds: Cmd[]) => runSequence(emu, 'sqlite', name, direction, cmds.map(checked));

  // Issue 19, "A slow QBO gets a create twice": a partial payment whose create answer is lost to the
  // client's timeout was looked up at once, not found (QBO was still processing it) and sent again:
  // "once: payment R-1 is in QBO 2 times", INV-1's and Client C1's QBO balance too low. Fixed on main.
  it('a payment created while QBO is slower than the client waits is in QBO once', async () => {
    await run('slow payment', 'export', [new PracticePayment(0, 50), new Sync('slow-writes')]);
  }, 60_000);

  // Issue 19, "Duplicate payments": a payment imported from QBO was sent back after the direction
  // switched to export ("once: payment QBO-<Id> came from QBO … and was sent back as Payment <Id>").
  // Fixed in the preview (h/plan): an imported payment is never exported.
  it('switching payments from import to export never sends an imported payment back', async () => {
    await run('direction switch', 'import', [new AccountantPayment(0, 11), new Sync('none'), new SetSetting('payments.direction', 'export'), new Sync('none')]);
  }, 60_000);

  // Issue 19, "A rename blocks every future sync": C1 renamed, a new contact takes its old name and
  // gets an invoice; the plan adopts the customer linked to C1 and the run stops on links' unique
  // index: "counts: run … (failed, "The sync stopped: UNIQUE constraint failed: links…"): 0 of 2
  // planned records accounted for". Fixed on main.
  it("a new contact with a renamed contact's old name never takes over its QBO customer", async () => {
    await run('rename', 'import', [new RenameContact(0, true), new ImportInvoice(3, 0, [15]), new Sync('none')]);
  }, 60_000);

  // Issue 19, "The accountant's edits are overwritten": the accountant moves INV-1's due date in QBO,
  // the practice edits the invoice text; the update sends only the lines (three-way, h/diverge), so
  // QBO's due date survives. Before: "survives: invoice INV-1: the accountant's due date … became 2026-11-20".
  it("an update after the accountant's due date change keeps the accountant's due date", async () => {
    await run('due date', 'import', [new AccountantEdit(0, 'dueDate'), new EditInvoice(0, 'text'), new Sync('none')]);
  }, 60_000);

  // Issue 18, held records: the due date changed in QBO and in the practice holds INV-1; each
  // resolution keeps the invariants — send ours replaces the accountant's date (no longer theirs to
  // keep), its undo puts it back before the sync; keep QBO's keeps it through the sync, and a later
  // practice change of the date then goes; a skipped held invoice stays out.
  it("held INV-1: send ours, and its undo, and keep QBO's then a practice edit, each keep QBO true to the practice", async () => {
    await run('held send ours', 'import', [new AccountantEdit(0, 'dueDate'), new EditInvoice(0, 'dueDate'), new ResolveHeld(0, 'send-ours'), new Sync('none')]);
    await run('held send ours undone', 'import', [
      new AccountantEdit(0, 'dueDate'),
      new EditInvoice(0, 'dueDate'),
      new ResolveHeld(0, 'send-ours'),
      new UndoHeld(0),
      new Sync('none'),
    ]);
    await run('held keep', 'import', [
      new AccountantEdit(0, 'dueDate'),
      new EditInvoice(0, 'dueDate'),
      new ResolveHeld(0, 'keep-qbo'),
      new Sync('none'),
      new EditInvoice(0, 'dueDate'),
      new Sync('none'),
    ]);
    await run('held skip', 'import', [new AccountantEdit(0, 'amount'), new EditInvoice(0, 'amount'), new ResolveHeld(0, 'skip'), new Sync('none'), new UndoHeld(0)]);
  }, 180_000);

  // Issue 19, "Disconnect is allowed mid-sync": a void and an update, the person disconnects after
  // the first. Found by the model test (FC_SEED=2026, `npm run fuzz`). It was: "counts: run … (failed,
  // "The sync stopped: The QuickBooks connection … has ended …"): 1 of 2 planned records accounted for".
  // Fixed on main.
  it('a disconnect during a sync leaves every planned record accounted for', async () => {
    await run('disconnect mid-sync', 'import', [new CancelInvoice(0), new EditInvoice(0, 'text'), new DisconnectMidSync()]);
  }, 60_000);

  // The same bullet, for an amount: the accountant adds $10 to a line of INV-1 in QBO, the practice
  // edits the invoice text. Today the preview refuses the sync (a total changed in QBO), so the amount
  // survives; this keeps it so.
  it("an update after the accountant's amount change keeps the accountant's amount (or holds the row)", async () => {
    await run('amount', 'import', [new AccountantEdit(0, 'amount'), new EditInvoice(0, 'text'), new Sync('none')]);
  }, 60_000);

  // The same bullet, for a memo the product manages: with the memo setting on "invoice text", the
  // accountant rewrites INV-1's memo in QBO and the practice edits the text; the update replaces the
  // accountant's memo instead of holding the row. Found by the model test (FC_SEED=2026, `npm run fuzz`).
  // It was: "survives: invoice INV-1: the accountant's memo "Accountant note 1" became "Fees INV-1 rev 2"".
  // Fixed on main.
  it('an update never replaces a memo the accountant changed in QBO', async () => {
    await run('managed memo', 'import', [
      new SetSetting('invoices.memo', 'invoice-text'),
      new Sync('none'),
      new AccountantEdit(0, 'memo'),
      new EditInvoice(0, 'text'),
      new Sync('none'),
    ]);
  }, 60_000);

  // The same bullet ("Fields we do not manage survive every update"): a memo the accountant wrote, with
  // the memo setting on "none", survives the next update (it does today: the update is sparse).
  it("an update after the accountant's memo keeps the memo", async () => {
    await run('memo', 'import', [new AccountantEdit(0, 'memo'), new EditInvoice(0, 'text'), new Sync('none')]);
  }, 60_000);

  // Issue 15, office routing, pinned (the random sequences reach these only now and then): practice
  // B's INV-1 and INV-3 (office N) and INV-2 (office S) are synced to B's first company (the warm-up);
  // then the first takes only S and the second N. The second company leaves INV-1 and INV-3 where they
  // are (warning rows; b-routing fails if it creates them) and takes a new N invoice, INV-4. Then the
  // second takes every office: a new S invoice, INV-5, is an overlap error row in both, and neither
  // sync writes anything (b-routing); the second goes back to N and the first sends INV-5. Last, INV-4's
  // project moves to S, the first company takes everything again, and an edit of INV-4 still goes to
  // the second company, where it was synced (b-totals, b-routing).
  it("practice B's offices: a synced document stays in its company, an overlap sends nothing, a moved project's invoice stays", async () => {
    await run('offices', 'import', [
      new SetOfficesB(0, ['S']),
      new SetOfficesB(1, ['N']),
      new SyncB(1),
      new ImportInvoiceB(0, 40, [12_347]),
      new SyncB(1),
      new SyncB(0),
      new SetOfficesB(1, null),
      new ImportInvoiceB(1, 41, [22_347]),
      new SyncB(1),
      new SyncB(0),
      new SetOfficesB(1, ['N']),
      new SyncB(0),
      new MoveProjectB(0),
      new SetOfficesB(0, null),
      new SetOfficesB(1, []),
      new EditInvoiceB(3, 'amount'),
      new SyncB(0),
      new SyncB(1),
    ]);
  }, 60_000);
});
