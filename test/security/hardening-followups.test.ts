/**
 * Follow-ups to issue 12 found by a second hostile tester: parallel imports (memory), a token
 * expiry named after an Object.prototype member, and the trusted proxy's forwarded-address forms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPersistence } from '../../src/emulator/run/persist.js';
import { makeBench, type Bench } from './harness.js';

describe('security follow-ups: one import at a time', () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await makeBench();
  });
  afterAll(async () => {
    await bench.close();
  });

  it('refuses a second import while one is still being received, with 429, Retry-After and a sentence; the first finishes', async () => {
    const token = bench.people.bookkeeper.apiToken;
    let release!: () => void;
    const opened = new Promise<void>((r) => (release = r));
    // The first import's body stays open until the second has been answered.
    const slowBody = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('{"version":1,'));
        await opened;
        controller.enqueue(new TextEncoder().encode('"records":[]}'));
        controller.close();
      },
    });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, origin: bench.origin };
    const first = bench.http.request(`${bench.origin}/api/v1/practice/import`, { method: 'POST', headers, body: slowBody, duplex: 'half' } as RequestInit);
    await new Promise((r) => setTimeout(r, 50));
    const second = await bench.http.request(`${bench.origin}/api/v1/practice/import`, { method: 'POST', headers, body: '[]' });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    const err = ((await second.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('request.import-busy');
    expect(err.message).toMatch(/Another import is running/);
    release();
    const done = await first;
    expect(done.status).not.toBe(429);
    // Once the first is over, the next import is taken again.
    // (A body that does not open an object is refused on its first character, as not a JSON object.)
    const third = await bench.http.request(`${bench.origin}/api/v1/practice/import`, { method: 'POST', headers, body: '[ ' });
    expect(third.status).toBe(400);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('practice.bad-file');
  });

  it('refuses an API token expiry named after an Object member (constructor, __proto__, toString) like any unknown value', async () => {
    const viewer = bench.people.viewer;
    const tokensBefore = await bench.app.ctx.db.selectFrom('api_tokens').select('id').execute();
    for (const expires of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '7']) {
      const page = await bench.call('/account/tokens', {
        method: 'POST',
        body: `name=probe&expires=${expires}`,
        contentType: 'application/x-www-form-urlencoded',
        as: { person: viewer, via: 'session' },
      });
      expect(page.status, expires).toBe(400);
      expect(await page.text(), expires).toContain('Expires after: choose one of');
    }
    const tokensAfter = await bench.app.ctx.db.selectFrom('api_tokens').select('id').execute();
    expect(tokensAfter).toHaveLength(tokensBefore.length);
  });
});

describe('security follow-ups: the emulator data file', () => {
  it('creates emulator.db and its -wal and -shm 0600, like the product databases', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-emu-'));
    const file = path.join(dir, 'emulator.db');
    const p = openPersistence(file, () => ({ core: { company: 'x' }, oauth: {} }));
    try {
      p.changed();
      p.flush();
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        expect(fs.existsSync(f), f).toBe(true);
        expect((fs.statSync(f).mode & 0o777).toString(8), f).toBe('600');
      }
    } finally {
      p.close();
    }
  });
});
