/**
 * Contacts and staff as QBO names: a client becomes a Customer, a supplier contact or a staff member
 * (for staff expenses) a Vendor. The rules QBO puts on names (unique across customers, vendors and
 * employees; no colon; a length a person can read) are applied here, each change with its warning.
 */
import type { StoredRecord } from '../../../practice/store.js';
import type { Settings } from '../../settings/model.js';
import { issue, marker, QBO_NAME_LIMIT } from '../context.js';
import type { Issue } from '../types.js';

export type NameKind = 'contact' | 'supplier' | 'staff';

/** A practice name as QBO will take it: colons replaced, too-long names shortened (or refused). */
export function qboName(kind: NameKind, label: string, name: string, settings: Settings, limit = QBO_NAME_LIMIT): { name: string; issues: Issue[] } {
  const issues: Issue[] = [];
  let out = name.trim().replace(/\s+/g, ' ');
  if (out.includes(':')) {
    const replaced = out.replace(/\s*:\s*/g, ' - ');
    issues.push(issue(`${kind}.name-has-colon`, 'warning', { record: label, value: name, detail: replaced }, 'name'));
    out = replaced;
  }
  if (out.length > limit) {
    if (settings.contacts.shortenLongNames) {
      const short = out.slice(0, limit).trimEnd();
      issues.push(issue(`${kind}.name-too-long`, 'warning', { record: label, value: name, limit, detail: short }, 'name'));
      out = short;
    } else {
      issues.push(issue(`${kind}.name-too-long`, 'error', { record: label, value: name, limit }, 'name'));
    }
  }
  return { name: out, issues };
}

// Deliberately plain: one @, no spaces, a dot in the domain. QBO refuses worse; we only warn.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export function validEmail(email: string): boolean {
  return email.length <= 100 && emailPattern.test(email);
}

export function contactLabel(c: StoredRecord<'contact'>): string {
  return `contact ${c.key} (${c.record.name})`;
}
export function staffLabel(s: StoredRecord<'staff'>): string {
  return `staff member ${s.key} (${s.record.name})`;
}

/** The unique ID a supplier carries in QBO: `S-` before it when the setting is on (not doubled). */
export function supplierId(uniqueId: string, settings: Settings): string {
  return settings.contacts.supplierPrefix && !uniqueId.startsWith('S-') ? `S-${uniqueId}` : uniqueId;
}

export interface NameDraft {
  /** The DisplayName to find or create. */
  displayName: string;
  payload: Record<string, unknown>;
  issues: Issue[];
  /** The unique ID the QBO record is matched by (null when the contact has none). */
  uniqueId: string | null;
}

/** A client as a QBO Customer. */
export function customerDraft(c: StoredRecord<'contact'>, settings: Settings): NameDraft {
  const label = contactLabel(c);
  const r = c.record;
  const { name, issues } = qboName('contact', label, r.name, settings);
  const payload: Record<string, unknown> = { DisplayName: name, CompanyName: (r.legalName ?? r.name).slice(0, 100) };
  if (r.email) {
    if (validEmail(r.email)) payload['PrimaryEmailAddr'] = { Address: r.email };
    else issues.push(issue('contact.invalid-email', 'warning', { record: label, value: r.email }, 'email'));
  }
  if (r.phone) payload['PrimaryPhone'] = { FreeFormNumber: r.phone.slice(0, 21) };
  const addr = r.postalAddress ?? r.streetAddress;
  if (addr) payload['BillAddr'] = { Line1: addr.slice(0, 500) };
  if (r.taxNumber) payload['BusinessNumber'] = r.taxNumber;
  payload['Notes'] = `${marker('contact', c.key)}${r.uniqueId ? ` uid:${r.uniqueId}` : ''}`;
  return { displayName: name, payload, issues, uniqueId: r.uniqueId ?? null };
}

/**
 * A supplier contact or a staff member as a QBO Vendor. With the supplier prefix on, the prefixed
 * unique ID is part of the name ("Harbour Surveying (S-SU00001)") and the account number, so the same
 * practice contact can be a customer and a separate supplier in QBO, as the setting promises.
 */
export function vendorDraft(kind: 'supplier' | 'staff', rec: StoredRecord<'contact'> | StoredRecord<'staff'>, settings: Settings): NameDraft {
  const label = kind === 'staff' ? staffLabel(rec as StoredRecord<'staff'>) : contactLabel(rec as StoredRecord<'contact'>);
  const r = rec.record;
  const uid = r.uniqueId ?? null;
  const sid = uid ? supplierId(uid, settings) : null;
  const suffix = settings.contacts.supplierPrefix && sid ? ` (${sid})` : '';
  const { name, issues } = qboName(kind, label, r.name, settings, QBO_NAME_LIMIT - suffix.length);
  const displayName = `${name}${suffix}`;
  const payload: Record<string, unknown> = { DisplayName: displayName };
  if (kind === 'supplier') payload['CompanyName'] = ((r as { legalName?: string | null }).legalName ?? r.name).slice(0, 100);
  else payload['PrintOnCheckName'] = r.name.slice(0, 100);
  if (sid) payload['AcctNum'] = sid.slice(0, 15);
  if (r.email) {
    if (validEmail(r.email)) payload['PrimaryEmailAddr'] = { Address: r.email };
    else issues.push(issue(`${kind}.invalid-email`, 'warning', { record: label, value: r.email }, 'email'));
  }
  payload['Notes'] = `${marker(kind, rec.key)}${sid ? ` uid:${sid}` : ''}`;
  return { displayName, payload, issues, uniqueId: sid };
}
