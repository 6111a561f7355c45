/**
 * Sessions: a random token lives in an httpOnly, SameSite=Lax cookie; the database keeps only its
 * SHA-256 (a leaked sessions table does not leak live sessions). Sessions last 7 days and slide:
 * a session used in its second half is pushed out again, so an active user stays signed in while
 * the database is written at most about once per half-life rather than on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Cookies } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import {
  createSession,
  deleteSession,
  getSessionUser,
  getUserByEmail,
  touchSession,
  updateUser,
} from '$db/repositories/users.js';
import type { UserRow } from '$db/schema.js';
import { hashPassword, needsRehash, NO_PASSWORD, verifyPassword } from '$db/auth/password.js';
import type { SessionUser } from '../user.js';

export const SESSION_COOKIE = 'esp_session';
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type { SessionUser };

export function toSessionUser(row: UserRow): SessionUser {
  return { id: row.id, email: row.email, name: row.name, role: row.role, locale: row.locale };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function startSession(db: Db, userId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await createSession(db, { id: hashToken(token), userId, expiresAt });
  return { token, expiresAt };
}

/**
 * The user of a session token, or null when it is unknown or expired. `renewedUntil` is set when
 * the expiry was pushed out, so the caller re-sends the cookie with the new expiry.
 */
export async function resumeSession(
  db: Db,
  token: string,
  now = new Date(),
): Promise<{ user: SessionUser; expiresAt: Date; renewed: boolean } | null> {
  const id = hashToken(token);
  const found = await getSessionUser(db, id, now);
  if (!found) return null;
  if (found.expiresAt.getTime() - now.getTime() < SESSION_TTL_MS / 2) {
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await touchSession(db, id, expiresAt);
    return { user: toSessionUser(found.user), expiresAt, renewed: true };
  }
  return { user: toSessionUser(found.user), expiresAt: found.expiresAt, renewed: false };
}

export async function endSession(db: Db, token: string): Promise<void> {
  await deleteSession(db, hashToken(token));
}

/**
 * The user with this e-mail and password, or null. An unknown e-mail, or a user without a
 * password, still costs one password derivation, so response times do not tell which e-mails have
 * accounts. A hash stored with weaker parameters than today's is replaced after a correct password.
 */
export async function checkCredentials(db: Db, email: string, password: string): Promise<SessionUser | null> {
  const user = await getUserByEmail(db, email);
  if (!(await verifyPassword(password, user?.passwordHash ?? NO_PASSWORD)) || !user) return null;
  if (needsRehash(user.passwordHash)) await updateUser(db, user.id, { passwordHash: await hashPassword(password) });
  return toSessionUser(user);
}

/** `secure` follows the request: on for https (also behind a proxy, via adapter-node's ORIGIN or PROTOCOL_HEADER), off for plain-http development. */
export function setSessionCookie(cookies: Cookies, url: URL, token: string, expiresAt: Date): void {
  cookies.set(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    expires: expiresAt,
  });
}

export function clearSessionCookie(cookies: Cookies, url: URL): void {
  cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' });
}

export async function setUserLocale(db: Db, userId: string, locale: SessionUser['locale']): Promise<void> {
  await updateUser(db, userId, { locale });
}
