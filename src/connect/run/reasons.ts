/**
 * Reason codes of the sync (run, journal, recovery, lock, payment import) and their sentences, in the
 * shape of every part's reasons module: a code union, a sentence table, `sentence(code, ctx)`, and
 * `refusal` for the `UserFacingError` a person sees (its HTTP status is decided here, once). Every
 * sentence names the record and says what to do.
 */
import { UserFacingError, type RefusalStatus } from '../../user-facing-error.js';

export type RunReason =
  | 'run.locked'
  | 'run.plan-errors'
  | 'run.not-connected'
  | 'run.qbo-refused'
  | 'run.qbo-unavailable'
  | 'run.outcome-unknown'
  | 'run.lookup-several'
  | 'run.lookup-mismatch'
  | 'run.diverged'
  | 'run.held-earlier'
  | 'run.dependency-failed'
  | 'run.unresolved-reference'
  | 'run.recovered'
  | 'run.found-after-lost-answer'
  | 'run.unsettled'
  | 'run.resolved-by-person'
  | 'run.no-such-write'
  | 'run.write-settled'
  | 'run.resolve-needs-id'
  | 'run.resolve-not-found'
  | 'run.not-in-qbo'
  | 'run.interrupted'
  | 'run.lapsed'
  | 'run.stopped'
  | 'run.store-refused'
  | 'run.import-no-invoice'
  | 'run.import-refused'
  | 'run.no-such-run'
  | 'run.draining'
  | 'run.shutdown'
  | 'run.void-not-supported'
  | 'run.held-plan-error'
  | 'run.held-needs-error-row';

export interface RunContext {
  /** "invoice INV-1042 — Harbour Trust" */
  record?: string;
  entity?: string;
  qboId?: string;
  ids?: string[];
  field?: string;
  ours?: string;
  theirs?: string;
  detail?: string;
  holder?: string;
  startedAt?: string;
  /** run.locked: the company's run is queued (waiting for a worker), not running. */
  queued?: boolean;
  count?: number;
  /** How many records a run planned (with `count`, how many of them it never reached). */
  total?: number;
  list?: string[];
  seconds?: number;
  runId?: string;
  /** The journal id of a write (what `qbo-connect recover --resolve` takes). */
  journalId?: number;
}

const listed = (items: string[] | undefined, max = 10) => (!items?.length ? '' : items.slice(0, max).join('; ') + (items.length > max ? `; and ${items.length - max} more` : ''));

