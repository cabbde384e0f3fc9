/**
 * Issue 17: a stop signal during start-up ends it after the current step — what was opened is closed
 * again, nothing listens — instead of finishing start-up or dying by the signal.
 */
import { describe, expect, it } from 'vitest';
import { StartStopped, startApp } from '../../src/app.js';
import { testConfig } from '../helpers/config.js';
import { freePort } from '../helpers/net.js';

describe('startApp with a stop requested', () => {
  it('stops after opening the database, before the emulator or the HTTP port', async () => {
    const port = await freePort();
    const config = testConfig({ QBO_ENV: 'emulator', QBO_CONNECT_PORT: String(port), QBO_EMULATOR_PORT: String(await freePort()) });
    const err = await startApp(config, { stopRequested: () => true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartStopped);
    expect((err as StartStopped).step).toBe('opening the database');
    // Nothing is listening on the port it would have taken.
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(answer).toBe('refused');
  });
});
