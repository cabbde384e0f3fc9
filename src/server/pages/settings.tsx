/**
 * Settings: one tab per section, each setting with its current value, the choices and a one-line
 * explanation; administrators save one setting at a time through `setSetting` (audited under their
 * name). Choices that are QBO records (accounts, tax codes, payment methods, items) come from the
 * connected company, read once per page. `/settings/audit` lists every change, filterable.
 */
import type { Context } from 'hono';
import { practiceOf } from '../practice-scope.js';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { QboSnapshot } from '../../connect/plan/index.js';
import { getSettings, listAudit, setSetting } from '../../connect/settings/store.js';
import { getAt } from '../../connect/settings/paths.js';
import type { Settings } from '../../connect/settings/model.js';
import { listRecords } from '../../practice/store.js';
import type { Kind } from '../../practice/kinds.js';
import { actorOf, notConnectedPage, str, webRealm, when, who } from './work-common.js';

type QboSource = 'income-account' | 'expense-account' | 'bank-account' | 'item' | 'tax-code' | 'sales-tax-code' | 'purchase-tax-code' | 'payment-method';

type Field =
  | { type: 'bool'; path: string; label: string; help: string }
  | { type: 'date'; path: string; label: string; help: string }
  | { type: 'enum'; path: string; label: string; help: string; options: Array<[string, string]> }
  | { type: 'qbo'; path: string; label: string; help: string; source: QboSource }
  | { type: 'map'; path: string; label: string; help: string; keys: Kind; source: QboSource };

interface Section {
  id: string;
  title: string;
  intro: string;
  fields: Field[];
}

const expenseFields = (root: 'bills' | 'staffExpenses', what: string): Field[] => [
  { type: 'bool', path: `${root}.export`, label: `Send ${what} to QuickBooks`, help: `Off: ${what} stay in the practice system only.` },
  {
    type: 'enum',
    path: `${root}.expenseAccount`,
    label: 'Expense account',
    help: 'One account for every line, or an account chosen by the line’s expense type.',
    options: [
      ['fixed', 'One account for all lines'],
      ['by-expense-type', 'By expense type'],
    ],
  },
  {
    type: 'qbo',
    path: `${root}.fixedExpenseAccountId`,
    label: 'The one expense account',
    help: 'Used when the expense account is “one account for all lines”.',
    source: 'expense-account',
  },
  {
    type: 'map',
    path: `${root}.expenseAccountByExpenseType`,
    label: 'Expense account by expense type',
    help: 'Used when the expense account is “by expense type”.',
    keys: 'expense-type',
    source: 'expense-account',
  },
  {
    type: 'enum',
    path: `${root}.lineDescription`,
    label: 'Line description',
    help: 'What each line of the QuickBooks bill says.',
    options: [
      ['project-stage-and-expense-type', 'Project, stage and expense type'],
      ['project-and-stage', 'Project and stage'],
      ['rate-and-expense-type', 'Rate and expense type'],
      ['expense-type', 'Expense type'],
      ['note', 'The note typed on the expense'],
    ],
  },
];

