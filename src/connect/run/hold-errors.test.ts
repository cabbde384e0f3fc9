import { describe, expect, it } from 'vitest';
import type { Plan, PlanRow } from '../plan/index.js';
import { rowsToHold } from './hold-errors.js';

function row(key: string, extra: Partial<PlanRow> = {}): PlanRow {
  const [group, id] = key.split(':') as [PlanRow['group'], string];
  return {
    key,
    group,
    record: { kind: group, id, label: `Record ${id}` },
    action: 'create',
    qbo: { entity: 'Invoice' },
    payload: {},
    payloadHash: null,
    dependsOn: [],
    practiceTotalCents: null,
    qboTotalCents: null,
    issues: [],
    ...extra,
  };
}
const err = (message: string) => [{ code: 'invoice.number-too-long' as const, severity: 'error' as const, message }];
const plan = (rows: PlanRow[]): Plan =>
  ({
    realmId: 'r',
    builtAt: '',
    settingsHash: '',
    groups: [{ kind: 'invoices', rows, records: rows.length, errors: 0, warnings: 0, totalCents: 0 }],
    errors: 0,
    warnings: 0,
    qboRequests: 0,
  }) as Plan;

describe('rowsToHold', () => {
  it('holds the error rows and everything that needs them, at any depth and in any order; nothing else', () => {
    const held = rowsToHold(
      plan([
        // Listed before what it needs: the closure does not rely on the plan's order.
        row('payments-export:P1', { payload: { Line: [{ LinkedTxn: [{ TxnId: '@row:invoices:I1' }] }] } }),
        row('invoices:I1', { dependsOn: ['customers:C1'] }),
        row('customers:C1', { issues: err('Contact C1: name has a colon.') }),
        row('invoices:I2', { dependsOn: ['customers:C2'] }),
        row('customers:C2'),
        // A skipped row's error holds nothing (the preview already leaves it out).
        row('customers:C3', { issues: err('Contact C3: bad.'), skipped: { by: 'a', at: '' } }),
        row('invoices:I3', { dependsOn: ['customers:C3'], skipped: { by: 'a', at: '' } }),
      ]),
    );
    expect([...held.keys()].sort()).toEqual(['customers:C1', 'invoices:I1', 'payments-export:P1']);
    expect(held.get('customers:C1')).toMatchObject({ code: 'run.held-plan-error', message: expect.stringContaining('Contact C1: name has a colon.') });
    expect(held.get('invoices:I1')).toMatchObject({ code: 'run.held-needs-error-row', message: expect.stringContaining('needs Record C1') });
    expect(held.get('payments-export:P1')!.message).toContain('needs Record I1');
  });

  it('holds nothing when nothing has an error', () => {
    expect(rowsToHold(plan([row('customers:C1'), row('invoices:I1', { dependsOn: ['customers:C1'] })])).size).toBe(0);
  });
});
