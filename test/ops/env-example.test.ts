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

describe('.env.example', () => {
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
