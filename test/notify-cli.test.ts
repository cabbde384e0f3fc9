/**
 * `qbo-connect notify show|set|test|audit` as a real child process on a throw-away data folder, with a
 * real SMTP server (smtp-server) started here: bad input exits 2 naming the field, nothing stored;
 * the secret comes from an environment variable and is never printed; `test` delivers a message.
 * Spawned asynchronously: the SMTP server answers from this process's event loop.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHookReceiver, startSmtp } from './helpers/notify-receivers.js';

const bin = path.resolve('bin/qbo-connect.js');
const SMTP_PASSWORD = 'cli-smtp-pass-91b2';
const SECRET = 'whsec-cli-3c9a1f07e2d4b8';
let dataDir: string;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let hooks: Awaited<ReturnType<typeof startHookReceiver>>;

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--data-dir', dataDir, ...args], {
      env: {
        ...process.env,
        QBO_CONNECT_LOG_LEVEL: 'silent',
        DATABASE_URL: '',
        QBO_CONNECT_SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}`,
        QBO_CONNECT_MAIL_FROM: 'books@example.com',
        ...extraEnv,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('qbo-connect notify', () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-notify-cli-'));
    smtp = await startSmtp({ user: 'mailer', password: SMTP_PASSWORD });
    hooks = await startHookReceiver();
  });
  afterAll(async () => {
    await smtp?.close();
    await hooks?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad input naming the field (exit 2, one line), storing nothing', async () => {
    const bad = await run(['notify', 'set', '--emails', 'ada@example.com,not-an-email']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('emails[1]');
    const http = await run(['notify', 'set', '--webhook-url', 'http://hooks.example.com/x', '--webhook-secret-from-env', 'HOOK_SECRET'], { HOOK_SECRET: SECRET });
    expect(http.status).toBe(2);
    expect(http.stderr).toContain('webhookUrl');
  });

  it('refuses a secret variable that is not set, and stored nothing from the refusals', async () => {
    const noEnv = await run(['notify', 'set', '--webhook-url', hooks.url, '--webhook-secret-from-env', 'UNSET_VAR_X']);
    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toContain('UNSET_VAR_X');
    const shown = await run(['notify', 'show', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ emails: [], webhookUrl: null, webhookSecretSet: false });
  });

  it('`test` with nobody to tell exits 2 saying so', async () => {
    const test = await run(['notify', 'test']);
    expect(test.status).toBe(2);
    expect(test.stderr).toContain('no email recipient and no webhook');
  });

  it('sets emails and the webhook, the secret read from the environment and never printed', async () => {
    const set = await run(['notify', 'set', '--emails', 'ada@example.com', '--webhook-url', hooks.url, '--webhook-secret-from-env', 'HOOK_SECRET'], { HOOK_SECRET: SECRET });
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toContain('emails: (empty) -> ["ada@example.com"]');
    expect(set.stdout).toContain('webhookSecret: none -> set');
    expect(set.stdout + set.stderr).not.toContain(SECRET);
  });

  it('shows and tests (one email, one signed webhook)', async () => {
    const shown = await run(['notify', 'show']);
    expect(shown.stdout).toContain('emails = ada@example.com');
    expect(shown.stdout).toContain('webhookSecret = set');
    // The URL's path can be the receiver's credential: shown as scheme://host/… unless asked for whole.
    expect(shown.stdout).toContain(`webhookUrl = ${new URL(hooks.url).origin}/…`);
    expect(shown.stdout).not.toContain('/hooks/qbo-connect');
    expect((await run(['notify', 'show', '--full-url'])).stdout).toContain(`webhookUrl = ${hooks.url}`);
    const test = await run(['notify', 'test']);
    expect(test.status, test.stderr).toBe(0);
    expect(test.stdout).toContain('email sent, webhook sent');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(['ada@example.com']);
    expect(smtp.mails[0]!.subject).toBe('QBO Connect test notification');
    expect(hooks.hooks).toHaveLength(1);
    for (const out of [shown, test]) {
      expect(out.stdout + out.stderr).not.toContain(SECRET);
      expect(out.stdout + out.stderr).not.toContain(SMTP_PASSWORD);
    }
  });

  it('audits who changed what', async () => {
    const audit = await run(['notify', 'audit']);
    expect(audit.stdout).toMatch(/cli:\S+ {2}emails: \(empty\) -> \["ada@example.com"\]/);
    expect(audit.stdout).toContain('webhookSecret: none -> set');
    for (const out of [audit]) {
      expect(out.stdout + out.stderr).not.toContain(SECRET);
      expect(out.stdout + out.stderr).not.toContain(SMTP_PASSWORD);
    }
  });
});
