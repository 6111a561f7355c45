/**
 * `esp demo seed`: writes the generated demo through the repositories in one transaction.
 * Re-seeding with the same seed gives the same database: accounts, teams and opportunities are
 * upserted by id, the demo accounts' visits are replaced, and existing users are kept as they are
 * (a password changed since the last seed stays changed).
 */
import { count } from 'drizzle-orm';
import { hashPassword } from '../auth/password.js';
import type { Db } from '../client.js';
import { addMembers, upsertTeams } from '../repositories/teams.js';
import { accounts as accountsTable } from '../schema.js';
import { DEMO_PASSWORD, generateDemo, type DemoOptions } from './generate.js';
import { replaceAccounts } from '../repositories/account-profiles.js';
import { upsertOpportunityRows } from '../repositories/opportunities.js';
import { userIdsByEmail, insertMissingUsers } from '../repositories/users.js';
import { deleteVisitsOf, insertVisitRows } from '../repositories/visits.js';

export interface SeedOptions extends DemoOptions {
  /** Called after each batch of accounts is written. */
  onProgress?: (written: number, total: number) => void;
  /** Accounts per write batch (each with its contacts, competitors and links). */
  batchSize?: number;
}

export interface SeedResult {
  seed: number;
  today: string;
  accounts: number;
  contacts: number;
  competitors: number;
  influenceLinks: number;
  visits: number;
  opportunities: number;
  users: number;
  usersCreated: number;
  teams: number;
}

export async function seedDemo(db: Db, options: SeedOptions = {}): Promise<SeedResult> {
  const data = generateDemo(options);
  const batch = options.batchSize ?? 2000;
  const existing = await userIdsByEmail(
    db,
    data.users.map((u) => u.email),
  );
  // Hashing is slow on purpose (scrypt): only for users about to be created, outside the transaction.
  const newUsers = await Promise.all(
    data.users
      .filter((u) => !existing.has(u.email.toLowerCase()))
      .map(async (u) => ({ ...u, passwordHash: await hashPassword(DEMO_PASSWORD) })),
  );
  const result: SeedResult = {
    seed: data.seed,
    today: data.today,
    accounts: data.accounts.length,
    contacts: data.accounts.reduce((s, a) => s + a.contacts.length, 0),
    competitors: data.accounts.reduce((s, a) => s + a.competitors.length, 0),
    influenceLinks: data.accounts.reduce((s, a) => s + a.influenceLinks.length, 0),
    visits: data.visits.length,
    opportunities: data.opportunities.length,
    users: data.users.length,
    usersCreated: 0,
    teams: data.teams.length,
  };
  await db.transaction(async (tx) => {
    result.usersCreated = await insertMissingUsers(tx, newUsers);
    // A demo user who exists under another id (same e-mail) keeps it; memberships follow it.
    const ids = new Map(data.users.map((u) => [u.id, existing.get(u.email.toLowerCase()) ?? u.id]));
    await upsertTeams(
      tx,
      data.teams.map(({ id, line }) => ({ id, name: null, line })),
    );
    for (const t of data.teams)
      await addMembers(
        tx,
        t.id,
        t.members.map((m) => ids.get(m) ?? m),
      );

    for (let i = 0; i < data.accounts.length; i += batch) {
      const part = data.accounts
        .slice(i, i + batch)
        .map((a) => (a.ownerId ? { ...a, ownerId: ids.get(a.ownerId) ?? a.ownerId } : a));
      await replaceAccounts(tx, part);
      options.onProgress?.(Math.min(i + batch, data.accounts.length), data.accounts.length);
    }
    await deleteVisitsOf(
      tx,
      data.accounts.map((a) => a.id),
    );
    await insertVisitRows(
      tx,
      data.visits.map((v) => ({ ...v, by: ids.get(v.by) ?? v.by })),
    );
    await upsertOpportunityRows(
      tx,
      data.opportunities.map((o) => ({ ...o, track: null, owner: ids.get(o.owner) ?? o.owner })),
    );
  });
  return result;
}

/** True when no account exists yet: `npm start` seeds the demo on first run only. */
export async function hasNoAccounts(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(accountsTable);
  return (row?.n ?? 0) === 0;
}
