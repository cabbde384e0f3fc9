/**
 * The security rehearsal's test bench: the product app on a SQLite file (so the database file and
 * its WAL can be searched), a debug-level logger whose every line is kept, one user per role with a
 * browser session and an API token each, and helpers that call the app in-process as any of them.
 */
import crypto from 'node:crypto';
import type { Hono } from 'hono';
import pg from 'pg';
import { expect, inject } from 'vitest';
import type { Dialect } from '../../src/store/dialect.js';
import { createApp, type App } from '../../src/app.js';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createSession } from '../../src/accounts/sessions.js';
import { createUser, type Role } from '../../src/accounts/users.js';
import { hashPassword } from '../../src/accounts/passwords.js';
import { createHttpApp } from '../../src/server/http.js';
import { isFirmPath, isGlobalPath } from '../../src/server/practice-scope.js';
import type { WebOptions } from '../../src/server/web/index.js';
import { testConfig } from '../helpers/config.js';
import { capturingLogger } from '../helpers/qbo.js';

export const roleNames = ['viewer', 'bookkeeper', 'administrator'] as const satisfies readonly Role[];
export const rank: Record<Role, number> = { viewer: 0, bookkeeper: 1, administrator: 2 };

export interface Person {
  role: Role;
  email: string;
  password: string;
  /** The session cookie's value (`qbc_session`) and the session's CSRF token. */
  cookie: string;
  csrf: string;
  apiToken: string;
}

export interface Bench {
  app: App;
  http: Hono;
  lines: string[];
  people: Record<Role, Person>;
  origin: string;
  /** A request as `who` (a session or an API token; nobody when undefined). */
  call(path: string, init?: CallInit): Promise<Response>;
  close(): Promise<void>;
}

