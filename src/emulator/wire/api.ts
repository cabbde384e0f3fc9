// The QBO Accounting API routes under /v3/company/:realmId/ (docs/qbo-api.md §operations, §emulator-checklist): create, read,
// full and sparse update, delete, void (both forms), query (GET and POST), batch, CDC, CompanyInfo,
// Preferences; requestid replay per company; minorversion accepted; include=allowduplicatedocnum.
// Envelopes exactly as QBO's; an intuit_tid header on every answer.

import { Hono, type Context } from 'hono';
import type { Company, Core, Json, QueryResult } from '../core/index.js';
import { ENTITIES, QboFault, entityByName, faults, runReport, type EntityName } from '../core/index.js';
import { REF_TARGETS } from '../core/entities.js';
import { faultBody, forbiddenResponse, intuitTid } from './errors.js';

export interface ApiDeps {
  core: Core;
  /** Checks the caller may use the realm: undefined when allowed, else the 401/403 Response to send. */
  authorize?: (req: Request, realmId: string) => Response | undefined | Promise<Response | undefined>;
  /** intuit_tid generator; default derives from the core's clock and seeded PRNG. */
  tid?: () => string;
}

type Op = 'create' | 'update' | 'delete' | 'void';

interface Answer {
  status: number;
  body: unknown;
}

const MAX_BATCH = 30;
/** Strict fidelity: real ms a write sent with a requestid stays in flight before it commits. */
const IN_FLIGHT_MS = 25;

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** QueryResponse content for a query result: rows with startPosition/maxResults, a count, or {}. */
export function queryResponse(r: QueryResult): Json {
  if (r.count !== undefined) return { totalCount: r.count };
  if (!r.rows || r.rows.length === 0) return {};
  return { [r.entity]: r.rows, startPosition: r.startPosition, maxResults: r.rows.length };
}

/** Runs one write against a company; returns the entity key and the object QBO puts under it. */
export function runWrite(company: Company, entityName: string, op: Op, body: unknown, allowDuplicateDocNum: boolean): { key: EntityName; value: Json } {
  const entity = entityByName(entityName);
  if (!entity) throw faults.unsupportedOperation(`on resource ${entityName}`);
  const opts = { allowDuplicateDocNum };
  switch (op) {
    case 'create':
      return { key: entity, value: company.create(entity, body, opts) };
    case 'update':
      return { key: entity, value: company.update(entity, body, opts) };
    case 'delete':
      return { key: entity, value: company.remove(entity, body) };
    case 'void':
      return { key: entity, value: company.voidTxn(entity, body) };
  }
}

function cdcResponse(company: Company, entities: string, changedSince: string): Json[] {
  const names = entities
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw faults.requiredMissing('entities');
  const since = new Date(normaliseIso(changedSince));
  const results = company.cdc(names, since);
  return [
    {
      QueryResponse: results.map((r) => (r.rows.length ? { [r.entity]: r.rows, startPosition: 1, maxResults: r.rows.length } : {})),
    },
  ];
}

/** `2015-12-23T09:00:00-0700` and bare dates into something Date.parse reads. */
function normaliseIso(v: string): string {
  // An unencoded '+' in the query string arrives as a space.
  const t = v.trim().replace(' ', '+');
  if (t.includes('T') && /[+-]\d{4}$/.test(t)) return `${t.slice(0, -2)}:${t.slice(-2)}`;
  return /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t;
}

/** References in a batch item to records created by earlier items of the same batch, which QBO
 *  cannot see yet (docs/qbo-api.md §batch). */
function refersToBatchCreation(body: unknown, created: Set<string>): string | undefined {
  let hit: string | undefined;
  const walk = (node: unknown, key?: string) => {
    if (hit) return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n, key);
      return;
    }
    if (!isObj(node)) return;
    if (key === 'LinkedTxn' && typeof node.TxnId === 'string' && created.has(`${String(node.TxnType)}:${node.TxnId}`)) {
      hit = `LinkedTxn ${String(node.TxnType)} ${node.TxnId}`;
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      const targets = REF_TARGETS[k];
      if (targets && isObj(v) && v.value !== undefined) {
        for (const t of targets) if (created.has(`${t}:${String(v.value)}`)) hit = `${k} ${t} ${String(v.value)}`;
      } else walk(v, k);
    }
  };
  walk(body);
  return hit;
}