export const sections: Section[] = [
  {
    id: 'general',
    title: 'General',
    intro: 'From what date QBO Connect looks for documents to send, and in what currency they are.',
    fields: [
      { type: 'date', path: 'general.exportFrom.invoices', label: 'Invoices from', help: 'Invoices dated on or after this day are sent.' },
      { type: 'date', path: 'general.exportFrom.creditNotes', label: 'Credit notes from', help: 'Credit notes dated on or after this day are sent.' },
      { type: 'date', path: 'general.exportFrom.payments', label: 'Payments from', help: 'Payments dated on or after this day are sent or imported.' },
      { type: 'date', path: 'general.exportFrom.bills', label: 'Bills from', help: 'Bills dated on or after this day are sent.' },
      { type: 'date', path: 'general.exportFrom.staffExpenses', label: 'Staff expenses from', help: 'Staff expenses dated on or after this day are sent.' },
      {
        type: 'enum',
        path: 'general.practiceCurrency',
        label: 'The practice’s currency',
        help: 'The currency of the practice’s amounts; it must be the QuickBooks company’s home currency.',
        options: [
          ['AUD', 'Australian dollar (AUD)'],
          ['NZD', 'New Zealand dollar (NZD)'],
          ['GBP', 'Pound sterling (GBP)'],
          ['USD', 'US dollar (USD)'],
          ['CAD', 'Canadian dollar (CAD)'],
        ],
      },
    ],
  },
  {
    id: 'contacts',
    title: 'Contacts',
    intro: 'How clients and suppliers become QuickBooks customers and suppliers.',
    fields: [
      { type: 'bool', path: 'contacts.shortenLongNames', label: 'Shorten long names', help: 'Names longer than QuickBooks accepts are shortened instead of stopping the sync.' },
      {
        type: 'bool',
        path: 'contacts.supplierPrefix',
        label: 'Put S- before supplier IDs',
        help: 'Keeps a contact who is both client and supplier as two separate QuickBooks records.',
      },
      {
        type: 'enum',
        path: 'contacts.matchOrder',
        label: 'Find existing QuickBooks contacts by',
        help: 'How a practice contact is matched to one already in QuickBooks.',
        options: [
          ['unique-id-then-name', 'Unique ID, then name'],
          ['unique-id-only', 'Unique ID only'],
        ],
      },
      {
        type: 'bool',
        path: 'contacts.createWhenNoMatch',
        label: 'Create contacts that are not in QuickBooks',
        help: 'Off: a contact with no match stops its documents with an error.',
      },
    ],
  },
  {
    id: 'invoices',
    title: 'Invoices and credit notes',
    intro: 'What an invoice or credit note looks like in QuickBooks and which income account it goes to.',
    fields: [
      { type: 'bool', path: 'invoices.invoiceTextLine', label: 'Invoice text as the first line', help: 'The invoice text appears as a description-only first line.' },
      {
        type: 'enum',
        path: 'invoices.memo',
        label: 'Memo',
        help: 'What the QuickBooks memo field shows.',
        options: [
          ['none', 'Nothing'],
          ['invoice-text', 'Invoice text'],
          ['project-number', 'Project number'],
          ['client-reference', 'Client reference'],
        ],
      },
      {
        type: 'enum',
        path: 'invoices.lineDescription',
        label: 'Line description',
        help: 'What each invoice line says.',
        options: [
          ['stage', 'Stage'],
          ['project-and-stage', 'Project and stage'],
          ['stage-and-description', 'Stage and description'],
        ],
      },
      {
        type: 'enum',
        path: 'invoices.jobItems',
        label: 'QuickBooks items',
        help: 'One service item per project, or one item for every line.',
        options: [
          ['per-project', 'One item per project'],
          ['fixed-item', 'One item for all lines'],
        ],
      },
      { type: 'qbo', path: 'invoices.fixedItemId', label: 'The one item', help: 'Used when QuickBooks items is “one item for all lines”.', source: 'item' },
      {
        type: 'enum',
        path: 'invoices.incomeAccount',
        label: 'Income account',
        help: 'One income account, or one chosen by the line’s cost centre or discipline.',
        options: [
          ['fixed', 'One account for all lines'],
          ['by-cost-centre', 'By cost centre'],
          ['by-discipline', 'By discipline'],
        ],
      },
      {
        type: 'qbo',
        path: 'invoices.fixedIncomeAccountId',
        label: 'The one income account',
        help: 'Used when the income account is “one account for all lines”.',
        source: 'income-account',
      },
      {
        type: 'map',
        path: 'invoices.incomeAccountByCostCentre',
        label: 'Income account by cost centre',
        help: 'Used when the income account is “by cost centre”.',
        keys: 'cost-centre',
        source: 'income-account',
      },
      {
        type: 'map',
        path: 'invoices.incomeAccountByDiscipline',
        label: 'Income account by discipline',
        help: 'Used when the income account is “by discipline”.',
        keys: 'discipline',
        source: 'income-account',
      },
      { type: 'bool', path: 'invoices.applyCreditToInvoice', label: 'Apply credit notes to their invoice', help: 'A credit note reduces what is owed on the invoice it credits.' },
    ],
  },
  {
    id: 'payments',
    title: 'Invoice payments',
    intro: 'Whether payments come from QuickBooks into the practice, or go from the practice to QuickBooks.',
    fields: [
      {
        type: 'enum',
        path: 'payments.direction',
        label: 'Direction',
        help: 'Import: payments entered in QuickBooks come into the practice. Export: practice receipts go to QuickBooks.',
        options: [
          ['import', 'Import from QuickBooks'],
          ['export', 'Export to QuickBooks'],
        ],
      },
      {
        type: 'qbo',
        path: 'payments.depositAccountId',
        label: 'Deposit to (when exporting)',
        help: 'The bank account exported payments are deposited to.',
        source: 'bank-account',
      },
      {
        type: 'map',
        path: 'payments.methodByPaymentType',
        label: 'Payment method by payment type',
        help: 'Which QuickBooks payment method each practice payment type becomes.',
        keys: 'payment-type',
        source: 'payment-method',
      },
    ],
  },
  {
    id: 'bills',
    title: 'Bills',
    intro:
      "Supplier bills entered in the practice system. Not offered for US QuickBooks companies: US purchases carry no sales tax to claim back, so the practice's tax could only be dropped or folded into the cost; the preview lists them as not sent.",
    fields: expenseFields('bills', 'bills'),
  },
  {
    id: 'staffExpenses',
    title: 'Staff expenses',
    intro: 'Staff cash and travel expenses, sent as bills to the staff member. Not offered for US QuickBooks companies, like bills: the preview lists them as not sent.',
    fields: expenseFields('staffExpenses', 'staff expenses'),
  },
  {
    id: 'tax',
    title: 'Tax',
    intro:
      "Which QuickBooks tax code each practice tax code becomes. Invoices and expenses need these. In a US company a sales line is only taxable (TAX) or not (NON), and QuickBooks works the tax out from the transaction tax code: the preview shows its figure, and warns when it is not the practice's.",
    fields: [
      {
        type: 'map',
        path: 'tax.sales',
        label: 'Sales (invoices and credit notes)',
        help: 'The QuickBooks tax code used on sales for each practice tax code.',
        keys: 'tax-code',
        source: 'sales-tax-code',
      },
      {
        type: 'map',
        path: 'tax.purchases',
        label: 'Purchases (bills and staff expenses)',
        help: 'The QuickBooks tax code used on purchases for each practice tax code.',
        keys: 'tax-code',
        source: 'purchase-tax-code',
      },
      {
        type: 'qbo',
        path: 'tax.transactionTaxCodeId',
        label: 'Transaction sales tax code (US companies)',
        help: 'US companies only: the sales tax code (its rates) QuickBooks charges on the taxable lines of every invoice and credit note.',
        source: 'tax-code',
      },
    ],
  },
];

