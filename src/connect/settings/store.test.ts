import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { UserFacingError } from '../../user-facing-error.js';
import { applyPrefill, getSettings, getSettingsWithVersion, listAudit, setSetting, setSettings } from './store.js';

let now = new Date('2026-11-26T01:00:00Z');
const clock = () => now;
const tick = (ms = 1000) => (now = new Date(now.getTime() + ms));

describeEachDialect(
  'connect settings store',
  (ctx) => {
    it('gives a new company the defaults and freezes its export-from dates at first sight', async () => {
      const s = await getSettings(ctx.db, 'realm-a', clock);
      expect(s.general.exportFrom.invoices).toBe('2026-11-01');
      expect(s.invoices.memo).toBe('project-number');
      // A month later the company keeps the date it was first given.
      const later = () => new Date('2026-12-15T00:00:00Z');
      expect((await getSettings(ctx.db, 'realm-a', later)).general.exportFrom.bills).toBe('2026-11-01');
      // Another company first seen later gets its own month.
      expect((await getSettings(ctx.db, 'realm-b', later)).general.exportFrom.bills).toBe('2026-12-01');
    });

    it('changes a setting and audits who, when, which, old and new value', async () => {
      tick();
      const r = await setSetting(ctx.db, { realmId: 'realm-c', path: 'invoices.memo', value: 'client-reference', actor: 'cli:alice', clock });
      expect(r).toEqual({ path: 'invoices.memo', changed: true, oldValue: 'project-number', newValue: 'client-reference' });
      expect((await getSettings(ctx.db, 'realm-c', clock)).invoices.memo).toBe('client-reference');
      const [a] = await listAudit(ctx.db, 'realm-c');
      expect(a).toMatchObject({
        realmId: 'realm-c',
        path: 'invoices.memo',
        oldValue: 'project-number',
        newValue: 'client-reference',
        actor: 'cli:alice',
        changedAt: now.toISOString(),
      });
    });

    it('writes nothing and audits nothing when the value is already the one given', async () => {
      await setSetting(ctx.db, { realmId: 'realm-c', path: 'invoices.memo', value: 'client-reference', actor: 'cli:alice', clock });
      const before = await listAudit(ctx.db, 'realm-c');
      const { version } = await getSettingsWithVersion(ctx.db, 'realm-c', clock);
      const r = await setSetting(ctx.db, { realmId: 'realm-c', path: 'invoices.memo', value: 'client-reference', actor: 'cli:bob', clock });
      expect(r.changed).toBe(false);
      expect(await listAudit(ctx.db, 'realm-c')).toEqual(before);
      expect((await getSettingsWithVersion(ctx.db, 'realm-c', clock)).version).toBe(version);
      await setSetting(ctx.db, { realmId: 'realm-c', path: 'invoices.memo', value: 'none', actor: 'cli:bob', clock });
      expect((await getSettingsWithVersion(ctx.db, 'realm-c', clock)).version).toBe(version + 1);
    });

    it('adds, changes and removes mapping entries, each audited with old and new value', async () => {
      tick();
      await setSetting(ctx.db, { realmId: 'realm-d', path: 'tax.sales.GST', value: '10', actor: 'api:carol', clock });
      tick();
      await setSetting(ctx.db, { realmId: 'realm-d', path: 'tax.sales.GST', value: '12', actor: 'api:carol', clock });
      tick();
      await setSetting(ctx.db, { realmId: 'realm-d', path: 'tax.sales.FRE', value: '11', actor: 'api:carol', clock });
      tick();
      await setSetting(ctx.db, { realmId: 'realm-d', path: 'tax.sales.GST', value: null, actor: 'cli:dave', clock });
      expect((await getSettings(ctx.db, 'realm-d', clock)).tax.sales).toEqual({ FRE: '11' });
      const trail = (await listAudit(ctx.db, 'realm-d', { path: 'tax.sales.GST' })).map((a) => [a.oldValue, a.newValue, a.actor]);
      expect(trail).toEqual([
        ['12', null, 'cli:dave'],
        ['10', '12', 'api:carol'],
        [null, '10', 'api:carol'],
      ]);
      // A group path matches the settings under it, not a sibling with the same prefix.
      expect(await listAudit(ctx.db, 'realm-d', { path: 'tax' })).toHaveLength(4);
      expect(await listAudit(ctx.db, 'realm-d', { path: 'tax.sal' })).toHaveLength(0);
      expect(await listAudit(ctx.db, 'realm-d', { actor: 'cli:dave' })).toHaveLength(1);
      expect(await listAudit(ctx.db, 'realm-d', { since: now.toISOString() })).toHaveLength(1);
    });

    it('replaces a whole mapping and audits it as one change', async () => {
      await setSetting(ctx.db, { realmId: 'realm-e', path: 'payments.methodByPaymentType', value: { EFT: '1', CHQ: '2' }, actor: 'cli:alice', clock });
      const [a] = await listAudit(ctx.db, 'realm-e');
      expect(a).toMatchObject({ path: 'payments.methodByPaymentType', oldValue: {}, newValue: { EFT: '1', CHQ: '2' } });
    });

    it('refuses a bad value with the setting named and the allowed values listed, writing nothing', async () => {
      const err = await setSetting(ctx.db, { realmId: 'realm-f', path: 'payments.direction', value: 'both', actor: 'cli:alice', clock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserFacingError);
      expect((err as UserFacingError).message).toBe('Setting payments.direction: both is not allowed; allowed values: import, export.');
      expect((err as UserFacingError).field).toBe('payments.direction');
      expect(await listAudit(ctx.db, 'realm-f')).toEqual([]);
    });

    it('refuses a change without an actor', async () => {
      await expect(setSetting(ctx.db, { realmId: 'realm-f', path: 'bills.export', value: false, actor: ' ', clock })).rejects.toMatchObject({ code: 'settings.invalid-actor' });
    });

    it('applies several changes all or nothing', async () => {
      await expect(
        setSettings(ctx.db, {
          realmId: 'realm-g',
          actor: 'cli:alice',
          clock,
          changes: [
            { path: 'bills.export', value: false },
            { path: 'bills.lineDescription', value: 'nonsense' },
          ],
        }),
      ).rejects.toThrow('Setting bills.lineDescription');
      expect((await getSettings(ctx.db, 'realm-g', clock)).bills.export).toBe(true);
      expect(await listAudit(ctx.db, 'realm-g')).toEqual([]);
    });

    it('keeps every change when writers race on one company', async () => {
      const paths = ['contacts.shortenLongNames', 'contacts.supplierPrefix', 'contacts.createWhenNoMatch', 'invoices.invoiceTextLine', 'invoices.applyCreditToInvoice'];
      await getSettings(ctx.db, 'realm-h', clock);
      await Promise.all(paths.map((path) => setSetting(ctx.db, { realmId: 'realm-h', path, value: false, actor: 'cli:race', clock })));
      const s = await getSettings(ctx.db, 'realm-h', clock);
      expect([s.contacts.shortenLongNames, s.contacts.supplierPrefix, s.contacts.createWhenNoMatch, s.invoices.invoiceTextLine, s.invoices.applyCreditToInvoice]).toEqual([
        false,
        false,
        false,
        false,
        false,
      ]);
      expect(await listAudit(ctx.db, 'realm-h')).toHaveLength(5);
    });

    it('pre-fills only what is still unset, audited under the pre-fill actor', async () => {
      await setSetting(ctx.db, { realmId: 'realm-i', path: 'tax.sales.GST', value: '99', actor: 'cli:alice', clock });
      const applied = await applyPrefill(ctx.db, {
        realmId: 'realm-i',
        actor: 'prefill',
        clock,
        input: {
          region: 'AU',
          qboTaxCodes: [{ id: '10', name: 'GST', salesRatePercent: 10, purchaseRatePercent: 10 }],
          practiceTaxCodes: [{ code: 'GST', ratePercent: 10 }],
          qboAccounts: [{ id: '79', name: 'Fees', accountType: 'Income' }],
        },
      });
      expect(applied.map((a) => a.path).sort()).toEqual(['invoices.fixedIncomeAccountId', 'tax.purchases.GST']);
      const s = await getSettings(ctx.db, 'realm-i', clock);
      expect(s.tax.sales.GST).toBe('99');
      expect(s.tax.purchases.GST).toBe('10');
      expect(s.invoices.fixedIncomeAccountId).toBe('79');
      expect((await listAudit(ctx.db, 'realm-i', { actor: 'prefill' })).map((a) => a.path).sort()).toEqual(['invoices.fixedIncomeAccountId', 'tax.purchases.GST']);
      // Running it again changes nothing.
      expect(
        await applyPrefill(ctx.db, { realmId: 'realm-i', actor: 'prefill', clock, input: { region: 'AU', qboAccounts: [{ id: '80', name: 'Fees 2', accountType: 'Income' }] } }),
      ).toEqual([]);
    });

    it('reads back a document whose stored value the model no longer accepts, with that value defaulted', async () => {
      await getSettings(ctx.db, 'realm-j', clock);
      const row = await ctx.db.selectFrom('connect_settings').select('document').where('realm_id', '=', 'realm-j').executeTakeFirstOrThrow();
      const doc = JSON.parse(row.document) as { invoices: Record<string, unknown> };
      doc.invoices.memo = 'retired-option';
      doc.invoices.lineDescription = 'stage';
      await ctx.db
        .updateTable('connect_settings')
        .set({ document: JSON.stringify(doc) })
        .where('realm_id', '=', 'realm-j')
        .execute();
      const s = await getSettings(ctx.db, 'realm-j', clock);
      expect(s.invoices.memo).toBe('project-number');
      expect(s.invoices.lineDescription).toBe('stage');
    });

    it('holds tax mappings to the company region: TAX/NON for US companies, real codes elsewhere', async () => {
      const at = '2026-11-01T00:00:00.000Z';
      const connect = (realm: string, region: string) =>
        ctx.db
          .insertInto('connections')
          .values({
            realm_id: realm,
            company_name: realm,
            region,
            status: 'connected',
            access_token_enc: null,
            refresh_token_enc: null,
            access_expires_at: null,
            refresh_expires_at: null,
            refresh_hard_expires_at: null,
            connected_at: at,
            connected_by: null,
            disconnected_reason: null,
            updated_at: at,
            lock_owner: null,
            lock_until: null,
          })
          .execute();
      await connect('us-co', 'US');
      await connect('au-co', 'AU');
      const set = (realmId: string, path: string, value: unknown) => setSetting(ctx.db, { realmId, path, value, actor: 'cli:alice', clock });
      await expect(set('us-co', 'tax.sales.ST', 'TAX')).resolves.toMatchObject({ changed: true });
      await expect(set('us-co', 'tax.purchases.EX', 'NON')).resolves.toMatchObject({ changed: true });
      await expect(set('us-co', 'tax.sales.ST', '2')).rejects.toThrow('Setting tax.sales.ST: 2 is not allowed; allowed values: TAX, NON (a US company');
      await expect(set('us-co', 'tax.sales', { ST: 'TAX', X: '5' })).rejects.toThrow('Setting tax.sales:');
      await expect(set('us-co', 'tax.transactionTaxCodeId', '2')).resolves.toMatchObject({ changed: true });
      await expect(set('au-co', 'tax.sales.GST', 'TAX')).rejects.toThrow('TAX and NON are for US companies only');
      await expect(set('au-co', 'tax.sales.GST', '10')).resolves.toMatchObject({ changed: true });
      // Removing an entry is always allowed.
      await expect(set('us-co', 'tax.sales.ST', null)).resolves.toMatchObject({ changed: true, newValue: null });
    });
  },
  { fresh: 'each' },
);