export const sentences: Record<RunReason, (c: RunContext) => string> = {
  'run.locked': (c) =>
    c.queued
      ? `A sync of this company is already queued: asked for by ${c.holder ?? 'someone'} ${c.startedAt ?? 'a moment ago'}, and waiting for a worker to run it. Wait for it to run; a new sync can be asked for once it has finished.`
      : `A sync of this company is already running: started by ${c.holder ?? 'someone'} ${c.startedAt ?? 'a moment ago'}. Wait for it to finish; if it was stopped without finishing, a new sync can start once it has given no sign of life for ${c.seconds ?? 60} seconds.`,
  'run.plan-errors': (c) =>
    `The sync did not start: ${c.count ?? 0} record${c.count === 1 ? ' has an error' : 's have errors'}: ${listed(c.list).replace(/\.$/, '')}. Fix them in the practice system or skip them (\`qbo-connect skip <kind> <id>\`), then sync again.`,
  'run.not-connected': () => 'No QuickBooks company is connected: run `qbo-connect connect` (or use Connect in the web app), then sync again.',
  'run.qbo-refused': (c) =>
    `${c.record}: QuickBooks refused it${c.field ? ` (field ${c.field})` : ''}: ${c.detail ?? 'no detail given'}. Correct the record in the practice system, or skip it, then sync again.`,
  'run.qbo-unavailable': (c) => `${c.record}: QuickBooks could not be reached or was too busy (${c.detail ?? 'no answer'}); nothing was written for it. Sync again later.`,
  'run.outcome-unknown': (c) =>
    `${c.record}: QuickBooks did not say whether it was saved (${c.detail ?? 'no answer'}); it is looked up before anything is sent again — run \`qbo-connect recover\` or the next sync.`,
  'run.lookup-several': (c) =>
    `${c.record}: QuickBooks holds ${c.ids?.length ?? 'several'} ${c.entity ?? 'records'} that match it (Ids ${(c.ids ?? []).join(', ')}); nothing is deleted automatically. Void the extra ones in QuickBooks, then run \`qbo-connect recover\`.`,
  'run.lookup-mismatch': (c) =>
    `${c.record}: QuickBooks has ${c.entity} ${c.qboId} that looks like it, but its ${c.field} is ${c.theirs} where this sync sent ${c.ours}. Check it in QuickBooks; correct or void it there, then run \`qbo-connect recover\`.`,
  'run.diverged': (c) =>
    `${c.record}: ${c.entity} ${c.qboId} was changed in QuickBooks by someone else since the last sync${c.detail ? ` (${c.detail})` : ''}, so it was not overwritten. Make the two sides agree (in QuickBooks or the practice system), then sync again.`,
  'run.held-earlier': (c) => `${c.record}: held for review since an earlier run: ${c.detail ?? ''} It is not sent again until that is resolved.`,
  'run.held-plan-error': (c) =>
    `${c.record}: held, not sent, by a scheduled sync that sends the records that are ready: ${c.detail ?? 'it has an error'} Fix it in the practice system or skip it; the next sync sends it.`,
  'run.held-needs-error-row': (c) =>
    `${c.record}: held, not sent, because it needs ${c.detail ?? 'a record'}, which has an error; it is sent by the first sync after that record is fixed.`,
  'run.dependency-failed': (c) => `${c.record}: not sent because ${c.detail ?? 'a record it needs'} was not written to QuickBooks; fix that record first, then sync again.`,
  'run.unresolved-reference': (c) =>
    `${c.record}: its ${c.field ?? 'reference'} points at ${c.detail ?? 'a record'} that has no QuickBooks Id yet; sync again after that record is written.`,
  'run.recovered': (c) => `${c.record}: found in QuickBooks as ${c.entity} ${c.qboId} after an interrupted run, and linked (nothing sent twice).`,
  'run.found-after-lost-answer': (c) =>
    `${c.record}: QuickBooks did not answer in time; QBO Connect waited until QuickBooks could no longer be saving it, found it as ${c.entity} ${c.qboId}, and linked it (nothing sent twice).`,
  'run.unsettled': (c) =>
    `${c.record}: an earlier write of it (journal ${c.journalId ?? '?'}) may or may not be in QuickBooks and could not be checked (${c.detail ?? 'no answer'}); it is not sent again until that is settled. The next sync or \`qbo-connect recover\` looks again; if you have checked QuickBooks yourself, run \`qbo-connect recover --resolve ${c.journalId ?? '<journal id>'} not-sent\` (it is not there: send it) or \`qbo-connect recover --resolve ${c.journalId ?? '<journal id>'} sent --qbo-id <Id>\` (it is there: link it).`,
  'run.resolved-by-person': (c) => `${c.record}: journal ${c.journalId ?? '?'} settled by a person: ${c.detail ?? ''}`,
  'run.no-such-write': (c) => `There is no write ${c.journalId ?? ''} for this company; \`qbo-connect history --run <run id>\` names each unsettled write with its journal id.`,
  'run.write-settled': (c) => `Write ${c.journalId ?? ''} is already settled (${c.detail ?? 'resolved'}); nothing to resolve.`,
  'run.resolve-needs-id': (c) => `Write ${c.journalId ?? ''} created a ${c.entity ?? 'record'}: say which one QuickBooks holds with \`--qbo-id <Id>\`.`,
  'run.resolve-not-found': (c) =>
    `QuickBooks has no ${c.entity ?? 'record'} ${c.qboId ?? ''} to link write ${c.journalId ?? ''} to (${c.detail ?? 'not found'}); check the Id in QuickBooks.`,
  'run.not-in-qbo': (c) => `${c.record}: not found in QuickBooks after an interrupted run; the sync sends it again with a new request id.`,
  'run.interrupted': (c) =>
    `Run ${c.runId ?? ''} stopped before it finished (its process ended); its unfinished writes are settled by the next sync or \`qbo-connect recover\`.` +
    (c.count
      ? ` ${c.count} of the ${c.total ?? c.count} record(s) it planned were never reached, so not sent (this run kept no list of them to name one by one); the next sync sends them.`
      : ''),
  'run.lapsed': (c) =>
    `Run ${c.runId ?? ''} stopped before it finished: its process ended (its lock lapsed without a heartbeat). The next sync, or \`qbo-connect recover\`, settles the writes it left unfinished.`,
  'run.stopped': (c) => `${c.record}: not sent: the sync stopped before reaching it (${c.detail ?? 'it was interrupted'}). The next sync sends it.`,
  'run.store-refused': (c) =>
    c.detail === 'written'
      ? `${c.record}: written to QuickBooks as ${c.entity} ${c.qboId}, but its link could not be stored here; it is held and not sent again. Another practice record may already be linked to ${c.entity} ${c.qboId}: check both, then run \`qbo-connect recover\`.`
      : `${c.record}: could not be linked to ${c.entity} ${c.qboId}: another practice record may already be linked to it. Check both records (rename or skip one), then sync again.`,
  'run.import-no-invoice': (c) => `${c.record}: not applied to any invoice the practice has, so it was not imported.`,
  'run.import-refused': (c) => `${c.record}: the practice ledger refused it: ${c.detail ?? ''} Check the payment in QuickBooks and the practice's payment types, then sync again.`,
  'run.void-not-supported': (c) =>
    `${c.record}: was cancelled in the practice, but QuickBooks cannot void a ${c.entity}; QBO Connect never deletes anything in QuickBooks. Delete or reverse ${c.entity} ${c.qboId} in QuickBooks by hand, then skip this record.`,
  'run.draining': (c) =>
    `QBO Connect is shutting down (${c.detail ?? 'asked to stop'}), so it takes no new work: nothing was started or changed. Try again in a minute, when it (or another instance) is running.`,
  'run.shutdown': (c) =>
    `Stopped because QBO Connect was shutting down (${c.detail ?? 'asked to stop'}): ${c.count ?? 0} record(s) were not sent (the next sync sends them); the records it reached are listed with their results.`,
  'run.no-such-run': (c) => `There is no run ${c.runId ?? ''}; \`qbo-connect history\` lists the runs.`,
};

