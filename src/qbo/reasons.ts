/**
 * The one place that turns the client's errors into reason codes and sentences a person can act
 * on: a code union, a sentence table, `sentence(code, ctx)`, and `explain(err, record)` that picks
 * the code for any error the client throws. Each sentence names the record (when the caller says
 * which) and the QBO field (when QBO said which), and ends with what to do. `isQboFailure` is how
 * the engine, the preview and the CLI recognise a QuickBooks failure: by class, never by name.
 */
import { ConnectionLostError, OutcomeUnknownError, QboFault, QboUnavailableError } from './fault.js';
import { OAuthError } from './oauth.js';
import { MoneyError } from './money.js';
import { QboProtocolError } from './client.js';
import { RefreshLockBusyError } from './token-store.js';

export type QboReason =
  | 'qbo.duplicate-doc-number'
  | 'qbo.duplicate-name'
  | 'qbo.stale-object'
  | 'qbo.not-found'
  | 'qbo.invalid-reference'
  | 'qbo.closed-period'
  | 'qbo.deposited'
  | 'qbo.missing-tax-code'
  | 'qbo.validation'
  | 'qbo.business-rule'
  | 'qbo.throttled'
  | 'qbo.permission'
  | 'qbo.server-error'
  | 'qbo.unavailable'
  | 'qbo.outcome-unknown'
  | 'qbo.disconnected'
  | 'qbo.not-configured'
  | 'qbo.money'
  | 'qbo.other'
  | 'qbo.unexpected';

export interface RecordRef {
  /** What the record is, in the glossary's words: "invoice", "customer", "supplier bill". */
  kind: string;
  /** How a person recognises it: the document number or name. */
  label: string;
}

export interface QboContext {
  record?: RecordRef | undefined;
  /** The QBO field a fault named. */
  field?: string | undefined;
  /** QBO's own words (a fault's Detail, a client error's reason). */
  detail?: string | undefined;
  /** A fault's Message, e.g. "Invalid String Length". */
  said?: string | undefined;
  /** A fault's code, e.g. 6000. */
  faultCode?: string | undefined;
  intuitTid?: string | undefined;
  /** For `qbo.unavailable` while reading: what QuickBooks was asked for ("the preview"; '' says nothing more). */
  asking?: string | undefined;
}

export interface ExplainedError {
  code: QboReason;
  message: string;
  /** The QBO field the fault named, if any. */
  field?: string | undefined;
  /** Worth trying again later without changing anything. */
  retryable: boolean;
}

const what = (r: RecordRef | undefined) => (r ? `${r.kind} ${r.label}` : 'the record');
const What = (r: RecordRef | undefined) => cap(what(r));
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const fieldPart = (f: string | undefined) => (f ? ` (field ${f})` : '');
const says = (d: string | undefined) => (d ? ` QuickBooks says: "${d}".` : '');

export const sentences: Record<QboReason, (c: QboContext) => string> = {
  'qbo.duplicate-doc-number': (c) =>
    `QuickBooks already has a document numbered like ${what(c.record)}${fieldPart(c.field ?? 'DocNumber')}.${says(c.detail)} Link the existing one from the preview, or renumber it in the practice.`,
  'qbo.duplicate-name': (c) =>
    `QuickBooks already has a customer, supplier or employee with the name of ${what(c.record)}${fieldPart(c.field ?? 'DisplayName')}. Names must be unique across all three: link the existing one from the preview, or rename one of them.`,
  'qbo.stale-object': (c) => `Someone changed ${what(c.record)} in QuickBooks while we were updating it. Preview again to pick up their change, then sync.`,
  'qbo.not-found': (c) =>
    `${What(c.record)} refers to something QuickBooks no longer has, or that was made inactive${fieldPart(c.field)}.${says(c.detail)} Re-activate it in QuickBooks or choose another in the mapping.`,
  'qbo.invalid-reference': (c) =>
    `${What(c.record)} points at a QuickBooks record that does not exist${fieldPart(c.field)}.${says(c.detail)} Check the mapping for this field and preview again.`,
  'qbo.closed-period': (c) => `${What(c.record)} is dated in a period that is closed in QuickBooks. Change its date, or ask the company's accountant to reopen the period.`,
  'qbo.deposited': (c) => `${What(c.record)} is part of a bank deposit in QuickBooks and cannot be changed. Remove it from the deposit in QuickBooks first.`,
  'qbo.missing-tax-code': (c) =>
    `QuickBooks needs a tax code on every line of ${what(c.record)}${fieldPart(c.field)}.${says(c.detail)} Map the practice's tax rates to QuickBooks tax codes in the settings.`,
  'qbo.validation': (c) =>
    `QuickBooks rejected ${what(c.record)}${fieldPart(c.field)}: ${c.said ?? 'invalid value'}.${says(c.detail)} Correct it in the practice and preview again.`,
  'qbo.business-rule': (c) => `QuickBooks refused ${what(c.record)}${fieldPart(c.field)}.${says(c.detail)} Correct it in the practice or in QuickBooks and preview again.`,
  'qbo.throttled': () => `QuickBooks is limiting how fast we may send. Nothing was lost; the sync continues after a pause.`,
  'qbo.permission': (c) =>
    `QuickBooks refused ${what(c.record)}: this company or its subscription does not allow it${fieldPart(c.field)}.${says(c.detail)} Check the company's plan and the connected user's role.`,
  'qbo.server-error': (c) => `QuickBooks had an internal error with ${what(c.record)} (reference ${c.intuitTid ?? 'none'}). Try the sync again later.`,
  'qbo.unavailable': (c) =>
    c.asking !== undefined
      ? `QuickBooks could not be asked${c.asking ? ` for ${c.asking}` : ''}: ${c.detail ?? 'no answer'}`
      : `QuickBooks could not be reached while sending ${what(c.record)} (${c.detail ?? 'no answer'}). Nothing was changed; try again in a few minutes.`,
  'qbo.outcome-unknown': (c) =>
    `We sent ${what(c.record)} to QuickBooks but never heard whether it was saved. The next sync checks QuickBooks for it before sending anything again, so it will not be duplicated.`,
  'qbo.disconnected': (c) => `The connection to QuickBooks has ended (${c.detail ?? 'no reason given'}). Connect the company again from the Connection page, then sync.`,
  'qbo.not-configured': (c) => `${c.detail ?? 'QuickBooks is not configured on this server'}. Set QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REDIRECT_URI, or use QBO_ENV=emulator.`,
  'qbo.money': (c) => `An amount on ${what(c.record)} cannot be sent to QuickBooks: ${c.detail}. Correct the amount in the practice.`,
  'qbo.other': (c) =>
    `QuickBooks refused ${what(c.record)} (code ${c.faultCode ?? 'none'})${fieldPart(c.field)}.${says(c.detail)} Quote reference ${c.intuitTid ?? 'none'} to Intuit support if it persists.`,
  'qbo.unexpected': (c) => `Something unexpected went wrong with ${what(c.record)}; the log has the details.`,
};