export interface CallInit {
  method?: string;
  as?: { person: Person; via: 'session' | 'token' } | undefined;
  /** Leave the CSRF token out of a session's state-changing request. */
  noCsrf?: boolean;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface BenchOptions {
  env?: NodeJS.ProcessEnv;
  web?: WebOptions;
  clock?: () => Date;
  /** SQLite (a file in the data folder, the default) or a fresh PostgreSQL database cloned from the migrated template. */
  dialect?: Dialect;
  /** The administrator is also an owner of the firm (as the first person set up is), to open the firm overview; default true. */
  ownerAdministrator?: boolean;
}

/** A fresh PostgreSQL database for one bench: its URL and how to drop it. */
export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `qbo_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function makeBench(opts: BenchOptions = {}): Promise<Bench> {
  const { logger, lines } = capturingLogger();
  const pgDb = opts.dialect === 'postgres' ? await freshPostgres() : undefined;
  const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: 'http://127.0.0.1:9', ...opts.env, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) });
  // It runs the queued jobs like `start` does (a sync is a job: jobs/enqueue-sync.ts).
  const app = await createApp(config, { logger, runJobs: true, ...(opts.clock ? { clock: opts.clock } : {}) });
  const http = createHttpApp(app.ctx, opts.web);
  const people = {} as Record<Role, Person>;
  for (const role of roleNames) {
    const email = `${role}@example.com`;
    const password = `${role} password 123`;
    const owner = role === 'administrator' && opts.ownerAdministrator !== false;
    const user = await createUser(app.ctx.db, { email, name: `The ${role}`, role, owner, passwordHash: await hashPassword(password) });
    const { cookieValue, session } = await createSession(app.ctx.db, user, app.ctx.clock());
    const { token } = await createApiToken(app.ctx.db, user.id, `${role} token`);
    people[role] = { role, email, password, cookie: cookieValue, csrf: session.csrfToken, apiToken: token };
  }
  const origin = new URL(config.publicUrl).origin;
  const call = async (path: string, init: CallInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { accept: path.startsWith('/api/') ? 'application/json' : 'text/html', ...init.headers };
    if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    if (method !== 'GET' && method !== 'HEAD') headers.origin ??= origin;
    const who = init.as;
    if (who?.via === 'session') {
      headers.cookie = `qbc_session=${who.person.cookie}`;
      if (!init.noCsrf && method !== 'GET') headers['x-csrf-token'] = who.person.csrf;
    } else if (who?.via === 'token') {
      headers.authorization = `Bearer ${who.person.apiToken}`;
    }
    return http.request(`${origin}${path}`, { method, headers, redirect: 'manual', ...(init.body !== undefined ? { body: init.body } : {}) });
  };
  return {
    app,
    http,
    lines,
    people,
    origin,
    call,
    close: async () => {
      await app.close();
      await pgDb?.drop();
    },
  };
}

/** What a server-side stack trace, source path or raw JavaScript error looks like in a body. */
const stackPatterns = [/\n\s+at \S/, /\(file:\/\//, /node_modules\//, /\/src\/\S+\.tsx?\b/, /\b(TypeError|ReferenceError|SyntaxError|RangeError)\b/];

/** The first stack-trace-like piece of `text`, or undefined when there is none. */
export function stackTraceIn(text: string): string | undefined {
  for (const p of stackPatterns) {
    const m = p.exec(text);
    if (m) return text.slice(Math.max(0, m.index - 40), m.index + 80);
  }
  return undefined;
}

/** The routes the app answers, as `METHOD /path`, from Hono's own table (middleware excluded). */
export function routesOf(http: Hono): string[] {
  return [...new Set(http.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();
}

/**
 * A concrete path for a route pattern: every `:param` gets a harmless value, and a route of a practice
 * is called as its URL names it (issue 15): pages under `/p/{practice}/…`, the API under
 * `/api/v1/practices/{practice}/…` (the bench's people are members of `default`).
 */
export function concrete(path: string, practice = 'default'): string {
  const values: Record<string, string> = { kind: 'invoices', key: 'INV-1', id: '1', path: 'general.exportFrom' };
  const prefixed =
    isGlobalPath(path) || isFirmPath(path) ? path : path.startsWith('/api/v1/') ? `/api/v1/practices/${practice}${path.slice('/api/v1'.length)}` : `/p/${practice}${path}`;
  // Segment by segment (a Hono pattern may carry a `{regex}` after the name).
  return prefixed
    .split('/')
    .map((seg) => (seg.startsWith(':') ? (values[/^:(\w+)/.exec(seg)![1]!] ?? '1') : seg === '*' ? 'x' : seg))
    .join('/');
}

/** CSP, nosniff, referrer policy, no framing: on every answer, pages, API, errors and redirects alike. */
export function expectSecurityHeaders(res: Response, what: string): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp, `${what}: CSP`).toMatch(/default-src 'self'/);
  expect(csp, `${what}: CSP script-src`).toMatch(/script-src 'self'(;|$)/);
  expect(csp, `${what}: no unsafe-inline/eval`).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(csp, `${what}: frame-ancestors`).toMatch(/frame-ancestors 'none'/);
  expect(csp, `${what}: object-src`).toMatch(/object-src 'none'/);
  expect(csp, `${what}: base-uri`).toMatch(/base-uri 'none'/);
  expect(res.headers.get('x-content-type-options'), `${what}: nosniff`).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), `${what}: referrer policy`).toMatch(/^(same-origin|no-referrer|strict-origin(-when-cross-origin)?)$/);
  expect(res.headers.get('x-frame-options'), `${what}: x-frame-options`).toBe('DENY');
  const hsts = /max-age=(\d+)/.exec(res.headers.get('strict-transport-security') ?? '');
  expect(Number(hsts?.[1] ?? 0), `${what}: HSTS for at least a year`).toBeGreaterThanOrEqual(31_536_000);
  if ((res.headers.get('content-type') ?? '').includes('application/json')) {
    expect(res.headers.get('cache-control') ?? '', `${what}: API answers are not cached`).toMatch(/no-store/);
  }
  if ((res.headers.get('content-type') ?? '').includes('text/html') && res.status === 200) {
    expect(res.headers.get('cache-control'), `${what}: pages are not cached`).toMatch(/no-store/);
  }
}

export function expectSafeCookies(res: Response, what: string, secure: boolean): void {
  for (const sc of res.headers.getSetCookie()) {
    // A deletion (empty value, Max-Age=0) carries nothing to protect.
    if (/^[^=]+=;/.test(sc) && /max-age=0/i.test(sc)) continue;
    expect(sc, `${what}: HttpOnly`).toMatch(/;\s*HttpOnly/i);
    expect(sc, `${what}: SameSite`).toMatch(/;\s*SameSite=(Lax|Strict)/i);
    if (secure) expect(sc, `${what}: Secure`).toMatch(/;\s*Secure/i);
    else expect(sc, `${what}: no Secure over http`).not.toMatch(/;\s*Secure/i);
  }
}
