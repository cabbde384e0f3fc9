/** The operations settings (issue 17): a bad value is refused in one line naming the variable; the metrics token is never echoed. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('QBO_CONNECT_METRICS_TOKEN and QBO_CONNECT_LOG_FORMAT', () => {
  it('defaults: metrics off, log format auto', () => {
    const c = loadConfig({});
    expect(c.metricsToken).toBeUndefined();
    expect(c.logFormat).toBe('auto');
    expect(loadConfig({ QBO_CONNECT_METRICS_TOKEN: 'a-token-of-16-chars', QBO_CONNECT_LOG_FORMAT: 'json' })).toMatchObject({
      metricsToken: 'a-token-of-16-chars',
      logFormat: 'json',
    });
  });

  it('refuses a short metrics token without echoing it, and an unknown log format naming the choices', () => {
    const short = () => loadConfig({ QBO_CONNECT_METRICS_TOKEN: 'tooshort-secret' });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(/^QBO_CONNECT_METRICS_TOKEN: must be at least 16 characters/);
    try {
      short();
    } catch (err) {
      expect((err as Error).message).not.toContain('tooshort-secret');
    }
    expect(() => loadConfig({ QBO_CONNECT_LOG_FORMAT: 'xml' })).toThrow('QBO_CONNECT_LOG_FORMAT=xml: must be one of auto, json, pretty');
  });
});