export function sentence(code: RunReason, ctx: RunContext = {}): string {
  return sentences[code](ctx);
}

/**
 * The HTTP status of a refusal, for the API and the pages alike; 400 unless listed. A second sync
 * while one runs is a conflict (409); a run or a write that does not exist is not found (404).
 */
const statuses: Partial<Record<RunReason, RefusalStatus>> = { 'run.locked': 409, 'run.no-such-run': 404, 'run.no-such-write': 404, 'run.draining': 503 };

/** A refusal a person can act on (the CLI prints the message as one line; the API answers `status`). */
export function refusal(code: RunReason, ctx: RunContext = {}, field?: string): UserFacingError<RunReason> {
  return new UserFacingError(code, sentence(code, ctx), { field, status: statuses[code] });
}

/** Who started a run, as a person reads it: `user:ann@example.com` → ann@example.com, `cli:ann` → the CLI (ann). */
export function actorName(actor: string): string {
  if (actor.startsWith('user:')) return actor.slice(5);
  if (actor.startsWith('cli:')) return `the CLI (${actor.slice(4)})`;
  if (actor.startsWith('schedule')) return 'a schedule';
  return actor;
}

/**
 * When, in the machine's local time, as a person says it: "at 14:02 today (3 minutes ago)", or
 * "at 14:02 on 3 Dec" for another day. `now` is the injected clock's reading.
 */
export function localWhen(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return 'at an unknown time';
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' }).format(t);
  const day = (d: Date) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(d);
  const mins = Math.max(0, Math.round((now.getTime() - t.getTime()) / 60_000));
  const ago = mins === 0 ? 'just now' : mins === 1 ? '1 minute ago' : mins < 120 ? `${mins} minutes ago` : `${Math.round(mins / 60)} hours ago`;
  return day(t) === day(now) ? `at ${time} today (${ago})` : `at ${time} on ${day(t).replace(/ \d{4}$/, '')} (${ago})`;
}
