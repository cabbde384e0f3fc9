/** `qbo-connect start`: the product — HTTP server, database, and (later) the embedded emulator. */
import type { Command } from 'commander';
import { createApp } from '../../app.js';
import { loadDemoOnFirstStart } from '../../practice/demo.js';
import { createHttpApp } from '../../server/http.js';
import { listen } from '../../server/serve.js';
import { configFrom } from '../context.js';

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
      const server = await listen(createHttpApp(app.ctx), config.host, config.port);
      logger.info({ url: server.url, database: app.ctx.dialect }, 'QBO Connect is running');
      console.log(`QBO Connect is running at ${server.url} (database: ${app.ctx.dialect}). Press Ctrl-C to stop.`);

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        await server.close();
        await app.close();
        console.log('QBO Connect stopped.');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
