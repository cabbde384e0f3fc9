/**
 * A QBO answer about the connection, not about the record sent: 401 AuthenticationFailed (3200) and
 * 403 ApplicationAuthorizationFailed (3100) come from Intuit's gateway before the request reaches the
 * company, so nothing was stored and nothing in the record can fix them. The client has already
 * refreshed the token and retried once (src/qbo/classify.ts); a 401 that still comes back means the
 * fresh token is refused too. Recording it per row as `run.qbo-refused` ("correct the record") blamed
 * the record (found by the chaos soak); instead the run stops with the connection's reason. The gateway
 * refused the request before the company saw it, so its writes are settled as not sent at once (no
 * look-up, no processing window to wait out) and the next sync sends them.
 */
import { ConnectionLostError, QboFault } from '../../qbo/fault.js';
import type { Db } from '../../store/db.js';
import { markNotSent } from './journal.js';
import type { Lease } from './lock.js';

export class ConnectionRefusedError extends ConnectionLostError {
  override name = 'ConnectionRefusedError';
  constructor(realmId: string, fault: QboFault) {
    const what =
      fault.status === 403 ? '403 ApplicationAuthorizationFailed: the app is not allowed into this company' : '401 AuthenticationFailed, even with a newly refreshed access token';
    super(realmId, what);
    this.message = `QuickBooks refused the connection for company ${realmId} (${what}); nothing more was sent and no record is at fault. Sync again; if it happens again, connect the company again from the Connection page.`;
  }
}

/** The run-level error for a connection fault, or undefined for anything else. */
export function connectionRefusal(err: unknown, realmId: string): ConnectionRefusedError | undefined {
  if (!(err instanceof QboFault)) return undefined;
  return err.status === 401 || err.status === 403 || err.code === '3200' || err.code === '3100' ? new ConnectionRefusedError(realmId, err) : undefined;
}

/** Settles the refused request's writes as not sent, and gives back the error that stops the run. */
export async function notSentAfterRefusal(db: Db, journalIds: number[], refused: ConnectionRefusedError, now: Date, lease: Lease | undefined): Promise<ConnectionRefusedError> {
  for (const id of journalIds) await markNotSent(db, id, 'run.qbo-unavailable', refused.message, now, lease);
  return refused;
}
