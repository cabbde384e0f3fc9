/**
 * Isolation between practices (issue 15): two practices, A (`default`, the bench's people) and B
 * (`bravo`), each with a company, a run, a skip, a held-record action and a settings change. A member of
 * A in each role — through a browser session and through A's API tokens — probes every route the app
 * answers (read from Hono's route table, so a new route is covered without editing this file):
 *
 * 1. under B's practice prefix: 404 for every route, exactly as for a practice that does not exist;
 * 2. under A's own prefix with B's ids in the path (B's run, B's held action, B's record key) and B's
 *    company as `?realm=`: a refusal (404 when the path names B's run or action), never B's data;
 * and afterwards B's data is unchanged. Role rows: a viewer of A cannot do a bookkeeper's work in A, a
 * person's role is the one of the practice the URL names, an owner opens both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createSession } from '../../src/accounts/sessions.js';
import { createUser } from '../../src/accounts/users.js';
import { addMember } from '../../src/accounts/memberships.js';
import { isFirmPath, isGlobalPath } from '../../src/server/practice-scope.js';
import { setNotificationSettings } from '../../src/connect/notify/index.js';
import { makeBench, roleNames, routesOf, type Bench, type Person } from '../security/harness.js';

const A = 'default';
const B = 'bravo';
const A_REALM = '9130';
const B_REALM = '9341';
const B_RUN = '5b0c6a1e-0000-4000-8000-00000000b0b0';
const B_SKIP_KEY = 'INV-B-9001';
/** What only B's data says: none of it may appear in any answer to A's people. */
const B_MARKERS = ['bravo-alerts@example.com', 'Bravo Partners', 'BRAVO-RUN-MESSAGE', 'BRAVO-RUN-LABEL', 'BRAVO-HELD-LABEL', 'BRAVO-SETTINGS-ACTOR', 'bravo-admin@example.com'];

/** A route's path under a practice's prefix (pages `/p/{id}/…`, the API `/api/v1/practices/{id}/…`). */
function under(practice: string, path: string): string {
  return path.startsWith('/api/v1/') ? `/api/v1/practices/${practice}${path.slice('/api/v1'.length)}` : `/p/${practice}${path}`;
}

/** A concrete path naming B's records: its run and held action by id, its record key. */
function withBIds(pattern: string, heldId: number): string {
  const heldAction = pattern.includes('/held/actions/');
  return pattern
    .split('/')
    .map((seg) => {
      const name = /^:(\w+)/.exec(seg)?.[1];
      if (!name) return seg === '*' ? 'x' : seg;
      if (name === 'runId') return B_RUN;
      if (name === 'id') return heldAction ? String(heldId) : pattern.includes('/skipped/') ? B_SKIP_KEY : B_RUN;
      if (name === 'kind') return pattern.includes('/skipped/') ? 'invoice' : 'invoices';
      if (name === 'key') return B_SKIP_KEY;
      if (name === 'path') return 'general.exportFrom';
      return '1';
    })
    .join('/');
}

