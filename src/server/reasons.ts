/**
 * Reason codes of the HTTP layer itself — a request the API cannot read (body, query, URL) — and
 * their sentences, in the shape of every part's reasons module: a code union, a sentence table,
 * `sentence(code, ctx)`, and `refusal` for the `UserFacingError` that `onError` (http.ts) answers.
 * What the engine or the ledger refuses has its code in that part's reasons module, not here.
 */
import { UserFacingError, type RefusalStatus } from '../user-facing-error.js';

export type ServerReason =
  'request.invalid-json' | 'request.missing-value' | 'request.invalid-body' | 'request.invalid-query' | 'request.too-large' | 'settings.forbidden-key' | 'history.invalid-limit';

export interface ServerContext {
  /** The setting a `PUT /api/v1/settings/{path}` is about. */
  setting?: string;
  /** A body the route takes, e.g. `{"row": "invoices:INV-1042"}`. */
  example?: string;
  /** The query parameter or body member at fault. */
  field?: string;
  /** What is wrong with it, as zod says it ("must be at least 1"). */
  problem?: string;
  /** "since: must be …" (the settings audit) rather than "from must be …" (the practice lists, whose messages read on from the name). */
  colon?: boolean;
  /** The query parameters a list takes, when an unknown one was sent. */
  allowed?: string;
  value?: string;
  /** A size or a list the sentence quotes. */
  limit?: string;
  /** Where a body stopped being readable, e.g. "at byte 120". */
  detail?: string | undefined;
}

export const sentences: Record<ServerReason, (c: ServerContext) => string> = {
  'request.invalid-json': (c) =>
    c.setting !== undefined
      ? `Setting ${c.setting}: send a JSON body such as {"value": "none"}.`
      : c.example
        ? `The request body is not JSON: send a JSON body such as ${c.example}.`
        : `The request body is not valid JSON${c.detail ? ` (${c.detail})` : ''}: send a JSON object (Content-Type: application/json).`,
  'request.missing-value': (c) => `Setting ${c.setting}: the body must be {"value": …}.`,
  'request.invalid-body': (c) => `${c.field}: ${c.problem}`,
  'request.invalid-query': (c) => (c.allowed ? `${c.field}: not a filter of this list; use ${c.allowed}` : `${c.field}${c.colon ? ':' : ''} ${c.problem}`),
  'request.too-large': (c) => (c.limit === 'import' ? 'The import document is over 200 MB: split it into several files.' : `One record is limited to ${c.limit}.`),
  'settings.forbidden-key': (c) => `Setting ${c.setting}: "${c.value}" cannot be a key (it names a property every JavaScript object has); use another name.`,
  'history.invalid-limit': (c) => `limit ${c.value}: give a whole number from 1 to 1000.`,
};

/** HTTP status of a refusal: every one is 400 (the request is malformed); a part's own refusals carry theirs. */
const status: RefusalStatus = 400;

export function sentence(code: ServerReason, ctx: ServerContext = {}): string {
  return sentences[code](ctx);
}

export function refusal(code: ServerReason, ctx: ServerContext = {}, field?: string): UserFacingError<ServerReason> {
  return new UserFacingError(code, sentence(code, ctx), { field, status });
}
