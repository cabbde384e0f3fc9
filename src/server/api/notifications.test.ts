/**
 * /api/v1/notifications on both dialects: administrators change who is told (audited, the secret
 * never echoed), viewers only read; bad input answers 400 naming the field and stores nothing.
 */
import crypto from 'node:crypto';
import { Hono } from 'hono';
import { beforeAll, expect, it } from 'vitest';
import { onError } from '../http.js';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { testConfig } from '../../../test/helpers/config.js';
import type { AppContext } from '../../context.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createUser } from '../../accounts/users.js';
import { createTokenCipher } from '../../connect/connection/crypto.js';
import { createLogger } from '../../log.js';
import { notificationsApi } from './notifications.js';

const SECRET = 'whsec-api-7d2e9f1a0b3c5e';

describeEachDialect('notifications API', (ctx) => {
  let http: Hono;
  let admin: string;
  let viewer: string;
  const call = (token: string, method = 'GET', body?: unknown, path = '/api/v1/notifications') =>
    http.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    const app = {
      db: ctx.db,
      clock: () => new Date('2026-11-26T01:00:00Z'),
      logger: createLogger('silent'),
      config: testConfig(),
      qbo: { cipher: createTokenCipher(crypto.randomBytes(32)) },
    } as unknown as AppContext;
    const ann = await createUser(ctx.db, { email: 'ann@example.com', name: 'Ann', role: 'administrator' });
    const vic = await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer' });
    admin = (await createApiToken(ctx.db, ann.id, 't')).token;
    viewer = (await createApiToken(ctx.db, vic.id, 't')).token;
    http = new Hono();
    http.route('/api/v1/notifications', notificationsApi(app) as unknown as Hono);
    http.onError(onError(app.logger));
  });

  it('an administrator sets recipients and the webhook; the answer and the audit never carry the secret', async () => {
    const res = await call(admin, 'PUT', { emails: ['ada@example.com'], webhookUrl: 'https://hooks.example.com/services/T0/B0/tok3n?key=k1', webhookSecret: SECRET });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({
      notifications: { emails: ['ada@example.com'], webhookUrl: 'https://hooks.example.com/services/T0/B0/tok3n?key=k1', webhookSecretSet: true },
    });
    // The URL's path is the receiver's credential (Slack-style): a viewer sees scheme://host/… only; an administrator the whole.
    const read = await call(viewer);
    expect(await read.json()).toEqual({ emails: ['ada@example.com'], webhookUrl: 'https://hooks.example.com/…', webhookSecretSet: true });
    expect(await (await call(admin)).json()).toMatchObject({ webhookUrl: 'https://hooks.example.com/services/T0/B0/tok3n?key=k1' });
    const audit = await (await call(viewer, 'GET', undefined, '/api/v1/notifications/audit')).text();
    expect(audit).not.toContain(SECRET);
    expect(audit).not.toContain('tok3n');
    expect(audit).toContain('https://hooks.example.com/…');
    expect(JSON.parse(audit)).toMatchObject({
      audit: expect.arrayContaining([
        expect.objectContaining({ field: 'emails', oldValue: [], newValue: ['ada@example.com'], actor: 'user:ann@example.com', changedAt: '2026-11-26T01:00:00.000Z' }),
        expect.objectContaining({ field: 'webhookSecret', oldValue: 'none', newValue: 'set' }),
      ]),
    });
  });

  it('a viewer cannot change them', async () => {
    expect((await call(viewer, 'PUT', { emails: [] })).status).toBe(403);
    expect((await call(viewer, 'POST', {}, '/api/v1/notifications/test')).status).toBe(403);
  });

  it('bad input answers 400 naming the field; nothing changes', async () => {
    for (const [body, field] of [
      [{ emails: ['x@y'] }, 'emails[0]'],
      [{ webhookUrl: 'http://hooks.example.com/qbo' }, 'webhookUrl'],
      // No webhook to internal addresses (SSRF): metadata, private, link-local, unspecified, IPv4-mapped.
      [{ webhookUrl: 'https://169.254.169.254/latest' }, 'webhookUrl'],
      [{ webhookUrl: 'https://10.0.0.1:6379/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://172.20.1.1/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://192.168.1.1/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://[fe80::1]/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://[fd00:ec2::254]/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://0.0.0.0/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://[::ffff:10.0.0.1]/' }, 'webhookUrl'],
      [{ webhookUrl: 'https://224.0.0.1/' }, 'webhookUrl'],
      [{ webhookSecret: 'short' }, 'webhookSecret'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const res = await call(admin, 'PUT', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()) as { error: { field: string; message: string } };
      expect(err.error.field).toBe(field);
      expect(err.error.message).toContain(field);
    }
    const bad = await http.request('/api/v1/notifications', { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await (await call(viewer)).json()).toEqual({ emails: ['ada@example.com'], webhookUrl: 'https://hooks.example.com/…', webhookSecretSet: true });
  });

  it('"none" turns the webhook off, as the refusal sentence says; loopback over http stays allowed', async () => {
    const local = await call(admin, 'PUT', { webhookUrl: 'http://127.0.0.1:47310/hook' });
    expect(local.status).toBe(200);
    const off = await call(admin, 'PUT', { webhookUrl: 'none', webhookSecret: null });
    expect(off.status).toBe(200);
    expect(await (await call(admin)).json()).toMatchObject({ webhookUrl: null, webhookSecretSet: false });
  });
});
