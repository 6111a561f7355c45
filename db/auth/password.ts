/**
 * Password hashing for the studio's users: node:crypto scrypt with a random salt, stored as
 * `scrypt$N$r$p$salt$hash` (salt and hash in base64url) so the cost parameters travel with each
 * hash and can be raised later without invalidating the stored ones.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** OWASP's scrypt minimum (N=2^17, r=8, p=1) takes 128 MiB per hash; 2^15 keeps logins cheap on small servers. */
export const SCRYPT_DEFAULTS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function maxmem(N: number, r: number): number {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is too tight for N=2^15, r=8 plus overhead.
  return 128 * N * r * 2;
}

export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: maxmem(params.N, params.r) });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * True when `password` matches `stored`. A stored value in another format (e.g. the `!` of a user
 * imported from a CRM, who has no password yet) never matches.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || (N & (N - 1)) !== 0) return false;
  // Refuse absurd costs from a tampered row rather than allocating gigabytes.
  if (N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(key, expected);
}

/** Stored for users who cannot log in until an admin sets a password (CRM-imported agents). */
export const NO_PASSWORD = '!';
