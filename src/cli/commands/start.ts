/** `qbo-connect start`: the product — HTTP server, database, and the embedded emulator in emulator mode (composed by `startApp`). */
import type { Command } from 'commander';
import { StartError, startApp, type RunningApp } from '../../app.js';
import { configFrom, userError } from '../context.js';
import type { Config } from '../../config.js';

/** A port in use or not ours to take is the person's to fix: one line naming the setting. */
function startFailure(err: unknown, config: Config): unknown {
  if (!(err instanceof StartError)) return err;
  if (err.part === 'emulator' && err.code === 'EADDRINUSE') {
    return userError(`QBO_EMULATOR_PORT=${config.emulatorPort}: the port is in use; choose another, or point QBO_EMULATOR_URL at a running emulator.`);
  }
  if (err.part === 'http' && err.code === 'EADDRINUSE') {
    return userError(
      `QBO_CONNECT_PORT=${config.port}: port ${config.port} on ${config.host} is in use (is QBO Connect already running?); stop the other program or choose another port with --port.`,
    );
  }
  if (err.part === 'http' && (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES')) {
    return userError(`QBO_CONNECT_HOST=${config.host}, QBO_CONNECT_PORT=${config.port}: cannot listen there (${err.code}); choose another --host or --port.`);
  }
  return err.cause ?? err;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run QBO Connect: the web app and JSON API')
    .option('--no-migrate', 'do not migrate the database, only check it is current (run `qbo-connect migrate` as the release step)')
    .action(async (opts: { migrate: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      let running: RunningApp;
      try {
        running = await startApp(config, { migrate: opts.migrate ? 'run' : 'check' });
      } catch (err) {
        throw startFailure(err, config);
      }
      const { app, server, emulator, demo, setupCode } = running;
      const { logger } = app.ctx;
      if (demo && 'hint' in demo) console.log(demo.hint);
      else if (demo?.loaded.ok) console.log('Loaded the small demo practice (an architecture practice in Australia) into the empty ledger.');
      if (emulator) {
        console.log(`QBO emulator (stands in for QuickBooks Online): ${emulator.url}`);
        if (config.emulatorControl === 'on') console.log(`Emulator control surface: ${emulator.url}/control (writes need X-Control-Token: ${emulator.controlToken})`);
      }
      logger.info({ url: server.url, database: app.ctx.dialect }, 'QBO Connect is running');
      if (setupCode) console.log(`First-run set-up: open ${config.publicUrl}/setup and enter the set-up code ${setupCode}`);
      console.log(`QBO Connect is running at ${server.url} (database: ${app.ctx.dialect}). Press Ctrl-C to stop.`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        await running.close();
        console.log('QBO Connect stopped.');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
