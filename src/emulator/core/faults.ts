// QBO's validation faults: one constructor per code, with the Message text QBO uses for that code
// (docs/qbo-api.md §error-codes) and a Detail that names the field, so the wire layer only serialises.

export interface FaultError {
  Message: string;
  Detail: string;
  code: string;
  element?: string;
}

/** A refused operation; `type` is ValidationFault for every data-service 400. */
export class QboFault extends Error {
  readonly errors: FaultError[];
  readonly type: string;
  readonly status: number;
  /** QBO answers some faults without the envelope `time` (recorded: 2030 Invalid ID). */
  omitTime = false;
  constructor(errors: FaultError[], type = 'ValidationFault', status = 400) {
    super(errors.map((e) => `${e.code} ${e.Message}: ${e.Detail}`).join('; '));
    this.name = 'QboFault';
    this.errors = errors;
    this.type = type;
    this.status = status;
  }
}

/** `element` null leaves the key out: QBO omits it for some codes (recorded error/400.yml 4001,
 *  error/400_json.yml 2010, error/500.yml 500, error/validation.yml 6240) and sends "" for others
 *  (batch/basic.yml 610 and 5010, attachment/error_estimate.yml 6000). */
function fault(code: string, Message: string, Detail: string, element: string | null = ''): QboFault {
  return new QboFault([element === null ? { Message, Detail, code } : { Message, Detail, code, element }]);
}

