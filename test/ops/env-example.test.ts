/**
 * Issue 17: `.env.example` is the operator's template (Docker Compose's .env, systemd's
 * EnvironmentFile): it names every variable the configuration reads, and nothing it does not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSources } from '../../src/config.js';
import { toolEnvVar } from '../../src/store/backup-pg.js';

const root = path.resolve(import.meta.dirname, '../..');
const text = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
/** KEY of each `KEY=value` or `# KEY=value` line. */
const named = new Set([...text.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
/** Read outside configSources: NODE_ENV (the production profile), the backup tools' paths
 *  (src/store/backup-pg.ts toolEnvVar), POSTGRES_PASSWORD (compose.yaml's db service). */
const alsoRead = ['NODE_ENV', ...Object.values(toolEnvVar), 'POSTGRES_PASSWORD'];

/** Read straight from the environment by tests' knobs (src/connect/run/deps.ts and the emulator), never by an operator. */
const testKnobs = [
  'QBO_CONNECT_BATCH_SIZE',
  'QBO_CONNECT_CRASH_AT',
  'QBO_CONNECT_PROCESSING_WINDOW_MS',
  'QBO_CONNECT_REQUESTS_PER_MINUTE',
  'QBO_CONNECT_WORKER_POLL_MS',
  'QBO_CONNECT_LOCK_TTL_MS',
  'QBO_EMULATOR_CLOCK_START',
  'QBO_EMULATOR_FIDELITY',
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('.env.example', () => {
  // Issue 17: QBO_CONNECT_METRICS_TOKEN and QBO_CONNECT_LOG_FORMAT reached configSources without this
  // file; the check below failed on main, unrun (a branch runs only its own tests). The checks that
  // follow also catch a variable read outside configSources, which that one cannot see.
  it('names every QBO_ variable any source file reads from the environment (test knobs aside)', () => {
    const read = new Set<string>();
    for (const file of sourceFiles(path.join(root, 'src'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/env(?:\.|\[')(QBO_[A-Z0-9_]+)/g)) read.add(m[1]!);
    }
    expect(read.size).toBeGreaterThan(3);
    expect([...read].filter((n) => !named.has(n) && !testKnobs.includes(n)).sort()).toEqual([]);
  });

  it('compose.yaml sets every [systemd]-only line itself: the data folder is its volume, the trusted proxy its network gateway', () => {
    const compose = fs.readFileSync(path.join(root, 'compose.yaml'), 'utf8');
    const web = /^x-web: &web\n([\s\S]*?)\n(?=\S)/m.exec(compose)![1]!;
    const env = /^ {2}environment:\n((?: {4}.*\n)+)/m.exec(web + '\n')![1]!;
    const set = new Map([...env.matchAll(/^ {4}([A-Z][A-Z0-9_]*): '?([^'\n]*)'?$/gm)].map((m) => [m[1]!, m[2]!]));
    // The KEY= line after each comment block that starts with [systemd].
    const systemdOnly = [...text.matchAll(/^# \[systemd\][^\n]*\n(?:#[^\n]*\n)*(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(systemdOnly.sort()).toEqual(['QBO_CONNECT_DATA_DIR', 'QBO_CONNECT_HOST', 'QBO_CONNECT_PORT', 'QBO_CONNECT_TRUSTED_PROXY']);
    expect(systemdOnly.filter((n) => !set.has(n))).toEqual([]);
    expect([...compose.matchAll(/- web\d-data:(\S+)/g)].map((m) => m[1])).toEqual([set.get('QBO_CONNECT_DATA_DIR'), set.get('QBO_CONNECT_DATA_DIR')]);
    expect(/gateway: (\S+)/.exec(compose)?.[1]).toBe(set.get('QBO_CONNECT_TRUSTED_PROXY'));
    expect(set.get('QBO_CONNECT_HOST')).toBe('0.0.0.0');
  });

  it('names every variable src/config.ts reads', () => {
    const missing = Object.values(configSources)
      .map((s) => s.env)
      .filter((env) => !named.has(env));
    expect(missing).toEqual([]);
  });

  it('names no variable nothing reads', () => {
    const known = new Set([...Object.values(configSources).map((s) => s.env), ...alsoRead]);
    expect([...named].filter((n) => !known.has(n))).toEqual([]);
  });

  it('holds no secret value: each secret is empty or commented out', () => {
    const secrets = Object.values(configSources)
      .filter((s) => s.secret)
      .map((s) => s.env);
    const values = new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const env of secrets) expect(values.get(env) ?? '', env).toBe('');
  });
});
