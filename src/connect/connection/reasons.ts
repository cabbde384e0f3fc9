/**
 * Reason codes of the connection flow and their sentences, in the shape of every part's reasons
 * module: a code union, a sentence table, `sentence(code, ctx)`, and `refusal` for the
 * `UserFacingError` a person sees. No message ever contains a token, code or state value.
 */
import { UserFacingError } from '../../user-facing-error.js';

export type ConnectionReason =
  | 'connection.not-configured'
  | 'connection.missing-state'
  | 'connection.unknown-state'
  | 'connection.expired-state'
  | 'connection.used-state'
  | 'connection.foreign-state'
  | 'connection.missing-code'
  | 'connection.missing-realm'
  | 'connection.denied'
  | 'connection.exchange-failed'
  | 'connection.company-unreadable'
  | 'connection.not-connected'
  | 'connection.unreachable'
  | 'connection.sync-running'
  | 'connection.other-practice'
  | 'connection.which-company';

export interface ConnectionContext {
  /** OAuth `error` value from the callback (an Intuit error code, never a secret). */
  error?: string;
  /** Short, non-secret detail, e.g. "HTTP 400 invalid_grant". */
  detail?: string;
  realmId?: string;
  /** Who started the running sync, and when, as a person reads it. */
  holder?: string;
  since?: string;
  /** The practice that holds the company already, and the one that asked to connect it. */
  holder_practice?: string;
  practice?: string;
}

export const sentences: Record<ConnectionReason, (c: ConnectionContext) => string> = {
  'connection.not-configured': (c) =>
    `QuickBooks is not configured${c.detail ? ` (${c.detail})` : ''}: set QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REDIRECT_URI, or use QBO_ENV=emulator.`,
  'connection.missing-state': () => 'The answer from QuickBooks had no state parameter, so it cannot be matched to a connect request. Start again with "Connect to QuickBooks".',
  'connection.unknown-state': () => 'The answer from QuickBooks does not match any connect request made here. Start again with "Connect to QuickBooks".',
  'connection.expired-state': () => 'The connect request expired (it is valid for 10 minutes). Start again with "Connect to QuickBooks".',
  'connection.used-state': () => 'This connect request was already used; each one works once. Start again with "Connect to QuickBooks".',
  'connection.foreign-state': () => 'This connect request was started in another browser session. Start again with "Connect to QuickBooks" in this browser.',
  'connection.missing-code': () => 'The answer from QuickBooks had no authorization code. Start again with "Connect to QuickBooks".',
  'connection.missing-realm': () => 'The answer from QuickBooks did not say which company (realmId). Start again and pick a company on the QuickBooks page.',
  'connection.denied': (c) =>
    c.error === 'access_denied'
      ? 'QuickBooks access was not granted (the consent page was cancelled). Connect again and choose "Connect" on the QuickBooks page.'
      : `QuickBooks refused the connect request (${c.error ?? 'unknown error'}). Check the app's client id and redirect URI, then connect again.`,
  'connection.exchange-failed': (c) => `QuickBooks did not accept the authorization code${c.detail ? ` (${c.detail})` : ''}. Codes work once and for a few minutes: connect again.`,
  'connection.company-unreadable': (c) =>
    `QuickBooks did not let the new connection read company ${c.realmId ?? ''}${c.detail ? ` (${c.detail})` : ''}, so nothing was stored and any earlier connection is kept. Connect again and pick the company on the QuickBooks page.`,
  'connection.not-connected': () => 'Disconnected — connect again: no QuickBooks company is connected.',
  'connection.sync-running': (c) =>
    `A sync of this company is running (started by ${c.holder ?? 'someone'} ${c.since ?? 'a moment ago'}); disconnecting now would stop it part-way. Wait for it to finish, then disconnect.`,
  'connection.other-practice': (c) =>
    // The holding practice is not named: the person asking may not belong to it (issue 15, attack finding).
    `QuickBooks company ${c.realmId ?? ''} is connected to another practice of this installation, so practice "${c.practice ?? ''}" cannot connect it; nothing was changed. A company belongs to one practice: an owner of the firm can disconnect it there first.`,
  'connection.which-company': (c) =>
    `Several QuickBooks companies are connected (${c.detail ?? ''}): say which one to disconnect (--realm ID, or the company's own Disconnect button); nothing was changed.`,
  'connection.unreachable': (c) => `QuickBooks could not be reached${c.detail ? ` (${c.detail})` : ''}. Check the network and try again.`,
};

export function sentence(code: ConnectionReason, ctx: ConnectionContext = {}): string {
  return sentences[code](ctx);
}

/** The error a person sees; 400 for every connection refusal (the web page shows it on the Connection page). */
export function refusal(code: ConnectionReason, ctx: ConnectionContext = {}): UserFacingError<ConnectionReason> {
  return new UserFacingError(code, sentence(code, ctx));
}
