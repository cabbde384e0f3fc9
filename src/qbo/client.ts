/**
 * The QBO client pipeline (ARCHITECTURE.md §7): fresh token → minorversion=75 → requestid on every
 * write → per-company limiter → fetch with a timeout → one pure classifier → a typed result or a
 * QboFault. Writes whose outcome stays unknown after their retries end as OutcomeUnknownError so the
 * engine looks the record up instead of creating it again. Tokens never reach a log or an error.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { classify, defaultRetryPolicy, type AttemptOutcome, type RetryPolicy, type RetryReason } from './classify.js';
import { companyBaseUrl, type QboEndpoints } from './endpoints.js';
import { OutcomeUnknownError, QboFault, QboUnavailableError, faultFromResponse, faultInJson, isThrottleFault, parseFaultBody } from './fault.js';
import { createLimiterRegistry, type LimiterOptions, type LimiterRegistry } from './limiter.js';
import { silentLogger, type QboLogger } from './log.js';
import { isUnreachable } from './unreachable.js';
import { QueryBuilder, chunkedIn, type ChunkOptions, type QueryValue } from './query.js';
import { createTokenSource, type TokenSource } from './tokens.js';
import type { TokenStore } from './token-store.js';
import {
  BatchResponse,
  CDCResponse,
  CompanyInfo,
  DeletedEntity,
  Id as IdShape,
  Preferences,
  SyncToken as SyncTokenShape,
  QueryResponse,
  entitySchemas,
  voidByUpdate,
  type Entity,
  type EntityInput,
  type EntityName,
  type EntityUpdate,
} from './wire-types.js';

export const MINOR_VERSION = 75;
export const MAX_REQUEST_ID = 50;
export const MAX_BATCH_REQUEST_ID = 36;
export const MAX_BATCH_ITEMS = 30;
export const MAX_BID = 10;
/** QBO's CDC answers at most 1,000 objects; a full page means some changes may be missing. */
export const CDC_LIMIT = 1000;

/** QBO answered something we cannot read as what it should be (a programming or protocol problem). */
export class QboProtocolError extends Error {
  override name = 'QboProtocolError';
  readonly kind = 'protocol' as const;
  constructor(
    message: string,
    readonly intuitTid?: string,
  ) {
    super(message);
  }
}

/** A call made wrongly (bad requestid, too many batch items): fix the caller, not QBO. */
export class QboUsageError extends Error {
  override name = 'QboUsageError';
  readonly kind = 'usage' as const;
}

export interface QboClientOptions {
  endpoints: QboEndpoints;
  store: TokenStore;
  logger?: QboLogger;
  fetch?: typeof fetch;
  clock?: () => Date;
  /** [0, 1); injectable so backoff is reproducible in tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  limits?: Partial<LimiterOptions>;
  /**
   * The per-company limiters to queue in, when several client objects of one process must share a
   * company's budget (then `limits` is ignored: the registry holds its own).
   */
  limiters?: LimiterRegistry;
  retry?: Partial<RetryPolicy>;
  /** Per attempt; Intuit itself gives up at 120 s. */
  timeoutMs?: number;
  /** Refresh the access token this long before it expires. */
  tokenSkewMs?: number;
}

export interface WriteOptions {
  /** Deterministic id for this write (≤ 50 chars; letters, digits, `-_.:`); the same write retried reuses it. */
  requestId: string;
  /** Extra `include=` (e.g. `allowduplicatedocnum`). */
  include?: string;
  /**
   * Resend the same request (same requestid) after an answer that may hide a stored write — a
   * network error, a timeout, a 5xx. Default true: QBO answers a requestid it remembers with the
   * first answer. false: end at once in OutcomeUnknownError so the caller looks the record up —
   * for creates, since QBO's memory of request ids is undocumented and a create replayed to a QBO
   * that forgot it is a duplicate.
   */
  replayUncertain?: boolean;
}

export interface QueryOptions {
  /** Rows per page, 1–1000 (default 1000). */
  pageSize?: number;
}