type Choices = Record<QboSource, Array<[string, string]>> | undefined;

/** The QBO lists the selects offer, asked once per page; undefined when QuickBooks cannot be asked. */
async function qboChoices(deps: WebDeps, realmId: string): Promise<Choices> {
  try {
    const client = qboClientFor(deps.ctx, realmId);
    const lists = await new QboSnapshot(client).lists();
    const items = await client.rawQuery("select * from Item where Type = 'Service' MAXRESULTS 1000");
    const account = (types: string[]) =>
      lists.accounts
        .filter((a) => a['Active'] !== false && types.includes(String(a['AccountType'] ?? '')))
        .map((a): [string, string] => [a.Id, `${a['AcctNum'] ? `${String(a['AcctNum'])} ` : ''}${String(a['Name'] ?? a.Id)}`]);
    const taxCodes = [...lists.taxCodes.values()].filter((t) => t.active);
    // Percentages as QBO gives them (10 means 10 %); summed in hundredths so 5 + 7 never reads 11.99.
    const pct = (rates: number[]) => `${rates.reduce((a, r) => a + Math.round(r * 100), 0) / 100}%`;
    const itemRows = ((items as Record<string, unknown>)['Item'] as Array<{ Id: string; Name?: string }> | undefined) ?? [];
    return {
      'income-account': account(['Income', 'Other Income']),
      'expense-account': account(['Expense', 'Cost of Goods Sold', 'Other Expense']),
      'bank-account': account(['Bank', 'Other Current Asset']),
      item: itemRows.map((i) => [i.Id, i.Name ?? i.Id]),
      // The transaction code of a US company: a code with sales rates, never the line codes TAX/NON.
      'tax-code': taxCodes.filter((t) => t.hasSales && !['TAX', 'NON', 'CustomSalesTax'].includes(t.id)).map((t) => [t.id, `${t.name} (${pct(t.salesRates)})`]),
      // A code with rates on one side only is not offered for the other (a purchases-only code on an invoice).
      'sales-tax-code': taxCodes.filter((t) => t.hasSales || !t.hasPurchases).map((t) => [t.id, `${t.name}${t.hasSales ? ` (${pct(t.salesRates)})` : ''}`]),
      'purchase-tax-code': taxCodes.filter((t) => t.hasPurchases || !t.hasSales).map((t) => [t.id, `${t.name}${t.hasPurchases ? ` (${pct(t.purchaseRates)})` : ''}`]),
      'payment-method': lists.paymentMethods.filter((m) => m['Active'] !== false).map((m) => [m.Id, String(m['Name'] ?? m.Id)]),
    };
  } catch (err) {
    deps.ctx.logger.warn({ realmId, err: err instanceof Error ? err.message : String(err) }, 'settings: QBO lists not available');
    return undefined;
  }
}

