/**
 * The client's address as the rate limits count it (issue 12 §1). Behind the trusted proxy it is
 * the last X-Forwarded-For entry, which proxies write as `1.2.3.4`, `1.2.3.4:5555`, `[2001:db8::1]`
 * or `[2001:db8::1]:443`; all of these name the client, so they are normalised. A value that is
 * not an address at all gets a bucket of its own: counting it as the proxy's address would let one
 * attacker lock out everyone behind that proxy. IPv6 clients are counted per /64, the block one
 * subscriber usually holds, so rotating through it does not earn fresh attempts.
 */
import { isIP } from 'node:net';

const isPort = (s: string) => /^\d{1,5}$/.test(s);

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
function unmapped(ip: string): string {
  const rest = ip.slice(7);
  return ip.toLowerCase().startsWith('::ffff:') && isIP(rest) === 4 ? rest : ip;
}

/** The IP address in one forwarded entry (brackets, port, zone and IPv4-mapped prefix removed), or undefined. */
export function forwardedAddress(entry: string): string | undefined {
  let v = entry.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    const rest = end < 0 ? '' : v.slice(end + 1);
    if (end < 0 || (rest !== '' && !(rest.startsWith(':') && isPort(rest.slice(1))))) return undefined;
    v = v.slice(1, end);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon > 0 && isIP(v.slice(0, colon)) === 4 && isPort(v.slice(colon + 1))) v = v.slice(0, colon);
  }
  const zone = v.indexOf('%');
  if (zone >= 0) v = v.slice(0, zone);
  v = unmapped(v);
  return isIP(v) ? v : undefined;
}

/** The eight 16-bit groups of an IPv6 address (valid per isIP). */
function hextets(ip: string): number[] {
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const part = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** What a limit counts: an IPv4 address as it is, an IPv6 address as its /64. */
export function addressBucket(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return `${hextets(ip)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * The socket's address, unless the socket is the trusted proxy: then the last X-Forwarded-For entry
 * (the one that proxy appended; earlier ones are whatever the client sent), as a limit bucket.
 */
export function clientAddress(socket: string, forwardedFor: string | undefined, trustedProxy: string | undefined): string {
  const plain = unmapped(socket);
  if (trustedProxy && (plain === trustedProxy || socket === trustedProxy)) {
    const entries = (forwardedFor ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const last = entries[entries.length - 1];
    if (last) {
      const address = forwardedAddress(last);
      return address ? addressBucket(address) : `unparsed:${last.slice(0, 100)}`;
    }
  }
  return addressBucket(plain);
}
