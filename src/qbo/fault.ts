/**
 * Errors from QBO, in one shape whatever envelope they came in: the data service's capitalised
 * `{"Fault":{"Error":[{Message,Detail,code,element}],type}}`, the auth gateway's lower-case
 * `{"fault":{"error":[{message,detail,code,element}],type}}`, and XML `IntuitResponse` bodies that
 * throttling (and some 401/403s) send even when JSON was asked for.
 */

export interface FaultError {
  code: string;
  message: string;
  detail?: string | undefined;
  element?: string | undefined;
}

/** A fault QBO answered with: the request reached QBO and was refused (its outcome is known). */
export class QboFault extends Error {
  override name = 'QboFault';
  readonly kind = 'fault' as const;
  readonly code: string;
  readonly element: string | undefined;
  readonly detail: string | undefined;
  constructor(
    readonly status: number,
    readonly errors: FaultError[],
    readonly type: string | undefined,
    readonly intuitTid: string | undefined,
    /** The realm the request was for, so messages can name the company. */
    readonly realmId?: string,
  ) {
    const first = errors[0] ?? { code: 'unknown', message: `HTTP ${status}` };
    super(
      `QuickBooks refused the request (HTTP ${status}, code ${first.code}): ${first.message}${first.detail ? ` — ${first.detail}` : ''}${first.element ? ` [field ${first.element}]` : ''}`,
    );
    this.code = first.code;
    this.element = first.element || undefined;
    this.detail = first.detail;
  }
}

/**
 * A write whose result stays unknown after its retries (timeouts, dropped connections, 5xx): QBO may or
 * may not have applied it. The engine must look the record up before it ever creates it again.
 */
export class OutcomeUnknownError extends Error {
  override name = 'OutcomeUnknownError';
  readonly kind = 'outcome-unknown' as const;
  constructor(
    readonly requestId: string,
    readonly realmId: string,
    readonly attempts: number,
    readonly lastReason: string,
    readonly intuitTid?: string,
    /** The HTTP status of the last answer, when there was one (none after a timeout or a dropped connection). */
    readonly status?: number,
  ) {
    super(`QuickBooks did not confirm write ${requestId} for company ${realmId} after ${attempts} attempts (${lastReason}); look the record up before sending it again`);
  }
}

/** The connection to a company cannot be used until someone connects it again (invalid_grant, revoked, expired). */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
  readonly kind = 'disconnected' as const;
  constructor(
    readonly realmId: string,
    readonly reason: string,
  ) {
    super(`The QuickBooks connection for company ${realmId} has ended (${reason}); connect the company again from the Connection page`);
  }
}

/** A temporary failure talking to QBO that was not a fault and not a write (reads, token refresh). */
export class QboUnavailableError extends Error {
  override name = 'QboUnavailableError';
  readonly kind = 'unavailable' as const;
  constructor(
    readonly realmId: string,
    readonly reason: string,
    readonly status?: number,
    readonly intuitTid?: string,
  ) {
    super(`QuickBooks could not be reached for company ${realmId} (${reason}); try again in a few minutes`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function fromJsonFault(fault: Obj): { errors: FaultError[]; type: string | undefined } {
  const list = fault['Error'] ?? fault['error'];
  const errors: FaultError[] = [];
  if (Array.isArray(list)) {
    for (const e of list) {
      if (!isObj(e)) continue;
      errors.push({
        code: str(e['code']) ?? str(e['Code']) ?? 'unknown',
        message: str(e['Message']) ?? str(e['message']) ?? '',
        detail: str(e['Detail']) ?? str(e['detail']) ?? undefined,
        element: str(e['element']) ?? str(e['Element']) ?? undefined,
      });
    }
  }
  return { errors, type: str(fault['type']) ?? str(fault['Type']) };
}

const xmlEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function xmlText(s: string): string {
  return s
    .replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
      if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
      return xmlEntities[e] ?? '';
    })
    .trim();
}

function fromXml(body: string): { errors: FaultError[]; type: string | undefined } | undefined {
  const faultMatch = /<Fault\b([^>]*)>([\s\S]*?)<\/Fault>/i.exec(body);
  if (!faultMatch) return undefined;
  const type = /\btype\s*=\s*"([^"]*)"/i.exec(faultMatch[1] ?? '')?.[1];
  const errors: FaultError[] = [];
  const errRe = /<Error\b([^>]*)>([\s\S]*?)<\/Error>/gi;
  for (let m = errRe.exec(faultMatch[2] ?? ''); m; m = errRe.exec(faultMatch[2] ?? '')) {
    const attrs = m[1] ?? '';
    const inner = m[2] ?? '';
    const tag = (re: RegExp) => {
      const t = re.exec(inner)?.[1];
      return t === undefined ? undefined : xmlText(t);
    };
    errors.push({
      code: /\bcode\s*=\s*"([^"]*)"/i.exec(attrs)?.[1] ?? 'unknown',
      message: tag(/<Message>([\s\S]*?)<\/Message>/i) ?? '',
      detail: tag(/<Detail>([\s\S]*?)<\/Detail>/i),
      element: /\belement\s*=\s*"([^"]*)"/i.exec(attrs)?.[1],
    });
  }
  return { errors, type };
}

/** The fault in a parsed JSON body, if it holds one (QBO can put a Fault in a 200). */
export function faultInJson(body: unknown): { errors: FaultError[]; type: string | undefined } | undefined {
  if (!isObj(body)) return undefined;
  const f = body['Fault'] ?? body['fault'];
  if (!isObj(f)) return undefined;
  const parsed = fromJsonFault(f);
  return parsed.errors.length ? parsed : undefined;
}

/**
 * Reads any error body QBO sends. Returns undefined when the text holds no fault at all (an empty
 * 429, an HTML error page from a proxy), so the caller falls back to the HTTP status.
 */
export function parseFaultBody(text: string): { errors: FaultError[]; type: string | undefined } | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (t.startsWith('<')) return fromXml(t);
  try {
    return faultInJson(JSON.parse(t));
  } catch {
    return undefined;
  }
}

/** A QboFault from a non-2xx answer, or from a status alone when the body says nothing useful. */
export function faultFromResponse(status: number, text: string, intuitTid: string | undefined, realmId?: string): QboFault {
  const parsed = parseFaultBody(text);
  if (parsed) return new QboFault(status, parsed.errors, parsed.type, intuitTid, realmId);
  const code = status === 429 ? '3001' : status === 401 ? '3200' : status === 403 ? '3100' : String(status);
  const message = status === 429 ? 'ThrottleExceeded' : `HTTP ${status}`;
  return new QboFault(status, [{ code, message }], undefined, intuitTid, realmId);
}

/** QBO writes the fault code as "3001", and inside messages as "errorCode=003001"; both mean throttling. */
export function isThrottleFault(errors: readonly FaultError[]): boolean {
  return errors.some((e) => e.code === '3001' || /ThrottleExceeded/i.test(e.message));
}
