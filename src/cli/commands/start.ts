/** `qbo-connect start`: the product — HTTP server, database, and the embedded emulator in emulator mode. */
import crypto from 'node:crypto';
import path from 'node:path';
import { countUsers } from '../../accounts/users.js';
import type { Command } from 'commander';
import { clockFrom, createApp } from '../../app.js';
import { loadDemoOnFirstStart } from '../../practice/demo.js';
import { createHttpApp } from '../../server/http.js';
import { listen } from '../../server/serve.js';
import { configFrom, userError } from '../context.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';

/**
 * With QBO_ENV=emulator and no QBO_EMULATOR_URL, the product brings its own QuickBooks: the
 * emulator on QBO_EMULATOR_PORT, persisted in the data folder, an AU company, control surface on.
 * Loaded lazily so a production start never loads emulator code.
 */
async function startEmbeddedEmulator(config: Config, logger: Logger): Promise<{ url: string; close(): Promise<void> } | undefined> {
  if (config.qboEnv !== 'emulator' || config.emulatorUrl) return undefined;
  const { startEmulator } = await import('../../emulator/server.js');
  const clients =
    config.clientId && config.clientSecret && config.redirectUri ? [{ clientId: config.clientId, clientSecret: config.clientSecret, redirectUris: [config.redirectUri] }] : [];
  try {
    const emulator = await startEmulator({
      host: '127.0.0.1',
      port: config.emulatorPort,
      dataFile: path.join(config.dataDir, 'emulator.db'),
      preset: 'au',
      // The control surface resets and dumps companies: only when asked for (QBO_EMULATOR_CONTROL=on).
      control: config.emulatorControl === 'on',
      clients,
      logger,
      // The embedded QBO keeps the product's date (QBO_CONNECT_CLOCK_START), so a demo on a fixed date agrees with itself.
      ...(config.clockStart ? { startMs: clockFrom(config.clockStart)().getTime() } : {}),
    });
    console.log(`QBO emulator (stands in for QuickBooks Online): ${emulator.url}`);
    if (config.emulatorControl === 'on') console.log(`Emulator control surface: ${emulator.url}/control (writes need X-Control-Token: ${emulator.controlToken})`);
    return emulator;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw userError(`QBO_EMULATOR_PORT=${config.emulatorPort}: the port is in use; choose another, or point QBO_EMULATOR_URL at a running emulator.`);
    }
    throw err;
  }
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run QBO Connect: the web app and JSON API')
    .action(async (_opts, cmd: Command) => {
      const config = configFrom(cmd);
      const app = await createApp(config);
      const { logger } = app.ctx;
      // A newcomer sees a real-looking practice at once: on the first start, with the emulator, into
      // an empty ledger; otherwise one line says how to load it.
      const demo = await loadDemoOnFirstStart(app.ctx, { qboEnv: config.qboEnv });
      if (demo && 'hint' in demo) console.log(demo.hint);
      else if (demo?.loaded.ok) console.log('Loaded the small demo practice (an architecture practice in Australia) into the empty ledger.');
      const emulator = await startEmbeddedEmulator(config, logger).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
      // Until the first administrator exists, /setup asks for a code only the person at this console
      // sees: whoever else reaches the port first cannot claim the installation.
      const setupCode = (await countUsers(app.ctx.db)) === 0 ? crypto.randomBytes(6).toString('hex') : undefined;
      const server = await listen(createHttpApp(app.ctx, { setupCode }), config.host, config.port).catch(async (err: unknown) => {
        await emulator?.close();
        await app.close();
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw userError(`QBO_CONNECT_PORT=${config.port}: port ${config.port} on ${config.host} is in use (is QBO Connect already running?); stop the other program or choose another port with --port.`);
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw userError(`QBO_CONNECT_HOST=${config.host}, QBO_CONNECT_PORT=${config.port}: cannot listen there (${code}); choose another --host or --port.`);
        throw err;
      });
      logger.info({ url: server.url, database: app.ctx.dialect }, 'QBO Connect is running');
      if (setupCode) console.log(`First-run set-up: open ${config.publicUrl}/setup and enter the set-up code ${setupCode}`);
      console.log(`QBO Connect is running at ${server.url} (database: ${app.ctx.dialect}). Press Ctrl-C to stop.`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        await server.close();
        await emulator?.close();
        await app.close();
        console.log('QBO Connect stopped.');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
