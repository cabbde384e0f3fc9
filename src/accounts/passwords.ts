/**
 * Password hashing with scrypt (node's built-in). Parameters N=2^15, r=8, p=1 follow OWASP's
 * guidance for scrypt; they need 32 MiB, above node's 32 MiB default maxmem once overhead is
 * counted, so maxmem is raised. The parameters are stored in the hash so they can be raised later
 * without breaking existing passwords.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 128 * N * R * 2;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

/** The lowest zxcvbn score accepted: 3 is "safely unguessable: moderate protection from offline attack". */
const MIN_SCORE = 3;
let estimator: ZxcvbnFactory | undefined;

/**
 * Why a password cannot be used, or undefined when it can. Long passphrases beat character rules,
 * so there are none: a length range and an offline strength estimate (zxcvbn-ts with its common
 * passwords and keyboard patterns; ASVS 6.2.4 / NIST 800-63B 3.1.1.2 ask to refuse common and
 * context-specific passwords). `context` holds the person's name and email, which must not carry it.
 */
export function passwordProblem(password: string, context: string[] = []): string | undefined {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, useLevenshteinDistance: true });
  const words = context.flatMap((c) => [c.toLowerCase(), ...c.toLowerCase().split(/[^a-z0-9]+/)]).filter((w) => w.length >= 3);
  const result = estimator.check(password, words);
  if (result.score >= MIN_SCORE) return undefined;
  const patterns = new Set(result.sequence.map((m) => m.pattern));
  const why = patterns.has('repeat')
    ? 'it repeats the same characters'
    : patterns.has('sequence') || patterns.has('spatial')
      ? 'it follows a simple sequence or keyboard pattern'
      : patterns.has('dictionary')
        ? 'it is a common password, or built from common words or your own name or email'
        : 'it would be guessed quickly';
  return `is too easy to guess (${why}): use a longer phrase of several unrelated words`;
}

/**
 * How many scrypt checks run at once. Each takes 32 MiB and a thread-pool slot for ~100 ms; a burst
 * of sign-ins must queue here rather than exhaust memory or starve every other request of threads.
 */
const MAX_CONCURRENT_CHECKS = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withCheckSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_CHECKS) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Password checks running or queued now (for tests of the cap). */
export function passwordChecksInFlight(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}

/** `scrypt$N$r$p$salt$hash` with base64url salt and hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches `stored`; false for any malformed stored value (never throws). */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0 || password.length > PASSWORD_MAX) return false;
  const key = await withCheckSlot(() => scrypt(password.normalize('NFKC'), salt, expected.length, { N: n, r, p, maxmem: 128 * n * r * 2 }));
  return crypto.timingSafeEqual(key, expected);
}

/**
 * A hash to compare against when the email is unknown, so a sign-in for an unknown user costs the
 * same time as one with a wrong password (no user enumeration by timing).
 */
export async function dummyHash(): Promise<string> {
  return hashPassword(crypto.randomBytes(12).toString('base64url'));
}