async function seedCompany(b: Bench, practice: string, realm: string, name: string, marker: string, runId: string): Promise<number> {
  const db = b.app.ctx.db;
  const at = b.app.ctx.clock().toISOString();
  await db
    .insertInto('connections')
    .values({
      realm_id: realm,
      company_name: name,
      region: 'AU',
      status: 'disconnected',
      access_token_enc: null,
      refresh_token_enc: null,
      access_expires_at: null,
      refresh_expires_at: null,
      refresh_hard_expires_at: null,
      connected_at: at,
      connected_by: 'test',
      disconnected_reason: 'disconnected',
      updated_at: at,
      lock_owner: null,
      lock_until: null,
      practice_id: practice,
      offices: null,
    })
    .execute();
  await db
    .insertInto('runs')
    .values({
      id: runId,
      realm_id: realm,
      started_by: 'test',
      started_at: at,
      finished_at: at,
      status: 'failed',
      settings: '{}',
      processed: 1,
      created: 0,
      adopted: 0,
      updated: 0,
      voided: 0,
      imported: 0,
      failed: 1,
      held: 0,
      message: `${marker}-RUN-MESSAGE`,
      progress_group: null,
      undoes: null,
    })
    .execute();
  await db
    .insertInto('run_records')
    .values({
      run_id: runId,
      row_key: 'r1',
      group_kind: 'invoices',
      record_kind: 'invoice',
      record_key: `INV-${marker}`,
      label: `${marker}-RUN-LABEL`,
      action: 'create',
      qbo_entity: null,
      qbo_id: null,
      status: 'failed',
      code: null,
      message: null,
      at,
    })
    .execute();
  await db
    .insertInto('skips')
    .values({
      realm_id: realm,
      record_kind: 'invoice',
      record_id: realm === B_REALM ? B_SKIP_KEY : 'INV-A-1',
      record_date: null,
      reason_code: null,
      held_by_engine: 0,
      skipped_by: `${marker}-SKIPPER`,
      skipped_at: at,
      unskipped_by: null,
      unskipped_at: null,
    })
    .execute();
  await db
    .insertInto('settings_audit')
    .values({ realm_id: realm, path: 'general.exportFrom', old_value: null, new_value: '"2026-01-01"', actor: `${marker}-SETTINGS-ACTOR`, changed_at: at })
    .execute();
  await db
    .insertInto('held_actions')
    .values({
      realm_id: realm,
      record_kind: 'invoice',
      record_key: `INV-${marker}`,
      label: `${marker}-HELD-LABEL`,
      action: 'keep-qbo',
      detail: '{}',
      old_link: null,
      old_journal: null,
      actor: 'test',
      at,
      undone_by: null,
      undone_at: null,
      seq: 1,
    })
    .execute();
  const held = await db.selectFrom('held_actions').select('id').where('realm_id', '=', realm).executeTakeFirstOrThrow();
  return Number(held.id);
}

/** B's rows as they stand, to show no probe changed them. */
async function bState(b: Bench) {
  const db = b.app.ctx.db;
  return {
    runs: await db.selectFrom('runs').select(['id', 'status']).where('realm_id', '=', B_REALM).orderBy('id').execute(),
    skips: await db.selectFrom('skips').select(['record_id', 'unskipped_at']).where('realm_id', '=', B_REALM).execute(),
    held: await db.selectFrom('held_actions').select(['id', 'undone_at']).where('realm_id', '=', B_REALM).execute(),
    audit: await db.selectFrom('settings_audit').select(['path', 'actor']).where('realm_id', '=', B_REALM).execute(),
    settings: await db.selectFrom('connect_settings').select(['version']).where('realm_id', '=', B_REALM).execute(),
    practice: await db.selectFrom('practices').selectAll().where('id', '=', B).execute(),
    company: await db.selectFrom('connections').select(['status', 'disconnected_reason', 'updated_at', 'practice_id']).where('realm_id', '=', B_REALM).execute(),
    notifications: await db.selectFrom('notification_settings').select(['emails', 'version']).where('practice_id', '=', B).execute(),
    members: await db.selectFrom('memberships').select(['user_id', 'role']).where('practice_id', '=', B).orderBy('user_id').execute(),
  };
}

