/**
 * `qbo-connect connect [--auto-consent] [--company NAME]`, `disconnect`, `status [--json]`.
 * connect prints the authorize URL and waits for QuickBooks to send the browser back to the
 * product's redirect URI: if the product server is running there it completes the flow and this
 * command sees the result in the database; otherwise this command listens on that address itself.
 * Errors are one line (expired or revoked → "Disconnected — connect again"), never a stack trace.
 */
import http from 'node:http';
import os from 'node:os';
import type { Command } from 'commander';
import type { App } from '../../app.js';
import { createConnectionService, STATE_TTL_MS, type ConnectionStatus } from '../../connect/connection/connection.js';
import { isUserFacing } from '../../user-facing-error.js';
import { OAuthError } from '../../qbo/oauth.js';
import { actingAs } from '../../connect/acting-practice.js';
import { resolvePractice } from '../../practice/practices.js';
import { cliApp, configFrom, practiceFlag, practiceFrom, userError } from '../context.js';
import { ConsentError, followEmulatorConsent } from '../auto-consent.js';

type Service = ReturnType<typeof createConnectionService>;

async function withService<T>(cmd: Command, fn: (svc: Service, app: App) => Promise<T>): Promise<T> {
  const config = configFrom(cmd);
  // These commands print their result on stdout; info-level log lines there would get in the way
  // (e.g. of `status --json | jq`), so they log warnings only unless a level was asked for.
  const asked = cmd.optsWithGlobals<{ logLevel?: string }>().logLevel ?? process.env.QBO_CONNECT_LOG_LEVEL;
  const app = await cliApp(config, asked ? config.logLevel : 'warn');
  try {
    const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock, store: app.ctx.qbo.connections });
    // With --practice, `status` and `disconnect` see that practice's companies only (issue 15).
    const given = practiceFlag(cmd);
    if (given === undefined) return await fn(svc, app);
    return await actingAs(await resolvePractice(app.ctx.db, given, '--practice ID'), () => fn(svc, app));
  } catch (err) {
    if (err instanceof OAuthError) throw userError(err.message);
    throw err;
  } finally {
    await app.close();
  }
}

function actor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function describeStatus(s: ConnectionStatus): string {
  const lines = [s.message];
  if (s.state === 'connected') {
    if (s.realmId) lines.push(`  company id (realm): ${s.realmId}`);
    if (s.region) lines.push(`  region: ${s.region}`);
    if (s.refreshTokenExpiresAt) lines.push(`  expires: ${s.refreshTokenExpiresAt} (extended each time QBO Connect uses it)`);
    if (s.refreshTokenHardExpiresAt) lines.push(`  must reconnect by: ${s.refreshTokenHardExpiresAt}`);
    if (s.connectedBy) lines.push(`  connected by: ${s.connectedBy} at ${s.connectedAt}`);
  }
  if (s.warning) lines.push(`Warning: ${s.warning}`);
  return lines.join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** Listens on the redirect URI until QuickBooks sends the browser back; 'busy' when the port is taken (the product server runs there). */
function listenForCallback(redirectUri: string, complete: (q: URLSearchParams) => Promise<ConnectionStatus>, timeoutMs: number): Promise<ConnectionStatus | 'busy'> {
  const target = new URL(redirectUri);
  return new Promise((resolve, reject) => {
    let settled = false;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', redirectUri);
      if (url.pathname !== target.pathname) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
        return;
      }
      complete(url.searchParams).then(
        (status) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
          res.end(`<!doctype html><title>QBO Connect</title><p>${escapeHtml(status.message)} You can close this window.</p>`);
          finish(() => resolve(status));
        },
        (err: unknown) => {
          const message = err instanceof Error && (isUserFacing(err) || err instanceof OAuthError) ? err.message : 'Connecting failed; the terminal says why.';
          res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
          res.end(`<!doctype html><title>QBO Connect</title><p>${escapeHtml(message)}</p>`);
          finish(() => reject(err));
        },
      );
    });
    const timer = setTimeout(() => finish(() => reject(userError('No answer from QuickBooks within 10 minutes; run "qbo-connect connect" again.'))), timeoutMs);
    const finish = (then: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.close(() => then());
      server.closeAllConnections();
    };
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err.code === 'EADDRINUSE') resolve('busy');
      else reject(userError(`Cannot listen on ${target.host} for the QuickBooks callback (${err.code ?? err.message}).`));
    });
    server.listen(Number(target.port || (target.protocol === 'https:' ? 443 : 80)), target.hostname.replace(/^\[|\]$/g, ''));
  });
}

