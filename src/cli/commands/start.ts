/** `qbo-connect start`: the product — HTTP server, database, and the embedded emulator in emulator mode (composed by `startApp`). */
import type { Command } from 'commander';
import { StartError, StartStopped, startApp, type RunningApp } from '../../app.js';
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

/** Past QBO_CONNECT_SHUTDOWN_TIMEOUT, closing the emulator and the database gets this long before the process exits anyway. */
const STOP_GRACE_MS = 2_000;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run QBO Connect: the web app and JSON API')
    .option('--no-migrate', 'do not migrate the database, only check it is current (run `qbo-connect migrate` as the release step)')
    .option('--no-worker', 'do not run jobs (syncs, schedules) in this process: a web-only host, with `qbo-connect worker` elsewhere (PostgreSQL)')
    .action(async (opts: { migrate: boolean; worker: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      // On SQLite no other process can run jobs (`qbo-connect worker` is PostgreSQL only): a web-only
      // start would accept clicks whose runs wait queued forever.
      if (!opts.worker && !config.databaseUrl) {
        throw userError(
          'start --no-worker needs PostgreSQL (DATABASE_URL), where `qbo-connect worker` runs the jobs; with SQLite, `qbo-connect start` runs them in its own process.',
        );
      }
      // The handlers are in place before start-up: a supervisor's SIGTERM (or a Ctrl-C) while the
      // database opens or migrations run stops after start-up's current step, with a line, instead of
      // the default exit 143 with nothing said (issue 17).
      let signalled: string | undefined;
      const stopper: { stop?: (signal: string) => Promise<void> } = {};
      const onSignal = (signal: string) => {
        if (stopper.stop) return void stopper.stop(signal);
        if (!signalled) console.log(`Stopping (${signal}) during start-up: after the current step.`);
        signalled ??= signal;
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      let running: RunningApp;
      try {
        running = await startApp(config, { migrate: opts.migrate ? 'run' : 'check', worker: opts.worker, stopRequested: () => signalled !== undefined });
      } catch (err) {
        if (err instanceof StartStopped) {
          console.log(`QBO Connect stopped during start-up (${signalled}) after ${err.step}; nothing is left running.`);
          process.exit(0);
        }
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

      // SIGTERM (a supervisor, `docker stop`) and SIGINT (Ctrl-C) stop gracefully: no new work, running
      // syncs finish their batch and close their run, the lock is released, then the server and the
      // database close. QBO_CONNECT_SHUTDOWN_TIMEOUT bounds the whole stop: past it, runs still going
      // are left (exit 1; the journal keeps every unanswered write, and the next sync or
      // `qbo-connect recover` settles it) and requests still being answered are cut off (issue 17).
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) {
          // Not a forced stop: under `npm start` a Ctrl-C reaches this process twice (the terminal's and
          // the one tsx relays); QBO_CONNECT_SHUTDOWN_TIMEOUT bounds the wait.
          console.error(`qbo-connect: already stopping (${signal}); waiting for running syncs to close their runs.`);
          return;
        }
        stopping = true;
        const timeoutMs = config.shutdownTimeout * 1000;
        const busy = running.drain.running();
        logger.info({ signal, runs: busy }, 'stopping');
        if (busy.length)
          console.log(`Stopping (${signal}): waiting up to ${config.shutdownTimeout} s for ${busy.length} sync run(s) to finish their current batch: ${busy.join(', ')}.`);
        // The last resort, should closing the emulator or the database itself hang past the deadline.
        setTimeout(() => {
          const runs = running.drain.running();
          const requests = server.inFlight();
          const what = [runs.length ? `sync run(s) ${runs.join(', ')}` : '', requests ? `${requests} request(s)` : '', 'closing the database'].filter(Boolean).join(', ');
          console.error(`qbo-connect: could not stop within ${config.shutdownTimeout} s (QBO_CONNECT_SHUTDOWN_TIMEOUT); still going: ${what}; exiting.`);
          process.exit(1);
        }, timeoutMs + STOP_GRACE_MS).unref();
        try {
          const { left, requests } = await running.shutdown(signal, timeoutMs);
          if (left.length) {
            console.error(
              `qbo-connect: stopped after ${config.shutdownTimeout} s (QBO_CONNECT_SHUTDOWN_TIMEOUT) with sync run(s) ${left.join(', ')} still going; their unanswered writes stay in the journal, and the next sync or \`qbo-connect recover\` settles them.`,
            );
            process.exit(1);
          }
          if (requests) {
            console.error(
              `qbo-connect: stopped after ${config.shutdownTimeout} s (QBO_CONNECT_SHUTDOWN_TIMEOUT) with ${requests} request(s) still being answered; their connections were closed (no sync was running).`,
            );
            process.exit(1);
          }
        } catch (err) {
          console.error(`qbo-connect: could not stop cleanly (${err instanceof Error ? err.message : String(err)}).`);
          process.exit(1);
        }
        console.log('QBO Connect stopped.');
        process.exit(0);
      };
      stopper.stop = stop;
      if (signalled) void stop(signalled);
    });
}
