import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

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
