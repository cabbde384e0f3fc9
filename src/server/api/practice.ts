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
import { kindFromName, kindInfo, type Kind } from '../../practice/kinds.js';
import { reasonCodes, sayWhole } from '../../practice/reasons.js';
import { dateSchema, recordStates } from '../../practice/schemas.js';
import { createRecord, getRecord, listRecords, PracticeBusyError, PracticeError, updateRecord } from '../../practice/store.js';
import { timeSlicer, type Pause } from '../../practice/time-slice.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { practiceOf } from '../practice-scope.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

const listQuery = z.strictObject({
  from: dateSchema.optional(),
  to: dateSchema.optional(),
  state: z.enum(recordStates, { error: 'must be active or cancelled' }).optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(1000, { error: 'must be at most 1000' })
    .optional(),
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
      // Refused already (see import-json-stream.ts): the rest is received but neither parsed nor held.
      // Received, not cut off: a client still sending when the answer comes would see a broken connection.
      if (!document.stopped) document.push(decoder.decode(value, { stream: true }));
      await pause();
    }
    if (!document.stopped) document.push(decoder.decode());
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

  // A refused record (PracticeError) or request is answered by onError (server/http.ts) with its status.
  const badJson = (detail?: string) => refusal('request.invalid-json', { detail }, 'body');
  const kindOf = (c: Ctx): Kind => {
    const kind = kindFromName(c.req.param('kind') ?? '');
    if (!kind) throw new PracticeError([{ code: reasonCodes.unknownKind, field: 'kind', message: sayWhole.noSuchKind(c.req.param('kind') ?? '') }], 404);
    return kind;
  };
  const tooLarge = () => {
    throw refusal('request.too-large', { limit: '5 MB' }, 'body');
  };

  // Import documents can be large (a year of a big practice); everything else is one record.
  // One import at a time: each holds its records in memory until it is written (it is all or
  // nothing), so parallel imports could exhaust the process; a second one is told to come back.
  let importing = false;
  api.post('/import', requireRole('bookkeeper'), async (c) => {
    if (importing) {
      c.header('Retry-After', String(IMPORT_RETRY_SECONDS));
      return c.json(
        {
          error: {
            code: 'request.import-busy',
            message: `Another import is running; send this one again when it has finished (try in ${IMPORT_RETRY_SECONDS} seconds).`,
            field: 'body',
          },
        },
        429,
      );
    }
    importing = true;
    try {
      const pause = timeSlicer();
      const body = await readImportBody(c.req.raw, pause);
      // 413 like every other size limit of the server (server/http.ts).
      if (body === 'too-large') return c.json({ error: refusal('request.too-large', { limit: 'import' }, 'body').body() }, 413);
      if ('invalid' in body) throw badJson(body.invalid);
      let report;
      try {
        report = await importRecords(ctx.db, practiceOf(c), body.inputs, ctx.clock(), body.issues, pause, body.stoppedAt);
      } catch (err) {
        if (!(err instanceof PracticeBusyError)) throw err;
        c.header('Retry-After', String(err.retryAfterSeconds));
        return c.json({ error: { code: err.code, message: `${err.message[0]!.toUpperCase()}${err.message.slice(1)}.`, field: 'body' } }, 503);
      }
      // The issues once, in the report (at most MAX_ISSUES, with `report.more` saying what is left out); `error` names the first.
      if (!report.ok) return c.json({ error: new PracticeError(report.issues.slice(0, 1)).body(), report }, 400);
      return c.json({ report });
    } finally {
      importing = false;
    }
  });

  api.get('/:kind', requireRole('viewer'), async (c) => {
    const kind = kindOf(c);
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) {
      const i = q.error.issues[0]!;
      const field = i.code === 'unrecognized_keys' ? i.keys.join(',') : String(i.path[0] ?? 'query');
      throw refusal('request.invalid-query', i.code === 'unrecognized_keys' ? { field, allowed: 'from, to, state, limit, offset' } : { field, problem: i.message }, field);
    }
    return c.json(await listRecords(ctx.db, practiceOf(c), kind, q.data));
  });

  api.get('/:kind/:key', requireRole('viewer'), async (c) => {
    const kind = kindOf(c);
    const key = c.req.param('key');
    const stored = await getRecord(ctx.db, practiceOf(c), kind, key);
    if (!stored) throw new PracticeError([{ code: reasonCodes.notFound, kind, key, field: kindInfo[kind].keyField, message: sayWhole.noSuchRecord(kind, key) }], 404);
    return c.json(stored);
  });

  api.post('/:kind', requireRole('bookkeeper'), bodyLimit({ maxSize: 5 * 1024 * 1024, onError: tooLarge }), async (c) => {
    const kind = kindOf(c);
    const body = await jsonBody(c);
    if (!body.ok) throw badJson();
    return c.json(await createRecord(ctx.db, practiceOf(c), kind, body.value, ctx.clock()), 201);
  });

  api.put('/:kind/:key', requireRole('bookkeeper'), bodyLimit({ maxSize: 5 * 1024 * 1024, onError: tooLarge }), async (c) => {
    const kind = kindOf(c);
    const body = await jsonBody(c);
    if (!body.ok) throw badJson();
    const { stored, changed } = await updateRecord(ctx.db, practiceOf(c), kind, c.req.param('key'), body.value, ctx.clock());
    return c.json({ ...stored, changed });
  });

  return api;
}
