/**
 * Practice data: browse contacts, projects and documents with their sync state (linked to a
 * QuickBooks record, not yet, or skipped), paged; open one record (the page a preview error links
 * to); bookkeepers edit a contact's unique ID and email here, through the practice store, so the
 * record's version moves and the next preview sees the change.
 */
import type { Context } from 'hono';
import { practiceOf } from '../practice-scope.js';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { kindInfo, type Kind } from '../../practice/kinds.js';
import { getRecord, getRecordsByKeys, listRecords, PracticeError, updateRecord, type StoredRecord } from '../../practice/store.js';
import { skippedKeys } from '../../connect/skips.js';
import type { Settings } from '../../connect/settings/model.js';
import { getSettings } from '../../connect/settings/store.js';
import { money, qboHref, str, webRealm } from './work-common.js';

/** The kinds browsed here, in the order of the tabs. */
const browsed = ['contact', 'project', 'invoice', 'credit-note', 'payment', 'bill', 'staff-expense', 'staff'] as const satisfies readonly Kind[];
type Browsed = (typeof browsed)[number];
const tabTitle: Record<Browsed, string> = {
  contact: 'Contacts',
  project: 'Projects',
  invoice: 'Invoices',
  'credit-note': 'Credit notes',
  payment: 'Payments',
  bill: 'Bills',
  'staff-expense': 'Staff expenses',
  staff: 'Staff',
};
const PAGE = 50;

/** Link kinds (the plan's record kinds) and skip kinds a practice record appears under. */
const linkKinds: Record<Browsed, string[]> = {
  contact: ['contact', 'supplier'],
  project: ['project'],
  invoice: ['invoice'],
  'credit-note': ['credit-note'],
  payment: ['payment'],
  bill: ['bill'],
  'staff-expense': ['staff-expense'],
  staff: ['staff'],
};
const skipKind: Record<Browsed, string> = {
  contact: 'contact',
  project: 'job-item',
  invoice: 'invoice',
  'credit-note': 'credit-note',
  payment: 'payment',
  bill: 'bill',
  'staff-expense': 'staff-expense',
  staff: 'staff',
};

interface SyncState {
  state: 'linked' | 'not yet' | 'skipped' | 'before export-from';
  qbo: Array<{ entity: string; id: string }>;
  /** QBO said its copy moved away from what we left there (connect/changes, from its webhooks): the fields named. */
  changedInQbo?: string[];
}

const exportFromKey: Partial<Record<Browsed, keyof Settings['general']['exportFrom']>> = {
  invoice: 'invoices',
  'credit-note': 'creditNotes',
  payment: 'payments',
  bill: 'bills',
  'staff-expense': 'staffExpenses',
};

/**
 * A document dated before its export-from date is not "not yet in QuickBooks": no sync will send it
 * as the settings stand (issue 19). Marked so, unless it is linked or skipped.
 */
async function markBeforeExportFrom(deps: WebDeps, realmId: string | undefined, kind: Browsed, records: StoredRecord[], states: Map<string, SyncState>): Promise<void> {
  const k = exportFromKey[kind];
  if (!realmId || !k) return;
  const from = (await getSettings(deps.ctx.db, realmId, deps.ctx.clock)).general.exportFrom[k];
  for (const r of records) {
    const s = states.get(r.key);
    const date = (r.record as unknown as { date?: unknown }).date;
    if (s?.state === 'not yet' && typeof date === 'string' && date < from) s.state = 'before export-from';
  }
}

/** Sync state of a page of records, in three queries (links of the page's keys, and the skips). */
async function syncStates(deps: WebDeps, realmId: string | undefined, kind: Browsed, keys: string[]): Promise<Map<string, SyncState>> {
  const out = new Map<string, SyncState>();
  for (const k of keys) out.set(k, { state: 'not yet', qbo: [] });
  if (!realmId || keys.length === 0) return out;
  let q = deps.ctx.db
    .selectFrom('links')
    .select(['record_key', 'qbo_entity', 'qbo_id', 'qbo_changed_at', 'qbo_changed_fields'])
    .where('realm_id', '=', realmId)
    .where('record_kind', 'in', linkKinds[kind]);
  // A project's job items are keyed `<number>|…`; everything else by its own key.
  if (kind !== 'project') q = q.where('record_key', 'in', keys);
  for (const l of await q.execute()) {
    const key = kind === 'project' ? l.record_key.split('|')[0]! : l.record_key;
    const s = out.get(key);
    if (!s) continue;
    s.state = 'linked';
    s.qbo.push({ entity: l.qbo_entity, id: l.qbo_id });
    if (l.qbo_changed_at !== null) s.changedInQbo = [...(s.changedInQbo ?? []), ...changedFieldNames(l.qbo_changed_fields)];
  }
  const skipped = await skippedKeys(deps.ctx.db, realmId);
  for (const k of keys) if (skipped.has(`${skipKind[kind]}:${k}`)) out.get(k)!.state = 'skipped';
  return out;
}

