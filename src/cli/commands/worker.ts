/**
 * `qbo-connect worker [--concurrency N]`: runs the queued jobs (syncs, schedules, webhooks'
 * changes, notifications) on graphile-worker workers, on as many hosts as you like over one
 * PostgreSQL (jobs/pg-runner.ts). On SQLite the one `start` process runs them: exit 2, one line.
 * SIGTERM/SIGINT: no new job is taken; a running sync finishes its batch and closes its run
 * `interrupted`, naming the records not sent (connect/run/drain.ts), then the process exits 0 —
 * within QBO_CONNECT_SHUTDOWN_TIMEOUT, or exit 1 naming the runs still going (their writes stay in
 * the journal; the job is taken over by another worker once this one's heartbeat lapses).
 */
import type { Command } from 'commander';
import { Drain } from '../../connect/run/drain.js';
import { startJobRunner } from '../../jobs/index.js';
import { cliApp, configFrom, userError } from '../context.js';

/** Past the timeout, closing the database gets this long before the process exits anyway. */
const STOP_GRACE_MS = 2_000;

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run queued jobs (syncs, schedules) on PostgreSQL; run several, on any host')
    .option('--concurrency <n>', 'jobs run at once by this process (default 1; each company runs one at a time whatever this is)', '1')
    .action(async (opts: { concurrency: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw userError(`--concurrency takes a whole number from 1 to 100; got "${opts.concurrency}"`);
      if (!config.databaseUrl) {
        throw userError('qbo-connect worker runs jobs on PostgreSQL (DATABASE_URL); with SQLite, `qbo-connect start` runs the jobs in its own process.');
      }
      // A worker only checks the database is current (like `start --no-migrate`): migrating is the
      // release step's (`qbo-connect migrate`), never a side effect of adding a worker.
      const app = await cliApp(config, config.logLevel, { migrate: 'check' });
      const { logger } = app.ctx;
      const drain = new Drain();
      app.ctx.drain = drain;
      const runner = await startJobRunner(app.ctx, { concurrency, shutdownMs: config.shutdownTimeout * 1000 }).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
      console.log(`QBO Connect worker running ${concurrency} job(s) at a time (database: postgres). Press Ctrl-C to stop.`);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        const timeoutMs = config.shutdownTimeout * 1000;
        drain.begin(signal, app.ctx.clock());
        const busy = drain.running();
        logger.info({ signal, runs: busy }, 'worker stopping');
        console.log(
          `Stopping (${signal})${busy.length ? `: waiting up to ${config.shutdownTimeout} s for ${busy.length} sync run(s) to finish their current batch: ${busy.join(', ')}` : ''}.`,
        );
        setTimeout(() => {
          console.error(
            `qbo-connect: could not stop within ${config.shutdownTimeout} s (QBO_CONNECT_SHUTDOWN_TIMEOUT); still going: ${drain.running().join(', ') || 'closing the database'}; exiting.`,
          );
          process.exit(1);
        }, timeoutMs + STOP_GRACE_MS).unref();
        const stopped = runner.stop();
        const outcome = await drain.settled(timeoutMs);
        if (!outcome.settled) {
          console.error(
            `qbo-connect: stopped after ${config.shutdownTimeout} s (QBO_CONNECT_SHUTDOWN_TIMEOUT) with sync run(s) ${outcome.left.join(', ')} still going; their unanswered writes stay in the journal, and the job is taken over by another worker.`,
          );
          process.exit(1);
        }
        await stopped;
        await app.close();
        console.log('QBO Connect worker stopped.');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      // Runs until a signal: the runner's timers and connections keep the process alive.
      await new Promise<never>(() => {});
    });
}
