/**
 * Reason codes of the connect engine and the one place that turns them into sentences. Settings
 * and skipped records start the list; the preview adds its codes (and their sentences) here too,
 * so a code stored today still reads the same tomorrow.
 */

export type ReasonCode =
  | 'settings.unknown-path'
  | 'settings.invalid-value'
  | 'settings.invalid-actor'
  | 'settings.conflict'
  | 'skip.unknown-kind'
  | 'skip.invalid-id'
  | 'skip.not-skipped';

/** What a sentence may need; each message uses the fields its code is about. */
export interface MessageContext {
  /** The setting's path, e.g. `invoices.memo`. */
  path?: string;
  /** The value given, as the person typed or sent it. */
  value?: unknown;
  /** The allowed values or form, e.g. `none, invoice-text` or `a date as YYYY-MM-DD`. */
  allowed?: string;
  /** Known settings near an unknown path. */
  known?: string[];
  /** A record reference, e.g. `invoice INV-0042`. */
  record?: string;
  /** The kinds of record that can be skipped. */
  kinds?: string[];
  detail?: string;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export const messages: Record<ReasonCode, (ctx: MessageContext) => string> = {
  'settings.unknown-path': (c) =>
    `There is no setting ${c.path ?? '(none given)'}; known settings${c.known?.length ? `: ${c.known.join(', ')}` : ' are listed by `qbo-connect settings show`'}.`,
  'settings.invalid-value': (c) =>
    `Setting ${c.path}: ${shown(c.value)} is not allowed; allowed values: ${c.allowed ?? 'see `qbo-connect settings show`'}.`,
  'settings.invalid-actor': (c) => `A change must name who made it (actor); got ${shown(c.value)}.`,
  'settings.conflict': (c) => `Setting ${c.path} was changed by someone else at the same moment; please try again.`,
  'skip.unknown-kind': (c) => `There is no record kind ${shown(c.value)}; use one of: ${(c.kinds ?? []).join(', ')}.`,
  'skip.invalid-id': (c) => `Record id ${shown(c.value)} is not usable: give the record's id as text of 1 to 200 characters.`,
  'skip.not-skipped': (c) => `${c.record ?? 'That record'} is not skipped, so there is nothing to add back.`,
};

export function message(code: ReasonCode, ctx: MessageContext = {}): string {
  return messages[code](ctx);
}

/**
 * An error a person can act on, carrying its reason code and the field it is about (for the API's
 * `{ error: { code, message, field } }`). The CLI prints its message as one line.
 */
export class ConnectError extends Error {
  override name = 'ConnectError';
  readonly userFacing = true;
  constructor(
    readonly code: ReasonCode,
    readonly ctx: MessageContext = {},
    readonly field?: string,
  ) {
    super(message(code, ctx));
  }
}

export function isConnectError(err: unknown): err is ConnectError {
  return err instanceof ConnectError;
}