export type BatchItem =
  { bId: string; operation: 'create' | 'update' | 'delete'; entity: EntityName; body: Record<string, unknown>; optionsData?: string } | { bId: string; query: string };

export type BatchResult = { bId: string; ok: true; entity?: EntityName; value: Record<string, unknown> } | { bId: string; ok: false; fault: QboFault };

export type CdcRow = { Id: string; status?: string; SyncToken?: string } & Record<string, unknown>;
const CdcRowShape = z.looseObject({ Id: IdShape, status: z.string().optional(), SyncToken: SyncTokenShape.optional() });

export interface CdcResult {
  /** QBO's server time: the next `changedSince`. */
  time: string;
  changes: Partial<Record<EntityName, CdcRow[]>>;
  /** Entities whose answer hit QBO's 1,000-object cap: ask again from a later time or read in full. */
  truncated: Partial<Record<EntityName, boolean>>;
  anyTruncated: boolean;
}

export interface CompanyClient {
  readonly realmId: string;
  create<E extends EntityName>(entity: E, body: EntityInput<E>, opts: WriteOptions): Promise<Entity<E>>;
  read<E extends EntityName>(entity: E, id: string): Promise<Entity<E>>;
  /** Full update: every field not sent is cleared by QBO. A stale SyncToken (5010) is not retried. */
  update<E extends EntityName>(entity: E, body: EntityUpdate<E>, opts: WriteOptions): Promise<Entity<E>>;
  /** Sparse update: only the fields sent change. 5010 → re-read the SyncToken and retry once. */
  sparseUpdate<E extends EntityName>(entity: E, body: EntityUpdate<E>, opts: WriteOptions): Promise<Entity<E>>;
  delete(entity: EntityName, ref: { Id: string; SyncToken: string }, opts: WriteOptions): Promise<{ Id: string; status: string }>;
  void<E extends EntityName>(entity: E, ref: { Id: string; SyncToken: string }, opts: WriteOptions): Promise<Entity<E>>;
  deactivate<E extends EntityName>(entity: E, ref: { Id: string; SyncToken: string; Name?: string }, opts: WriteOptions): Promise<Entity<E>>;
  /** Every row, page by page (STARTPOSITION/MAXRESULTS), validated as `entity`. */
  query<E extends EntityName>(entity: E, build?: (q: QueryBuilder) => QueryBuilder, opts?: QueryOptions): AsyncIterable<Entity<E>>;
  /** Rows whose `property` is any of `values`, in as few IN queries as the limits allow. */
  queryIn<E extends EntityName>(
    entity: E,
    property: string,
    values: readonly QueryValue[],
    build?: (q: QueryBuilder) => QueryBuilder,
    opts?: QueryOptions & ChunkOptions,
  ): AsyncIterable<Entity<E>>;
  count(entity: EntityName, build?: (q: QueryBuilder) => QueryBuilder): Promise<number>;
  /** One query as given (already built text), the raw QueryResponse. */
  rawQuery(text: string): Promise<QueryResponse>;
  /** At most 30 items; results in item order, per-item faults included. */
  batch(items: readonly BatchItem[], opts: WriteOptions): Promise<BatchResult[]>;
  /** True while a batch would wait for the batches-per-minute limit (a single request would go sooner). */
  batchesThrottled?(): boolean;
  cdc(entities: readonly EntityName[], changedSince: Date | string): Promise<CdcResult>;
  companyInfo(): Promise<z.infer<typeof CompanyInfo>>;
  preferences(): Promise<z.infer<typeof Preferences>>;
  /**
   * One Reports API report (`GET /v3/company/{realmId}/reports/{name}?params`, docs/qbo-api.md §operations):
   * the raw report object (Header, Columns, Rows), checked only for being an object.
   */
  report(name: string, params: Record<string, string>): Promise<Record<string, unknown>>;
}

