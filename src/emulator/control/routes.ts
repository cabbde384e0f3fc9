/**
 * /control/… as JSON (mounted only when the control surface is enabled). Errors answer
 * `{"error": {"message": …}}` with 400 (bad input, naming the field) or 404 (unknown company).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ControlError, type EmulatorControl } from './control.js';

async function body(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ControlError('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function controlRoutes(control: EmulatorControl): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof z.ZodError) {
      const issue = err.issues[0]!;
      const where = issue.path.length ? issue.path.join('.') : 'body';
      return c.json({ error: { message: `${where}: ${issue.message}`, issues: err.issues } }, 400);
    }
    if (err instanceof SyntaxError) return c.json({ error: { message: `the body is not valid JSON: ${err.message}` } }, 400);
    if (err instanceof ControlError || err instanceof RangeError) return c.json({ error: { message: err.message } }, err instanceof ControlError ? err.status : 400);
    throw err;
  });

  app.get('/', (c) =>
    c.json({
      endpoints: [
        'GET  /control/companies',
        'POST /control/companies {"preset":"au|us|uk|ca","name"?,"automatedSalesTax"? (us only)}',
        'GET  /control/companies/:realmId/dump',
        'PUT  /control/companies/:realmId/preferences {…Preferences fields}',
        'POST /control/companies/:realmId/deposited {"entity":"Payment","id","deposited"?}',
        'POST /control/reset {"preset"?,"name"?,"automatedSalesTax"?}',
        'POST /control/clock/advance {"seconds"|"ms"}',
        'PUT  /control/time-scale {"scale"}',
        'GET|PUT /control/limits',
        'PUT  /control/requestid-memory {"size"}',
        'GET|PUT|DELETE /control/faults',
        'GET|PUT /control/auto-consent {"enabled"}',
        'GET|PUT /control/tokens/lifetimes',
        'POST /control/tokens/expire {"realmId"?}',
        'GET  /control/stats[?realmId=]',
        'DELETE /control/stats',
        'GET|PUT /control/webhooks {"url","verifierToken","delayMs"?,"format"?:"legacy|cloudevents","forge"?,"duplicate"?}',
        'POST /control/webhooks/flush',
      ],
    }),
  );
  app.get('/companies', (c) => c.json({ companies: control.companies() }));
  app.post('/companies', async (c) => c.json(control.seedCompany((await body(c)) as { preset: string }), 201));
  app.get('/companies/:realmId/dump', (c) => c.json(control.dump(c.req.param('realmId')) as object));
  app.put('/companies/:realmId/preferences', async (c) => c.json(control.setPreferences(c.req.param('realmId'), await body(c)) as object));
  app.post('/companies/:realmId/deposited', async (c) => c.json(control.markDeposited(c.req.param('realmId'), (await body(c)) as { entity: string; id: string })));
  app.post('/reset', async (c) => c.json({ companies: control.reset(await body(c)) }));
  app.post('/clock/advance', async (c) => c.json(control.advanceClock(await body(c))));
  app.put('/time-scale', async (c) => {
    const b = await body(c);
    return c.json(control.setTimeScale(b.scale as number));
  });
  app.get('/limits', (c) => c.json(control.limits()));
  app.put('/limits', async (c) => c.json(control.setLimits(await body(c))));
  app.put('/requestid-memory', async (c) => c.json(control.setRequestIdMemory((await body(c)).size as number)));
  app.get('/faults', (c) => c.json(control.faults()));
  app.put('/faults', async (c) => c.json(control.armFaults(await body(c))));
  app.delete('/faults', (c) => c.json(control.clearFaults()));
  app.get('/auto-consent', (c) => c.json({ enabled: control.autoConsent() }));
  app.put('/auto-consent', async (c) => c.json({ enabled: control.setAutoConsent((await body(c)).enabled as boolean) }));
  app.get('/tokens/lifetimes', (c) => c.json(control.tokenLifetimes()));
  app.put('/tokens/lifetimes', async (c) => c.json(control.setTokenLifetimes(await body(c))));
  app.post('/tokens/expire', async (c) => c.json(control.expireAccessTokens((await body(c)).realmId as string | undefined)));
  app.get('/stats', (c) => c.json(control.stats(c.req.query('realmId'))));
  app.delete('/stats', (c) => {
    control.resetStats();
    return c.body(null, 204);
  });
  app.get('/webhooks', (c) => c.json(control.webhooks()));
  app.put('/webhooks', async (c) => c.json(control.setWebhooks(await body(c))));
  app.post('/webhooks/flush', async (c) => c.json({ deliveries: await control.flushWebhooks() }));
  return app;
}
