/**
 * The connection over the JSON API: `GET /api/v1/connection` → the status (company, region, state,
 * refresh-token expiry, warning), for any signed-in user or API token. Connecting needs a browser
 * (QuickBooks' consent page), so it stays in the web app and the CLI.
 */
import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { ConnectionService } from '../../connect/connection/connection.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

export function connectionApi(ctx: AppContext, connection: ConnectionService | undefined): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  api.get('/', requireRole('viewer'), async (c) => {
    if (!connection) return c.json({ error: { code: 'connection.not-configured', message: 'QuickBooks is not configured on this server.' } }, 503);
    return c.json(await connection.connectionStatus());
  });
  return api;
}
