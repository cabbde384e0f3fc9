/**
 * Whether a new QBO_CONNECT_SECRET is fit to encrypt QuickBooks tokens (issue 17): length alone let
 * `aaaa…` through. The rule is an entropy estimate, not a character-class rule: the secret's length
 * times the Shannon entropy of its characters must reach 128 bits (`openssl rand -base64 48` gives
 * about 370; 32 repeats of one character give 0). Whitespace at either end is refused, since
 * env-file loaders differ on whether they keep it (systemd strips it, Compose keeps it), so two
 * hosts could read two keys from one file.
 */
export const SECRET_MIN_LENGTH = 32;
export const SECRET_MIN_BITS = 128;

/** Shannon entropy of the characters, times the length: an upper bound on what the secret can hold. */
export function secretBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  return perChar * chars.length;
}

/** Why `secret` cannot be a new token secret, or undefined when it can; never quotes it. */
export function secretProblem(secret: string): string | undefined {
  if (secret !== secret.trim()) return 'has spaces or a line break at its start or end (env-file loaders differ on keeping them); remove them';
  if (secret.length < SECRET_MIN_LENGTH) return `must be at least ${SECRET_MIN_LENGTH} characters (a random string; it encrypts QBO tokens at rest)`;
  if (secretBits(secret) < SECRET_MIN_BITS) return 'is too easy to guess (too few different characters for its length): use a random one, e.g. `openssl rand -base64 48`';
  return undefined;
}
