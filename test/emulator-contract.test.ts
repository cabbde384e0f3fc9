// Contract suite: every recorded QBO sandbox interaction in test/fixtures/qbo-recorded (48 pairs) is
// replayed against the strict emulator over real HTTP with its request exactly as recorded (path,
// query, body, content type; no rewriting). The company is first built to hold what the sandbox held
// at the ids the requests name. Each answer must have the recorded status, the recorded top-level
// keys, and at every level the same key set and JSON types (both ways); ids, dates, amounts and
// names may differ, and keys whose presence depends on the data the sandbox held (DATA_DEPENDENT)
// are not compared. Pairs that cannot match are listed in KNOWN_MISMATCHES with the reason; the
// suite fails if a listed pair starts matching (remove it) or an unlisted one stops.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Company, type Core } from '../src/emulator/core/index.js';
import { createApiApp } from '../src/emulator/wire/testing.js';
import { unauthorizedResponse } from '../src/emulator/wire/errors.js';

// A copy of the qbo_api gem's recorded sandbox cassettes (MIT, see LICENSE-qbo_api.txt there) lives in the repository, so CI needs nothing beside it.
const RECORDED = process.env.QBO_RECORDED_DIR ?? path.resolve(process.cwd(), 'test/fixtures/qbo-recorded');

interface Interaction {
  /** `folder/file.yml #n` */
  name: string;
  recordedAt: number;
  method: string;
  uri: string;
  requestBody: string;
  contentType: string | undefined;
  status: number;
  responseBody: string;
}

/** Reads a YAML single-quoted scalar starting at `i` (just after the opening quote), with YAML's
 *  line folding (a line break becomes a space, an empty line a newline) and '' for a quote. */
function singleQuoted(src: string, i: number): { value: string; end: number } {
  let out = '';
  let pendingBreaks = 0;
  for (;;) {
    const ch = src.charAt(i);
    if (ch === '') throw new Error('unterminated string in cassette');
    if (ch === "'") {
      if (src.charAt(i + 1) === "'") {
        out += "'";
        i += 2;
        continue;
      }
      return { value: out, end: i + 1 };
    }
    if (ch === '\n') {
      // Trailing spaces before the break are dropped; leading indentation on the next line too.
      out = out.replace(/[ \t]+$/, '');
      pendingBreaks++;
      i++;
      while (src.charAt(i) === ' ' || src.charAt(i) === '\t') i++;
      if (src.charAt(i) === '\n') continue;
      out += pendingBreaks === 1 ? ' ' : '\n'.repeat(pendingBreaks - 1);
      pendingBreaks = 0;
      continue;
    }
    out += ch;
    i++;
  }
}

/** Reads a YAML double-quoted scalar starting at `i` (just after the quote): backslash escapes,
 *  line folding, and a backslash at the end of a line joining it to the next without a space. */
function doubleQuoted(src: string, i: number): { value: string; end: number } {
  let out = '';
  const esc: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', '/': '/', ' ': ' ', '0': '\0' };
  for (;;) {
    const ch = src.charAt(i);
    if (ch === '') throw new Error('unterminated string in cassette');
    if (ch === '"') return { value: out, end: i + 1 };
    if (ch === '\\') {
      const next = src.charAt(i + 1);
      if (next === '\n') {
        i += 2;
        while (src.charAt(i) === ' ' || src.charAt(i) === '\t') i++;
        continue;
      }
      if (!(next in esc)) throw new Error(`unknown escape \\${next} in cassette`);
      out += esc[next];
      i += 2;
      continue;
    }
    if (ch === '\n') {
      out = out.replace(/[ \t]+$/, '');
      let breaks = 0;
      while (src.charAt(i) === '\n') {
        breaks++;
        i++;
        while (src.charAt(i) === ' ' || src.charAt(i) === '\t') i++;
      }
      out += breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
      continue;
    }
    out += ch;
    i++;
  }
}