/** The product server took the callback: wait until our state is spent, then read the outcome. */
async function waitForServer(svc: Service, app: App, state: string, startedAt: Date, timeoutMs: number): Promise<ConnectionStatus> {
  const crypto = await import('node:crypto');
  const hash = crypto.createHash('sha256').update(state).digest('hex');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const row = await app.ctx.db.selectFrom('oauth_states').select('used_at').where('state_hash', '=', hash).executeTakeFirst();
    if (row?.used_at) {
      const status = await svc.connectionStatus();
      if (status.state === 'connected' && status.connectedAt && Date.parse(status.connectedAt) >= startedAt.getTime() - 1000) return status;
      throw userError('QuickBooks answered, but the connection was not made; the browser page says why. Run "qbo-connect connect" again.');
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw userError('No answer from QuickBooks within 10 minutes; run "qbo-connect connect" again.');
}

export function registerConnection(program: Command): void {
  program
    .command('connect')
    .description('connect to a QuickBooks company: prints the authorize URL and waits for the answer')
    .option('--auto-consent', 'emulator only: answer the consent page without a browser')
    .option('--company <name>', 'emulator only: the company to pick (name or id)')
    .action(async (opts: { autoConsent?: boolean; company?: string }, cmd: Command) => {
      await withService(cmd, async (svc, app) => {
        const who = actor();
        if ((opts.autoConsent || opts.company) && svc.endpoints.env !== 'emulator') {
          throw userError(
            `${opts.autoConsent ? '--auto-consent' : '--company'} works only with the emulator (QBO_ENV=emulator); QuickBooks itself needs a person to consent in a browser.`,
          );
        }
        const startedAt = app.ctx.clock();
        const practiceId = await practiceFrom(app, cmd);
        const { url, redirectUri } = await svc.beginConnect({ actor: who, practiceId, ...(opts.company ? { company: opts.company } : {}) });
        let status: ConnectionStatus;
        if (opts.autoConsent) {
          let cb;
          try {
            cb = await followEmulatorConsent(url, opts.company);
          } catch (err) {
            if (err instanceof ConsentError) throw userError(err.message);
            throw userError(
              `Cannot reach the emulator's consent page at ${svc.endpoints.authorizeUrl}: ${err instanceof Error ? err.message : String(err)}. Is the emulator running (npm start starts one)?`,
            );
          }
          status = await svc.completeConnect({ ...cb, actor: who });
        } else {
          console.log(`Open this address in a browser and sign in to QuickBooks:\n\n  ${url}\n\nWaiting for QuickBooks to send you back to ${redirectUri} …`);
          const state = new URL(url).searchParams.get('state')!;
          const got = await listenForCallback(
            redirectUri,
            (q) =>
              svc.completeConnect({
                actor: who,
                ...Object.fromEntries(['code', 'state', 'realmId', 'error'].flatMap((k) => (q.get(k) !== null ? [[k, q.get(k)!]] : []))),
              }),
            STATE_TTL_MS,
          );
          status = got === 'busy' ? await waitForServer(svc, app, state, startedAt, STATE_TTL_MS) : got;
        }
        console.log(describeStatus(status));
      });
    });

  program
    .command('disconnect')
    .description('revoke the QuickBooks connection and forget its tokens')
    .option('--realm <id>', 'the QBO company (needed when several are connected)')
    .action(async (opts: { realm?: string }, cmd: Command) => {
      await withService(cmd, async (svc) => {
        const status = await svc.disconnect(opts.realm, actor(), { revoke: true });
        console.log(status.message);
      });
    });

  program
    .command('status')
    .description('the QuickBooks connection: company, region, state, expiry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withService(cmd, async (svc) => {
        const status = await svc.connectionStatus();
        console.log(opts.json ? JSON.stringify(status, null, 2) : describeStatus(status));
      });
    });
}
