/**
 * Schedule: when the connected company syncs without anyone clicking, in which time zone, and what a
 * scheduled sync does when the preview has errors; with the next occurrence and how the last one
 * ended. Administrators change it (audited under their name, shown in the settings audit).
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { describeSchedule, localOccurrence, type ScheduleConfig } from '../../connect/schedule/model.js';
import { getSchedule, setSchedule } from '../../connect/schedule/store.js';
import { actorOf, knownRealm, notConnectedPage, str, when } from './work-common.js';

type Flash = { kind: 'ok' | 'error'; text: string };

const kinds: Array<[string, string]> = [
  ['off', 'Off (sync only when someone clicks)'],
  ['hourly', 'Every hour'],
  ['daily', 'Every day at a time'],
  ['weekdays', 'Monday to Friday at a time'],
];
const onErrors: Array<[string, string]> = [
  ['sync-nothing', 'Sync nothing, and tell someone (default)'],
  ['sync-ready', 'Sync the records that are ready; hold the ones with errors and the ones that need them'],
];

function Options({ options, value }: { options: Array<[string, string]>; value: string }) {
  return (
    <>
      {options.map(([v, l]) => (
        <option value={v} selected={v === value}>
          {l}
        </option>
      ))}
    </>
  );
}

async function show(c: Context<WebEnv>, deps: WebDeps, flash?: Flash, status: 200 | RefusalStatus = 200, typed?: Record<string, string>) {
  // While disconnected, the company last connected here: its schedule stays readable and can be turned off.
  const known = await knownRealm(deps.ctx);
  if (!known) return notConnectedPage(c, 'Schedule');
  const realmId = known.realmId;
  const s = await getSchedule(deps.ctx.db, realmId);
  const admin = roleAtLeast(currentUser(c), 'administrator');
  const cfg: ScheduleConfig = s;
  // After a refusal the form shows what was typed, so nothing is lost.
  const v = {
    kind: typed?.kind ?? cfg.schedule.kind,
    at: typed?.at ?? ('at' in cfg.schedule ? cfg.schedule.at : '18:00'),
    minute: typed?.minute ?? String(cfg.schedule.kind === 'hourly' ? cfg.schedule.minute : 0),
    timeZone: typed?.timeZone ?? cfg.timeZone,
    onErrors: typed?.onErrors ?? cfg.onErrors,
  };
  return renderPage(c, {
    title: 'Schedule',
    status,
    body: (
      <>
        <h1>Schedule</h1>
        {flash ? <Notice kind={flash.kind}>{flash.text}</Notice> : null}
        {known.connected ? null : (
          <Notice kind="warn">
            QuickBooks is not connected now: this is the schedule of the company last connected here, and no scheduled sync runs until it is connected again.{' '}
            <a href="/connection">Connect to QuickBooks</a>, or turn the schedule off.
          </Notice>
        )}
        <p>
          Now: <strong>{describeSchedule(cfg)}</strong>. {s.nextDueAt ? <>Next scheduled sync: {localOccurrence(s.nextDueAt, s.timeZone)}.</> : null}
        </p>
        {s.last.outcome ? (
          <p>
            Last occurrence: {s.last.outcome}
            {s.last.at ? <> ({when(s.last.at)})</> : null}
            {s.last.runId ? (
              <>
                {' '}
                — <a href={`/history/${encodeURIComponent(s.last.runId)}`}>the run</a>
              </>
            ) : null}
            {s.last.message ? <>: {s.last.message}</> : null}
          </p>
        ) : null}
        {!admin ? <Notice kind="warn">Only an administrator can change the schedule; you can see it.</Notice> : null}
        <form method="post" action="/schedule" class="setting">
          <CsrfField token={c.get('csrfToken')} />
          <label for="kind">When</label>
          <select id="kind" name="kind" disabled={!admin}>
            <Options options={kinds} value={v.kind} />
          </select>
          <label for="at">Local time (daily and weekdays, HH:MM)</label>
          <input id="at" name="at" type="time" value={v.at} disabled={!admin} />
          <label for="minute">Minutes past the hour (hourly)</label>
          <input id="minute" name="minute" type="number" min="0" max="59" value={v.minute} disabled={!admin} />
          <label for="timeZone">Time zone (the company’s, e.g. Europe/London)</label>
          <input id="timeZone" name="timeZone" type="text" value={v.timeZone} disabled={!admin} />
          <label for="onErrors">When the preview has errors</label>
          <select id="onErrors" name="onErrors" disabled={!admin}>
            <Options options={onErrors} value={v.onErrors} />
          </select>
          {admin ? <button type="submit">Save the schedule</button> : null}
        </form>
        <p class="hint">
          A scheduled sync previews first and never runs alongside another sync of the company: while one is queued or running, that occurrence is skipped. Changes are listed in{' '}
          <a href="/settings/audit?path=schedule">the settings audit</a>.
        </p>
      </>
    ),
  });
}

export const schedulePage: WebPage = {
  nav: { label: 'Schedule', href: '/schedule', order: 62 },
  mount(app, deps) {
    app.get('/schedule', (c) => show(c, deps));
    app.post('/schedule', pageRole('administrator'), async (c) => {
      const known = await knownRealm(deps.ctx);
      if (!known) return notConnectedPage(c, 'Schedule');
      const realmId = known.realmId;
      const body = await c.req.parseBody();
      const typed = { kind: str(body.kind), at: str(body.at), minute: str(body.minute), timeZone: str(body.timeZone), onErrors: str(body.onErrors) };
      // A field that does not apply to the kind chosen is not checked (an hourly schedule keeps no time).
      const input: Record<string, string> = { kind: typed.kind, timeZone: typed.timeZone, onErrors: typed.onErrors };
      if (typed.kind === 'daily' || typed.kind === 'weekdays') input.at = typed.at;
      if (typed.kind === 'hourly') input.minute = typed.minute;
      try {
        const r = await setSchedule(deps.ctx.db, { realmId, input, actor: actorOf(c), clock: deps.ctx.clock });
        const changed = r.changes.some((x) => x.changed);
        return show(c, deps, { kind: 'ok', text: changed ? `Saved: ${describeSchedule(r.schedule)}.` : 'The schedule already was that; nothing changed.' });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status, typed);
        throw err;
      }
    });
  },
};
