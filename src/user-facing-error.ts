/**
 * The one error a person can act on, whichever part refuses. It carries a stable reason code (each
 * part's `reasons.ts` owns its codes and turns them into sentences), the field it is about, and the
 * HTTP status to answer with. Two places show it: `server/http.ts` `onError` answers
 * `{ error: { code, message, field } }` with `status`; `cli/main.ts` prints the message as one line
 * and exits 2. Everything else a part throws is a bug or an expected failure, never a refusal.
 * A leaf: it imports nothing, so every part may throw it.
 */

/** The statuses a refusal answers with: bad input, no such thing, busy/conflict, QuickBooks could not be asked, this process is shutting down. */
export type RefusalStatus = 400 | 404 | 409 | 502 | 503;

export interface RefusalBody {
  code: string;
  message: string;
  field?: string;
  [more: string]: unknown;
}

export class UserFacingError<C extends string = string> extends Error {
  override name = 'UserFacingError';
  readonly field: string | undefined;
  readonly status: RefusalStatus;
  constructor(
    readonly code: C,
    message: string,
    opts: { field?: string | undefined; status?: RefusalStatus | undefined } = {},
  ) {
    super(message);
    this.field = opts.field;
    this.status = opts.status ?? 400;
  }

  /** The API's `error` member; a subclass adds what only it knows (the practice ledger adds its issues). */
  body(): RefusalBody {
    return { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

export function isUserFacing(err: unknown): err is UserFacingError {
  return err instanceof UserFacingError;
}
