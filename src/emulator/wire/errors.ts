// Error envelopes on the wire. Data-service faults use the capitalised `Fault` envelope (HTTP 400,
// ValidationFault); the auth gateway uses a lower-case, Java-serialised envelope with the time in
// epoch millis (docs/qbo-api.md §error-envelopes; recorded error/401.yml). The server's gateway uses these too.

import type { FaultError } from '../core/faults.js';

export interface FaultBody {
  Fault: { Error: FaultError[]; type: string };
  time?: string;
}

export function faultBody(errors: FaultError[], time: string | undefined, type = 'ValidationFault'): FaultBody {
  const body: FaultBody = { Fault: { Error: errors.map((e) => ({ ...e })), type } };
  if (time !== undefined) body.time = time;
  return body;
}

export interface GatewayFaultBody {
  warnings: null;
  intuitObject: null;
  fault: { error: { message: string; detail: string | null; code: string; element: null }[]; type: string };
  report: null;
  queryResponse: null;
  batchItemResponse: [];
  attachableResponse: [];
  syncErrorResponse: null;
  requestId: null;
  time: number;
  status: null;
  cdcresponse: [];
}

function gatewayBody(message: string, detail: string | null, code: string, type: string, nowMs: number): GatewayFaultBody {
  return {
    warnings: null,
    intuitObject: null,
    fault: { error: [{ message, detail, code, element: null }], type },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: nowMs,
    status: null,
    cdcresponse: [],
  };
}

export const WWW_AUTHENTICATE = 'Bearer realm="Intuit", error="invalid_token"';

/** 401 AuthenticationFailed (3200). `detail` e.g. "Token expired: AB01…" — never put the token itself. */
export function unauthorizedBody(detail: string, nowMs: number): GatewayFaultBody {
  return gatewayBody('message=AuthenticationFailed; errorCode=003200; statusCode=401', detail, '3200', 'AUTHENTICATION', nowMs);
}

/** 403 ApplicationAuthorizationFailed (3100). */
export function forbiddenBody(nowMs: number): GatewayFaultBody {
  return gatewayBody('message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', null, '3100', 'SERVICE', nowMs);
}

/** A ready 401 Response with WWW-Authenticate. */
export function unauthorizedResponse(detail: string, nowMs: number): Response {
  return new Response(JSON.stringify(unauthorizedBody(detail, nowMs)), {
    status: 401,
    headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': WWW_AUTHENTICATE },
  });
}

/** A ready 403 Response. */
export function forbiddenResponse(nowMs: number): Response {
  return new Response(JSON.stringify(forbiddenBody(nowMs)), { status: 403, headers: { 'Content-Type': 'application/json' } });
}

/** `1-<8 hex seconds>-<24 hex>`, the shape of Intuit's transaction ids. */
export function intuitTid(nowMs: number, random: () => number): string {
  let hex = '';
  for (let i = 0; i < 3; i++)
    hex += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return `1-${Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')}-${hex}`;
}
