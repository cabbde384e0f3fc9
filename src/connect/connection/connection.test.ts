import { describe, expect, it } from 'vitest';
import { EXPIRY_WARNING_MS, statusOf } from './connection.js';
import type { ConnectionInfo } from './store.js';

const now = new Date('2026-06-01T00:00:00Z');
const days = (n: number) => new Date(now.getTime() + n * 24 * 60 * 60 * 1000);

function info(over: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    realmId: '9130',
    companyName: 'Acme Architects',
    region: 'AU',
    status: 'connected',
    accessExpiresAt: days(0.04),
    refreshExpiresAt: days(100),
    refreshHardExpiresAt: days(5 * 365),
    connectedAt: days(-1),
    connectedBy: 'ada@example.com',
    disconnectedReason: null,
    updatedAt: days(-1),
    ...over,
  };
}

describe('connection status', () => {
  it('says connected with company and region, and no warning far from expiry', () => {
    const s = statusOf(info(), now);
    expect(s).toMatchObject({ state: 'connected', company: 'Acme Architects', region: 'AU', realmId: '9130' });
    expect(s.message).toBe('Connected to Acme Architects (AU).');
    expect(s.warning).toBeUndefined();
  });

  it('warns from 14 days before the rolling expiry, and before the 5-year cap with its own sentence', () => {
    expect(statusOf(info({ refreshExpiresAt: new Date(now.getTime() + EXPIRY_WARNING_MS + 1) }), now).warning).toBeUndefined();
    expect(statusOf(info({ refreshExpiresAt: days(13) }), now).warning).toContain('expires on 2026-06-14 unless QBO Connect uses it');
    expect(statusOf(info({ refreshHardExpiresAt: days(10) }), now).warning).toContain('on 2026-06-11 (its 5-year limit)');
  });

  it('shows expired, revoked (invalid_grant), logged-out and disconnected as "Disconnected — connect again"', () => {
    const cases: [Partial<ConnectionInfo>, string][] = [
      [{ refreshExpiresAt: days(-1) }, 'expired'],
      [{ refreshHardExpiresAt: days(-1) }, 'expired'],
      [{ status: 'disconnected', disconnectedReason: 'invalid_grant' }, 'revoked'],
      [{ status: 'disconnected', disconnectedReason: 'logged-out' }, 'logged-out'],
      [{ status: 'disconnected', disconnectedReason: 'disconnected' }, 'disconnected'],
    ];
    for (const [over, reason] of cases) {
      const s = statusOf(info(over), now);
      expect(s.state).toBe('disconnected');
      expect(s.reason).toBe(reason);
      expect(s.message).toMatch(/^Disconnected — connect again\. The connection to Acme Architects \(AU\)/);
    }
    expect(statusOf(undefined, now)).toMatchObject({ state: 'disconnected', reason: 'never-connected' });
  });
});
