/**
 * Writes the imports need beyond the general repositories: partial account upserts (a CSV without
 * a `potential` column must not wipe the potential typed in the studio), replacing one account's
 * competitor list or one contact's outgoing influence links, users created only when missing (a
 * re-import must not reset a password), and clearing demo visits before re-seeding.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Account, Competitor, InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accounts, competitors, contacts, influenceLinks, users, visits, type UserRole } from '../schema.js';

const BATCH = 1000;

export const PROFILE_FIELDS = [
  'name',
  'industry',
  'region',
  'status',
  'ownerId',
  'parentId',
  'employees',
  'companyRevenue',
  'revenueWithUs',
  'potential',
  'demonstration',
  'winnability',
  'competitorsNoneKnown',
  'previousCloseness',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function column(field: ProfileField): string {
  return accounts[field].name;
}

export interface ProfileUpsertOptions {
  /** Fields an existing account takes from the input. */
  update: readonly ProfileField[];
  /** Fields an existing account takes only where its stored value is null (imported defaults). */
  fillIfNull?: readonly ProfileField[];
  batchSize?: number;
}

/**
 * Inserts new accounts with every profile field and updates existing ones with only the listed
 * fields; computed columns, contacts and competitors are untouched. Returns how many rows were
 * inserted and how many updated (PostgreSQL's `xmax = 0` tells a fresh row from an updated one).
 */
export async function upsertAccountProfiles(
  db: Db,
  items: readonly Account[],
  opts: ProfileUpsertOptions,
): Promise<{ inserted: number; updated: number }> {
  const set: Record<string, SQL> = {};
  for (const f of opts.update) set[f] = sql.raw(`excluded."${column(f)}"`);
  for (const f of opts.fillIfNull ?? [])
    if (!opts.update.includes(f)) set[f] = sql.raw(`coalesce("accounts"."${column(f)}", excluded."${column(f)}")`);
  set['updatedAt'] = sql`now()`;
  let inserted = 0;
  let updated = 0;
  for (const batch of chunks(items, opts.batchSize ?? BATCH)) {
    const rows = await db
      .insert(accounts)
      .values(
        batch.map((a) => ({
          id: a.id,
          name: a.name,
          industry: a.industry ?? null,
          region: a.region ?? null,
          status: a.status ?? null,
          ownerId: a.ownerId ?? null,
          parentId: a.parentId ?? null,
          employees: a.employees ?? null,
          companyRevenue: a.companyRevenue ?? null,
          revenueWithUs: a.revenueWithUs ?? null,
          potential: a.potential ?? null,
          demonstration: a.demonstration ?? null,
          winnability: a.winnability ?? null,
          competitorsNoneKnown: a.competitorsNoneKnown ?? false,
          previousCloseness: a.previousCloseness ?? null,
        })),
      )
      .onConflictDoUpdate({ target: accounts.id, set })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    for (const r of rows) if (r.inserted) inserted++;
    updated += rows.length - rows.filter((r) => r.inserted).length;
  }
  return { inserted, updated };
}

/** Ids among `ids` that exist. */
export async function existingAccountIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const batch of chunks([...new Set(ids)])) {
    const rows = await db.select({ id: accounts.id }).from(accounts).where(inArray(accounts.id, batch));
    for (const r of rows) out.add(r.id);
  }
  return out;
}

/** Stored values of some profile fields, for accounts that exist. */
export async function storedProfileFields(
  db: Db,
  ids: readonly string[],
  fields: readonly ProfileField[],
): Promise<Map<string, Partial<Record<ProfileField, unknown>>>> {
  const out = new Map<string, Partial<Record<ProfileField, unknown>>>();
  const selection = Object.fromEntries([['id', accounts.id], ...fields.map((f) => [f, accounts[f]])]) as Record<
    string,
    (typeof accounts)[ProfileField]
  >;
  for (const batch of chunks([...new Set(ids)])) {
    const rows = (await db.select(selection).from(accounts).where(inArray(accounts.id, batch))) as Record<string, unknown>[];
    for (const r of rows) out.set(r['id'] as string, r as Partial<Record<ProfileField, unknown>>);
  }
  return out;
}

