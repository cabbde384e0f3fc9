/**
 * routeDocuments on a real database, without QBO: which documents a company of a practice takes, and
 * the rows of those it does not send (overlap, no company, split between companies, already in another).
 */
import { beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import type { ExportDocument, StoredRecord } from '../../practice/store.js';
import type { DocItem } from './documents.js';
import { routeDocuments } from './office-routing.js';

const at = '2026-11-26T01:00:00.000Z';
const connection = (realm_id: string, offices: string[] | null, practice_id = 'default') => ({
  realm_id,
  practice_id,
  company_name: `Books ${realm_id}`,
  region: 'AU',
  status: 'disconnected' as const,
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
  offices: offices === null ? null : JSON.stringify(offices),
});
const project = (key: string, officeCode: string | null) => ({ key, record: { number: key, officeCode } }) as unknown as StoredRecord<'project'>;
const projects = new Map([project('P-SYD', 'SYD'), project('P-MEL', 'MEL'), project('P-PER', 'PER'), project('P-NONE', null)].map((p) => [p.key, p]));
const invoiceOn = (key: string, projectKey?: string): DocItem => ({
  kind: 'invoice',
  doc: {
    stored: { key, version: 1, record: { date: '2026-11-01', totalCents: 100 } },
    lines: [],
    allocations: [],
    ...(projectKey ? { project: projects.get(projectKey)! } : {}),
  } as unknown as ExportDocument,
  status: 'new',
  label: `invoice ${key}`,
});
const billOn = (key: string, ...projectKeys: string[]): DocItem => ({
  kind: 'bill',
  doc: {
    stored: { key, version: 1, record: { date: '2026-11-01', totalCents: 100 } },
    lines: projectKeys.map((p) => ({ project: projects.get(p)! })),
    allocations: [],
  } as unknown as ExportDocument,
  status: 'new',
  label: `bill ${key}`,
});

describeEachDialect(
  'routeDocuments',
  (ctx) => {
    const companies = async (...rows: Array<ReturnType<typeof connection>>) => {
      await ctx.db.insertInto('connections').values(rows).execute();
    };
    const route = (realmId: string, items: DocItem[]) => routeDocuments(ctx.db, realmId, items, projects);
    const codes = (r: Awaited<ReturnType<typeof route>>) => Object.fromEntries(r.rows.map((x) => [x.record.id, x.issues.map((i) => `${i.severity}:${i.code}`)]));
    const taken = (r: Awaited<ReturnType<typeof route>>) => r.items.map((i) => i.doc.stored.key);

    beforeEach(async () => {
      await ctx.db.insertInto('practices').values({ id: 'other', name: 'Other', created_at: at, created_by: 'test' }).execute();
    });

    it('one company taking the whole ledger takes everything, as before; a company of another practice is no overlap', async () => {
      await companies(connection('1', null), connection('9', null, 'other'));
      const items = [invoiceOn('I1', 'P-SYD'), invoiceOn('I2'), billOn('B1', 'P-SYD', 'P-MEL')];
      const r = await route('1', items);
      expect(taken(r)).toEqual(['I1', 'I2', 'B1']);
      expect(r.rows).toEqual([]);
    });

    it('two offices on two companies: each takes its own; split, office-less and untaken documents are errors where they belong', async () => {
      await companies(connection('1', ['SYD']), connection('2', ['MEL']));
      const items = [
        invoiceOn('I-SYD', 'P-SYD'),
        invoiceOn('I-MEL', 'P-MEL'),
        invoiceOn('I-NONE'),
        invoiceOn('I-PER', 'P-PER'),
        billOn('B-SPLIT', 'P-SYD', 'P-MEL'),
        billOn('B-SYD', 'P-SYD', 'P-SYD'),
      ];
      const a = await route('1', items);
      expect(taken(a)).toEqual(['I-SYD', 'B-SYD']);
      expect(codes(a)).toEqual({
        'I-NONE': ['error:company.document-unrouted'],
        'I-PER': ['error:company.document-unrouted'],
        'B-SPLIT': ['error:company.document-split'],
      });
      expect(a.rows.find((x) => x.record.id === 'I-PER')!.issues[0]!.message).toContain('office PER, which no company of this practice takes');
      expect(a.rows.every((x) => x.action === 'none')).toBe(true);
      const b = await route('2', items);
      expect(taken(b)).toEqual(['I-MEL']);
      expect(Object.keys(codes(b))).toEqual(['I-NONE', 'I-PER', 'B-SPLIT']);
    });

    it('overlapping offices: a document both would take is an error in both, naming the office and both companies', async () => {
      await companies(connection('1', null), connection('2', ['MEL']));
      const items = [invoiceOn('I-SYD', 'P-SYD'), invoiceOn('I-MEL', 'P-MEL')];
      const a = await route('1', items);
      expect(taken(a)).toEqual(['I-SYD']);
      expect(codes(a)).toEqual({ 'I-MEL': ['error:company.offices-overlap'] });
      const msg = a.rows[0]!.issues[0]!.message;
      expect(msg).toContain('(office MEL)');
      expect(msg).toContain('company 1 (Books 1) takes all offices');
      expect(msg).toContain('company 2 (Books 2) takes office MEL');
      expect(codes(await route('2', items))).toEqual({ 'I-MEL': ['error:company.offices-overlap'] });
    });

    it('a document linked in another company stays there: a warning where it would now go, nothing where it is linked', async () => {
      await companies(connection('1', ['SYD']), connection('2', ['MEL']), connection('3', []));
      await ctx.db
        .insertInto('links')
        .values({
          realm_id: '1',
          record_kind: 'invoice',
          record_key: 'I-MOVED',
          qbo_entity: 'Invoice',
          qbo_id: '77',
          sync_token: '0',
          payload_hash: 'h',
          record_version: 1,
          state: 'linked',
          qbo_total_cents: 100,
          created_at: at,
          updated_at: at,
          last_run_id: null,
          sent_fields: null,
        })
        .execute();
      const moved = invoiceOn('I-MOVED', 'P-MEL');
      const b = await route('2', [moved]);
      expect(taken(b)).toEqual([]);
      expect(codes(b)).toEqual({ 'I-MOVED': ['warning:company.document-in-other-company'] });
      expect(b.rows[0]!.issues[0]!.message).toContain('already in company 1 (Books 1)');
      // Company 1 holds the link: its own document, wherever its project is now (the caller read the link).
      const a = await route('1', [{ ...moved, link: { realm_id: '1' } as never, status: 'synced' }]);
      expect(taken(a)).toEqual(['I-MOVED']);
      expect(a.items[0]!.notes?.map((n) => `${n.severity}:${n.code}`)).toEqual(['warning:company.document-stays-here']);
      expect(a.items[0]!.notes?.[0]!.message).toContain('its project is now in office MEL, which company 2 (Books 2) takes');
      // A retired company (no offices) takes nothing and reports nothing.
      const c = await route('3', [moved, invoiceOn('I-NONE')]);
      expect(c).toEqual({ items: [], rows: [] });
    });
  },
  { fresh: 'each' },
);