function readCassette(rel: string): Interaction[] {
  const text = readFileSync(path.join(RECORDED, rel), 'utf8');
  const parts = text.split(/\n- request:\n/).slice(1);
  return parts.map((part, n) => {
    const method = /method: (\w+)/.exec(part)![1]!.toUpperCase();
    const uri = /uri: (\S+)/.exec(part)![1]!;
    const strings: string[] = [];
    const re = /string: (['"])/g;
    for (let m = re.exec(part); m; m = re.exec(part)) {
      const { value, end } = m[1] === "'" ? singleQuoted(part, m.index + m[0].length) : doubleQuoted(part, m.index + m[0].length);
      strings.push(value);
      re.lastIndex = end;
    }
    const request = part.slice(0, part.indexOf('\n  response:'));
    const contentType = /\n {6}Content-Type:\n {6}- (.+)/.exec(request)?.[1]?.trim();
    const status = Number(/status:\n\s+code: (\d+)/.exec(part)![1]);
    const recordedAt = Date.parse(/recorded_at: (.+)/.exec(part)![1]!);
    return { name: `${rel} #${n + 1}`, recordedAt, method, uri, requestBody: strings[0] ?? '', contentType, status, responseBody: strings[1] ?? '' };
  });
}

/** Values a sandbox company happened to hold (addresses, phones, custom fields…): the emulator only
 *  returns them when the data has them, so their absence or presence is not a contract break. */
const DATA_DEPENDENT = new Set([
  'CustomField',
  'BillAddr',
  'ShipAddr',
  'GivenName',
  'FamilyName',
  'MiddleName',
  'Title',
  'Suffix',
  'CompanyName',
  'PrimaryPhone',
  'Mobile',
  'Fax',
  'AlternatePhone',
  'PrimaryEmailAddr',
  'WebAddr',
  'Notes',
  'ParentRef',
  'Level',
  'DefaultTaxCodeRef',
  'AcctNum',
  'TaxIdentifier',
  'ResaleNum',
  'PaymentMethodRef',
  'SalesTermRef',
  'TermRef',
  'V4IDPseudonym',
  'PrivateNote',
  'CustomerMemo',
  'BillEmail',
  'DepositToAccountRef',
  'Description',
  'TxnTaxCodeRef',
  'TaxLine',
  'ClassRef',
  'Qty',
  'UnitPrice',
  'LineEx',
  'DeliveryInfo',
  'HomeBalance',
  'ShipDate',
  'TrackingNum',
  'ExpirationDate',
  'AcceptedBy',
  'AcceptedDate',
  'ServiceDate',
  'PrintOnCheckName',
  'OtherContactInfo',
  'Organization',
  'EmployeeNumber',
  'SSN',
  'PrimaryAddr',
  'BirthDate',
  'Gender',
  'HiredDate',
  'ReleasedDate',
  'BillRate',
  'CostRate',
  'Vendor1099',
  'OpenBalanceDate',
  // The sandbox's estimate 48 had been turned into invoice 49; the emulator's has not.
  'LinkedTxn',
]);

type J = Record<string, unknown>;
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Paths where the two answers differ in key set or JSON type (arrays compared by first element). */
function keyDiff(recorded: unknown, ours: unknown, at = '$'): string[] {
  if (kind(recorded) !== kind(ours)) return [`${at}: recorded ${kind(recorded)}, emulator ${kind(ours)}`];
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    if (recorded.length === 0 || ours.length === 0) return [];
    return keyDiff(recorded[0], ours[0], `${at}[0]`);
  }
  if (kind(recorded) !== 'object') return [];
  const r = recorded as J;
  const o = ours as J;
  const out: string[] = [];
  for (const k of Object.keys(r)) {
    if (DATA_DEPENDENT.has(k) && !(k in o)) continue;
    if (!(k in o)) out.push(`${at}.${k}: missing`);
    else out.push(...keyDiff(r[k], o[k], `${at}.${k}`));
  }
  for (const k of Object.keys(o)) if (!(k in r) && !DATA_DEPENDENT.has(k)) out.push(`${at}.${k}: extra`);
  return out;
}

/** Pairs that do not match, and why. The suite fails if one of them starts matching. */
// None at present: all 48 match (was 15 of 48 key for key before issue 13).
const KNOWN_MISMATCHES: Record<string, string> = {};

let core: Core;
let company: Company;
let server: ServerType;
let base = '';
let now = Date.parse('2026-03-02T12:00:00Z');
let tokenExpired = false;

/** The sandbox company as far as the recorded requests name it: the same ids, SyncTokens, names. */
function buildSandbox(c: Company): void {
  const at = (entity: string, id: number, body: J): J => {
    c.setNextId(entity, id);
    return c.create(entity, body);
  };
  const bump = (entity: string, row: J, times: number) => {
    let r = row;
    for (let i = 0; i < times; i++) r = c.update(entity, { Id: r.Id, SyncToken: r.SyncToken, sparse: true, PrivateNote: `edit ${i + 1}` });
    return r;
  };
  // Name lists (one Id sequence): the income account, items 1 and 4, the inactive account 5.
  at('Account', 2, { Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' });
  at('Item', 1, { Name: 'Services', Type: 'Service', IncomeAccountRef: { value: '2' } });
  at('Item', 4, { Name: 'Design', Type: 'Service', IncomeAccountRef: { value: '2' } });
  const fees = at('Account', 5, { Name: 'Fees Billed', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome' });
  c.update('Account', { Id: fees.Id, SyncToken: '0', sparse: true, Active: false });
  at('Account', 6, { Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds' });
  // People (another sequence): customers 1, 5–10, 18, 19, 68; employees 55 (inactive) and 56; 26 vendors.
  at('Customer', 1, { DisplayName: 'Cool Cars' });
  const six = ["Amy's Bird Sanctuary", "Bill's Windsurf Shop", 'Cool Cars 2', 'Diego Rodriguez', 'Dukes Basketball Camp', 'Dylan Sollfrank'];
  six.forEach((name, i) => at('Customer', 5 + i, { DisplayName: name, BillAddr: { Line1: '25 Court St.', City: 'Tucson', CountrySubDivisionCode: 'AZ', PostalCode: '85719' } }));
  at('Customer', 18, { DisplayName: 'Paulsen Medical Supplies' });
  at('Customer', 19, { DisplayName: 'Weiskopf Consulting' });
  at('Customer', 68, { DisplayName: 'Jack Moe Original' });
  const emily = at('Employee', 55, { GivenName: 'Emily', FamilyName: 'Platt', DisplayName: 'Emily Platt' });
  c.update('Employee', { Id: emily.Id, SyncToken: '0', sparse: true, Active: false });
  at('Employee', 56, { GivenName: 'John', FamilyName: 'Johnson', DisplayName: 'John Johnson' });
  c.setNextId('Vendor', 100);
  c.create('Vendor', { DisplayName: 'Robertson & Associates' });
  for (let i = 0; i < 25; i++) c.create('Vendor', { DisplayName: `Vendor ${String(i).padStart(2, '0')}` });
  // Transactions (a third sequence): sales receipts 11 (edited once) and 17 (edited four times), both without a customer,,
  // estimate 48, invoices 75, 264 and 266; no invoice 129 and no estimate 75.
  const line = (item: string, amount: number) => ({
    Amount: amount,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: { ItemRef: { value: item }, TaxCodeRef: { value: 'NON' } },
  });
  bump('SalesReceipt', at('SalesReceipt', 11, { Line: [line('1', 340)] }), 1);
  bump('SalesReceipt', at('SalesReceipt', 17, { Line: [line('4', 337.5)] }), 4);
  at('Estimate', 48, { CustomerRef: { value: '18' }, Line: [line('4', 300)] });
  at('Invoice', 75, { CustomerRef: { value: '1' }, Line: [line('1', 100)] });
  at('Invoice', 264, { CustomerRef: { value: '1' }, Line: [line('1', 100)] });
  at('Invoice', 266, { CustomerRef: { value: '1' }, Line: [line('1', 100)] });
  c.setNextId('Invoice', 300);
  c.setNextId('Attachable', 503_624);
}

beforeAll(async () => {
  core = createCore({ clock: () => new Date(now), seed: 11, fidelity: 'strict' });
  company = core.createCompany({ name: 'Sandbox Company_US_1', region: 'US' });
  buildSandbox(company);
  const app = createApiApp(core, () => (tokenExpired ? unauthorizedResponse('Token expired: AB0…', now) : undefined));
  server = await new Promise<ServerType>((resolve) => {
    const s: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/company/${company.realmId}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The recorded path relative to the company ("/invoice?operation=void"), whatever the scrubbing. */
function relPath(uri: string): string {
  const u = new URL(uri);
  const p = u.pathname.replace(/^\/v3\/company\/[^/]+/, '').replace(/^\/v3/, '');
  return p + u.search;
}

interface Outcome {
  status: number;
  problems: string[];
}

async function replay(x: Interaction): Promise<Outcome> {
  const res = await fetch(base + relPath(x.uri), {
    method: x.method,
    headers: { accept: 'application/json', authorization: 'Bearer <OAUTH2_ACCESS_TOKEN>', ...(x.contentType ? { 'content-type': x.contentType } : {}) },
    body: x.method === 'GET' ? undefined : x.requestBody,
  });
  const text = await res.text();
  const problems: string[] = [];
  if (res.status !== x.status) problems.push(`status ${res.status}, recorded ${x.status}`);
  if (!res.headers.get('intuit_tid')) problems.push('no intuit_tid header');
  let ours: unknown;
  let recorded: unknown;
  try {
    recorded = JSON.parse(x.responseBody);
  } catch {
    recorded = undefined; // an XML answer: status only
  }
  try {
    ours = JSON.parse(text);
  } catch {
    if (recorded !== undefined) problems.push(`answer is not JSON: ${text.slice(0, 80)}`);
  }
  if (recorded !== undefined && ours !== undefined) {
    const rk = Object.keys(recorded as J).sort();
    const ok = Object.keys(ours as J).sort();
    if (rk.join() !== ok.join()) problems.push(`top-level keys ${ok.join(',')}, recorded ${rk.join(',')}`);
    problems.push(...keyDiff(recorded, ours));
  }
  return { status: res.status, problems };
}

const FILES = readdirSync(RECORDED, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yml'))
  .sort();
// Replayed in the order they were recorded (read_attachment came before delete_attachment).
const PAIRS = FILES.flatMap((f) => readCassette(f)).sort((a, b) => a.recordedAt - b.recordedAt);
const outcomes = new Map<string, Outcome>();

describe('recorded contract: every recorded pair replayed as recorded (strict emulator)', () => {
  beforeAll(async () => {
    for (const x of PAIRS) {
      // The only state a request cannot carry: the sandbox's token had expired for error/401.
      tokenExpired = x.name.startsWith('error/401');
      outcomes.set(x.name, await replay(x));
      now += 1000;
    }
    tokenExpired = false;
  });

  it('reads 48 pairs from the recordings', () => {
    expect(PAIRS).toHaveLength(48);
  });

  it.each(PAIRS.map((x) => [x.name] as const))('%s', (name) => {
    const o = outcomes.get(name)!;
    if (KNOWN_MISMATCHES[name]) expect(o.problems, `listed as a mismatch (${KNOWN_MISMATCHES[name]}) but it matches now: remove it`).not.toEqual([]);
    else expect(o.problems).toEqual([]);
  });

  it('at least 44 of 48 match by status and key set', () => {
    const matched = [...outcomes.values()].filter((o) => o.problems.length === 0).length;
    console.log(`recorded contract: ${matched} of ${PAIRS.length} pairs match by status and key set`);
    if (process.env.CONTRACT_DEBUG) for (const [n, o] of outcomes) if (o.problems.length) console.log(n, JSON.stringify(o.problems));
    expect(matched).toBeGreaterThanOrEqual(44);
  });
});
