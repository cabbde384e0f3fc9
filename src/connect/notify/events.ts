/**
 * What a notification says: one event, rendered the same for email and webhook — what happened,
 * which company, what to do, and a link into the app. Built only from ids, counts, dates and the
 * product's own sentences: never a token, a secret or a practice record's content.
 */

/** Which runs need a person: failed (records failed), held (only held records), refused (plan errors). */
export type RunEventKind = 'run-failed' | 'run-held' | 'run-refused';

export type NotificationEvent =
  | {
      kind: RunEventKind;
      realmId: string;
      company?: string | null;
      runId: string;
      failed: number;
      held: number;
      errors: number;
      message?: string | null;
      connectionLost?: boolean;
      heldForErrors?: number;
    }
  | { kind: 'connection-disconnected'; realmId: string; company?: string | null; reason: string; by?: string }
  | { kind: 'connection-expiring'; realmId: string; company?: string | null; why: 'hard-expiry' | 'refresh-failed'; expiresAt?: string | null; detail?: string | null }
  | { kind: 'schedule-blocked'; realmId: string; company?: string | null; errors: number; detail?: string[]; notConnected?: boolean }
  | { kind: 'test'; actor: string };

export type NotificationKind = NotificationEvent['kind'];

export interface RenderedNotification {
  kind: NotificationKind;
  subject: string;
  /** The email's plain-text body. */
  text: string;
  /** The webhook's JSON body (before signing). */
  payload: Record<string, unknown>;
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const companyOf = (e: { realmId: string; company?: string | null }) => (e.company ? `${e.company} (QuickBooks company ${e.realmId})` : `QuickBooks company ${e.realmId}`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describe(e: NotificationEvent): { subject: string; happened: string; todo: string; path: string } {
  switch (e.kind) {
    case 'run-failed':
      // A lost connection is not the records' fault: the advice is to connect again (the disconnect notice says the same).
      if (e.connectionLost)
        return {
          subject: `Sync stopped for ${e.company ?? e.realmId}: QuickBooks disconnected`,
          happened: `A sync of ${companyOf(e)} stopped because the QuickBooks connection ended${e.failed ? ` (${plural(e.failed, 'record')} not sent)` : ''}.`,
          todo: 'An administrator connects the company again on the Connection page, then sync again: the records not sent go then.',
          path: '/connection',
        };
      return {
        subject: `Sync failed for ${e.company ?? e.realmId}`,
        happened: `A sync of ${companyOf(e)} ended with problems: ${plural(e.failed, 'record')} failed${e.held ? `, ${e.held} held` : ''}.${e.message ? ` ${clip(e.message)}` : ''}`,
        todo: 'Open the run to see each failed record and why, fix them in the practice or in QuickBooks, then sync again.',
        path: `/history/${encodeURIComponent(e.runId)}`,
      };
    case 'run-held': {
      // Rows held because of errors in the preview (a `sync-ready` scheduled run) are fixed in the
      // practice or skipped in the preview; the held page lists only held-for-review rows, so they go there.
      const forErrors = Math.min(e.heldForErrors ?? 0, e.held);
      const forReview = e.held - forErrors;
      if (forErrors)
        return {
          subject: `Sync held ${plural(e.held, 'record')} for ${e.company ?? e.realmId}`,
          happened: `A sync of ${companyOf(e)} finished, but ${plural(forErrors, 'record was', 'records were')} held because of errors in the preview${forReview ? ` and ${plural(forReview, 'record was', 'records were')} held for review` : ''}: nothing was sent for them.`,
          todo: `Open the preview and fix each error in the practice or skip it; the next sync sends them.${forReview ? ' Then open the held records and decide each one (keep QuickBooks, send ours, re-link or skip).' : ''}`,
          path: '/preview',
        };
      return {
        subject: `Sync held ${plural(e.held, 'record')} for ${e.company ?? e.realmId}`,
        happened: `A sync of ${companyOf(e)} finished, but ${plural(e.held, 'record was', 'records were')} held: nothing was sent for them.`,
        todo: 'Open the held records and decide each one (keep QuickBooks, send ours, re-link or skip).',
        path: '/held',
      };
    }
    case 'run-refused':
      return {
        subject: `Sync refused for ${e.company ?? e.realmId}: ${plural(e.errors, 'error')} to fix`,
        happened: `A sync of ${companyOf(e)} was refused before sending anything: the preview has ${plural(e.errors, 'blocking error')}.`,
        todo: 'Open the preview, fix or skip each error, then sync again.',
        path: '/preview',
      };
    case 'connection-disconnected':
      return {
        subject: `QuickBooks disconnected: ${e.company ?? e.realmId}`,
        happened:
          e.reason === 'invalid_grant'
            ? `QuickBooks no longer accepts the connection to ${companyOf(e)} (its refresh token expired or was revoked), so nothing syncs.`
            : e.reason === 'logged-out'
              ? `The connection to ${companyOf(e)} was logged out of QuickBooks${e.by ? ` by ${clip(e.by, 100)}` : ''}, so nothing syncs.`
              : `The connection to ${companyOf(e)} was disconnected${e.by ? ` by ${clip(e.by, 100)}` : ''}, so nothing syncs.`,
        todo: 'An administrator connects the company again on the Connection page.',
        path: '/connection',
      };
    case 'connection-expiring':
      return e.why === 'hard-expiry'
        ? {
            subject: `QuickBooks connection ends on ${e.expiresAt?.slice(0, 10) ?? 'soon'}: ${e.company ?? e.realmId}`,
            happened: `Intuit ends the connection to ${companyOf(e)} on ${e.expiresAt?.slice(0, 10) ?? 'a date soon'} (its refresh token's 5-year limit); no refresh can extend it.`,
            todo: 'An administrator connects the company again on the Connection page before then.',
            path: '/connection',
          }
        : {
            subject: `QuickBooks connection could not be kept alive: ${e.company ?? e.realmId}`,
            happened: `The daily token keep-alive could not refresh the connection to ${companyOf(e)}${e.detail ? ` (${clip(e.detail, 160)})` : ''}${e.expiresAt ? `; unless it is used it expires on ${e.expiresAt.slice(0, 10)}` : ''}. It is tried again tomorrow.`,
            todo: 'If this repeats, check the Connection page and connect again.',
            path: '/connection',
          };
    case 'schedule-blocked':
      if (e.notConnected)
        return {
          subject: `Scheduled sync blocked for ${e.company ?? e.realmId}: QuickBooks not connected`,
          happened: `The scheduled sync of ${companyOf(e)} did not run: the company is not connected to QuickBooks. No scheduled sync runs until it is connected again (this is told once, not at every scheduled time).`,
          todo: 'An administrator connects the company again on the Connection page, or turns the schedule off on the Schedule page.',
          path: '/connection',
        };
      return {
        subject: `Scheduled sync blocked for ${e.company ?? e.realmId}: ${plural(e.errors, 'error')}`,
        happened: `The scheduled sync of ${companyOf(e)} did not run: its preview has ${plural(e.errors, 'blocking error')}.${e.detail?.length ? ` First: ${clip(e.detail.slice(0, 3).join(' / '))}` : ''}`,
        todo: 'Open the preview, fix or skip each error; the next scheduled sync then runs.',
        path: '/preview',
      };
    case 'test':
      return {
        subject: 'QBO Connect test notification',
        happened: `This is a test notification sent by ${clip(e.actor, 100)}.`,
        todo: 'Nothing: notifications reach you. Change who is told in Settings › Notifications.',
        path: '/settings/notifications',
      };
  }
}

/** The message for `event`, with links under `publicUrl` (QBO_CONNECT_PUBLIC_URL). */
export function renderNotification(event: NotificationEvent, publicUrl: string, at: Date): RenderedNotification {
  const d = describe(event);
  // One line: a company name with CR/LF (it comes from QuickBooks) must not break an email header built from the subject.
  d.subject = d.subject.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  const link = `${publicUrl.replace(/\/$/, '')}${d.path}`;
  const text = `${d.happened}\n\nWhat to do: ${d.todo}\n\n${link}\n\n— QBO Connect (${at.toISOString()})\n`;
  const payload: Record<string, unknown> = {
    type: event.kind,
    at: at.toISOString(),
    ...('realmId' in event ? { realmId: event.realmId, company: event.company ?? null } : {}),
    ...('runId' in event ? { runId: event.runId } : {}),
    subject: d.subject,
    happened: d.happened,
    todo: d.todo,
    path: d.path,
    link,
  };
  return { kind: event.kind, subject: d.subject, text, payload };
}
