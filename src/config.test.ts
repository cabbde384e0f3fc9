import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('has defaults that run the product against the embedded emulator', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.dialect).toBe('sqlite');
    expect(c.qboEnv).toBe('emulator');
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('lets a flag win over the environment', () => {
    const c = loadConfig({ QBO_CONNECT_PORT: '4000', QBO_CONNECT_DATA_DIR: '/tmp/a' }, { port: '5000', dataDir: '/tmp/b' });
    expect(c.port).toBe(5000);
    expect(c.dataDir).toBe('/tmp/b');
  });

  it.each([
    [{ QBO_CONNECT_PORT: 'abc' }, 'QBO_CONNECT_PORT=abc: must be a port number (1-65535)'],
    [{ QBO_CONNECT_PORT: '70000' }, 'QBO_CONNECT_PORT=70000: must be a port number (1-65535)'],
    [{ QBO_CONNECT_LOG_LEVEL: 'loud' }, 'QBO_CONNECT_LOG_LEVEL=loud: must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ QBO_ENV: 'prod' }, 'QBO_ENV=prod: must be one of emulator, sandbox, production'],
    [{ QBO_EMULATOR_URL: 'localhost:4010' }, 'QBO_EMULATOR_URL=localhost:4010: must be an http(s) URL'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names the flag when the bad value came from a flag', () => {
    expect(() => loadConfig({}, { port: 'x' })).toThrow('--port=x: must be a port number');
  });

  it('never echoes a secret value back', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('DATABASE_URL: must be a PostgreSQL URL');
    expect(message).not.toContain('hunter2');
    expect(() => loadConfig({ QBO_CONNECT_SECRET: 'short-secret' })).toThrow(/^QBO_CONNECT_SECRET: must be at least 32/);
  });

  it('chooses PostgreSQL when DATABASE_URL is set', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@localhost:5432/db' }).dialect).toBe('postgres');
  });
});

describe('production profile (NODE_ENV=production)', () => {
  const pgUrl = 'postgres://u:hunter2@localhost:5432/db';
  const secret = 'a-shared-secret-of-at-least-32-characters';
  const intuit = { QBO_CLIENT_ID: 'ABclientid', QBO_CLIENT_SECRET: 'client-secret-value' };

  it('refuses without an explicit QBO_ENV, naming it; an explicit one (even emulator) is accepted', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/^QBO_ENV: must be set when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', QBO_ENV: '' })).toThrow(ConfigError);
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'sandbox', ...intuit }).qboEnv).toBe('sandbox');
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'emulator' }).qboEnv).toBe('emulator');
    // Outside production the emulator stays the default.
    expect(loadConfig({ NODE_ENV: 'development' }).qboEnv).toBe('emulator');
  });

  it('with DATABASE_URL, requires QBO_CONNECT_SECRET (never echoing the URL), except for rotate-key moving tokens onto one', () => {
    let message = '';
    try {
      loadConfig({ NODE_ENV: 'production', QBO_ENV: 'production', DATABASE_URL: pgUrl });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^QBO_CONNECT_SECRET: must be set when NODE_ENV=production and DATABASE_URL is set/);
    expect(message).not.toContain('hunter2');
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'production', DATABASE_URL: pgUrl, QBO_CONNECT_SECRET: secret, ...intuit }).dialect).toBe('postgres');
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'production', DATABASE_URL: pgUrl }, {}, { keyRotation: true }).dialect).toBe('postgres');
    // SQLite on one host keeps its key file.
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'production', ...intuit }).secret).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: pgUrl }).secret).toBeUndefined();
  });

  it('with a real QuickBooks (sandbox or production), refuses without the Intuit app client in one line naming what is missing (issue 17)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', QBO_ENV: 'sandbox' })).toThrow(
      /^QBO_CLIENT_ID and QBO_CLIENT_SECRET: must be set when NODE_ENV=production and QBO_ENV=sandbox/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', QBO_ENV: 'production', QBO_CLIENT_ID: 'ABclientid' })).toThrow(
      /^QBO_CLIENT_SECRET: must be set when NODE_ENV=production and QBO_ENV=production/,
    );
    // The demonstration and development need none.
    expect(loadConfig({ NODE_ENV: 'production', QBO_ENV: 'emulator' }).clientId).toBeUndefined();
    expect(loadConfig({ QBO_ENV: 'sandbox' }).clientId).toBeUndefined();
  });
});

describe('QBO_CONNECT_SECRET strength (issue 17)', () => {
  it('refuses a long but guessable secret and one with whitespace at an end, never quoting it; a random one passes', () => {
    for (const [value, why] of [
      ['a'.repeat(40), /^QBO_CONNECT_SECRET: is too easy to guess/],
      ['abababababababababababababababababab', /^QBO_CONNECT_SECRET: is too easy to guess/],
      [' a-shared-secret-of-at-least-32-characters', /^QBO_CONNECT_SECRET: has spaces or a line break at its start or end/],
      ['a-shared-secret-of-at-least-32-characters\n', /^QBO_CONNECT_SECRET: has spaces or a line break/],
    ] as const) {
      let message = '';
      try {
        loadConfig({ QBO_CONNECT_SECRET: value });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(why);
      expect(message).not.toContain(value.trim());
    }
    expect(loadConfig({ QBO_CONNECT_SECRET: 'ZlBf3w0mY1y8Yb9cQ2kVt6Jr+4nD7sPqLx5hE1uWaGo=' }).secret).toBeDefined();
    // rotate-key may still read a weak secret in use, to move the tokens off it.
    expect(loadConfig({ QBO_CONNECT_SECRET: 'a'.repeat(40) }, {}, { keyRotation: true }).secret).toBe('a'.repeat(40));
  });
});