function batchItem(company: Company, item: unknown, created: Set<string>): Json {
  if (!isObj(item)) return { Fault: faultBody(faults.requiredMissing('bId').errors, undefined).Fault };
  const bId = item.bId;
  const withId = (o: Json): Json => ({ ...o, bId });
  try {
    if (typeof bId !== 'string' || bId === '') throw faults.requiredMissing('bId');
    if (typeof item.Query === 'string') return withId({ QueryResponse: queryResponse(company.query(item.Query)) });
    if (isObj(item.CDCQuery)) {
      return withId({ CDCResponse: cdcResponse(company, String(item.CDCQuery.Entities ?? ''), String(item.CDCQuery.ChangedSince ?? '')) });
    }
    const keys = Object.keys(item).filter((k) => !['bId', 'operation', 'optionsData'].includes(k));
    const entityKey = keys.find((k) => entityByName(k));
    if (!entityKey) throw faults.requiredMissing('operation entity');
    const options = String(item.optionsData ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    let op: Op;
    const requested = String(item.operation ?? 'create').toLowerCase();
    if (requested === 'create' || requested === 'update' || requested === 'delete' || requested === 'void') op = requested;
    else throw faults.unsupportedOperation(`${requested} in batch`);
    if (op === 'update' && options.includes('void')) op = 'void';
    const body = item[entityKey];
    const unseen = refersToBatchCreation(body, created);
    if (unseen) throw faults.invalidReference(unseen.split(' ')[0]!, unseen.split(' ')[1]!, unseen.split(' ')[2]!);
    const { key, value } = runWrite(company, entityKey, op, body, options.includes('allowduplicatedocnum'));
    if (op === 'create') created.add(`${key}:${String(value.Id)}`);
    return withId({ [key]: value });
  } catch (e) {
    if (e instanceof QboFault) return withId({ Fault: faultBody(e.errors, undefined, e.type).Fault });
    throw e;
  }
}

/** Method, path, query without requestid/minorversion, and body: what makes two requests "the same". */
async function requestFingerprint(c: Context): Promise<string> {
  const url = new URL(c.req.url);
  const params = [...url.searchParams].filter(([k]) => k !== 'requestid' && k !== 'minorversion').sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([c.req.method, url.pathname.toLowerCase(), params, await c.req.text()]);
}

export function apiRoutes(deps: ApiDeps): Hono {
  const { core } = deps;
  const tid = deps.tid ?? (() => intuitTid(core.clock().getTime(), core.random));
  const app = new Hono();

  const send = (c: Context, a: Answer) => c.json(a.body as object, a.status as 200);
  const faultAnswer = (e: QboFault, company: Company | undefined): Answer => ({
    status: e.status,
    body: faultBody(e.errors, e.omitTime ? undefined : (company?.time() ?? new Date(core.clock().getTime()).toISOString()), e.type),
  });

  app.use('/v3/company/:realmId/*', async (c, next) => {
    const header = tid();
    const realmId = c.req.param('realmId');
    if (deps.authorize) {
      const denied = await deps.authorize(c.req.raw, realmId);
      if (denied) {
        const res = new Response(denied.body, denied);
        res.headers.set('intuit_tid', header);
        return res;
      }
    }
    if (!core.company(realmId)) {
      const res = forbiddenResponse(core.clock().getTime());
      res.headers.set('intuit_tid', header);
      return res;
    }
    await next();
    c.res.headers.set('intuit_tid', header);
  });

  /** Wraps a handler: faults become envelopes, successful writes are remembered under requestid.
   *  Generous: any later request with a used requestid gets the first answer. Strict (Intuit documents
   *  only this, docs/qbo-api.md §requestid): an identical request sent again after the first was answered, within
   *  the retention time, gets the first answer; one that differs gets fault 600; requests in flight
   *  together are each executed (duplicates may be created, as users report). */
  const handle = (fn: (c: Context, company: Company) => Promise<Answer> | Answer, write: boolean) => async (c: Context) => {
    const company = core.company(c.req.param('realmId') ?? '')!;
    const requestId = write ? c.req.query('requestid') : undefined;
    let fingerprint = '';
    if (requestId) {
      if (requestId.length > 50) {
        return send(
          c,
          faultAnswer(
            new QboFault([{ Message: 'Invalid RequestId format', Detail: `requestid is longer than 50 characters (${requestId.length})`, code: '2130', element: 'requestid' }]),
            company,
          ),
        );
      }
      const strict = company.fidelity() === 'strict';
      if (strict) fingerprint = await requestFingerprint(c);
      const seen = company.recallRequest(requestId);
      if (seen && !strict) return send(c, seen.answer as Answer);
      if (seen) {
        if (seen.fingerprint === fingerprint) return send(c, seen.answer as Answer);
        return send(c, faultAnswer(faults.duplicateRequest(requestId), company));
      }
      // A write takes time at QBO; while this one is "in flight", a duplicate arriving on another
      // connection gets past the check above too and is executed as well.
      if (strict) await new Promise<void>((r) => setTimeout(r, IN_FLIGHT_MS));
    }
    let answer: Answer;
    try {
      answer = await fn(c, company);
    } catch (e) {
      if (e instanceof QboFault) answer = faultAnswer(e, company);
      else throw e;
    }
    if (requestId && answer.status === 200) company.rememberRequest(requestId, answer, fingerprint);
    return send(c, answer);
  };

  const readJson = async (c: Context): Promise<unknown> => {
    const text = await c.req.text();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new QboFault([{ Message: 'Request has invalid or unsupported property', Detail: `Error parsing the request body as JSON: ${(e as Error).message}`, code: '2010' }]);
    }
  };

  const runQueryText = (company: Company, text: string | undefined): Answer => {
    const r = company.query(text ?? '');
    return { status: 200, body: { QueryResponse: queryResponse(r), time: company.time() } };
  };

  app.get(
    '/v3/company/:realmId/query',
    handle((c, company) => runQueryText(company, c.req.query('query')), false),
  );
  app.post(
    '/v3/company/:realmId/query',
    handle(async (c, company) => runQueryText(company, c.req.query('query') ?? (await c.req.text())), false),
  );

  app.get(
    '/v3/company/:realmId/cdc',
    handle((c, company) => {
      const entities = c.req.query('entities');
      const since = c.req.query('changedSince');
      if (!entities) throw faults.requiredMissing('entities');
      if (!since) throw faults.requiredMissing('changedSince');
      return { status: 200, body: { CDCResponse: cdcResponse(company, entities, since), time: company.time() } };
    }, false),
  );

  app.post(
    '/v3/company/:realmId/batch',
    handle(async (c, company) => {
      const body = await readJson(c);
      const items = isObj(body) ? body.BatchItemRequest : undefined;
      if (!Array.isArray(items) || items.length === 0) throw faults.batchEmpty();
      if (items.length > MAX_BATCH) throw faults.batchTooLarge(items.length);
      const created = new Set<string>();
      const out = items.map((item) => batchItem(company, item, created));
      return { status: 200, body: { BatchItemResponse: out, time: company.time() } };
    }, true),
  );

  // Attachments with files: multipart parts file_metadata_NN (JSON) and file_content_NN, answered
  // per file in AttachableResponse, faults included, with HTTP 200 (recorded attachment/*.yml).
  app.post(
    '/v3/company/:realmId/upload',
    handle(async (c, company) => {
      let form: Record<string, unknown>;
      try {
        form = await c.req.parseBody({ all: false });
      } catch {
        throw faults.requiredMissing('file_content');
      }
      const suffixes = Object.keys(form)
        .filter((k) => k.startsWith('file_content_'))
        .map((k) => k.slice('file_content_'.length))
        .sort();
      if (suffixes.length === 0) throw faults.requiredMissing('file_content');
      const out: Json[] = [];
      for (const n of suffixes) {
        const content = form[`file_content_${n}`];
        const metaPart = form[`file_metadata_${n}`];
        try {
          const metaText = metaPart instanceof File ? await metaPart.text() : typeof metaPart === 'string' ? metaPart : '{}';
          let meta: unknown;
          try {
            meta = JSON.parse(metaText) as unknown;
          } catch {
            throw faults.requiredMissing(`file_metadata_${n}`);
          }
          const file =
            content instanceof File
              ? { name: content.name, type: content.type || 'application/octet-stream', size: content.size }
              : { name: `file_${n}`, type: 'text/plain', size: String(content ?? '').length };
          out.push({ Attachable: company.upload(meta, file) });
        } catch (e) {
          if (e instanceof QboFault) out.push({ Fault: faultBody(e.errors, undefined, e.type).Fault });
          else throw e;
        }
      }
      return { status: 200, body: { AttachableResponse: out, time: company.time() } };
    }, true),
  );

  // TaxService (core/taxservice.ts). JSON only: "XML is not supported for TaxService creation"
  // (ruckus/quickbooks-ruby#228). The path is taxservice/taxcode (QuickBooks-V3-Java-SDK prepareQBOUri);
  // a bare /taxservice is "not supported" (intuit/QuickBooks-V3-DotNET-SDK#161), as the catch-all answers.
  app.post(
    '/v3/company/:realmId/:svc{[Tt]ax[Ss]ervice}/:code{[Tt]ax[Cc]ode}',
    handle(async (c, company) => {
      if (/xml/i.test(c.req.header('content-type') ?? '')) throw faults.unsupportedOperation('TaxService accepts JSON only (application/json)');
      return { status: 200, body: company.taxService(await readJson(c)) };
    }, true),
  );

  app.get(
    '/v3/company/:realmId/companyinfo/:id',
    handle((_c, company) => ({ status: 200, body: { CompanyInfo: company.companyInfo(), time: company.time() } }), false),
  );
  app.get(
    '/v3/company/:realmId/preferences',
    handle((_c, company) => ({ status: 200, body: { Preferences: company.preferences(), time: company.time() } }), false),
  );

  // Reports API (core/reports.ts): CustomerBalance, VendorBalance, AgedReceivables from the company's
  // own transactions; any other name is "Unsupported Operation", a bad parameter a 2010 fault.
  app.get(
    '/v3/company/:realmId/reports/:name',
    handle((c, company) => {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(c.req.queries())) params[k] = v[0] ?? '';
      return { status: 200, body: runReport(company, c.req.param('name')!, params) };
    }, false),
  );

  app.get(
    '/v3/company/:realmId/:entity/:id',
    handle((c, company) => {
      const entity = c.req.param('entity')!;
      const key = entityByName(entity);
      if (!key) throw faults.unsupportedOperation(`Could not find resource for relative : ${c.req.path}`);
      const row = company.read(key, decodeURIComponent(c.req.param('id')!));
      return { status: 200, body: { [key]: row, time: company.time() } };
    }, false),
  );

  app.post(
    '/v3/company/:realmId/:entity',
    handle(async (c, company) => {
      const entity = c.req.param('entity')!;
      const key = entityByName(entity);
      if (!key) throw faults.unsupportedOperation(`Could not find resource for relative : ${c.req.path}`);
      const body = await readJson(c);
      const operation = (c.req.query('operation') ?? '').toLowerCase();
      const include = (c.req.queries('include') ?? []).flatMap((s) => s.toLowerCase().split(','));
      let op: Op;
      if (operation === 'delete') op = 'delete';
      else if (operation === 'void' || (operation === 'update' && include.includes('void'))) op = 'void';
      else if (operation === 'update') op = 'update';
      else if (operation === '' || operation === 'create') {
        const def = ENTITIES[key];
        op = def.kind === 'singleton' || (isObj(body) && body.Id !== undefined) ? 'update' : 'create';
      } else throw faults.unsupportedOperation(`operation=${operation}`);
      const { key: name, value } = runWrite(company, key, op, body, include.includes('allowduplicatedocnum'));
      return { status: 200, body: { [name]: value, time: company.time() } };
    }, true),
  );

  // A bug in the emulator answers like QBO's own system failures (500, code 10000), not a bare 500.
  app.onError((err, c) => {
    const body = faultBody(
      [{ Message: 'An application error has occurred while processing your request', Detail: `System Failure Error: ${err.message}`, code: '10000', element: '' }],
      new Date(core.clock().getTime()).toISOString(),
      'SystemFault',
    );
    return c.json(body, 500);
  });

  // Anything else under the company (e.g. /customer/1/5) is QBO's "Unsupported Operation" (code 500, HTTP 400).
  app.all(
    '/v3/company/:realmId/*',
    handle((c) => {
      throw faults.unsupportedOperation(`Could not find resource for relative : ${c.req.path}`);
    }, false),
  );

  return app;
}