export interface QboClient {
  company(realmId: string): CompanyClient;
  readonly tokens: TokenSource;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  params?: Record<string, string>;
  body?: string;
  contentType?: string;
  requestId?: string;
  /** false: an uncertain outcome is not retried (see WriteOptions.replayUncertain). */
  replayUncertain?: boolean;
  kind: 'request' | 'batch';
  /** Operations in a batch (weighed by the limiter under item metering). */
  units?: number;
  what: string;
  /** For 5010: the same call with a fresh SyncToken (and so a new requestid). */
  reread?: () => Promise<Call>;
}

const requestIdPattern = /^[A-Za-z0-9._:-]+$/;

export function checkRequestId(id: string, max: number): void {
  if (id.length === 0 || id.length > max || !requestIdPattern.test(id)) {
    throw new QboUsageError(`requestid "${id.slice(0, 60)}" must be 1-${max} characters of letters, digits and - _ . :`);
  }
}

/** A new, still deterministic requestid for the retry after a 5010 re-read (the body changed). */
export function resyncRequestId(requestId: string, syncToken: string): string {
  return `rs-${crypto.createHash('sha256').update(`${requestId}|${syncToken}`).digest('hex').slice(0, 32)}`;
}

function scrub(text: string, token: string | undefined): string {
  let out = token ? text.split(token).join('[redacted]') : text;
  // The gateway echoes part of the token in "Token expired: AB0160…"; keep the words, drop the token.
  out = out.replace(/(token[^:"<]{0,20}:\s*)[^\s"<,]+/gi, '$1[redacted]');
  return out;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createQboClient(opts: QboClientOptions): QboClient {
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? (() => new Date());
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? sleepReal;
  const doFetch = opts.fetch ?? fetch;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...opts.retry };
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const limiters = opts.limiters ?? createLimiterRegistry(opts.limits);
  // The refresh POST must finish well inside the refresh lock's 30 s lifetime (ConnectionStore).
  const tokens = createTokenSource({ store: opts.store, oauth: { endpoints: opts.endpoints, fetch: doFetch, clock, timeoutMs: 15_000 }, clock, logger, skewMs: opts.tokenSkewMs });

  async function send(realmId: string, first: Call): Promise<unknown> {
    const base = companyBaseUrl(opts.endpoints, realmId);
    const limiter = limiters.forRealm(realmId);
    let call = first;
    let token = '';
    // Refreshes spent since the last failure other than a 401 (classify.ts counts them).
    let refreshes = 0;
    // The token QBO just refused: the next attempt refreshes before it is sent.
    let rejected: string | undefined;
    let rereadSpent = !call.reread;
    let maybeApplied = false;
    let lastTid: string | undefined;

    for (let attempt = 1; ; attempt++) {
      const url = new URL(call.path, base);
      for (const [k, v] of Object.entries(call.params ?? {})) url.searchParams.set(k, v);
      url.searchParams.set('minorversion', String(MINOR_VERSION));
      if (call.requestId) url.searchParams.set('requestid', call.requestId);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';

      let outcome: AttemptOutcome;
      let status = 0;
      let text = '';
      let json: unknown;
      let fault: QboFault | undefined;
      // Whether this attempt got past the limiter: a limiter that fails (the shared budget's database)
      // sent nothing, so its error is no network error and no write can have happened.
      let reached = false;
      try {
        const r = await limiter.run(
          call.kind,
          async () => {
            // The token is got (refreshed after a 401) as the request leaves, once the limiter let it
            // go: a wait for the budget (a shared one polls its database, a 429 pauses the company)
            // never sits between getting a token and sending it, so a 401 on a refreshed token means
            // that token, not one that expired while it queued. Cheap when cached; a lost connection
            // throws from here before anything is sent.
            token = rejected !== undefined ? await tokens.afterUnauthorized(realmId, rejected) : await tokens.accessToken(realmId);
            rejected = undefined;
            headers['authorization'] = `Bearer ${token}`;
            reached = true;
            const res = await doFetch(url, { method: call.method, headers, body: call.body, signal: AbortSignal.timeout(timeoutMs) });
            const body = await res.text();
            return { status: res.status, body, tid: res.headers.get('intuit_tid') ?? res.headers.get('intuit-tid') ?? undefined, retryAfter: res.headers.get('retry-after') };
          },
          call.units,
        );
        status = r.status;
        text = r.body;
        lastTid = r.tid;
        let faultCode: string | undefined;
        let throttled = false;
        if (status >= 200 && status < 300) {
          try {
            json = JSON.parse(text);
            // A Fault inside a 2xx is read from the scrubbed text too: QBO may echo the token in Detail.
            const inBody = faultInJson(json) ? parseFaultBody(scrub(text, token)) : undefined;
            if (inBody) {
              fault = new QboFault(status, inBody.errors, inBody.type, r.tid, realmId);
              faultCode = fault.code;
              throttled = isThrottleFault(inBody.errors);
            }
          } catch {
            // A 2xx we cannot read: the write may have happened; treat like a gateway failure.
            status = 502;
          }
        }
        if (status < 200 || status >= 300) {
          fault = faultFromResponse(status, scrub(text, token), r.tid, realmId);
          faultCode = fault.code;
          throttled = isThrottleFault(fault.errors);
        }
        outcome = { type: 'http', status, retryAfter: r.retryAfter, faultCode, throttled };
      } catch (err) {
        if (!reached) throw err;
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        outcome = { type: 'network', timedOut, unreachable: !timedOut && isUnreachable(err) };
      }

      const decision = classify({ outcome, attempt, policy, refreshes, rereadSpent, now: clock(), random });
      logger.debug({ realmId, op: call.what, attempt, status, reason: decision.reason, intuit_tid: lastTid, requestid: call.requestId }, 'qbo: attempt');
      if (decision.reason === 'ok') return json;
      // Only 401s in a row on refreshed tokens mean the company refuses us. Once other failures came
      // between (a throttle pause, a timeout), a 401 is the refreshed token expiring in turn: count anew.
      if (decision.reason !== 'unauthorized') refreshes = 0;

      const uncertain: RetryReason[] = ['network', 'timeout', 'server-error'];
      if (call.requestId && uncertain.includes(decision.reason)) maybeApplied = true;
      if (decision.retry && call.requestId && call.replayUncertain === false && uncertain.includes(decision.reason)) {
        logger.warn(
          { realmId, op: call.what, attempt, reason: decision.reason, intuit_tid: lastTid, requestid: call.requestId },
          'qbo: write outcome unknown; not replayed, the caller looks it up',
        );
        // The status tells the caller whether QBO itself answered this, the only uncertain attempt.
        throw new OutcomeUnknownError(call.requestId, realmId, attempt, decision.reason, lastTid, outcome.type === 'http' ? status : undefined);
      }

      if (decision.retry) {
        logger.warn({ realmId, op: call.what, attempt, reason: decision.reason, waitMs: decision.wait, intuit_tid: lastTid, requestid: call.requestId }, 'qbo: retrying');
        if (decision.reason === 'unauthorized') {
          rejected = token;
          refreshes++;
        } else if (decision.reason === 'stale-object' && call.reread) {
          call = await call.reread();
          rereadSpent = true;
        } else if (decision.reason === 'throttled') {
          await limiter.pauseFor(decision.wait);
        }
        if (decision.wait > 0) await sleep(decision.wait);
        continue;
      }

      // An earlier attempt that may have landed keeps the write uncertain, whatever the last one met.
      if (call.requestId && maybeApplied && (uncertain.includes(decision.reason) || decision.reason === 'throttled' || decision.reason === 'unreachable')) {
        logger.error({ realmId, op: call.what, attempts: attempt, reason: decision.reason, intuit_tid: lastTid, requestid: call.requestId }, 'qbo: write outcome unknown');
        throw new OutcomeUnknownError(call.requestId, realmId, attempt, decision.reason, lastTid);
      }
      if (fault && outcome.type === 'http' && !(status >= 500 && !call.requestId)) {
        logger.warn({ realmId, op: call.what, status, code: fault.code, element: fault.element, intuit_tid: lastTid, requestid: call.requestId }, 'qbo: fault');
        throw fault;
      }
      const why = decision.reason === 'unreachable' ? 'no connection could be opened (refused or host not found)' : decision.reason;
      throw new QboUnavailableError(realmId, `${call.what}: ${why} after ${attempt} attempts`, status || undefined, lastTid);
    }
  }

  function parseAs<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new QboProtocolError(`QuickBooks answered ${what} with an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  function entityFrom<E extends EntityName>(entity: E, json: unknown, what: string): Entity<E> {
    const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[entity] : undefined;
    if (value === undefined) throw new QboProtocolError(`QuickBooks answered ${what} without a ${entity}`);
    return parseAs(entitySchemas[entity], value, what) as Entity<E>;
  }

  function company(realmId: string): CompanyClient {
    // Checks the realm once, up front, so a bad id fails before any token is loaded.
    companyBaseUrl(opts.endpoints, realmId);
    const path = (entity: string) => entity.toLowerCase();

    function write(entity: EntityName, body: Record<string, unknown>, o: WriteOptions, params: Record<string, string>, what: string, rereadable: boolean): Promise<unknown> {
      checkRequestId(o.requestId, MAX_REQUEST_ID);
      const allParams = { ...params };
      if (o.include) allParams['include'] = params['include'] ? `${params['include']},${o.include}` : o.include;
      const make = (b: Record<string, unknown>, requestId: string): Call => ({
        method: 'POST',
        path: path(entity),
        params: allParams,
        body: JSON.stringify(b),
        requestId,
        ...(o.replayUncertain === false ? { replayUncertain: false } : {}),
        kind: 'request',
        what,
        reread:
          rereadable && typeof b['Id'] === 'string'
            ? async () => {
                const current = await api.read(entity, b['Id'] as string);
                const syncToken = (current as { SyncToken: string }).SyncToken;
                return { ...make({ ...b, SyncToken: syncToken }, resyncRequestId(requestId, syncToken)), reread: undefined };
              }
            : undefined,
      });
      return send(realmId, make(body, o.requestId));
    }

    async function* pages<E extends EntityName>(entity: E, q: QueryBuilder, pageSize: number): AsyncIterable<Entity<E>> {
      for (let start = 1; ; start += pageSize) {
        const resp = await api.rawQuery(q.page(start, pageSize));
        const rows = rowsOf(resp);
        for (const row of rows) yield parseAs(entitySchemas[entity], row, `a query for ${entity}`) as Entity<E>;
        if (rows.length < pageSize) return;
      }
    }

    const api: CompanyClient = {
      realmId,
      batchesThrottled: () => limiters.forRealm(realmId).batchesThrottled,
      async create(entity, body, o) {
        return entityFrom(entity, await write(entity, body, o, {}, `create ${entity}`, false), `create ${entity}`);
      },
      async read(entity, id) {
        const json = await send(realmId, { method: 'GET', path: `${path(entity)}/${encodeURIComponent(id)}`, kind: 'request', what: `read ${entity} ${id}` });
        return entityFrom(entity, json, `read ${entity} ${id}`);
      },
      async update(entity, body, o) {
        return entityFrom(entity, await write(entity, { ...body, sparse: false }, o, {}, `update ${entity} ${body.Id}`, false), `update ${entity}`);
      },
      async sparseUpdate(entity, body, o) {
        return entityFrom(entity, await write(entity, { ...body, sparse: true }, o, {}, `sparse update ${entity} ${body.Id}`, true), `update ${entity}`);
      },
      async delete(entity, ref, o) {
        const json = await write(entity, { Id: ref.Id, SyncToken: ref.SyncToken }, o, { operation: 'delete' }, `delete ${entity} ${ref.Id}`, true);
        const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[entity] : undefined;
        const d = parseAs(DeletedEntity, value, `delete ${entity}`);
        return { Id: d.Id, status: d.status };
      },
      async void(entity, ref, o) {
        const byUpdate = voidByUpdate.includes(entity);
        const json = byUpdate
          ? await write(entity, { Id: ref.Id, SyncToken: ref.SyncToken, sparse: true }, o, { operation: 'update', include: 'void' }, `void ${entity} ${ref.Id}`, true)
          : await write(entity, { Id: ref.Id, SyncToken: ref.SyncToken }, o, { operation: 'void' }, `void ${entity} ${ref.Id}`, true);
        return entityFrom(entity, json, `void ${entity}`);
      },
      async deactivate(entity, ref, o) {
        const body: Record<string, unknown> = { Id: ref.Id, SyncToken: ref.SyncToken, sparse: true, Active: false };
        // docs/qbo-api.md §operations: Account and Class need Name even in a sparse deactivate.
        if (ref.Name !== undefined) body['Name'] = ref.Name;
        return entityFrom(entity, await write(entity, body, o, {}, `deactivate ${entity} ${ref.Id}`, true), `deactivate ${entity}`);
      },
      query(entity, build, o) {
        const q = (build ?? ((x: QueryBuilder) => x))(QueryBuilder.from(entity));
        return pages(entity, q, o?.pageSize ?? 1000);
      },
      queryIn(entity, property, values, build, o) {
        const q = (build ?? ((x: QueryBuilder) => x))(QueryBuilder.from(entity));
        const chunks = values.length ? chunkedIn(q, property, values, o) : [];
        const pageSize = o?.pageSize ?? 1000;
        return (async function* () {
          for (const c of chunks) yield* pages(entity, c, pageSize);
        })();
      },
      async count(entity, build) {
        const q = (build ?? ((x: QueryBuilder) => x))(QueryBuilder.from(entity));
        const resp = await api.rawQuery(q.count());
        if (typeof resp.totalCount !== 'number') throw new QboProtocolError(`QuickBooks answered a count of ${entity} without totalCount`);
        if (!Number.isSafeInteger(resp.totalCount) || resp.totalCount < 0)
          throw new QboProtocolError(`QuickBooks answered a count of ${entity} that is not a whole number of rows (${resp.totalCount})`);
        return resp.totalCount;
      },
      async rawQuery(text) {
        // Long queries (big IN lists) go in a POST body, as Intuit's SDKs do, to stay clear of URL limits.
        const long = encodeURIComponent(text).length > 1500;
        const json = await send(
          realmId,
          long
            ? { method: 'POST', path: 'query', body: text, contentType: 'application/text', kind: 'request', what: 'query' }
            : { method: 'GET', path: 'query', params: { query: text }, kind: 'request', what: 'query' },
        );
        const qr = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['QueryResponse'] : undefined;
        return parseAs(QueryResponse, qr, 'a query') as QueryResponse;
      },
      async batch(items, o) {
        checkRequestId(o.requestId, MAX_BATCH_REQUEST_ID);
        if (items.length === 0 || items.length > MAX_BATCH_ITEMS) throw new QboUsageError(`a batch holds 1 to ${MAX_BATCH_ITEMS} items (got ${items.length})`);
        const seen = new Set<string>();
        for (const it of items) {
          if (!it.bId || it.bId.length > MAX_BID || !requestIdPattern.test(it.bId))
            throw new QboUsageError(`batch item id "${it.bId}" must be 1-${MAX_BID} letters, digits or - _ . :`);
          if (seen.has(it.bId)) throw new QboUsageError(`batch item id "${it.bId}" is used twice`);
          seen.add(it.bId);
        }
        const wire = items.map((it) =>
          'query' in it
            ? { bId: it.bId, Query: it.query }
            : { bId: it.bId, operation: it.operation, [it.entity]: it.body, ...(it.optionsData ? { optionsData: it.optionsData } : {}) },
        );
        const json = await send(realmId, {
          method: 'POST',
          path: 'batch',
          body: JSON.stringify({ BatchItemRequest: wire }),
          requestId: o.requestId,
          ...(o.replayUncertain === false ? { replayUncertain: false } : {}),
          kind: 'batch',
          units: items.length,
          what: `batch of ${items.length}`,
        });
        const resp = parseAs(BatchResponse, json, 'a batch');
        const byId = new Map(resp.BatchItemResponse.map((r) => [r.bId, r]));
        return items.map((it): BatchResult => {
          const r = byId.get(it.bId);
          if (!r) throw new QboProtocolError(`QuickBooks's batch answer has no result for item ${it.bId}`);
          const f = faultInJson(r);
          if (f) return { bId: it.bId, ok: false, fault: new QboFault(200, f.errors, f.type, undefined, realmId) };
          if ('query' in it) return { bId: it.bId, ok: true, value: (r.QueryResponse ?? {}) as Record<string, unknown> };
          const value = (r as Record<string, unknown>)[it.entity];
          if (it.operation === 'delete') return { bId: it.bId, ok: true, entity: it.entity, value: parseAs(DeletedEntity, value, `batch item ${it.bId}`) };
          return { bId: it.bId, ok: true, entity: it.entity, value: parseAs(entitySchemas[it.entity], value, `batch item ${it.bId}`) as Record<string, unknown> };
        });
      },
      async cdc(entities, changedSince) {
        if (entities.length === 0) throw new QboUsageError('CDC needs at least one entity');
        const since = typeof changedSince === 'string' ? changedSince : changedSince.toISOString();
        const json = await send(realmId, { method: 'GET', path: 'cdc', params: { entities: entities.join(','), changedSince: since }, kind: 'request', what: 'cdc' });
        const resp = parseAs(CDCResponse, json, 'a change data capture');
        const changes: Partial<Record<EntityName, CdcRow[]>> = {};
        const truncated: Partial<Record<EntityName, boolean>> = {};
        for (const e of entities) {
          changes[e] = [];
          truncated[e] = false;
        }
        for (const block of resp.CDCResponse) {
          for (const qr of block.QueryResponse ?? []) {
            for (const e of entities) {
              const rows = qr[e];
              // Each row is checked for what the plan keys on (an object with Id and a well-formed SyncToken).
              if (Array.isArray(rows))
                changes[e] = [...(changes[e] ?? []), ...rows.map((row, i) => parseAs(CdcRowShape, row, `a change data capture (${e} row ${i + 1})`) as CdcRow)];
            }
          }
        }
        let total = 0;
        for (const e of entities) total += changes[e]?.length ?? 0;
        // Intuit documents 1,000 objects per answer, not per entity: a full answer may have left out
        // any entity asked for, even one with no row in it (issue 13), so each counts as cut short.
        for (const e of entities) truncated[e] = (changes[e]?.length ?? 0) >= CDC_LIMIT || total >= CDC_LIMIT;
        return { time: resp.time, changes, truncated, anyTruncated: Object.values(truncated).some(Boolean) };
      },
      async companyInfo() {
        const json = await send(realmId, { method: 'GET', path: `companyinfo/${realmId}`, kind: 'request', what: 'company info' });
        const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['CompanyInfo'] : undefined;
        return parseAs(CompanyInfo, value, 'company info');
      },
      async preferences() {
        const json = await send(realmId, { method: 'GET', path: 'preferences', kind: 'request', what: 'preferences' });
        const value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['Preferences'] : undefined;
        return parseAs(Preferences, value, 'preferences');
      },
      async report(name, params) {
        const json = await send(realmId, { method: 'GET', path: `reports/${encodeURIComponent(name)}`, params, kind: 'request', what: `report ${name}` });
        if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new QboProtocolError(`QBO answered the ${name} report with something that is not a report`);
        return json as Record<string, unknown>;
      },
    };
    return api;
  }

  return { company, tokens };
}

/** The rows of a QueryResponse: the one array-valued key (QBO names it after the entity, canonically cased). */
export function rowsOf(resp: QueryResponse): Record<string, unknown>[] {
  for (const [k, v] of Object.entries(resp)) {
    if (k !== 'startPosition' && k !== 'maxResults' && k !== 'totalCount' && Array.isArray(v)) return v as Record<string, unknown>[];
  }
  return [];
}
