/**
 * Behind the trusted proxy, the per-address sign-in limit must count each client, whatever form the
 * proxy writes its address in: with a port or in brackets the old check failed and every client
 * counted as the proxy (one attacker locked everyone out). IPv6 clients count per /64.
 */
import { describe, expect, it } from 'vitest';
import { addressBucket, clientAddress, forwardedAddress } from '../../src/server/web/client-address.js';

const PROXY = '10.0.0.5';

describe('security: the client address behind the trusted proxy', () => {
  it('reads the forwarded address with a port, in brackets, or in brackets with a port', () => {
    expect(clientAddress(PROXY, '1.2.3.4', PROXY)).toBe('1.2.3.4');
    expect(clientAddress(PROXY, '1.2.3.4:5555', PROXY)).toBe('1.2.3.4');
    expect(clientAddress(`::ffff:${PROXY}`, 'spoofed, 5.6.7.8:80', PROXY)).toBe('5.6.7.8');
    expect(clientAddress(PROXY, '[2001:db8::1]', PROXY)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(PROXY, '[2001:db8::1]:443', PROXY)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(PROXY, '::ffff:9.8.7.6', PROXY)).toBe('9.8.7.6');
  });

  it('never counts a client as the proxy: an unparseable forwarded value is a bucket of its own', () => {
    for (const junk of ['not-an-ip', '1.2.3.4:port', '[nope]', '999.1.1.1', 'unknown']) {
      const bucket = clientAddress(PROXY, junk, PROXY);
      expect(bucket, junk).not.toBe(PROXY);
      expect(bucket, junk).toContain(junk);
    }
    // Two different clients never share the proxy's bucket.
    expect(clientAddress(PROXY, '1.1.1.1:1', PROXY)).not.toBe(clientAddress(PROXY, '2.2.2.2:2', PROXY));
  });

  it('ignores X-Forwarded-For from anyone but the trusted proxy', () => {
    expect(clientAddress('7.7.7.7', '1.2.3.4', PROXY)).toBe('7.7.7.7');
    expect(clientAddress('7.7.7.7', '1.2.3.4', undefined)).toBe('7.7.7.7');
  });

  it('counts IPv6 per /64, so rotating addresses within one block earns no fresh attempts', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1%eth0'.replace(/%.*/, ''))).toBe('fe80:0:0:0::/64');
    expect(addressBucket('::ffff:1.2.3.4')).toBe('0:0:0:0::/64');
    expect(addressBucket('1.2.3.4')).toBe('1.2.3.4');
    expect(clientAddress('2001:db8:1:2::99', undefined, undefined)).toBe('2001:db8:1:2::/64');
    expect(forwardedAddress('[fe80::1%eth0]:8080')).toBe('fe80::1');
  });
});
