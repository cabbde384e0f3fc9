import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../../practice/store.js';
import { defaultSettings, type Settings } from '../../settings/model.js';
import { customerDraft, qboName, supplierId, validEmail, vendorDraft } from './contacts.js';

const clock = () => new Date('2026-11-26T00:00:00Z');
const settings = (patch: (s: Settings) => void = () => {}): Settings => {
  const s = defaultSettings(clock);
  patch(s);
  return s;
};
const stored = <K extends 'contact' | 'staff'>(kind: K, key: string, record: StoredRecord<K>['record']): StoredRecord<K> =>
  ({ id: key, kind, key, state: 'active', version: 1, contentHash: '', createdAt: '', updatedAt: '', record }) as StoredRecord<K>;

describe('names as QBO takes them', () => {
  it('replaces a colon and says so', () => {
    const r = qboName('contact', 'contact C1', 'Council: Parks', settings());
    expect(r.name).toBe('Council - Parks');
    expect(r.issues).toMatchObject([{ code: 'contact.name-has-colon', severity: 'warning', field: 'name' }]);
  });

  it('shortens a long name with a warning, or refuses it when shortening is off', () => {
    const long = 'x'.repeat(130);
    const on = qboName('contact', 'contact C1', long, settings());
    expect(on.name).toHaveLength(100);
    expect(on.issues[0]).toMatchObject({ code: 'contact.name-too-long', severity: 'warning' });
    expect(on.issues[0]!.message).toContain('contact C1');
    const off = qboName(
      'contact',
      'contact C1',
      long,
      settings((s) => (s.contacts.shortenLongNames = false)),
    );
    expect(off.issues[0]).toMatchObject({ code: 'contact.name-too-long', severity: 'error' });
  });

  it('collapses spacing and leaves a clean name alone', () => {
    expect(qboName('contact', 'c', '  Harbour   Trust ', settings())).toEqual({ name: 'Harbour Trust', issues: [] });
  });

  it('tells a valid email from an invalid one', () => {
    expect(validEmail('accounts@harbour.com.au')).toBe(true);
    for (const bad of ['accounts', 'a@b', 'a b@c.d', '@c.de', `${'a'.repeat(95)}@x.com`]) expect(validEmail(bad), bad).toBe(false);
  });

  it('S- before supplier unique IDs when on, never doubled', () => {
    expect(supplierId('SU001', settings())).toBe('S-SU001');
    expect(supplierId('S-SU001', settings())).toBe('S-SU001');
    expect(
      supplierId(
        'SU001',
        settings((s) => (s.contacts.supplierPrefix = false)),
      ),
    ).toBe('SU001');
  });
});

describe('customer and vendor payloads', () => {
  const contact = stored('contact', 'C1', {
    code: 'C1',
    uniqueId: 'CL1',
    name: 'Harbour Trust',
    legalName: 'Harbour Trust Pty Ltd',
    email: 'not-an-email',
    phone: '02 9999 0000',
    postalAddress: 'PO Box 1',
    isClient: true,
    isSupplier: true,
  });

  it('a customer without an invalid email, with the marker and unique ID in Notes', () => {
    const d = customerDraft(contact, settings());
    expect(d.payload).toEqual({
      DisplayName: 'Harbour Trust',
      CompanyName: 'Harbour Trust Pty Ltd',
      PrimaryPhone: { FreeFormNumber: '02 9999 0000' },
      BillAddr: { Line1: 'PO Box 1' },
      Notes: 'qbo-connect:contact:C1 uid:CL1',
    });
    expect(d.issues.map((i) => i.code)).toEqual(['contact.invalid-email']);
  });

  it('the same contact as a supplier is a separate QBO name', () => {
    const d = vendorDraft('supplier', contact, settings());
    expect(d.displayName).toBe('Harbour Trust (S-CL1)');
    expect(d.payload).toMatchObject({ AcctNum: 'S-CL1', Notes: 'qbo-connect:supplier:C1 uid:S-CL1' });
    expect(d.issues.map((i) => i.code)).toEqual(['supplier.invalid-email']);
  });

  it('a staff member as a supplier', () => {
    const s = stored('staff', 'EMP1', { uniqueId: 'EMP1', name: 'Olivia Nguyen', email: 'olivia@studio.com.au' });
    expect(vendorDraft('staff', s, settings()).payload).toEqual({
      DisplayName: 'Olivia Nguyen (S-EMP1)',
      PrintOnCheckName: 'Olivia Nguyen',
      AcctNum: 'S-EMP1',
      PrimaryEmailAddr: { Address: 'olivia@studio.com.au' },
      Notes: 'qbo-connect:staff:EMP1 uid:S-EMP1',
    });
  });
});
