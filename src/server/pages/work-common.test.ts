import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../context.js';
import { money, practiceHref, qboHref, who } from './work-common.js';
import { settingsTabFor } from './preview.js';
import { sections } from './settings.js';
import { settingsSchemaAt } from '../../connect/settings/model.js';
import { resolvePath } from '../../connect/settings/paths.js';

const ctxFor = (qboEnv: string, emulatorUrl?: string) => ({ config: { qboEnv, emulatorUrl, emulatorPort: 4010 } }) as unknown as AppContext;

describe('working screens: shared helpers', () => {
  it('writes cents as dollars, with thousands separators and the sign, never through floats', () => {
    expect(money(0)).toBe('$0.00');
    expect(money(5)).toBe('$0.05');
    expect(money(123456789)).toBe('$1,234,567.89');
    expect(money(-100000)).toBe('-$1,000.00');
    expect(money(100000000000)).toBe('$1,000,000,000.00');
    expect(money(null)).toBe('—');
  });

  it('links a record kind of the plan, the skips or a run to its practice data page', () => {
    expect(practiceHref('contact', 'C1')).toBe('/practice/contact/C1');
    expect(practiceHref('supplier', 'S 1')).toBe('/practice/contact/S%201');
    expect(practiceHref('project', 'P1|stage-2')).toBe('/practice/project/P1');
    expect(practiceHref('job-item', 'P1')).toBe('/practice/project/P1');
    expect(practiceHref('credit-application', 'CN-1')).toBe('/practice/credit-note/CN-1');
    expect(practiceHref('staff-expense', 'E1')).toBe('/practice/staff-expense/E1');
    expect(practiceHref('qbo-payment', '55')).toBeUndefined();
  });

  it("links QuickBooks records to QuickBooks' own pages, or the emulator's company view in the demo", () => {
    expect(qboHref(ctxFor('production'), '9130', 'Invoice', '42')).toBe('https://app.qbo.intuit.com/app/invoice?txnId=42');
    expect(qboHref(ctxFor('sandbox'), '9130', 'Bill', '7')).toBe('https://app.sandbox.qbo.intuit.com/app/bill?txnId=7');
    expect(qboHref(ctxFor('production'), '9130', 'Customer', '3')).toBe('https://app.qbo.intuit.com/app/customerdetail?nameId=3');
    expect(qboHref(ctxFor('emulator', 'http://127.0.0.1:4999/'), '9130', 'Invoice', '42')).toBe('http://127.0.0.1:4999/control/companies/9130/dump');
    expect(qboHref(ctxFor('emulator'), '9130', 'Invoice', '42')).toBe('http://127.0.0.1:4010/control/companies/9130/dump');
    expect(qboHref(ctxFor('production'), '9130', null, '42')).toBeUndefined();
  });

  it('shows people by email, engine actors as they are', () => {
    expect(who('user:ann@example.com')).toBe('ann@example.com');
    expect(who('qbo-connect (pre-fill)')).toBe('qbo-connect (pre-fill)');
  });

  it('sends an error to the settings tab that fixes it', () => {
    expect(settingsTabFor('tax.unmapped')).toBe('tax');
    expect(settingsTabFor('staff-expense.expense-account-unmapped')).toBe('staffExpenses');
    expect(settingsTabFor('bill.expense-account-unmapped')).toBe('bills');
    expect(settingsTabFor('item.income-account-unmapped')).toBe('invoices');
    expect(settingsTabFor('payment.type-unmapped')).toBe('payments');
    expect(settingsTabFor('contact.missing-unique-id')).toBeUndefined();
    for (const tab of ['tax', 'staffExpenses', 'bills', 'invoices', 'payments']) expect(sections.map((s) => s.id)).toContain(tab);
  });

  it('offers every setting of the model on some tab, and only settings the model has', () => {
    const schema = settingsSchemaAt(() => new Date('2026-11-26T00:00:00Z'));
    const onTabs = sections.flatMap((s) => s.fields.map((f) => f.path));
    for (const p of onTabs) expect(() => resolvePath(schema, p), p).not.toThrow();
    const leaves = (prefix: string, node: ReturnType<typeof resolvePath>): string[] =>
      node.kind === 'object' ? node.keys.flatMap((k) => leaves(prefix ? `${prefix}.${k}` : k, resolvePath(schema, prefix ? `${prefix}.${k}` : k))) : [prefix];
    const all = ['general', 'contacts', 'invoices', 'payments', 'bills', 'staffExpenses', 'tax'].flatMap((s) => leaves(s, resolvePath(schema, s)));
    expect(onTabs.sort()).toEqual(all.sort());
  });
});