describe('isolation between practices: every route, every role of A, B’s ids', () => {
  let b: Bench;
  let routes: string[];
  let heldB: number;
  let before: Awaited<ReturnType<typeof bState>>;
  let bAdmin: Person;
  const as = (person: Person, via: 'session' | 'token') => ({ as: { person, via } });

  beforeAll(async () => {
    // A's administrator is no owner here: an owner opens every practice (the last test shows that).
    b = await makeBench({ ownerAdministrator: false });
    const db = b.app.ctx.db;
    await db.insertInto('practices').values({ id: B, name: 'Bravo Partners', created_at: b.app.ctx.clock().toISOString(), created_by: 'test' }).execute();
    await seedCompany(b, A, A_REALM, 'Alpha Architects', 'ALPHA', '5b0c6a1e-0000-4000-8000-00000000a1a1');
    heldB = await seedCompany(b, B, B_REALM, 'Bravo Partners Pty Ltd', 'BRAVO', B_RUN);
    const bravoAdmin = await createUser(db, { email: 'bravo-admin@example.com', name: 'Bravo Admin', role: 'administrator', practiceId: B });
    const s = await createSession(db, bravoAdmin, b.app.ctx.clock());
    bAdmin = {
      role: 'administrator',
      email: bravoAdmin.email,
      password: '',
      cookie: s.cookieValue,
      csrf: s.session.csrfToken,
      apiToken: (await createApiToken(db, bravoAdmin.id, 'b', b.app.ctx.clock(), null, B)).token,
    };
    await setNotificationSettings(db, {
      practiceId: A,
      change: { emails: ['alpha-alerts@example.com'] },
      actor: 'user:administrator@example.com',
      clock: b.app.ctx.clock,
      cipher: b.app.ctx.qbo.cipher,
    });
    // B's notification recipients and their audit: a practice's own (notification_settings.practice_id).
    await setNotificationSettings(db, {
      practiceId: B,
      change: { emails: ['bravo-alerts@example.com'] },
      actor: 'user:bravo-admin@example.com',
      clock: b.app.ctx.clock,
      cipher: b.app.ctx.qbo.cipher,
    });
    routes = routesOf(b.http);
    before = await bState(b);
  });
  afterAll(async () => b?.close());

  const body = (method: string, path: string) =>
    method === 'GET' || method === 'HEAD'
      ? {}
      : path.startsWith('/api/')
        ? { body: '{}', contentType: 'application/json' }
        : { body: '', contentType: 'application/x-www-form-urlencoded' };

  it('reads the routes from the router, and they cover pages and the API', () => {
    const scoped = routes.filter((r) => !isGlobalPath(r.split(' ')[1]!));
    expect(scoped.filter((r) => r.includes(' /api/')).length).toBeGreaterThan(20);
    expect(scoped.filter((r) => !r.includes(' /api/')).length).toBeGreaterThan(20);
  });

  it('answers 404 to every route under B’s prefix, for each role of A and A’s tokens, as for a practice that does not exist', async () => {
    const leaks: string[] = [];
    let probes = 0;
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      if (isGlobalPath(pattern)) continue;
      const path = withBIds(pattern, heldB);
      for (const role of roleNames) {
        for (const via of pattern.startsWith('/api/') ? (['session', 'token'] as const) : (['session'] as const)) {
          const w = `${route} as A's ${role} via ${via}`;
          const res = await b.call(under(B, path), { method, ...body(method, path), ...as(b.people[role], via) });
          const text = await res.text();
          const ghost = await b.call(under('no-such-practice', path), { method, ...body(method, path), ...as(b.people[role], via) });
          const ghostText = await ghost.text();
          probes++;
          if (res.status !== 404) leaks.push(`${w}: ${res.status} ${text.slice(0, 120)}`);
          // No existence leak: B's answer is the unknown practice's, word for word.
          if (text.replaceAll(B, 'no-such-practice') !== ghostText || ghost.status !== res.status) leaks.push(`${w}: differs from an unknown practice's answer`);
          for (const m of B_MARKERS) if (text.includes(m)) leaks.push(`${w}: body contains ${m}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(probes).toBeGreaterThan(150);
  });

  it('refuses B’s runs, held actions, record keys and company under A’s own prefix, and shows none of B’s data', async () => {
    const leaks: string[] = [];
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      if (isGlobalPath(pattern)) continue;
      const path = `${withBIds(pattern, heldB)}?realm=${B_REALM}`;
      const namesB = /:(id|runId)\b/.test(pattern) && !pattern.startsWith('/users/') && !pattern.startsWith('/account/') && !pattern.includes('/skipped/');
      for (const role of roleNames) {
        for (const via of pattern.startsWith('/api/') ? (['session', 'token'] as const) : (['session'] as const)) {
          const w = `${route} as A's ${role} via ${via}`;
          const res = await b.call(under(A, path), { method, ...body(method, path), ...as(b.people[role], via) });
          const text = await res.text();
          if (res.status === 500) leaks.push(`${w}: ${res.status}`);
          // B's record named under A's prefix is answered as an id that was never made (attack finding:
          // a generic 404 for B's run beside "no such run" for a made-up one told that B's run exists).
          if (namesB) {
            const fakeRun = '5b0c6a1e-0000-4000-8000-00000000dead';
            const fakeHeld = heldB + 100_000;
            const ghostPath = path.replaceAll(B_RUN, fakeRun).replace(`/held/actions/${heldB}/`, `/held/actions/${fakeHeld}/`);
            const ghost = await b.call(under(A, ghostPath), { method, ...body(method, ghostPath), ...as(b.people[role], via) });
            const ghostText = (await ghost.text()).replaceAll(fakeRun, B_RUN).replaceAll(String(fakeHeld), String(heldB));
            if (ghost.status !== res.status || ghostText !== text)
              leaks.push(`${w}: names B's record and answered otherwise than for an id never made (${res.status} vs ${ghost.status})`);
          }
          for (const m of B_MARKERS) if (text.includes(m)) leaks.push(`${w}: body contains ${m}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('left every row of B as it was', async () => {
    expect(await bState(b)).toEqual(before);
  });

  // Attack findings: pages under no practice showed "the" company (whichever practice's connected
  // last) in the header and on the connect callback; `//host` was echoed into a redirect.
  it('shows no company on pages under no practice, and never redirects to another site', async () => {
    await b.app.ctx.db.updateTable('connections').set({ status: 'connected', disconnected_reason: null }).where('realm_id', '=', B_REALM).execute();
    try {
      for (const path of ['/connect/callback?state=garbage&code=x&realmId=' + B_REALM, '/static/nope', '/webhooks/x']) {
        const res = await b.call(path, as(b.people.viewer, 'session'));
        const text = await res.text();
        for (const m of [...B_MARKERS, B_REALM]) expect(text, `${path} names ${m}`).not.toContain(m);
      }
      for (const path of ['//evil.example/x?y=1', '///evil.example', '/\\evil.example/x']) {
        const res = await b.call(path, as(b.people.viewer, 'session'));
        expect(res.headers.get('location') ?? '', path).not.toMatch(/^\/[/\\]/);
        expect(res.status, path).toBe(404);
      }
    } finally {
      await b.app.ctx.db.updateTable('connections').set({ status: 'disconnected', disconnected_reason: 'disconnected' }).where('realm_id', '=', B_REALM).execute();
    }
  });

  it('refuses A’s token without a prefix once there are several practices, and sends pages to the person’s practice', async () => {
    const res = await b.call('/api/v1/history', as(b.people.viewer, 'token'));
    expect(res.status).toBe(404);
    const page = await b.call('/history?x=1', as(b.people.viewer, 'session'));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/p/${A}/history?x=1`);
  });

  it('prefixes every link, form and redirect of A’s pages, and leads no link outside the prefix but to sign-out and assets', async () => {
    const res = await b.call(`/p/${A}/history`, as(b.people.administrator, 'session'));
    expect(res.status).toBe(200);
    const html = await res.text();
    const urls = [...html.matchAll(/\s(?:href|action|hx-get|hx-post)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(5);
    expect(urls.filter((u) => !u.startsWith(`/p/${A}/`) && !u.startsWith(`/api/v1/practices/${A}/`) && !isGlobalPath(u.split('?')[0]!) && !isFirmPath(u))).toEqual([]);
    const redirect = await b.call(`/p/${A}/`, as(b.people.administrator, 'session'));
    expect(redirect.headers.get('location') ?? '').toMatch(new RegExp(`^/p/${A}/`));
  });

  it('gives a person the role of the practice the URL names; a viewer of A cannot skip in A; an owner opens both', async () => {
    const db = b.app.ctx.db;
    // Vic: a viewer in A, an administrator in B.
    const vic = await createUser(db, { email: 'vic-two@example.com', name: 'Vic Two', role: 'viewer' });
    await addMember(db, { practiceId: B, userId: vic.id, role: 'administrator' }, 'test');
    const { cookieValue, session } = await createSession(db, vic, b.app.ctx.clock());
    const person: Person = { role: 'viewer', email: vic.email, password: '', cookie: cookieValue, csrf: session.csrfToken, apiToken: '' };
    const skipA = await b.call(under(A, '/api/v1/skipped'), { method: 'POST', body: JSON.stringify({ records: [{ kind: 'invoice', id: 'INV-A-2' }] }), ...as(person, 'session') });
    expect(skipA.status).toBe(403);
    expect(await skipA.text()).toContain('needs the bookkeeper role');
    const settingsB = await b.call(under(B, '/settings'), as(person, 'session'));
    expect(settingsB.status).toBe(200);
    expect(await settingsB.text()).toContain('(administrator)');
    const settingsA = await b.call(under(A, '/settings'), as(person, 'session'));
    expect(await settingsA.text()).toContain('(viewer)');
    // The switcher offers both of Vic's practices.
    expect(await (await b.call(under(A, '/history'), as(person, 'session'))).text()).toContain(`href="/p/${B}/"`);

    // A token of B's, made by Vic, is refused on A's routes even though Vic is a member of A.
    const { token } = await createApiToken(db, vic.id, 'bravo script', b.app.ctx.clock(), null, B);
    const withToken = { ...person, apiToken: token };
    expect((await b.call(under(B, '/api/v1/history'), as(withToken, 'token'))).status).toBe(200);
    expect((await b.call(under(A, '/api/v1/history'), as(withToken, 'token'))).status).toBe(404);

    // An owner who is a member of neither opens both, as an administrator.
    const olive = await createUser(db, { email: 'olive@example.com', name: 'Olive Owner', role: 'viewer', practiceId: 'no-membership-here', owner: true });
    const o = await createSession(db, olive, b.app.ctx.clock());
    const owner: Person = { role: 'administrator', email: olive.email, password: '', cookie: o.cookieValue, csrf: o.session.csrfToken, apiToken: '' };
    for (const p of [A, B]) {
      const res = await b.call(under(p, '/users'), as(owner, 'session'));
      expect(res.status, p).toBe(200);
    }
    // The firm overview (every practice): the owner's; A's administrator, no owner, is refused and sees nothing of B.
    const firm = await b.call('/firm', as(owner, 'session'));
    expect(firm.status).toBe(200);
    expect(await firm.text()).toContain('Bravo Partners');
    for (const via of ['session', 'token'] as const) {
      const refused = await b.call(via === 'session' ? '/firm' : '/api/v1/firm', as(b.people.administrator, via));
      expect(refused.status, via).toBe(403);
      expect(await refused.text(), via).not.toContain('Bravo');
    }
  });
  it('shows B’s administrator, on every page and API read of B, none of A’s data (the other way round; after the check above, as B’s own reads may write B’s rows)', async () => {
    const A_MARKERS = ['alpha-alerts@example.com', 'Alpha Architects', 'ALPHA-RUN-MESSAGE', 'ALPHA-RUN-LABEL', 'ALPHA-HELD-LABEL', 'ALPHA-SETTINGS-ACTOR', 'viewer@example.com'];
    const leaks: string[] = [];
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      if (method !== 'GET' || isGlobalPath(pattern)) continue;
      for (const via of pattern.startsWith('/api/') ? (['session', 'token'] as const) : (['session'] as const)) {
        const res = await b.call(under(B, withBIds(pattern, heldB)), as(bAdmin, via));
        const text = await res.text();
        if (res.status === 500) leaks.push(`${route} via ${via}: ${res.status}`);
        for (const m of A_MARKERS) if (text.includes(m)) leaks.push(`${route} via ${via}: body contains ${m}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
