/** A configuration for tests: a temporary data folder, SQLite, silent logs, the fixed test date. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { testClockEnv } from './test-time.js';

export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-test-'));
  return loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_CLOCK_START: testClockEnv().QBO_CONNECT_CLOCK_START, ...env, QBO_CONNECT_DATA_DIR: dataDir });
}
