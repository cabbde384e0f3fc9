/**
 * `qbo-connect notify show|set|test|audit`: who is told when unattended work needs a person
 * (connect/notify). The webhook's signing secret is read from an environment variable the operator
 * names (`--webhook-secret-from-env NAME`), never from the command line (shell history, `ps`).
 */
import type { Command } from 'commander';
import { getNotificationSettings, listNotificationAudit, sendTestNotification, setNotificationSettings } from '../../connect/notify/index.js';
import { practiceFrom, userError } from '../context.js';
import { cliActor, showValue, withApp } from './settings.js';

interface SetOptions {
  emails?: string;
  webhookUrl?: string;
  webhookSecretFromEnv?: string;
}

/** The options → a change: `none` clears; emails are comma-separated. */
export function changeFromOptions(opts: SetOptions, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const change: Record<string, unknown> = {};
  if (opts.emails !== undefined)
    change.emails =
      opts.emails.trim() === 'none'
        ? []
        : opts.emails
            .split(',')
            .map((e) => e.trim())
            .filter(Boolean);
  if (opts.webhookUrl !== undefined) change.webhookUrl = opts.webhookUrl.trim() === 'none' ? null : opts.webhookUrl.trim();
  if (opts.webhookSecretFromEnv !== undefined) {
    const name = opts.webhookSecretFromEnv;
    const value = env[name];
    if (!value) throw userError(`--webhook-secret-from-env ${name}: the environment variable ${name} is not set; put the signing secret (16 to 200 characters) in it.`);
    change.webhookSecret = value;
  }
  if (change.webhookUrl === null && change.webhookSecret === undefined) change.webhookSecret = null;
  if (Object.keys(change).length === 0) throw userError('notify set: give --emails, --webhook-url or --webhook-secret-from-env (see `qbo-connect notify set --help`)');
  return change;
}

export function registerNotify(program: Command): void {
  const notify = program.command('notify').description('who is told (email, webhook) when a sync fails, is held or refused, or a connection is lost or expiring');

  notify
    .command('show')
    .description('show the email recipients and the webhook (its URL as scheme://host/…, its secret only as set/none)')
    .option('--json', 'print JSON')
    .option('--full-url', "print the webhook URL whole (its path is often the receiver's credential: mind the terminal and logs)")
    .action(async (opts: { json?: boolean; fullUrl?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const n = await getNotificationSettings(app.ctx.db, await practiceFrom(app, cmd), { masked: !opts.fullUrl });
        if (opts.json) {
          console.log(JSON.stringify({ ...n, smtpConfigured: !!app.ctx.config.smtpUrl }, null, 2));
          return;
        }
        console.log(`emails = ${n.emails.length ? n.emails.join(', ') : 'none'}`);
        console.log(`webhookUrl = ${showValue(n.webhookUrl)}`);
        console.log(`webhookSecret = ${n.webhookSecretSet ? 'set' : 'none'}`);
        if (!app.ctx.config.smtpUrl) console.log('(QBO_CONNECT_SMTP_URL is not set: no email is sent)');
      });
    });

  notify
    .command('set')
    .description('change who is told; each change is audited')
    .option('--emails <list>', 'comma-separated email addresses, or none')
    .option('--webhook-url <url>', 'an https:// URL (http:// only to this machine), or none')
    .option('--webhook-secret-from-env <NAME>', 'the webhook signing secret is in environment variable NAME')
    .action(async (opts: SetOptions, cmd: Command) => {
      const change = changeFromOptions(opts);
      await withApp(cmd, async (app) => {
        const results = await setNotificationSettings(app.ctx.db, {
          practiceId: await practiceFrom(app, cmd),
          change,
          actor: cliActor(),
          clock: app.ctx.clock,
          cipher: app.ctx.qbo.cipher,
        });
        for (const r of results)
          console.log(r.changed ? `${r.field}: ${showValue(r.oldValue)} -> ${showValue(r.newValue)}` : `${r.field} is already ${showValue(r.newValue)}; nothing changed.`);
      });
    });

  notify
    .command('test')
    .description('send a test message to every recipient and the webhook now')
    .action(async (_opts: unknown, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const r = await sendTestNotification(app.ctx, cliActor());
        console.log(`Test message sent: email ${r.email}, webhook ${r.webhook}.`);
      });
    });

  notify
    .command('audit')
    .description('who changed notifications, when, from what to what (newest first)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const rows = await listNotificationAudit(app.ctx.db, { practiceId: await practiceFrom(app, cmd) });
        if (opts.json) {
          console.log(JSON.stringify({ audit: rows }, null, 2));
          return;
        }
        if (rows.length === 0) console.log('No notification changes recorded.');
        for (const a of rows) console.log(`${a.changedAt}  ${a.actor}  ${a.field}: ${showValue(a.oldValue)} -> ${showValue(a.newValue)}`);
      });
    });
}
