/**
 * Password hashing for the studio's users: node:crypto scrypt with a random salt, stored as
 * `scrypt$N$r$p$salt$hash` (salt and hash in base64url) so the cost parameters travel with each
 * hash and can be raised later without invalidating the stored ones.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * OWASP's recommended scrypt parameters (N=2^17, r=8, p=1): 128 MiB and a few hundred
 * milliseconds per derivation. Hashes stored with lower costs are upgraded at the next sign-in
 * (`needsRehash`).
 */
export const SCRYPT_DEFAULTS = { N: 1 << 17, r: 8, p: 1 } as const;

/**
 * Derivations running at once. Each holds 128 MiB and a libuv thread for a few hundred
 * milliseconds, so a burst of sign-ins must queue instead of exhausting memory and the thread pool
 * that file and DNS work share.
 */
export const MAX_CONCURRENT_DERIVATIONS = 2;
/** Password checks allowed to wait for a slot; beyond this a check throws `DerivationsBusy` at once (hashing waits). */
export const MAX_WAITING_DERIVATIONS = 32;

/** Too many password derivations are queued: the caller answers "try again shortly". */
export class DerivationsBusy extends Error {
  constructor() {
    super('too many password checks at once');
    this.name = 'DerivationsBusy';
  }
}

let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(derive: () => Promise<T>, refuseWhenBusy: boolean): Promise<T> {
  if (running < MAX_CONCURRENT_DERIVATIONS) running++;
  else if (refuseWhenBusy && waiting.length >= MAX_WAITING_DERIVATIONS) throw new DerivationsBusy();
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await derive();
  } finally {
    // The slot passes straight to the next waiter, so `running` only drops when nobody waits.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions, refuseWhenBusy = false): Promise<Buffer> {
  return limited(
    () =>
      new Promise((resolve, reject) =>
        scryptCallback(password.normalize('NFC'), salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
      ),
    refuseWhenBusy,
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

interface StoredHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  expected: Buffer;
}

function parseStored(stored: string): StoredHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || (N & (N - 1)) !== 0) return null;
  // Refuse absurd costs from a tampered row rather than allocating gigabytes.
  if (N > 1 << 20 || r > 32 || p > 16) return null;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length === 0) return null;
  return { N, r, p, salt, expected };
}

/**
 * True when `password` matches `stored`. A stored value in another format (the `!` of a user who
 * has no password yet, or no user at all) never matches, but costs one derivation at the default
 * parameters all the same: response times must not tell which e-mails have a usable password.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseStored(stored);
  if (!hash) {
    const { N, r, p } = SCRYPT_DEFAULTS;
    await scrypt(password, randomBytes(SALT_LENGTH), KEY_LENGTH, { N, r, p, maxmem: maxmem(N, r) }, true);
    return false;
  }
  const { N, r, p, salt, expected } = hash;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) }, true);
  return timingSafeEqual(key, expected);
}

/** True for a valid hash stored with weaker parameters than today's: rehash it after a sign-in. */
export function needsRehash(stored: string): boolean {
  const hash = parseStored(stored);
  if (!hash) return false;
  return hash.N < SCRYPT_DEFAULTS.N || hash.r < SCRYPT_DEFAULTS.r || hash.p < SCRYPT_DEFAULTS.p || hash.expected.length < KEY_LENGTH;
}

/** Stored for users who cannot log in until an admin sets a password (CRM-imported agents). */
export const NO_PASSWORD = '!';
