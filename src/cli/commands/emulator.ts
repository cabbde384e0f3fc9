/**
 * `qbo-connect emulator`: the local QuickBooks Online on its own, for this product's development and
 * for any other QBO integrator. Prints one line per base URL and serves until Ctrl-C.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { clientFromEnv } from '../../emulator/oauth/clients.js';
import { PersistenceError } from '../../emulator/run/persist.js';
import { startEmulator, type StartEmulatorOptions } from '../../emulator/run/server.js';
import { userError } from '../context.js';

interface EmulatorFlags {
  host?: string;
  port?: string;
  data?: string;
  preset?: string;
  seed: string;
  limits: string;
  batchMetering: string;
  timeScale: string;
  control: string;
  autoConsent?: boolean;
  fidelity?: string;
  requestidRetention?: string;
  automatedSalesTax?: boolean;
}

/** Turns the flags into options, or one refusal (userError) naming the flag. */
export function emulatorOptions(flags: EmulatorFlags, env: NodeJS.ProcessEnv): StartEmulatorOptions {
  const int = (name: string, raw: string, min: number, max: number) => {
    const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw userError(`--${name}=${raw}: must be a whole number from ${min} to ${max}`);
    return n;
  };
  const oneOf = <T extends string>(name: string, raw: string, values: readonly T[]): T => {
    const v = raw.trim().toLowerCase();
    if (!(values as readonly string[]).includes(v)) throw userError(`--${name}=${raw}: must be one of ${values.join(', ')}`);
    return v as T;
  };
  const scale = Number(flags.timeScale);
  if (!/^[0-9.]+$/.test(flags.timeScale.trim()) || !Number.isFinite(scale) || !(scale > 0) || scale > 100_000)
    throw userError(`--time-scale=${flags.timeScale}: must be a positive number (e.g. 20 runs an emulated minute in 3 seconds)`);
  const host = (flags.host ?? '127.0.0.1').trim();
  if (!host) throw userError('--host: must not be empty');
  const envClient = clientFromEnv(env);
  if (flags.automatedSalesTax && (flags.preset ?? 'au').trim().toLowerCase() !== 'us')
    throw userError('--automated-sales-tax: only with --preset us (Intuit: automated sales tax is for US companies only)');
  return {
    host,
    port: int('port', flags.port ?? '4010', 0, 65535),
    dataFile: flags.data ? path.resolve(flags.data) : undefined,
    preset: flags.preset === undefined ? undefined : oneOf('preset', flags.preset, ['au', 'us', 'uk', 'ca'] as const),
    seed: int('seed', flags.seed, 0, 2 ** 31 - 1),
    limits: oneOf('limits', flags.limits, ['real', 'off'] as const),
    batchMetering: oneOf('batch-metering', flags.batchMetering, ['request', 'item'] as const),
    timeScale: scale,
    control: oneOf('control', flags.control, ['on', 'off'] as const) === 'on',
    autoConsent: flags.autoConsent === true,
    fidelity: flags.fidelity === undefined ? undefined : oneOf('fidelity', flags.fidelity, ['strict', 'generous'] as const),
    requestIdRetentionSeconds: flags.requestidRetention === undefined ? undefined : int('requestid-retention', flags.requestidRetention, 0, 30 * 86_400),
    clients: envClient ? [envClient] : [],
    ...(flags.automatedSalesTax ? { automatedSalesTax: true } : {}),
  };
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('run a local QuickBooks Online emulator (OAuth + accounting API) for development and tests')
    // --host and --port are also global flags; whichever position they come in, the emulator
    // takes them, with its own defaults (127.0.0.1:4010) rather than the web app's.
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 = any free port (default 4010)')
    .option('--data <file>', 'SQLite file to keep companies and connections in across restarts')
    .option('--preset <region>', 'region of the company created when starting empty: au, us, uk or ca (default au)')
    .option('--seed <n>', 'seed for every random choice (faults, jitter), so a run replays', '1')
    .option('--limits <mode>', 'QBO throttling: real (500/min, 10 in flight, 40 batches/min) or off', 'real')
    .option('--batch-metering <model>', 'how a batch counts toward 500/min: request (once) or item (each operation)', 'request')
    .option('--time-scale <n>', 'run an emulated minute in 60/n seconds (limits and token lifetimes)', '1')
    .option('--control <on|off>', 'serve the /control endpoints (seed, faults, clock, stats)', 'off')
    .option('--auto-consent', 'skip the consent page: the authorize URL redirects at once')
    .option(
      '--fidelity <mode>',
      'strict (only what Intuit documents) or generous (kinder: requestid collapses duplicates, more filterable fields); default $QBO_EMULATOR_FIDELITY, else strict',
    )
    .option('--requestid-retention <seconds>', 'strict mode: how long an answered requestid is replayed (default 60)')
    .option('--automated-sales-tax', 'with --preset us: the company uses Automated Sales Tax (tax by ship-to state, TxnTaxCodeRef ignored)')
    .action(async (flags: EmulatorFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ logLevel?: string; host?: string; port?: string }>();
      const options = emulatorOptions({ ...flags, host: flags.host ?? globals.host, port: flags.port ?? globals.port }, process.env);
      const logger = createLogger(globals.logLevel ?? process.env.QBO_CONNECT_LOG_LEVEL ?? 'warn', { fd: 2 });
      let emu;
      try {
        emu = await startEmulator({ ...options, logger });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw userError(`--port=${options.port}: port ${options.port} on ${options.host} is already in use; pick another with --port`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw userError(`--host=${options.host}: cannot listen on this address`);
        if (err instanceof PersistenceError) throw userError(`--data=${err.message}`);
        throw err;
      }
      const companies = emu.core.companies();
      console.log(`QBO emulator running. Press Ctrl-C to stop.`);
      console.log(`authorize: ${emu.urls.authorize}`);
      console.log(`token:     ${emu.urls.token}`);
      console.log(`revoke:    ${emu.urls.revoke}`);
      console.log(`api:       ${emu.urls.api}  (paths /v3/company/{realmId}/...)`);
      console.log(`control:   ${emu.urls.control ?? 'off (start with --control on)'}`);
      console.log(`fidelity:  ${emu.core.fidelity()}`);
      if (emu.urls.control) console.log(`control token (send as X-Control-Token on writes): ${emu.controlToken}`);
      console.log(`companies: ${companies.map((c) => `${c.realmId} ${c.name} (${c.region})`).join('; ') || 'none'}`);
      if (emu.urls.control && !['127.0.0.1', 'localhost', '::1'].includes(options.host ?? '')) {
        console.log(`warning: the control surface listens on ${options.host}; it answers loopback host names only, and anyone who can reach it can read company dumps`);
      }
      console.log(`demo client: client_id=qbo-connect-demo client_secret=qbo-connect-demo-secret (any http://127.0.0.1:<port>/ or http://localhost:<port>/ redirect)`);

      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await emu.close();
        console.log('QBO emulator stopped.');
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
