/** `qbo-connect start`: the product — HTTP server, database, and the embedded emulator in emulator mode. */
import path from 'node:path';
import type { Command } from 'commander';
import { createApp } from '../../app.js';
import { loadDemoOnFirstStart } from '../../practice/demo.js';
import { createHttpApp } from '../../server/http.js';
import { listen } from '../../server/serve.js';
import { configFrom, UserError } from '../context.js';
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
      control: true,
      clients,
      logger,
      // The embedded QBO keeps the product's date (QBO_CONNECT_CLOCK_START), so a demo on a fixed date agrees with itself.
      ...(config.clockStart ? { startMs: Date.parse(config.clockStart) } : {}),
    });
    console.log(`QBO emulator (stands in for QuickBooks Online): ${emulator.url}`);
    return emulator;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UserError(`QBO_EMULATOR_PORT=${config.emulatorPort}: the port is in use; choose another, or point QBO_EMULATOR_URL at a running emulator.`);
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
      // A newcomer sees a real-looking practice at once; only on the first start of an installation.
      await loadDemoOnFirstStart(app.ctx);
      const emulator = await startEmbeddedEmulator(config, logger).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
      const server = await listen(createHttpApp(app.ctx), config.host, config.port);
      logger.info({ url: server.url, database: app.ctx.dialect }, 'QBO Connect is running');
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