/** Who a document is with: the contact (or, for staff expenses, the staff member), by name. */
async function partyNames(deps: WebDeps, practiceId: string, kind: Browsed, items: StoredRecord[]): Promise<Map<string, string>> {
  const field = kind === 'bill' ? 'supplierCode' : kind === 'staff-expense' ? 'staffUniqueId' : kind === 'project' ? 'clientCode' : 'contactCode';
  const keyOf = (r: StoredRecord) => (r.record as unknown as Record<string, unknown>)[field];
  const keys = items.map(keyOf).filter((k): k is string => typeof k === 'string');
  const found = await getRecordsByKeys(deps.ctx.db, practiceId, kind === 'staff-expense' ? 'staff' : 'contact', keys);
  const out = new Map<string, string>();
  for (const r of items) {
    const k = keyOf(r);
    if (typeof k === 'string') out.set(r.key, `${found.get(k) ? nameOf(found.get(k)!) : k}`);
  }
  return out;
}

function nameOf(r: StoredRecord): string {
  const x = r.record as unknown as Record<string, unknown>;
  return String(x['name'] ?? x['description'] ?? x['reference'] ?? '');
}

/** The field names a link's `qbo_changed_fields` holds (a JSON list); none when unreadable or not known. */
function changedFieldNames(text: string | null): string[] {
  try {
    const v = JSON.parse(text ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function StateTag({ s }: { s: SyncState | undefined }) {
  const state = s?.state ?? 'not yet';
  const text =
    state === 'linked' ? 'Linked' : state === 'skipped' ? 'Skipped' : state === 'before export-from' ? 'Before the export-from date (not synced)' : 'Not yet in QuickBooks';
  const changed = s?.changedInQbo;
  return (
    <>
      <span class={`tag tag-${state.replace(/ /g, '-')}`}>{text}</span>
      {changed ? (
        // Told by QBO's webhook, before any preview: the preview compares the fields and holds what both sides changed.
        <span class="tag tag-changed-in-qbo"> Changed in QuickBooks{changed.length ? ` (${[...new Set(changed)].join(', ')})` : ''}</span>
      ) : null}
    </>
  );
}

function Tabs({ active }: { active: Browsed }) {
  return (
    <nav aria-label="Kinds of practice records" class="tabs">
      <ul>
        {browsed.map((k) => (
          <li>
            <a href={`/practice?kind=${k}`} aria-current={k === active ? 'page' : undefined}>
              {tabTitle[k]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

async function browse(c: Context<WebEnv>, deps: WebDeps) {
  const kind = (browsed as readonly string[]).includes(c.req.query('kind') ?? '') ? (c.req.query('kind') as Browsed) : 'contact';
  const offset = Math.max(0, Math.trunc(Number(c.req.query('offset') ?? '0')) || 0);
  const page = await listRecords(deps.ctx.db, practiceOf(c), kind, { limit: PAGE, offset });
  const realmId = await webRealm(deps.ctx);
  const states = await syncStates(
    deps,
    realmId,
    kind,
    page.items.map((r) => r.key),
  );
  await markBeforeExportFrom(deps, realmId, kind, page.items, states);
  const doc = kindInfo[kind].document;
  const parties = doc ? await partyNames(deps, practiceOf(c), kind, page.items) : new Map<string, string>();
  return renderPage(c, {
    title: `Practice data: ${tabTitle[kind]}`,
    body: (
      <>
        <h1>Practice data</h1>
        <p>The records in the practice system, and whether each is in QuickBooks yet.</p>
        <Tabs active={kind} />
        <h2>
          {tabTitle[kind]} <span class="count">({page.total})</span>
        </h2>
        <form method="get" action="/practice/go" class="filters" role="search" aria-label={`Open one of the ${tabTitle[kind].toLowerCase()}`}>
          <input type="hidden" name="kind" value={kind} />
          <div>
            <label for="go-key">{kindInfo[kind].keyField === 'number' ? 'Number' : kind === 'staff' ? 'Unique ID' : 'Code'}</label>
            <input id="go-key" name="key" required maxlength={100} />
          </div>
          <button type="submit">Open</button>
        </form>
        {!realmId ? <Notice kind="warn">No QuickBooks company is connected, so every record shows as not yet in QuickBooks.</Notice> : null}
        {page.items.length === 0 ? (
          <p>None.</p>
        ) : (
          <table>
            <caption class="visually-hidden">{tabTitle[kind]}</caption>
            <thead>
              <tr>
                <th scope="col">{kindInfo[kind].keyField === 'number' ? 'Number' : 'Code'}</th>
                {kind === 'contact' ? <th scope="col">Unique ID</th> : null}
                <th scope="col">{doc ? (kind === 'bill' ? 'Supplier' : kind === 'staff-expense' ? 'Staff member' : 'Client') : 'Name'}</th>
                {doc ? <th scope="col">Date</th> : null}
                {doc ? (
                  <th scope="col" class="num">
                    Total
                  </th>
                ) : null}
                <th scope="col">State</th>
                <th scope="col">Sync</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => {
                const x = r.record as unknown as Record<string, unknown>;
                const href = `/practice/${kind}/${encodeURIComponent(r.key)}`;
                return (
                  <tr>
                    <td>
                      <a href={href}>{r.key}</a>
                    </td>
                    {kind === 'contact' ? <td>{x['uniqueId'] ? String(x['uniqueId']) : <span class="text-error">missing</span>}</td> : null}
                    <td>{doc ? (parties.get(r.key) ?? '') : nameOf(r)}</td>
                    {doc ? <td class="nowrap">{String(x['date'] ?? '')}</td> : null}
                    {doc ? <td class="num">{money((x['totalCents'] ?? x['amountCents']) as number | undefined)}</td> : null}
                    <td>{r.state}</td>
                    <td>
                      <StateTag s={states.get(r.key)} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <nav aria-label="Pages" class="pager">
          {offset > 0 ? <a href={`/practice?kind=${kind}&offset=${Math.max(0, offset - PAGE)}`}>← Previous {PAGE}</a> : null}
          <span>
            {page.total === 0 ? 0 : offset + 1}–{offset + page.items.length} of {page.total}
          </span>
          {page.nextOffset !== null ? <a href={`/practice?kind=${kind}&offset=${page.nextOffset}`}>Next {PAGE} →</a> : null}
        </nav>
      </>
    ),
  });
}

const fieldNames: Record<string, string> = {
  code: 'Code',
  uniqueId: 'Unique ID',
  isClient: 'Client',
  isSupplier: 'Supplier',
  totalCents: 'Total',
  taxCents: 'Tax',
  amountCents: 'Amount',
};

/** `projectNumber` → `Project number`; a few fields have plainer names. */
function fieldName(k: string): string {
  if (fieldNames[k]) return fieldNames[k];
  const words = k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function Value({ k, v }: { k: string; v: unknown }) {
  if (v === null || v === undefined) return <>—</>;
  if (typeof v === 'boolean') return <>{v ? 'Yes' : 'No'}</>;
  if (typeof v === 'number' && k.endsWith('Cents')) return <>{money(v)}</>;
  if (typeof v === 'object') return <pre class="payload">{JSON.stringify(v, null, 2)}</pre>;
  return <>{String(v)}</>;
}

async function one(
  c: Context<WebEnv>,
  deps: WebDeps,
  kindParam: string,
  key: string,
  notice?: { kind: 'ok' | 'error'; text: string },
  status: 200 | 400 | 404 = 200,
  values?: { uniqueId: string; email: string },
) {
  if (!(browsed as readonly string[]).includes(kindParam)) {
    return renderPage(c, { title: 'Practice data', status: 404, body: <Notice kind="error">There is no kind of practice record called “{kindParam}”.</Notice> });
  }
  const kind = kindParam as Browsed;
  const stored = await getRecord(deps.ctx.db, practiceOf(c), kind, key);
  if (!stored) {
    return renderPage(c, {
      title: 'Practice data',
      status: 404,
      body: (
        <Notice kind="error">
          {kindInfo[kind].label} {key}: no such record in the practice data. <a href={`/practice?kind=${kind}`}>See all {tabTitle[kind].toLowerCase()}</a>.
        </Notice>
      ),
    });
  }
  const realmId = await webRealm(deps.ctx);
  const states = await syncStates(deps, realmId, kind, [key]);
  await markBeforeExportFrom(deps, realmId, kind, [stored], states);
  const state = states.get(key);
  const x = stored.record as unknown as Record<string, unknown>;
  const canEdit = kind === 'contact' && roleAtLeast(currentUser(c), 'bookkeeper');
  const csrf = c.get('csrfToken');
  const title = `${kindInfo[kind].label[0]!.toUpperCase()}${kindInfo[kind].label.slice(1)} ${key}`;
  return renderPage(c, {
    title,
    status,
    body: (
      <>
        <p>
          <a href={`/practice?kind=${kind}`}>← All {tabTitle[kind].toLowerCase()}</a>
        </p>
        <h1>
          {title}
          {nameOf(stored) ? ` — ${nameOf(stored)}` : ''}
        </h1>
        {notice ? (
          <Notice kind={notice.kind}>
            {notice.text}
            {notice.kind === 'ok' ? (
              <>
                {' '}
                <a href="/preview">Back to the preview</a>
              </>
            ) : null}
          </Notice>
        ) : null}
        <p>
          <StateTag s={state} />{' '}
          {state?.qbo.map((q) => {
            const href = realmId ? qboHref(deps.ctx, realmId, q.entity, q.id) : undefined;
            return href ? (
              <a href={href} rel="noopener" target="_blank">
                {q.entity} {q.id}
              </a>
            ) : (
              <span>
                {q.entity} {q.id}
              </span>
            );
          })}
        </p>
        {canEdit ? (
          <section aria-labelledby="edit-title">
            <h2 id="edit-title">Correct this contact</h2>
            <p>The unique ID is how QBO Connect finds this contact in QuickBooks; the email goes on the QuickBooks record.</p>
            <form method="post" action={`/practice/contact/${encodeURIComponent(key)}`} class="stack">
              <CsrfField token={csrf} />
              <label for="uniqueId">Unique ID</label>
              <input id="uniqueId" name="uniqueId" value={values?.uniqueId ?? str(x['uniqueId'])} maxlength={30} aria-describedby="uniqueId-help" />
              <p class="hint" id="uniqueId-help">
                The accounting ID from the practice system (its “Card ID”), e.g. CL90001. Leave empty only if the contact has none.
              </p>
              <label for="email">Email</label>
              <input id="email" name="email" type="email" value={values?.email ?? str(x['email'])} />
              <button type="submit">Save the contact</button>
            </form>
          </section>
        ) : null}
        <h2>Details</h2>
        <dl class="facts">
          <dt>Version</dt>
          <dd>
            {stored.version} (changed {stored.updatedAt.slice(0, 16).replace('T', ' ')} UTC)
          </dd>
          <dt>State</dt>
          <dd>{stored.state}</dd>
          {Object.entries(x)
            .filter(([k]) => k !== 'state')
            .map(([k, v]) => (
              <>
                <dt>{fieldName(k)}</dt>
                <dd>
                  <Value k={k} v={v} />
                </dd>
              </>
            ))}
        </dl>
      </>
    ),
  });
}

export const practicePage: WebPage = {
  nav: { label: 'Practice data', href: '/practice', order: 70 },
  mount(app, deps) {
    app.get('/practice', (c) => browse(c, deps));
    // "Open" by number or code: the record's own page answers, or says there is no such record.
    app.get('/practice/go', (c) => {
      const kind = (browsed as readonly string[]).includes(c.req.query('kind') ?? '') ? (c.req.query('kind') as Browsed) : 'contact';
      const key = (c.req.query('key') ?? '').trim();
      return c.redirect(key ? `/practice/${kind}/${encodeURIComponent(key)}` : `/practice?kind=${kind}`, 303);
    });
    app.get('/practice/:kind/:key', (c) => one(c, deps, c.req.param('kind'), c.req.param('key')));
    app.post('/practice/contact/:key', pageRole('bookkeeper'), async (c) => {
      const key = c.req.param('key');
      const body = await c.req.parseBody();
      const values = { uniqueId: str(body.uniqueId).trim(), email: str(body.email).trim() };
      const stored = await getRecord(deps.ctx.db, practiceOf(c), 'contact', key);
      if (!stored) return one(c, deps, 'contact', key);
      // The whole record goes back with the two fields changed; an empty field is removed.
      const { uniqueId: _u, email: _e, ...rest } = stored.record;
      const next = { ...rest, ...(values.uniqueId ? { uniqueId: values.uniqueId } : {}), ...(values.email ? { email: values.email } : {}) };
      try {
        const { changed, stored: after } = await updateRecord(deps.ctx.db, practiceOf(c), 'contact', key, next, deps.ctx.clock());
        deps.ctx.logger.info({ contact: key, by: currentUser(c)!.email, version: after.version }, 'contact corrected in the web app');
        return one(c, deps, 'contact', key, {
          kind: 'ok',
          text: changed ? `Saved contact ${key} (now version ${after.version}). The next preview uses it.` : `Contact ${key} already had these values; nothing changed.`,
        });
      } catch (err) {
        if (err instanceof PracticeError) return one(c, deps, 'contact', key, { kind: 'error', text: err.message }, 400, values);
        throw err;
      }
    });
  },
};
