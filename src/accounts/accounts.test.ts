import { Hono } from 'hono';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { createLogger } from '../log.js';
import { testConfig } from '../../test/helpers/config.js';
import type { AppContext } from '../context.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../server/auth/api-token.js';
import { practiceScope } from '../server/practice-scope.js';
import { createApiToken, listApiTokens, revokeApiToken, userForApiToken } from './api-tokens.js';
import { AccountError, countUsers, createUser, findUserByEmail } from './users.js';

describeEachDialect(
  'accounts',
  (ctx) => {
    it('creates users with a role and refuses bad or duplicate ones, naming the field', async () => {
      const ann = await createUser(ctx.db, { email: 'Ann@Example.com', name: 'Ann', role: 'administrator' });
      expect(ann.email).toBe('ann@example.com');
      expect((await findUserByEmail(ctx.db, 'ANN@example.com'))?.id).toBe(ann.id);
      await expect(createUser(ctx.db, { email: 'ann@example.com', name: 'Ann 2', role: 'viewer' })).rejects.toThrow('email is already in use');
      await expect(createUser(ctx.db, { email: 'not-an-email', name: 'X', role: 'viewer' })).rejects.toThrow(/email must be an email address/);
      await expect(createUser(ctx.db, { email: 'b@example.com', name: 'B', role: 'owner' })).rejects.toBeInstanceOf(AccountError);
      expect(await countUsers(ctx.db)).toBe(1);
    });

    it('stores only a hash of API tokens, finds the user, and forgets revoked tokens', async () => {
      const bob = await createUser(ctx.db, { email: 'bob@example.com', name: 'Bob', role: 'bookkeeper' });
      const { token, info } = await createApiToken(ctx.db, bob.id, 'import script');
      expect(token).toMatch(/^qbc_/);
      const stored = await ctx.db.selectFrom('api_tokens').selectAll().execute();
      expect(JSON.stringify(stored)).not.toContain(token);
      expect((await userForApiToken(ctx.db, token))?.email).toBe('bob@example.com');
      expect(await userForApiToken(ctx.db, token + 'x')).toBeUndefined();
      expect(await userForApiToken(ctx.db, 'Bearer nonsense')).toBeUndefined();
      expect(await revokeApiToken(ctx.db, bob.id, info.id)).toBe(true);
      expect(await userForApiToken(ctx.db, token)).toBeUndefined();
      expect((await listApiTokens(ctx.db, bob.id))[0]?.revokedAt).not.toBeNull();
    });

    it('guards the JSON API: 401 without a token, 403 below the role, 200 otherwise', async () => {
      const app = { db: ctx.db, clock: () => new Date(), logger: createLogger('silent'), config: testConfig() } as unknown as AppContext;
      const viewer = await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer' });
      const { token } = await createApiToken(ctx.db, viewer.id, 't');
      const http = new Hono<AuthEnv>();
      // A token acts on its practice only: the scope says which practice the request is for (here the only one).
      http.use('*', practiceScope(ctx.db));
      http.use('*', apiTokenAuth(app));
      http.get('/read', (c) => c.json({ who: c.get('user').email }));
      http.post('/sync', requireRole('bookkeeper'), (c) => c.json({ ok: true }));

      const none = await http.request('/read');
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { field: string } }).error.field).toBe('Authorization');
      expect((await http.request('/read', { headers: { authorization: 'Bearer qbc_wrong' } })).status).toBe(401);
      const ok = await http.request('/read', { headers: { authorization: `Bearer ${token}` } });
      expect(await ok.json()).toEqual({ who: 'vic@example.com' });
      const forbidden = await http.request('/sync', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as { error: { message: string } }).error.message).toContain('bookkeeper');
    });
  },
  { fresh: 'each' },
);
