/**
 * Users and sessions: storage only. Password hashing and token generation belong to the auth
 * layer; this module never sees a password or a raw session token.
 */
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { sessions, users, type Locale, type UserRole, type UserRow } from '../schema.js';
import { ConflictError, NotFoundError } from './errors.js';
import { chunks } from './batched-writes.js';

export interface UserInput {
  id?: string;
  email: string;
  name: string;
  role: UserRole;
  passwordHash: string;
  locale?: Locale;
}

/** Creates a user; an e-mail already used (in any case) is a `ConflictError`. */
export async function createUser(db: Db, input: UserInput): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({ ...input, email: input.email.trim() })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new ConflictError(`a user with e-mail ${input.email} or id ${input.id ?? '(new)'} already exists`);
  return row;
}

/** Inserts or updates users by id: demo data and fixtures. */
export async function upsertUsers(db: Db, inputs: readonly (UserInput & { id: string })[]): Promise<number> {
  if (inputs.length === 0) return 0;
  await db
    .insert(users)
    .values(inputs.map((u) => ({ ...u, email: u.email.trim() })))
    .onConflictDoUpdate({
      target: users.id,
      set: {
        email: sql`excluded.email`,
        name: sql`excluded.name`,
        role: sql`excluded.role`,
        passwordHash: sql`excluded.password_hash`,
        locale: sql`excluded.locale`,
      },
    });
  return inputs.length;
}

export async function getUser(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function getUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`);
  return row;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.select().from(users).orderBy(asc(users.name), asc(users.id));
}

export async function updateUser(
  db: Db,
  id: string,
  patch: Partial<Pick<UserRow, 'name' | 'email' | 'role' | 'passwordHash' | 'locale'>>,
): Promise<UserRow> {
  const [row] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
  if (!row) throw new NotFoundError(`user ${id} does not exist`);
  return row;
}

// ---- sessions ----------------------------------------------------------------------------------

/** `id` is the hash of the session token the browser holds. */
export async function createSession(db: Db, input: { id: string; userId: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(input);
}

/** The session's user, when the session exists and has not expired at `now`. */
export async function getSessionUser(
  db: Db,
  id: string,
  now: Date = new Date(),
): Promise<{ user: UserRow; expiresAt: Date } | undefined> {
  const [row] = await db
    .select({ user: users, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now)));
  return row;
}

/** Sliding expiry: pushes the session's expiry out. */
export async function touchSession(db: Db, id: string, expiresAt: Date): Promise<void> {
  await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id));
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, id));
}

export async function deleteExpiredSessions(db: Db, now: Date = new Date()): Promise<number> {
  const rows = await db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ id: sessions.id });
  return rows.length;
}

/** Lower-cased e-mail → user id, for the e-mails that belong to a user. */
export async function userIdsByEmail(db: Db, emails: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const lower = [...new Set(emails.map((e) => e.trim().toLowerCase()))];
  for (const batch of chunks(lower)) {
    const rows = await db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(inArray(sql<string>`lower(${users.email})`, batch));
    for (const r of rows) out.set(r.email.toLowerCase(), r.id);
  }
  return out;
}

/**
 * Creates the users that do not exist yet (by id or e-mail); existing users keep their name, role
 * and password. Returns how many were created.
 */
export async function insertMissingUsers(
  db: Db,
  rows: readonly { id: string; email: string; name: string; role: UserRole; passwordHash: string }[],
): Promise<number> {
  let n = 0;
  for (const batch of chunks(rows)) {
    const created = await db
      .insert(users)
      .values([...batch])
      .onConflictDoNothing()
      .returning({ id: users.id });
    n += created.length;
  }
  return n;
}

export async function userNames(db: Db, ids: readonly (string | null | undefined)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
  if (wanted.length === 0) return new Map();
  const rows = await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, wanted));
  return new Map(rows.map((r) => [r.id, r.name]));
}
