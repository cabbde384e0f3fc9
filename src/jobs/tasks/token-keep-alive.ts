/**
 * The daily 'token-keep-alive' task (issue 16): refreshes every connected company whose QuickBooks
 * refresh token would otherwise age toward Intuit's 100-day rolling expiry, and warns as the 5-year
 * hard expiry nears (connect/connection/keep-alive.ts). One company's failure is logged and notified
 * there, never thrown: a retry would refresh the others again for nothing.
 */
import { keepTokensAlive } from '../../connect/connection/keep-alive.js';
import type { TaskHandler } from '../queue.js';

export const tokenKeepAlive: TaskHandler = async (_payload, t) => {
  const outcomes = await keepTokensAlive(t.ctx);
  const count = (a: string) => outcomes.filter((o) => o.action === a).length;
  t.ctx.logger.info({ companies: outcomes.length, refreshed: count('refreshed'), failed: count('failed'), disconnected: count('disconnected') }, 'keep-alive: done');
};
