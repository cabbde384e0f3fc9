import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import tty from 'node:tty';
import { createLogger, isPretty, withLogContext } from './log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('log redaction', () => {
  it('redacts tokens, secrets, passwords and cookies at any depth we log', () => {
    const { lines, logger } = capture();
    logger.info({
      access_token: 'AT-secret-1',
      refresh_token: 'RT-secret-2',
      req: { headers: { authorization: 'Bearer AT-secret-3', cookie: 'sid=secret-4' } },
      oauth: { client_secret: 'CS-secret-5', body: { password: 'pw-secret-6' } },
      user: { password: 'pw-secret-7' },
    });
    const out = lines.join('');
    for (const s of ['AT-secret-1', 'RT-secret-2', 'AT-secret-3', 'secret-4', 'CS-secret-5', 'pw-secret-6', 'pw-secret-7']) {
      expect(out).not.toContain(s);
    }
    expect(out).toContain('[redacted]');
  });
});

describe('log context', () => {
  it('adds the request’s or run’s fields to every line within it, nested contexts merged, a line’s own fields winning', async () => {
    const { lines, logger } = capture();
    logger.info('outside');
    await withLogContext({ reqId: 'r-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      logger.info('in the request');
      await withLogContext({ runId: 'run-1', realmId: '42' }, async () => {
        await Promise.resolve();
        logger.child({ part: 'executor' }).info('in the run');
        logger.info({ realmId: '43' }, 'own field');
      });
    });
    logger.info('outside again');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const pick = (p: Record<string, unknown>) => ({ msg: p['msg'], reqId: p['reqId'], runId: p['runId'], realmId: p['realmId'] });
    expect(parsed.map(pick)).toEqual([
      { msg: 'outside', reqId: undefined, runId: undefined, realmId: undefined },
      { msg: 'in the request', reqId: 'r-1', runId: undefined, realmId: undefined },
      { msg: 'in the run', reqId: 'r-1', runId: 'run-1', realmId: '42' },
      { msg: 'own field', reqId: 'r-1', runId: 'run-1', realmId: '43' },
      { msg: 'outside again', reqId: undefined, runId: undefined, realmId: undefined },
    ]);
    // One key once: the line's own field replaces the context's, not repeats it.
    expect(lines[3]!.match(/"realmId"/g)).toHaveLength(1);
  });

  it('is JSON unless asked for pretty or writing to a terminal', () => {
    expect(isPretty({ format: 'json' })).toBe(false);
    expect(isPretty({ format: 'pretty' })).toBe(true);
    // The test runner's stderr is a pipe, not a terminal.
    expect(isPretty({ fd: 2, format: 'auto' })).toBe(tty.isatty(2));
  });
});
