/**
 * The web app's middleware and pages, mounted on the product's HTTP app. Order matters:
 * static assets (no session needed) → `setupGate` → `sessionMiddleware` → `csrfProtection` →
 * `signedIn` → `practiceScope` → pages. The JSON API mounted after this sees the session user too (apiTokenAuth
 * accepts it), and its state-changing calls from a browser session need the CSRF header.
 */
import type { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { signInLimiters } from '../../accounts/rate-limit.js';
import { createConnectionService, type ConnectionService } from '../../connect/connection/connection.js';
import { pages } from '../pages/index.js';
import type { NavItem, WebDeps, WebEnv } from './env.js';
import { csrfProtection } from './csrf.js';
import { setupGate, signedIn } from './guards.js';
import { refuseNulInForms } from './nul.js';
import { sessionMiddleware } from './session.js';
import { mountStatic } from './static.js';
import { practiceScope } from '../practice-scope.js';

export interface WebOptions {
  connection?: ConnectionService | undefined;
  /** Ask for this one-time code on /setup (`qbo-connect start` makes one and prints it). */
  setupCode?: string | undefined;
}

export function mountWeb(app: Hono, ctx: AppContext, opts: WebOptions = {}): WebDeps {
  const deps: WebDeps = {
    ctx,
    // Tests may pass their own (or `undefined` for "not available"); the product builds the real one.
    connection:
      'connection' in opts ? opts.connection : createConnectionService({ db: ctx.db, config: ctx.config, logger: ctx.logger, clock: ctx.clock, store: ctx.qbo.connections }),
    limiters: signInLimiters(),
    secureCookies: ctx.config.publicUrl.startsWith('https://'),
    setupCode: opts.setupCode,
  };
  const web = app as unknown as Hono<WebEnv>;
  const nav: NavItem[] = pages.flatMap((p) => (p.nav ? [p.nav] : []));

  mountStatic(web);
  web.use('*', setupGate(deps));
  web.use('*', sessionMiddleware(deps));
  web.use('*', csrfProtection(deps));
  web.use('*', signedIn());
  // Which practice the request acts on, and the person's role there: 404 when not theirs.
  web.use('*', practiceScope(ctx.db));
  // Form fields are read only now, after the body limit, the session and the CSRF check.
  web.use('*', refuseNulInForms());
  web.use('*', async (c, next) => {
    c.set('nav', nav);
    c.set('connection', deps.connection);
    await next();
  });
  for (const page of pages) page.mount(web, deps);
  return deps;
}