/** Practice codes a mapping is keyed by (tax codes, cost centres…), with their names. */
async function practiceCodes(deps: WebDeps, practiceId: string, kind: Kind): Promise<Array<[string, string]>> {
  const page = await listRecords(deps.ctx.db, practiceId, kind, { limit: 1000, state: 'active' });
  return page.items.map((r) => [r.key, String((r.record as { name?: string }).name ?? r.key)]);
}

function label(choices: Array<[string, string]> | undefined, id: unknown): string {
  if (id === null || id === undefined || id === '') return 'not set';
  const hit = choices?.find(([v]) => v === id);
  return hit ? `${hit[1]} (Id ${String(id)})` : `Id ${String(id)}`;
}

function shown(f: Field, value: unknown, choices: Choices): string {
  if (f.type === 'bool') return value ? 'On' : 'Off';
  if (f.type === 'enum') return f.options.find(([v]) => v === value)?.[1] ?? String(value);
  if (f.type === 'qbo') return label(choices?.[f.source], value);
  return String(value ?? '');
}

function fieldId(path: string): string {
  return `s-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;
}

/** One setting: the value now, and for administrators a small form to change it. */
interface Flash {
  path: string;
  kind: 'ok' | 'error';
  text: string;
}

function SettingForm({
  tab,
  path,
  title,
  help,
  current,
  control,
  admin,
  csrf,
  flash,
}: {
  tab: string;
  path: string;
  title: string;
  help: string;
  current: string;
  control: unknown;
  admin: boolean;
  csrf: string;
  flash: Flash | undefined;
}) {
  const id = fieldId(path);
  return (
    <form method="post" action="/settings" class="setting" id={`form-${id}`}>
      <CsrfField token={csrf} />
      <input type="hidden" name="path" value={path} />
      <input type="hidden" name="tab" value={tab} />
      <label for={id}>{title}</label>
      <p class="hint" id={`${id}-help`}>
        {help} <span class="current">Now: {current}.</span>
      </p>
      <div class="setting-control">
        {control}
        {admin ? (
          <button type="submit" aria-label={`Save ${title}`}>
            Save
          </button>
        ) : null}
      </div>
      {flash?.path === path ? (
        <p class={flash.kind === 'ok' ? 'saved' : 'text-error'} role={flash.kind === 'ok' ? 'status' : 'alert'}>
          {flash.text}
        </p>
      ) : null}
    </form>
  );
}

function Select({ id, options, value, allowNone, disabled }: { id: string; options: Array<[string, string]>; value: unknown; allowNone: boolean; disabled: boolean }) {
  const v = value === null || value === undefined ? '' : String(value);
  const known = options.some(([o]) => o === v);
  return (
    <select id={id} name="value" disabled={disabled} aria-describedby={`${id}-help`}>
      {allowNone ? (
        <option value="" selected={v === ''}>
          — not set —
        </option>
      ) : null}
      {v !== '' && !known ? (
        <option value={v} selected>
          Id {v} (not found in QuickBooks)
        </option>
      ) : null}
      {options.map(([o, text]) => (
        <option value={o} selected={o === v}>
          {text}
        </option>
      ))}
    </select>
  );
}

function qboControl(id: string, source: QboSource, value: unknown, choices: Choices, disabled: boolean) {
  if (choices) return <Select id={id} options={choices[source]} value={value} allowNone disabled={disabled} />;
  // QuickBooks could not be asked: type the Id (the notice at the top says why).
  return (
    <input
      id={id}
      name="value"
      value={value === null || value === undefined ? '' : String(value)}
      disabled={disabled}
      aria-describedby={`${id}-help`}
      placeholder="QuickBooks Id, empty for none"
    />
  );
}

async function sectionView({
  deps,
  practiceId,
  section,
  settings,
  choices,
  admin,
  csrf,
  flash,
}: {
  deps: WebDeps;
  practiceId: string;
  section: Section;
  settings: Settings;
  choices: Choices;
  admin: boolean;
  csrf: string;
  flash: Flash | undefined;
}) {
  const out: unknown[] = [];
  for (const f of section.fields) {
    const value = getAt(settings, f.path);
    const id = fieldId(f.path);
    if (f.type === 'map') {
      const codes = await practiceCodes(deps, practiceId, f.keys);
      const map = (value ?? {}) as Record<string, string>;
      // Codes mapped earlier that the practice no longer lists still show, so they can be removed.
      for (const k of Object.keys(map)) if (!codes.some(([c]) => c === k)) codes.push([k, k]);
      out.push(
        <fieldset class="setting-map">
          <legend>{f.label}</legend>
          <p class="hint">{f.help}</p>
          {codes.length === 0 ? <p>The practice has no {f.keys.replace('-', ' ')}s yet.</p> : null}
          {codes.map(([code, name]) => (
            <SettingForm
              tab={section.id}
              path={`${f.path}.${code}`}
              title={`${name} (${code})`}
              help=""
              current={label(choices?.[f.source], map[code])}
              control={qboControl(fieldId(`${f.path}.${code}`), f.source, map[code], choices, !admin)}
              admin={admin}
              csrf={csrf}
              flash={flash}
            />
          ))}
        </fieldset>,
      );
      continue;
    }
    const control =
      f.type === 'bool' ? (
        <Select
          id={id}
          options={[
            ['on', 'On'],
            ['off', 'Off'],
          ]}
          value={value ? 'on' : 'off'}
          allowNone={false}
          disabled={!admin}
        />
      ) : f.type === 'enum' ? (
        <Select id={id} options={f.options} value={value} allowNone={false} disabled={!admin} />
      ) : f.type === 'date' ? (
        <input id={id} name="value" type="date" value={String(value ?? '')} disabled={!admin} aria-describedby={`${id}-help`} required />
      ) : (
        qboControl(id, f.source, value, choices, !admin)
      );
    out.push(
      <SettingForm tab={section.id} path={f.path} title={f.label} help={f.help} current={shown(f, value, choices)} control={control} admin={admin} csrf={csrf} flash={flash} />,
    );
  }
  return <>{out}</>;
}

function Tabs({ active }: { active: string }) {
  return (
    <nav aria-label="Settings sections" class="tabs">
      <ul>
        {sections.map((s) => (
          <li>
            <a href={`/settings?tab=${s.id}`} aria-current={s.id === active ? 'page' : undefined}>
              {s.title}
            </a>
          </li>
        ))}
        <li>
          <a href="/settings/notifications">Notifications</a>
        </li>
        <li>
          <a href="/settings/audit" aria-current={active === 'audit' ? 'page' : undefined}>
            Changes (audit)
          </a>
        </li>
      </ul>
    </nav>
  );
}

function fieldOf(path: string): { section: Section; field: Field } | undefined {
  for (const section of sections) {
    for (const field of section.fields) if (path === field.path || (field.type === 'map' && path.startsWith(`${field.path}.`))) return { section, field };
  }
  return undefined;
}

/** A form value → the value the setting takes: on/off, none for an empty QBO choice, text otherwise. */
function valueFor(path: string, raw: string): unknown {
  const f = fieldOf(path)?.field;
  if (f?.type === 'bool') return raw === 'on' ? true : raw === 'off' ? false : raw;
  if (f?.type === 'qbo' || f?.type === 'map') return raw.trim() === '' ? null : raw.trim();
  return raw;
}

async function show(c: Context<WebEnv>, deps: WebDeps, flashGiven?: Flash, status: 200 | RefusalStatus = 200, tabGiven?: string) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'Settings');
  const tab = sections.find((s) => s.id === (tabGiven ?? c.req.query('tab'))) ?? sections[0]!;
  const admin = roleAtLeast(currentUser(c), 'administrator');
  const settings = await getSettings(deps.ctx.db, realmId, deps.ctx.clock);
  const needsQbo = tab.fields.some((f) => f.type === 'qbo' || f.type === 'map');
  const choices = needsQbo ? await qboChoices(deps, realmId) : undefined;
  const csrf = c.get('csrfToken');
  // After a save the browser comes back here (`?saved=<path>`) scrolled to the setting it saved.
  const savedPath = c.req.query('saved');
  const flash: Flash | undefined =
    flashGiven ??
    (savedPath && fieldOf(savedPath)
      ? { path: savedPath, kind: 'ok', text: c.req.query('changed') === '0' ? `${savedPath} already had that value; nothing changed.` : `Saved ${savedPath}.` }
      : undefined);
  const notice = flash;
  const content = await sectionView({ deps, practiceId: practiceOf(c), section: tab, settings, choices, admin, csrf, flash });
  return renderPage(c, {
    title: `Settings: ${tab.title}`,
    status,
    body: (
      <>
        <h1>Settings</h1>
        <Tabs active={tab.id} />
        <section aria-labelledby="section-title">
          <h2 id="section-title">{tab.title}</h2>
          <p>{tab.intro}</p>
          {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
          {!admin ? <Notice kind="warn">Only an administrator can change settings; you can see them.</Notice> : null}
          {needsQbo && !choices ? (
            <Notice kind="warn">QuickBooks could not be asked for its accounts and tax codes just now, so type QuickBooks Ids instead, or reload the page later.</Notice>
          ) : null}
          {content}
        </section>
      </>
    ),
  });
}

/**
 * A setting's path as the settings page names it: "Payments › Deposit to (when exporting)", a mapping's
 * entry with the practice code's name ("Tax › Sales (invoices and credit notes) › GST 10% (GST)").
 */
export function pathLabel(path: string, codeNames: Map<string, string> = new Map()): string {
  const hit = fieldOf(path);
  if (!hit) return path;
  const base = `${hit.section.title} › ${hit.field.label}`;
  if (path === hit.field.path) return base;
  const code = path.slice(hit.field.path.length + 1);
  const name = hit.field.type === 'map' ? codeNames.get(`${hit.field.keys}:${code}`) : undefined;
  return `${base} › ${name && name !== code ? `${name} (${code})` : code}`;
}

/** A value as the settings page shows it: On/Off, an option's words, a QuickBooks record's name. */
function auditValue(path: string, x: unknown, choices: Choices): string {
  if (x === null || x === undefined) return '(not set)';
  const f = fieldOf(path)?.field;
  if (f && (f.type === 'qbo' || (f.type === 'map' && path !== f.path)) && typeof x === 'string') {
    const hit = choices?.[f.source].find(([id]) => id === x);
    return hit ? hit[1] : `QuickBooks Id ${x}`;
  }
  if (f && f.type !== 'map' && path === f.path) return shown(f, x, choices);
  return typeof x === 'boolean' ? (x ? 'On' : 'Off') : typeof x === 'string' ? x : JSON.stringify(x);
}

async function auditPage(c: Context<WebEnv>, deps: WebDeps) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'Settings changes');
  const path = c.req.query('path')?.trim() || undefined;
  const person = c.req.query('actor')?.trim() || undefined;
  const all = await listAudit(deps.ctx.db, realmId, { limit: 10_000 });
  const entries = await listAudit(deps.ctx.db, realmId, { path, actor: person, limit: 500 });
  const paths = [...new Set(all.map((e) => e.path))].sort();
  const people = [...new Set(all.map((e) => e.actor))].sort();
  // Names for the QBO ids and practice codes the entries hold (QuickBooks asked only when one does).
  const choices = entries.some((e) => fieldOf(e.path)?.field.type === 'qbo' || fieldOf(e.path)?.field.type === 'map') ? await qboChoices(deps, realmId) : undefined;
  const codeNames = new Map<string, string>();
  for (const kind of [...new Set(sections.flatMap((s) => s.fields.flatMap((f) => (f.type === 'map' ? [f.keys] : []))))]) {
    for (const [code, name] of await practiceCodes(deps, practiceOf(c), kind)) codeNames.set(`${kind}:${code}`, name);
  }
  const named = (p: string) => pathLabel(p, codeNames);
  return renderPage(c, {
    title: 'Settings changes',
    body: (
      <>
        <h1>Settings</h1>
        <Tabs active="audit" />
        <h2>Changes to the settings</h2>
        <p>Every change: who made it, when, and the value before and after.</p>
        <form method="get" action="/settings/audit" class="filters">
          <div>
            <label for="f-path">Setting</label>
            <select id="f-path" name="path">
              <option value="">All settings</option>
              {paths.map((p) => (
                <option value={p} selected={p === path}>
                  {named(p)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-actor">Person</label>
            <select id="f-actor" name="actor">
              <option value="">Everyone</option>
              {people.map((p) => (
                <option value={p} selected={p === person}>
                  {who(p)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Filter</button>
        </form>
        {entries.length === 0 ? (
          <p>No changes{path || person ? ' match these filters' : ' yet'}.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Settings changes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Setting</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td>{when(e.changedAt)}</td>
                  <td>{who(e.actor)}</td>
                  <td title={e.path}>{named(e.path)}</td>
                  <td>{auditValue(e.path, e.oldValue, choices)}</td>
                  <td>{auditValue(e.path, e.newValue, choices)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    ),
  });
}

export const settingsPage: WebPage = {
  nav: { label: 'Settings', href: '/settings', order: 60 },
  mount(app, deps) {
    app.get('/settings', (c) => show(c, deps));
    app.get('/settings/audit', (c) => auditPage(c, deps));
    app.post('/settings', pageRole('administrator'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Settings');
      const body = await c.req.parseBody();
      const path = str(body.path);
      const tab = fieldOf(path)?.section.id ?? str(body.tab);
      try {
        const r = await setSetting(deps.ctx.db, { realmId, path, value: valueFor(path, str(body.value)), actor: actorOf(c), clock: deps.ctx.clock });
        return c.redirect(`/settings?tab=${encodeURIComponent(tab)}&saved=${encodeURIComponent(path)}&changed=${r.changed ? 1 : 0}#form-${fieldId(path)}`, 303);
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { path, kind: 'error', text: err.message }, err.status, tab);
        throw err;
      }
    });
  },
};
