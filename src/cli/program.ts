/** The `qbo-connect` command: global flags here, one file per command in `commands/`. */
import { Command, Option } from 'commander';
import { version } from '../version.js';
import { registerStart } from './commands/start.js';
import { registerPractice } from './commands/practice.js';
import { registerUsers } from './commands/users.js';
import { registerSettings } from './commands/settings.js';
import { registerNotify } from './commands/notify.js';
import { registerSchedule } from './commands/schedule.js';
import { registerCompany } from './commands/company.js';
import { registerSkip } from './commands/skip.js';
import { registerConnection } from './commands/connection.js';
import { registerEmulator } from './commands/emulator.js';
import { registerSync } from './commands/sync.js';
import { registerHistory } from './commands/history.js';
import { registerPreview } from './commands/preview.js';
import { registerUndo } from './commands/undo.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRotateKey } from './commands/rotate-key.js';
import { registerHeld } from './commands/held.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerBackup } from './commands/backup.js';
import { registerRestore } from './commands/restore.js';
import { registerWorker } from './commands/worker.js';
import { registerFirm } from './commands/firm.js';

export function buildProgram(): Command {
  const program = new Command('qbo-connect')
    .description('Keep a QuickBooks Online company in step with a practice ledger.')
    .version(version)
    .option('--data-dir <dir>', 'data folder (default ./data, or QBO_CONNECT_DATA_DIR)')
    .option('--port <port>', 'HTTP port (default 3000, or QBO_CONNECT_PORT)')
    .option('--host <host>', 'HTTP host (default 127.0.0.1, or QBO_CONNECT_HOST)')
    .option('--practice <id>', "the practice a command acts on (default: the only one; a company's own practice for commands on a company)")
    .addOption(new Option('--log-level <level>', 'log level (or QBO_CONNECT_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerWorker(program);
  registerMigrate(program);
  registerRotateKey(program);
  registerUsers(program);
  registerPractice(program);
  registerFirm(program);
  registerSettings(program);
  registerNotify(program);
  registerSchedule(program);
  registerCompany(program);
  registerSkip(program);
  registerConnection(program);
  registerEmulator(program);
  registerSync(program);
  registerHistory(program);
  registerPreview(program);
  registerUndo(program);
  registerHeld(program);
  registerReconcile(program);
  registerBackup(program);
  registerRestore(program);
  return program;
}
