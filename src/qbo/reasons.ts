/**
 * The one place that turns the client's errors into reason codes and sentences a person can act
 * on. Each sentence names the record (when the caller says which) and the QBO field (when QBO said
 * which), and ends with what to do. The engine and the UI show these; they never parse `message`.
 */
import { ConnectionLostError, OutcomeUnknownError, QboFault, QboUnavailableError } from './fault.js';
import { OAuthError } from './oauth.js';
import { MoneyError } from './money.js';

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
  | 'qbo.unavailable'
  | 'qbo.outcome-unknown'
  | 'qbo.disconnected'
  | 'qbo.not-configured'
  | 'qbo.money'
  | 'qbo.other';

export interface RecordRef {
  /** What the record is, in the glossary's words: "invoice", "customer", "supplier bill". */
  kind: string;
  /** How a person recognises it: the document number or name. */
  label: string;
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
const fieldPart = (f: string | undefined) => (f ? ` (field ${f})` : '');

function fromFault(f: QboFault, r: RecordRef | undefined): ExplainedError {
  const field = f.element;
  const detail = f.detail ? ` QuickBooks says: "${f.detail}".` : '';
  const text = `${f.errors[0]?.message ?? ''} ${f.detail ?? ''}`;
  const base = { field, retryable: false };
  switch (f.code) {
    case '6140':
      return { ...base, code: 'qbo.duplicate-doc-number', message: `QuickBooks already has a document numbered like ${what(r)}${fieldPart(field ?? 'DocNumber')}.${detail} Link the existing one from the preview, or renumber it in the practice.` };
    case '6240':
      return { ...base, code: 'qbo.duplicate-name', message: `QuickBooks already has a customer, supplier or employee with the name of ${what(r)}${fieldPart(field ?? 'DisplayName')}. Names must be unique across all three: link the existing one from the preview, or rename one of them.` };
    case '5010':
      return { ...base, code: 'qbo.stale-object', retryable: true, message: `Someone changed ${what(r)} in QuickBooks while we were updating it. Preview again to pick up their change, then sync.` };
    case '610':
      return { ...base, code: 'qbo.not-found', message: `${cap(what(r))} refers to something QuickBooks no longer has, or that was made inactive${fieldPart(field)}.${detail} Re-activate it in QuickBooks or choose another in the mapping.` };
    case '2500':
      return { ...base, code: 'qbo.invalid-reference', message: `${cap(what(r))} points at a QuickBooks record that does not exist${fieldPart(field)}.${detail} Check the mapping for this field and preview again.` };
    case '6200':
    case '6210':
      // The 2017 blog labels 6210 "duplicate document number"; the Message text tells them apart.
      if (/duplicate/i.test(text)) return fromFault(new QboFault(f.status, [{ ...f.errors[0]!, code: '6140' }], f.type, f.intuitTid, f.realmId), r);
      return { ...base, code: 'qbo.closed-period', message: `${cap(what(r))} is dated in a period that is closed in QuickBooks. Change its date, or ask the company's accountant to reopen the period.` };
    case '6540':
      return { ...base, code: 'qbo.deposited', message: `${cap(what(r))} is part of a bank deposit in QuickBooks and cannot be changed. Remove it from the deposit in QuickBooks first.` };
    case '3001':
      return { ...base, code: 'qbo.throttled', retryable: true, message: `QuickBooks is limiting how fast we may send. Nothing was lost; the sync continues after a pause.` };
    case '3100':
    case '5020':
    case '5030':
      return { ...base, code: 'qbo.permission', message: `QuickBooks refused ${what(r)}: this company or its subscription does not allow it${fieldPart(field)}.${detail} Check the company's plan and the connected user's role.` };
    default:
      break;
  }
  if (f.code === '6000' && /tax|gst|vat|hst/i.test(text)) {
    return { ...base, code: 'qbo.missing-tax-code', message: `QuickBooks needs a tax code on every line of ${what(r)}${fieldPart(field)}.${detail} Map the practice's tax rates to QuickBooks tax codes in the settings.` };
  }
  const n = Number(f.code);
  if (n >= 2000 && n < 5000) return { ...base, code: 'qbo.validation', message: `QuickBooks rejected ${what(r)}${fieldPart(field)}: ${f.errors[0]?.message ?? 'invalid value'}.${detail} Correct it in the practice and preview again.` };
  if (n >= 5000 && n < 10000) return { ...base, code: 'qbo.business-rule', message: `QuickBooks refused ${what(r)}${fieldPart(field)}.${detail} Correct it in the practice or in QuickBooks and preview again.` };
  if (f.status >= 500 || n >= 10000) return { ...base, code: 'qbo.unavailable', retryable: true, message: `QuickBooks had an internal error with ${what(r)} (reference ${f.intuitTid ?? 'none'}). Try the sync again later.` };
  return { ...base, code: 'qbo.other', message: `QuickBooks refused ${what(r)} (code ${f.code})${fieldPart(field)}.${detail} Quote reference ${f.intuitTid ?? 'none'} to Intuit support if it persists.` };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Reason code and sentence for any error the client throws. */
export function explainQboError(err: unknown, record?: RecordRef): ExplainedError {
  if (err instanceof QboFault) return fromFault(err, record);
  if (err instanceof OutcomeUnknownError) {
    return { code: 'qbo.outcome-unknown', retryable: true, message: `We sent ${what(record)} to QuickBooks but never heard whether it was saved. The next sync checks QuickBooks for it before sending anything again, so it will not be duplicated.` };
  }
  if (err instanceof ConnectionLostError) {
    return { code: 'qbo.disconnected', retryable: false, message: `The connection to QuickBooks has ended (${err.reason}). Connect the company again from the Connection page, then sync.` };
  }
  if (err instanceof QboUnavailableError) {
    return { code: 'qbo.unavailable', retryable: true, message: `QuickBooks could not be reached while sending ${what(record)} (${err.reason}). Nothing was changed; try again in a few minutes.` };
  }
  if (err instanceof OAuthError) {
    if (err.kind === 'not-configured') return { code: 'qbo.not-configured', retryable: false, message: err.message };
    if (err.kind === 'temporary') return { code: 'qbo.unavailable', retryable: true, message: err.message };
    return { code: 'qbo.disconnected', retryable: false, message: `${err.message}. Connect the company again from the Connection page.` };
  }
  if (err instanceof MoneyError) {
    return { code: 'qbo.money', retryable: false, message: `An amount on ${what(record)} cannot be sent to QuickBooks: ${err.message}. Correct the amount in the practice.` };
  }
  return { code: 'qbo.other', retryable: false, message: `Something unexpected went wrong with ${what(record)}; the log has the details.` };
}
