/**
 * Notifications over the JSON API (connect/notify): `GET /` who is told (the webhook's signing secret
 * only as `webhookSecretSet`), `PUT /` a change `{ emails?, webhookUrl?, webhookSecret? }` (audited
 * under the signed-in user), `GET /audit` the trail, `POST /test` a test message on every channel.
 * Like settings: anyone signed in reads; administrators change and test.
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { getNotificationSettings, listNotificationAudit, sendTestNotification, setNotificationSettings } from '../../connect/notify/index.js';
import { practiceOf } from '../practice-scope.js';
import { refusal } from '../reasons.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

const actorOf = (c: Context<AuthEnv>) => `user:${c.get('user').email}`;

export function notificationsApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));

  // Only an administrator sees the webhook URL whole: its path is often the receiver's credential.
  api.get('/', requireRole('viewer'), async (c) => c.json(await getNotificationSettings(ctx.db, practiceOf(c), { masked: c.get('user').role !== 'administrator' })));

  api.get('/audit', requireRole('viewer'), async (c) => c.json({ audit: await listNotificationAudit(ctx.db, { practiceId: practiceOf(c) }) }));

  api.put('/', requireRole('administrator'), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { setting: 'notifications' }, 'body');
    }
    const results = await setNotificationSettings(ctx.db, { practiceId: practiceOf(c), change: body, actor: actorOf(c), clock: ctx.clock, cipher: ctx.qbo.cipher });
    return c.json({ results, notifications: await getNotificationSettings(ctx.db, practiceOf(c)) });
  });

  api.post('/test', requireRole('administrator'), async (c) => c.json(await sendTestNotification(ctx, actorOf(c))));

  return api;
}
