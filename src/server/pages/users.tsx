/**
 * The people of this practice (its administrators and the firm's owners): list the members with their
 * role here, add one (a new person with a first password, or a person of another practice by email),
 * and disable or remove one. Nobody of another practice is listed or reachable (issue 15).
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { hashPassword, passwordProblem } from '../../accounts/passwords.js';
import { AccountError, disableUser, listUsers, roles } from '../../accounts/users.js';
import { invitePerson, isOwner, listMembers, practicesOfPerson, removeMember } from '../../accounts/memberships.js';
import { practiceOf } from '../practice-scope.js';

const roleHelp: Record<(typeof roles)[number], string> = {
  administrator: 'connect and disconnect QuickBooks, change settings, manage users',
  bookkeeper: 'preview, sync, skip records',
  viewer: 'read only',
};

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function show(c: Context<WebEnv>, deps: WebDeps, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | 400 = 200) {
  const members = new Map((await listMembers(deps.ctx.db, practiceOf(c))).map((m) => [m.userId, m.role]));
  // This practice's people only, with their role here (a disabled person stays listed, as before).
  const everyone = await listUsers(deps.ctx.db);
  const disabledMembers = new Set((await deps.ctx.db.selectFrom('memberships').select('user_id').where('practice_id', '=', practiceOf(c)).execute()).map((r) => r.user_id));
  const users = everyone.filter((u) => members.has(u.id) || disabledMembers.has(u.id)).map((u) => ({ ...u, role: members.get(u.id) ?? u.role }));
  const me = currentUser(c)!;
  const csrf = c.get('csrfToken');
  return renderPage(c, {
    title: 'Users',
    status,
    body: (
      <>
        <h1>Users</h1>
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        <table>
          <caption class="visually-hidden">People who can sign in to QBO Connect</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.disabledAt ? `disabled ${u.disabledAt.slice(0, 10)}` : u.hasPassword ? 'active' : 'API only (no password)'}</td>
                <td>
                  {!u.disabledAt && u.id !== me.id ? (
                    <form method="post" action={`/users/${u.id}/disable`} class="inline">
                      <CsrfField token={csrf} />
                      <button type="submit" class="danger" aria-label={`Disable ${u.email}`}>
                        Disable
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>

        <h2>Add a user</h2>
        <form method="post" action="/users" class="stack">
          <CsrfField token={csrf} />
          <label for="name">Name</label>
          <input id="name" name="name" required maxlength={100} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" required />
          <fieldset>
            <legend>Role</legend>
            {roles.map((r) => (
              <label class="choice">
                <input type="radio" name="role" value={r} checked={r === 'viewer'} /> {r} — {roleHelp[r]}
              </label>
            ))}
          </fieldset>
          <label for="password">First password (at least 10 characters; tell them to change it)</label>
          <input id="password" name="password" type="password" required minlength={10} autocomplete="new-password" />
          <button type="submit">Add user</button>
        </form>
      </>
    ),
  });
}

export const usersPage: WebPage = {
  nav: { label: 'Users', href: '/users', minRole: 'administrator', order: 80 },
  mount(app, deps) {
    app.use('/users', pageRole('administrator'));
    app.use('/users/*', pageRole('administrator'));
    app.get('/users', (c) => show(c, deps));
    app.post('/users', async (c) => {
      const body = await c.req.parseBody();
      const password = str(body.password);
      const problem = passwordProblem(password, [str(body.email), str(body.name)]);
      if (problem) return show(c, deps, { kind: 'error', text: `User ${str(body.email) || '(no email)'}: password ${problem}.` }, 400);
      try {
        const { user, created } = await invitePerson(
          deps.ctx.db,
          { practiceId: practiceOf(c), email: str(body.email), name: str(body.name), role: str(body.role), passwordHash: await hashPassword(password) },
          currentUser(c)!.email,
          deps.ctx.clock(),
          { mayAddExisting: await isOwner(deps.ctx.db, currentUser(c)!.id) },
        );
        deps.ctx.logger.info({ user: user.email, role: str(body.role), practice: practiceOf(c), by: currentUser(c)!.email }, created ? 'user added' : 'member added');
        return show(c, deps, {
          kind: 'ok',
          text: created ? `Added ${user.email} as ${str(body.role)}.` : `Added ${user.email} (already a user) to this practice as ${str(body.role)}; their password is unchanged.`,
        });
      } catch (err) {
        if (err instanceof AccountError) return show(c, deps, { kind: 'error', text: err.message }, 400);
        throw err;
      }
    });
    app.post('/users/:id/disable', async (c) => {
      const id = c.req.param('id');
      if (id === currentUser(c)!.id) return show(c, deps, { kind: 'error', text: 'You cannot disable yourself; ask another administrator.' }, 400);
      try {
        const practiceId = practiceOf(c);
        const theirs = await practicesOfPerson(deps.ctx.db, id);
        // Only this practice's people; a person of other practices too is removed from this one, not disabled.
        if (!theirs.some((p) => p.id === practiceId)) throw new AccountError(`user ${id}: no enabled user with this id`, 'user');
        if (theirs.length > 1) {
          await removeMember(deps.ctx.db, { practiceId, userId: id }, currentUser(c)!.email, deps.ctx.clock());
          deps.ctx.logger.info({ user: id, practice: practiceId, by: currentUser(c)!.email }, 'member removed');
          return show(c, deps, { kind: 'ok', text: 'Removed from this practice: their other practices keep them, and their API tokens for this one no longer work.' });
        }
        await disableUser(deps.ctx.db, id, deps.ctx.clock());
        deps.ctx.logger.info({ user: id, by: currentUser(c)!.email }, 'user disabled');
        return show(c, deps, { kind: 'ok', text: 'User disabled: their sessions and API tokens no longer work.' });
      } catch (err) {
        if (err instanceof AccountError) return show(c, deps, { kind: 'error', text: err.message }, 400);
        throw err;
      }
    });
  },
};
