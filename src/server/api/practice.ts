/**
 * The practice ledger JSON API, mounted at /api/v1/practice:
 *   GET  /{kind}?from=&to=&state=&limit=&offset=   one page (documents by date, others by key)
 *   GET  /{kind}/{key}                              one record
 *   POST /{kind}                                    create (bookkeeper)
 *   PUT  /{kind}/{key}                              replace content; version moves only on change (bookkeeper)
 *   POST /import                                    a whole import document, all or nothing (bookkeeper)
 * `{kind}` is the plural slug (`credit-notes`) or the kind (`credit-note`). Errors:
 * `{ error: { code, message, record: { kind, key }, field, issues? } }` with 400 / 404 / 409.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { importRecords } from '../../practice/import.js';
import type { ParsedImport } from '../../practice/import-file.js';
import { ImportDocumentReader, ImportJsonError } from '../../practice/import-json-stream.js';
import { kindFromName, kindInfo, kinds, type Kind } from '../../practice/kinds.js';
import type { PracticeIssue } from '../../practice/messages.js';
import { dateSchema, recordStates } from '../../practice/schemas.js';
import { createRecord, getRecord, listRecords, PracticeError, updateRecord } from '../../practice/store.js';
import { timeSlicer, type Pause } from '../../practice/time-slice.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

type Ctx = Context<AuthEnv>;

function errorBody(first: PracticeIssue, all?: PracticeIssue[]) {
  return {
    error: {
      code: first.code,
      message: first.message,
      ...(first.kind ? { record: { kind: first.kind, key: first.key ?? null } } : {}),
      field: first.field,
      ...(all && all.length > 1 ? { issues: all } : {}),
    },
  };
}

function fail(c: Ctx, status: 400 | 404 | 409, code: string, message: string, field: string, record?: { kind: Kind; key: string }) {
  return c.json({ error: { code, message, ...(record ? { record } : {}), field } }, status);
}

const listQuery = z.strictObject({
  from: dateSchema.optional(),
  to: dateSchema.optional(),
  state: z.enum(recordStates, { error: 'must be active or cancelled' }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(1000, { error: 'must be at most 1000' }).optional(),
  offset: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must not be negative' }).optional(),
});

async function jsonBody(c: Ctx): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await c.req.json() };
  } catch {
    return { ok: false };
  }
}

const IMPORT_LIMIT = 200 * 1024 * 1024;
const IMPORT_RETRY_SECONDS = 30;

/**
 * Reads an import body record by record as it arrives (import-json-stream.ts): each chunk is decoded
 * and its complete records parsed at once, so neither the bytes nor the whole text are ever held, and
 * no single step parses the whole document (one JSON.parse of 54 MB stopped the server for seconds).
 * Between chunks the event loop gets a turn. Bad JSON stops the reading at once.
 */
async function readImportBody(req: Request, pause: Pause): Promise<ParsedImport | 'too-large' | { invalid: string }> {
  if (!req.body) return { invalid: 'the body is empty' };
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > IMPORT_LIMIT) return 'too-large';
  // Not fatal: bytes that are not UTF-8 become U+FFFD, as c.req.json() did before.
  const decoder = new TextDecoder('utf-8');
  const document = new ImportDocumentReader('request body');
  let size = 0;
  const reader = req.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > IMPORT_LIMIT) {
        await reader.cancel().catch(() => undefined);
        return 'too-large';
      }
      document.push(decoder.decode(value, { stream: true }));
      await pause();
    }
    document.push(decoder.decode());
    return document.end();
  } catch (err) {
    if (!(err instanceof ImportJsonError)) throw err;
    await reader.cancel().catch(() => undefined);
    return { invalid: err.message };
  }
}

