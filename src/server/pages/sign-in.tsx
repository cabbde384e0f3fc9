/** First-run set-up (the first administrator), sign in and sign out. */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { closeSession, startSession } from '../web/session.js';
import { safeNext } from '../web/guards.js';
import crypto from 'node:crypto';
import { hashPassword, passwordProblem, verifyPassword, dummyHash } from '../../accounts/passwords.js';
import { countAttempt, countSuccess } from '../../accounts/rate-limit.js';
import { AccountError, countUsers, createUser, credentialsFor } from '../../accounts/users.js';

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}

/** Only a value shaped like an email is ever logged: a password typed into the email box must not be. */
export function loggableEmail(value: string): string {
  return value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? value : '(not an email address)';
}

function SetupForm({ csrf, error, values, needsCode }: { csrf: string; error?: string; values?: { name: string; email: string }; needsCode: boolean }) {
  return (
    <>
      <h1>Set up QBO Connect</h1>
      <p>No one uses QBO Connect yet. Create the first administrator: they can connect QuickBooks, change settings and add other users.</p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/setup" class="stack">
        <CsrfField token={csrf} />
        {needsCode ? (
          <>
            <label for="code">Set-up code (printed where QBO Connect was started)</label>
            <input id="code" name="code" required autocomplete="one-time-code" />
          </>
        ) : null}
        <label for="name">Your name</label>
        <input id="name" name="name" required maxlength={100} autocomplete="name" value={values?.name ?? ''} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" required autocomplete="username" value={values?.email ?? ''} />
        <label for="password">Password (at least 10 characters)</label>
        <input id="password" name="password" type="password" required minlength={10} autocomplete="new-password" />
        <label for="confirm">Password again</label>
        <input id="confirm" name="confirm" type="password" required minlength={10} autocomplete="new-password" />
        <button type="submit">Create administrator</button>
      </form>
    </>
  );
}

function SignInForm({ csrf, error, email, next }: { csrf: string; error?: string; email?: string; next: string }) {
  return (
    <>
      <h1>Sign in</h1>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form method="post" action="/signin" class="stack">
        <CsrfField token={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" required autocomplete="username" value={email ?? ''} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" required autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </form>
    </>
  );
}

/** Someone else finished set-up first. */
class SetupTaken extends Error {}

function minutes(ms: number): string {
  const m = Math.max(1, Math.ceil(ms / 60_000));
  return `${m} minute${m === 1 ? '' : 's'}`;
}

export const signInPage: WebPage = {
  mount(app, deps: WebDeps) {
    let dummy: Promise<string> | undefined;

    const needsCode = deps.setupCode !== undefined;
    app.get('/setup', (c) => renderPage(c, { title: 'Set up', bare: true, body: <SetupForm csrf={c.get('csrfToken')} needsCode={needsCode} /> }));

    app.post('/setup', async (c) => {
      const body = await c.req.parseBody();
      const values = { name: field(body, 'name'), email: field(body, 'email') };
      const again = (error: string, status: 400 | 403 | 409 | 429 = 400) =>
        renderPage(c, { title: 'Set up', bare: true, status, body: <SetupForm csrf={c.get('csrfToken')} error={error} values={values} needsCode={needsCode} /> });
      if (deps.setupCode !== undefined) {
        // The code is a password too: guesses are counted per address before it is compared.
        const wait = deps.limiters.perIp.attempt(`setup:${c.get('clientIp')}`, deps.ctx.clock().getTime());
        if (wait > 0) return again('Too many wrong set-up codes from here. Wait a few minutes and try again.', 429);
        const given = Buffer.from(field(body, 'code').trim());
        const want = Buffer.from(deps.setupCode);
        if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
          return again('Set-up code: not right. Use the code QBO Connect printed on its console when it started.', 403);
        }
      }
      const password = field(body, 'password');
      const problem = passwordProblem(password, [values.email, values.name]);
      if (problem) return again(`Password ${problem}.`);
      // Both values came from this same form; this is not a secret comparison.
      // eslint-disable-next-line security/detect-possible-timing-attacks
      if (password !== field(body, 'confirm')) return again('The two passwords differ: type the same password in both boxes.');
      if ((await countUsers(deps.ctx.db)) > 0) return c.redirect('/signin', 303);
      const passwordHash = await hashPassword(password);
      try {
        // Two browsers racing through set-up get one administrator: the first claims a unique
        // app_meta key in the same transaction that creates the user; the second's insert fails.
        const user = await deps.ctx.db.transaction().execute(async (trx) => {
          const now = deps.ctx.clock();
          try {
            await trx.insertInto('app_meta').values({ key: 'setup.first-administrator', value: values.email.trim().toLowerCase(), updated_at: now.toISOString() }).execute();
          } catch {
            throw new SetupTaken();
          }
          // The first person runs the installation: an owner of the firm (issue 15) and administrator of its practice.
          return createUser(trx, { ...values, role: 'administrator', passwordHash, owner: true, actor: values.email }, now);
        });
        deps.ctx.logger.info({ user: loggableEmail(user.email) }, 'first administrator created');
        await startSession(c, deps, user);
        return c.redirect('/', 303);
      } catch (err) {
        if (err instanceof SetupTaken) return c.redirect('/signin', 303);
        if (err instanceof AccountError) return again(err.message.replace(/^user [^:]*: /, `${err.field ?? 'value'}: `));
        throw err;
      }
    });

    app.get('/signin', (c) => {
      const next = safeNext(c.req.query('next'), deps.ctx.config.publicUrl);
      if (c.get('session')) return c.redirect(next, 303);
      return renderPage(c, { title: 'Sign in', bare: true, body: <SignInForm csrf={c.get('csrfToken')} next={next} /> });
    });

    app.post('/signin', async (c: Context<WebEnv>) => {
      const body = await c.req.parseBody();
      const email = field(body, 'email').trim().toLowerCase().slice(0, 254);
      const password = field(body, 'password');
      const next = safeNext(field(body, 'next'), deps.ctx.config.publicUrl);
      const show = (error: string, status: 401 | 429) =>
        renderPage(c, { title: 'Sign in', bare: true, status, body: <SignInForm csrf={c.get('csrfToken')} error={error} email={email} next={next} /> });
      const now = deps.ctx.clock().getTime();
      const ip = c.get('clientIp');
      // Counted before the password is checked, so a burst of guesses sent together is limited too.
      const wait = countAttempt(deps.limiters, email, ip, now);
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        deps.ctx.logger.warn({ email: loggableEmail(email), ip }, 'sign-in throttled');
        return show(
          `Too many failed sign-in attempts. Try again in ${wait < 60_000 ? `${Math.ceil(wait / 1000)} seconds` : minutes(wait)}, or ask an administrator to check your account.`,
          429,
        );
      }
      const creds = await credentialsFor(deps.ctx.db, email);
      // An unknown email still costs one scrypt, so timing does not reveal who has an account.
      const ok = creds?.passwordHash ? await verifyPassword(password, creds.passwordHash) : (await verifyPassword(password, await (dummy ??= dummyHash())), false);
      if (!creds || !ok) {
        deps.ctx.logger.info({ email: loggableEmail(email), ip }, 'sign-in refused');
        return show('That email and password do not match an account. Check both and try again.', 401);
      }
      countSuccess(deps.limiters, email, ip);
      await startSession(c, deps, creds.user);
      return c.redirect(next, 303);
    });

    app.post('/signout', async (c) => {
      await closeSession(c, deps);
      return c.redirect('/signin', 303);
    });
  },
};