export function sentence(code: QboReason, ctx: QboContext = {}): string {
  return sentences[code](ctx);
}

/** Worth trying again later without changing anything. */
const retryable = new Set<QboReason>(['qbo.stale-object', 'qbo.throttled', 'qbo.server-error', 'qbo.unavailable', 'qbo.outcome-unknown']);

function faultReason(f: QboFault): QboReason {
  const text = `${f.errors[0]?.message ?? ''} ${f.detail ?? ''}`;
  switch (f.code) {
    case '6140':
      return 'qbo.duplicate-doc-number';
    case '6240':
      return 'qbo.duplicate-name';
    case '5010':
      return 'qbo.stale-object';
    case '610':
      return 'qbo.not-found';
    case '2500':
      return 'qbo.invalid-reference';
    case '6200':
    case '6210':
      // The 2017 blog labels 6210 "duplicate document number"; the Message text tells them apart.
      return /duplicate/i.test(text) ? 'qbo.duplicate-doc-number' : 'qbo.closed-period';
    case '6540':
      return 'qbo.deposited';
    case '3001':
      return 'qbo.throttled';
    case '3100':
    case '5020':
    case '5030':
      return 'qbo.permission';
    default:
      break;
  }
  if (f.code === '6000' && /tax|gst|vat|hst/i.test(text)) return 'qbo.missing-tax-code';
  const n = Number(f.code);
  if (n >= 2000 && n < 5000) return 'qbo.validation';
  if (n >= 5000 && n < 10000) return 'qbo.business-rule';
  if (f.status >= 500 || n >= 10000) return 'qbo.server-error';
  return 'qbo.other';
}

/** The reason code and what its sentence needs, for any error the client throws. */
function reasonOf(err: unknown, record: RecordRef | undefined): { code: QboReason; ctx: QboContext } {
  if (err instanceof QboFault) {
    const ctx = { record, field: err.element, detail: err.detail, said: err.errors[0]?.message, faultCode: err.code, intuitTid: err.intuitTid };
    return { code: faultReason(err), ctx };
  }
  if (err instanceof OutcomeUnknownError) return { code: 'qbo.outcome-unknown', ctx: { record } };
  if (err instanceof ConnectionLostError) return { code: 'qbo.disconnected', ctx: { detail: err.reason } };
  if (err instanceof QboUnavailableError) return { code: 'qbo.unavailable', ctx: { record, detail: err.reason } };
  if (err instanceof OAuthError) {
    if (err.kind === 'not-configured') return { code: 'qbo.not-configured', ctx: { detail: err.message } };
    if (err.kind === 'temporary') return { code: 'qbo.unavailable', ctx: { record, detail: err.message } };
    return { code: 'qbo.disconnected', ctx: { detail: err.message } };
  }
  if (err instanceof RefreshLockBusyError) return { code: 'qbo.unavailable', ctx: { record, detail: err.message } };
  if (err instanceof MoneyError) return { code: 'qbo.money', ctx: { record, detail: err.message } };
  return { code: 'qbo.unexpected', ctx: { record } };
}

/** Reason code and sentence for any error the client throws. */
export function explain(err: unknown, record?: RecordRef): ExplainedError {
  const { code, ctx } = reasonOf(err, record);
  return { code, message: sentence(code, ctx), ...(ctx.field !== undefined ? { field: ctx.field } : {}), retryable: retryable.has(code) };
}

/**
 * QuickBooks could not be asked or refused: a fault, no answer, the connection gone, OAuth refused,
 * an unreadable answer, or the token refresh held up elsewhere. Not a bug in our code, and its
 * message never carries a token.
 */
export function isQboFailure(err: unknown): err is Error {
  return (
    err instanceof QboFault ||
    err instanceof QboUnavailableError ||
    err instanceof ConnectionLostError ||
    err instanceof OAuthError ||
    err instanceof QboProtocolError ||
    err instanceof RefreshLockBusyError
  );
}
