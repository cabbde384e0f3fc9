/**
 * Security rehearsal: the lock file pins every package by a sha512 integrity hash, and any download
 * URL it names is https on the npm registry. `lockfile-lint` (in `npm run security`) checks the
 * hash type and the URLs; it does not notice a package with no hash at all, which this test does.
 * Our lock file has no "resolved" URLs (npm then fetches from the configured registry and still
 * checks the integrity hash), so the hash is what pins the bytes.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
}

describe('security rehearsal: package-lock.json', () => {
  const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
  const entries = Object.entries(lock.packages).filter(([k, v]) => k !== '' && !v.link);

  it('is a lockfile v3 with packages in it', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(3);
    expect(entries.length).toBeGreaterThan(100);
  });

  it('pins every installed package with a sha512 integrity hash', () => {
    const unpinned = entries.filter(([, v]) => !/^sha512-[A-Za-z0-9+/]{86}==$/.test(v.integrity ?? '')).map(([k]) => k);
    expect(unpinned).toEqual([]);
  });

  it('downloads, when it names a URL, only over https from registry.npmjs.org', () => {
    const elsewhere = entries.filter(([, v]) => v.resolved !== undefined && !v.resolved.startsWith('https://registry.npmjs.org/')).map(([k, v]) => `${k} ${v.resolved}`);
    expect(elsewhere).toEqual([]);
  });
});
