/**
 * Holes the security rehearsal found, each pinned by a test: "Log out of QuickBooks" with nothing
 * connected answered 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBench, stackTraceIn, type Bench } from './harness.js';

describe('security rehearsal: regressions', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench();
  });
  afterAll(async () => b?.close());

  it('"Log out of QuickBooks" with no company connected says so (400), not 500', async () => {
    const res = await b.call('/connection/logout', { method: 'POST', body: '', contentType: 'application/x-www-form-urlencoded', as: { person: b.people.administrator, via: 'session' } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('no QuickBooks company is connected');
    expect(stackTraceIn(html)).toBeUndefined();
  });
});
