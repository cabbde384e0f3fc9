/**
 * The settings JSON API: `GET /` (every setting), `PUT /{path}` with `{ "value": … }` (one change,
 * audited under the signed-in user), `GET /audit` (the trail, filterable). The company is `?realm=ID`,
 * or the single connected one. Errors: `{ error: { code, message, field } }` naming the setting.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { resolveKnownRealm } from './known-realm.js';
import { refusal } from '../reasons.js';
import { getSettings, listAudit, setSetting } from '../../connect/settings/store.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

type Ctx = Context<AuthEnv>;

// Filters reach the database as parameters: PostgreSQL fails on NUL (a 500), so control characters are refused.
const filterText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not hold control characters' });
const auditQuery = z.object({
  path: filterText(300).optional(),
  actor: filterText(200).optional(),
  since: z
    .string()
    .refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) || /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v), { error: 'must be a date (YYYY-MM-DD) or a UTC time (2026-11-26T01:00:00Z)' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** Keys that would reach an object's prototype rather than a map entry: refused wherever they appear. */
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first prototype-reaching key in the setting's path or anywhere in its value, if any. */
export function forbiddenKey(path: string, value: unknown): string | undefined {
  for (const seg of path.split(/[.[\]/]+/)) if (PROTO_KEYS.has(seg)) return seg;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    // JSON.parse makes "__proto__" an own key, so Object.keys sees it.
    for (const k of Object.keys(v)) {
      if (PROTO_KEYS.has(k)) return k;
      stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return undefined;
}

/** Who a change is recorded under: the person behind the token or session. */
function actorOf(c: Ctx): string {
  return `user:${c.get('user').email}`;
}

export function settingsApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));

  const realm = (c: Ctx) => resolveKnownRealm(ctx.db, c.req.query('realm'), '?realm=ID');

  // A bad setting or company is a refusal naming it: onError (server/http.ts) answers it with its status.
  api.get('/', requireRole('viewer'), async (c) => {
    const realmId = await realm(c);
    return c.json({ realmId, settings: await getSettings(ctx.db, realmId, ctx.clock) });
  });

  api.get('/audit', requireRole('viewer'), async (c) => {
    const q = auditQuery.safeParse(c.req.query());
    if (!q.success) {
      const issue = q.error.issues[0]!;
      const field = String(issue.path[0] ?? 'query');
      throw refusal('request.invalid-query', { field, problem: issue.message, colon: true }, field);
    }
    const realmId = await realm(c);
    return c.json({ realmId, audit: await listAudit(ctx.db, realmId, q.data) });
  });

  // Settings decide what reaches the books: only administrators change them.
  api.put('/:path', requireRole('administrator'), async (c) => {
    const path = c.req.param('path');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { setting: path }, path);
    }
    if (body === null || typeof body !== 'object' || !Object.hasOwn(body, 'value')) {
      throw refusal('request.missing-value', { setting: path }, path);
    }
    const forbidden = forbiddenKey(path, (body as { value: unknown }).value);
    if (forbidden) {
      throw refusal('settings.forbidden-key', { setting: path, value: forbidden }, path);
    }
    const realmId = await realm(c);
    const result = await setSetting(ctx.db, { realmId, path, value: (body as { value: unknown }).value, actor: actorOf(c), clock: ctx.clock });
    return c.json({ realmId, ...result });
  });

  return api;
}