export function practiceApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));

  api.onError((err, c) => {
    if (err instanceof PracticeError && err.issues[0]) return c.json(errorBody(err.issues[0], err.issues), err.status);
    throw err;
  });

  const badJson = (c: Ctx, detail?: string) =>
    fail(c, 400, 'request.invalid-json', `The request body is not valid JSON${detail ? ` (${detail})` : ''}: send a JSON object (Content-Type: application/json).`, 'body');
  const kindOf = (c: Ctx): Kind | undefined => kindFromName(c.req.param('kind') ?? '');
  const unknownKind = (c: Ctx) =>
    fail(c, 404, 'practice.unknown-kind', `"${c.req.param('kind')}" is not a kind of practice record; use one of ${kinds.map((k) => kindInfo[k].slug).join(', ')}.`, 'kind');

  // Import documents can be large (a year of a big practice); everything else is one record.
  // One import at a time: each holds its records in memory until it is written (it is all or
  // nothing), so parallel imports could exhaust the process; a second one is told to come back.
  let importing = false;
  api.post('/import', requireRole('bookkeeper'), async (c) => {
    if (importing) {
      c.header('Retry-After', String(IMPORT_RETRY_SECONDS));
      return c.json({ error: { code: 'request.import-busy', message: `Another import is running; send this one again when it has finished (try in ${IMPORT_RETRY_SECONDS} seconds).`, field: 'body' } }, 429);
    }
    importing = true;
    try {
      const pause = timeSlicer();
      const body = await readImportBody(c.req.raw, pause);
      if (body === 'too-large') return fail(c, 400, 'request.too-large', 'The import document is over 200 MB: split it into several files.', 'body');
      if ('invalid' in body) return badJson(c, body.invalid);
      const report = await importRecords(ctx.db, body.inputs, ctx.clock(), body.issues, pause);
      if (!report.ok) return c.json({ ...errorBody(report.issues[0]!, report.issues), report }, 400);
      return c.json({ report });
    } finally {
      importing = false;
    }
  });

  api.get('/:kind', requireRole('viewer'), async (c) => {
    const kind = kindOf(c);
    if (!kind) return unknownKind(c);
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) {
      const i = q.error.issues[0]!;
      const field = i.code === 'unrecognized_keys' ? i.keys.join(',') : String(i.path[0] ?? 'query');
      const message = i.code === 'unrecognized_keys' ? `${field}: not a filter of this list; use from, to, state, limit, offset` : `${field} ${i.message}`;
      return fail(c, 400, 'request.invalid-query', message, field);
    }
    return c.json(await listRecords(ctx.db, kind, q.data));
  });

  api.get('/:kind/:key', requireRole('viewer'), async (c) => {
    const kind = kindOf(c);
    if (!kind) return unknownKind(c);
    const key = c.req.param('key');
    const stored = await getRecord(ctx.db, kind, key);
    if (!stored) return fail(c, 404, 'practice.not-found', `${kindInfo[kind].label} ${key}: no such record.`, kindInfo[kind].keyField, { kind, key });
    return c.json(stored);
  });

  api.post('/:kind', requireRole('bookkeeper'), bodyLimit({ maxSize: 5 * 1024 * 1024, onError: (c) => fail(c as Ctx, 400, 'request.too-large', 'One record is limited to 5 MB.', 'body') }), async (c) => {
    const kind = kindOf(c);
    if (!kind) return unknownKind(c);
    const body = await jsonBody(c);
    if (!body.ok) return badJson(c);
    return c.json(await createRecord(ctx.db, kind, body.value, ctx.clock()), 201);
  });

  api.put('/:kind/:key', requireRole('bookkeeper'), bodyLimit({ maxSize: 5 * 1024 * 1024, onError: (c) => fail(c as Ctx, 400, 'request.too-large', 'One record is limited to 5 MB.', 'body') }), async (c) => {
    const kind = kindOf(c);
    if (!kind) return unknownKind(c);
    const body = await jsonBody(c);
    if (!body.ok) return badJson(c);
    const { stored, changed } = await updateRecord(ctx.db, kind, c.req.param('key'), body.value, ctx.clock());
    return c.json({ ...stored, changed });
  });

  return api;
}