export const faults = {
  /** A used requestid with another request (strict fidelity). Code and text from Intuit's IPP error
   *  code table: 600 "RequestId already exists in the system, duplicate request is detected"
   *  (developer.intuit.com error codes, mirrored at quickbooksrepairpro.com/IPP-Error-Codes.aspx). */
  duplicateRequest: (requestId: string) => fault('600', 'Duplicate RequestId detected', `RequestId is duplicate and already exists in the system: ${requestId}`, 'requestid'),
  objectNotFound: (entity: string, id: string) => fault('610', 'Object Not Found', `Object Not Found : Another user has deleted this transaction. ${entity} Id=${id}`),
  inactiveReference: (field: string, entity: string, id: string) =>
    fault(
      '610',
      'Object Not Found',
      `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. ${field}: ${entity} Id=${id}`,
      field,
    ),
  unknownProperty: (entityClass: string, prop: string, known: readonly string[] = []) => {
    // Same text as QBO's (recorded error/400_json.yml), listing the first known properties.
    const shown = known
      .slice(0, 20)
      .map((k) => `"${k}"`)
      .join(', ');
    const list = known.length ? ` (${known.length} known properties: ${shown}${known.length > 20 ? ' [truncated]' : ''}])` : '';
    return fault(
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:Unrecognized field "${prop}" (class com.intuit.schema.finance.v3.${entityClass}), not marked as ignorable${list}\n specified is unsupported or invalid`,
      null,
    );
  },
  requiredMissing: (field: string) =>
    fault('2020', 'Required param missing, need to supply the required value for the API', `Required parameter ${field} is missing in the request`, field),
  invalidId: (value: string) => {
    const f = fault('2030', 'Invalid ID', `Id should be a valid number. Supplied value:${value}`, 'Id');
    f.omitTime = true;
    return f;
  },
  invalidChars: (field: string) => fault('2040', 'Invalid String', `Invalid String : ${field} must not contain a colon (:)`, field),
  invalidLength: (field: string, max: number, supplied: number) =>
    fault(
      '2050',
      'Invalid String Length',
      `String length is either shorter or longer than supported by specification. ${field} Min: 0, Max: ${max}, Supplied length: ${supplied}`,
      field,
    ),
  invalidNumber: (field: string, value: unknown) =>
    fault('2110', 'Invalid Decimal', `Invalid Decimal : ${field} ${JSON.stringify(value) ?? 'undefined'} is not a decimal number`, field),
  invalidEnum: (field: string, value: unknown) => fault('2170', 'Invalid Enumeration', `Invalid Enumeration : ${String(value)}`, field),
  invalidDate: (field: string, value: unknown) =>
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? fault('2070', 'Invalid Date', `Invalid Date : ${field} ${value} is not a calendar date`, field)
      : fault('2060', 'Invalid Date Format', `Invalid Date Format : ${field} ${JSON.stringify(value) ?? 'undefined'} (expected YYYY-MM-DD)`, field),
  invalidReference: (field: string, entity: string, id: string) =>
    fault('2500', 'Invalid Reference Id', `Invalid Reference Id : ${field} ${entity} Id=${id} does not exist`, field),
  unsupportedOperation: (what: string) => fault('500', 'Unsupported Operation', `Operation ${what} is not supported.`, null),
  batchTooLarge: (n: number) => fault('1040', 'Batch size exceeds allowed limit', `Batch size ${n} exceeds the allowed limit of 30`),
  batchEmpty: () => fault('400', 'MalformedRequest', 'Batch Request is Empty'),
  queryParse: (detail: string) => fault('4000', 'Error parsing query', `QueryParserError: ${detail}`, null),
  queryInvalid: (detail: string) => fault('4001', 'Invalid query', `QueryValidationError: ${detail}`, null),
  stale: () =>
    fault(
      '5010',
      'Stale Object Error',
      'Stale Object Error : You and Emulator User were working on this at the same time. Emulator User finished before you did, so your work was not saved.',
    ),
  // 6000 names no field: the recorded business fault carries `"element":""` (attachment/error_estimate.yml), so the
  // field a caller gives stays out of the answer (the Detail says what is wrong).
  business: (detail: string, _field = '') => fault('6000', 'A business validation error has occurred while processing your request', `Business Validation Error: ${detail}`, ''),
  accountTypeRequired: () =>
    fault('6010', 'AccountType or AccountSubType required', 'Invalid account type: You must select an account type (AccountType or AccountSubType).', 'AccountType'),
  amountCalc: (lineNum: number, amount: string, expected: string) =>
    fault(
      '6070',
      'Amount calculation incorrect in the request',
      `Amount is not equal to UnitPrice * Qty. Line ${lineNum}: Amount ${amount}, UnitPrice * Qty = ${expected}`,
      'Amount',
    ),
  discountMissing: () =>
    fault('6090', 'Discount line requires an amount or a percentage', 'A DiscountLineDetail line needs Amount or PercentBased with DiscountPercent.', 'Line.Amount'),
  noName: () => fault('6080', 'No name provided', 'You must specify a value for at least one of Title, GivenName, MiddleName, FamilyName, DisplayName or Suffix.'),
  usTaxCode: (value: string) => fault('6100', 'Invalid line TaxCode', `Valid Line TaxCodes for US should be TAX or NON. Supplied value:${value}`, 'TaxCodeRef'),
  duplicateDocNumber: (docNumber: string, txnType: string, txnId: string) =>
    fault(
      '6140',
      'Duplicate Document Number Error',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=${txnType} with TxnId=${txnId}`,
    ),
  taxDetailNotApplicable: () => fault('6170', 'TxnTaxDetail not allowed', 'TxnTaxDetail is not allowed when GlobalTaxCalculation is NotApplicable', 'TxnTaxDetail'),
  periodClosed: (date: string, closeDate: string) =>
    fault(
      '6210',
      'Account Period Closed, Cannot Update Through Services API',
      `The account period has closed and the account books cannot be updated through the QBO Services API. Please use the QBO website to make these changes. TxnDate ${date} is on or before BookCloseDate ${closeDate}.`,
    ),
  duplicateName: () => fault('6240', 'Duplicate Name Exists Error', 'The name supplied already exists. : null', null),
  deposited: () =>
    fault(
      '6540',
      'Deposited Transaction cannot be changed',
      'This transaction has been deposited. If you want to change or delete it, you must edit the deposit it appears on and remove it first.',
    ),
};