/**
 * Replaces each account's competitor list. A contact's stance toward a competitor that is no
 * longer listed means nothing any more, so it is removed; returns how many contacts lost one.
 */
export async function replaceCompetitors(
  db: Db,
  entries: readonly { accountId: string; competitors: readonly Competitor[] }[],
): Promise<{ contactsCleared: number }> {
  let contactsCleared = 0;
  for (const batch of chunks(entries)) {
    const ids = batch.map((e) => e.accountId);
    await db.delete(competitors).where(inArray(competitors.accountId, ids));
    const rows = batch.flatMap((e) =>
      e.competitors.map((c, position) => ({
        accountId: e.accountId,
        id: c.id,
        name: c.name,
        share: c.share ?? 0,
        theirOffer: c.theirOffer ?? null,
        ourEdge: c.ourEdge ?? null,
        position,
      })),
    );
    for (const part of chunks(rows)) await db.insert(competitors).values(part);

    const keep = new Map(batch.map((e) => [e.accountId, new Set(e.competitors.map((c) => c.id))]));
    const stored = await db
      .select({ accountId: contacts.accountId, id: contacts.id, competitorStances: contacts.competitorStances })
      .from(contacts)
      .where(and(inArray(contacts.accountId, ids), sql`${contacts.competitorStances} <> '{}'::jsonb`));
    for (const c of stored) {
      const allowed = keep.get(c.accountId)!;
      const entries = Object.entries(c.competitorStances);
      const kept = entries.filter(([k]) => allowed.has(k));
      if (kept.length === entries.length) continue;
      contactsCleared++;
      await db
        .update(contacts)
        .set({ competitorStances: Object.fromEntries(kept) })
        .where(and(eq(contacts.accountId, c.accountId), eq(contacts.id, c.id)));
    }
  }
  return { contactsCleared };
}

/** Replaces the outgoing influence links of the given contacts (`from`), leaving everyone else's. */
export async function replaceInfluenceLinksFrom(
  db: Db,
  entries: readonly { accountId: string; from: string; links: readonly InfluenceLink[] }[],
): Promise<number> {
  let written = 0;
  for (const batch of chunks(entries)) {
    const pairs = sql.join(
      batch.map((e) => sql`(${e.accountId}, ${e.from})`),
      sql`, `,
    );
    await db.delete(influenceLinks).where(sql`(${influenceLinks.accountId}, ${influenceLinks.from}) in (${pairs})`);
    const rows = batch.flatMap((e) =>
      e.links.map((l, i) => ({ accountId: e.accountId, from: e.from, to: l.to, weight: l.weight ?? 1, position: i })),
    );
    for (const part of chunks(rows)) await db.insert(influenceLinks).values(part);
    written += rows.length;
  }
  return written;
}

/** Removes influence links whose ends are no longer contacts of their account. */
export async function deleteDanglingInfluenceLinks(db: Db, accountIds: readonly string[]): Promise<number> {
  let n = 0;
  for (const batch of chunks([...new Set(accountIds)])) {
    const rows = await db
      .delete(influenceLinks)
      .where(
        and(
          inArray(influenceLinks.accountId, batch),
          sql`(not exists (select 1 from ${contacts} c where c.account_id = ${influenceLinks.accountId} and c.id = ${influenceLinks.from})
            or not exists (select 1 from ${contacts} c where c.account_id = ${influenceLinks.accountId} and c.id = ${influenceLinks.to}))`,
        ),
      )
      .returning({ accountId: influenceLinks.accountId });
    n += rows.length;
  }
  return n;
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

/** Deletes the visits of the given accounts (re-seeding the demo replaces its year of visits). */
export async function deleteVisitsOf(db: Db, accountIds: readonly string[]): Promise<number> {
  let n = 0;
  for (const batch of chunks([...new Set(accountIds)])) {
    const rows = await db.delete(visits).where(inArray(visits.accountId, batch)).returning({ id: visits.id });
    n += rows.length;
  }
  return n;
}
