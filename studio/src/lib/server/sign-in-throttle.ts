/**
 * Sign-in throttling: failed attempts are counted per account (the e-mail) and per client address.
 * The first few failures of a key are free; each further one locks the key for twice as long as
 * the one before (1 s, 2 s, 4 s … up to 15 min). While a key is locked, a sign-in is answered with
 * 429 and `Retry-After` before any password is derived, so a burst costs no scrypt work. A correct
 * password once the lock has run out signs in and clears the account's count.
 *
 * The state is in this process's memory: one studio process (what `npm start` runs). Several
 * studio processes behind a balancer would each keep their own counts, multiplying the allowance
 * by their number; docs/security.md says what to change then.
 */

export interface ThrottlePolicy {
  /** Failures a key may have before it is locked. */
  free: number;
  baseLockMs: number;
  maxLockMs: number;
  /** A key idle this long starts again from zero. */
  forgetAfterMs: number;
}

/** An account: a handful of typos are free, then the lock doubles. */
export const ACCOUNT_POLICY: ThrottlePolicy = { free: 5, baseLockMs: 1_000, maxLockMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };
/** A client address may be an office behind one NAT: more free failures, the same back-off. */
export const ADDRESS_POLICY: ThrottlePolicy = { free: 20, baseLockMs: 1_000, maxLockMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };

/** Keys kept at most; the oldest are dropped first, so a flood of made-up e-mails cannot exhaust memory. */
const MAX_KEYS = 50_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export class Throttle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: ThrottlePolicy) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfterMs(key: string, now = Date.now()): number {
    const entry = this.live(key, now);
    return entry ? Math.max(0, entry.lockedUntil - now) : 0;
  }

  /** Records a failure; returns the lock it now has (0 while failures are still free). */
  fail(key: string, now = Date.now()): number {
    const entry = this.live(key, now) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    entry.failures++;
    entry.lastFailure = now;
    const over = entry.failures - this.policy.free;
    const lock = over <= 0 ? 0 : Math.min(this.policy.maxLockMs, this.policy.baseLockMs * 2 ** Math.min(over - 1, 30));
    entry.lockedUntil = now + lock;
    // Re-inserted so the map's order is least recently failed first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    return lock;
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailure > this.policy.forgetAfterMs && now >= entry.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** The studio's sign-in throttle: one count per account and one per client address. */
export class SignInThrottle {
  readonly accounts = new Throttle(ACCOUNT_POLICY);
  readonly addresses = new Throttle(ADDRESS_POLICY);

  /** Whole seconds to wait before this account or address may try again; 0 when they may now. */
  retryAfterSeconds(email: string, address: string, now = Date.now()): number {
    const ms = Math.max(this.accounts.retryAfterMs(accountKey(email), now), this.addresses.retryAfterMs(address, now));
    return Math.ceil(ms / 1000);
  }

  failed(email: string, address: string, now = Date.now()): void {
    this.accounts.fail(accountKey(email), now);
    this.addresses.fail(address, now);
  }

  /** A correct password clears the account's count; the address keeps its own. */
  succeeded(email: string): void {
    this.accounts.clear(accountKey(email));
  }
}

function accountKey(email: string): string {
  return email.trim().toLowerCase();
}

export const signInThrottle = new SignInThrottle();
