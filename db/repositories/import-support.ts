/**
 * Writes the imports need beyond the general repositories: partial account upserts (a CSV without
 * a `potential` column must not wipe the potential typed in the studio), replacing one account's
 * competitor list or one contact's outgoing influence links, users created only when missing (a
 * re-import must not reset a password), and clearing demo visits before re-seeding.
 *
 * Bulk writes go through `jsonb_to_recordset`: each batch is ONE bound parameter (the rows as a
 * JSON text) instead of rows × columns parameters. drizzle spends about half a second building a
 * 1,000-row multi-row INSERT, which alone caps an import near 2,000 rows/s; the JSON form costs
 * one `JSON.stringify` and lets batches be large. Same SQL on PostgreSQL and PGlite.
 */
import { and, eq, getTableColumns, getTableName, inArray, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Account, Competitor, Contact, InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accounts, competitors, contacts, influenceLinks, opportunities, users, visits, type UserRole } from '../schema.js';

const BATCH = 1000;
/** Rows per JSON batch: one parameter each, so only statement size limits it. */
const JSON_BATCH = 5000;

type SqlType = 'text' | 'integer' | 'double precision' | 'boolean' | 'jsonb' | 'date';

/**
 * `insert into <table> (<columns>) select … from jsonb_to_recordset($1)`, in batches. `columns`
 * maps the table's TypeScript keys to SQL types; `rows` are keyed the same way. `tail` is appended
 * (ON CONFLICT …, RETURNING …); the returned rows of all batches are concatenated.
 */
async function insertJson<T extends PgTable>(
  db: Db,
  table: T,
  columns: readonly (readonly [keyof T['_']['columns'] & string, SqlType])[],
  rows: readonly Record<string, unknown>[],
  tail = '',
): Promise<Record<string, unknown>[]> {
  const defs = getTableColumns(table) as Record<string, PgColumn>;
  const names = columns.map(([k]) => `"${defs[k]!.name}"`);
  const list = names.join(', ');
  const types = columns.map(([, t], i) => `${names[i]} ${t}`).join(', ');
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows.length; i += JSON_BATCH) {
    const batch = rows.slice(i, i + JSON_BATCH).map((r) => {
      const o: Record<string, unknown> = {};
      for (const [k] of columns) o[defs[k]!.name] = r[k] ?? null;
      return o;
    });
    const result = await db.execute(
      sql`insert into ${sql.raw(`"${getTableName(table)}"`)} (${sql.raw(list)}) select ${sql.raw(list)} from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as x(${sql.raw(types)}) ${sql.raw(tail)}`,
    );
    const returned = Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows;
    if (returned) out.push(...(returned as Record<string, unknown>[]));
  }
  return out;
}

const ACCOUNT_COLUMNS = [
  ['id', 'text'],
  ['name', 'text'],
  ['industry', 'text'],
  ['region', 'text'],
  ['status', 'text'],
  ['ownerId', 'text'],
  ['parentId', 'text'],
  ['employees', 'integer'],
  ['companyRevenue', 'double precision'],
  ['revenueWithUs', 'double precision'],
  ['potential', 'double precision'],
  ['demonstration', 'double precision'],
  ['winnability', 'double precision'],
  ['competitorsNoneKnown', 'boolean'],
  ['previousCloseness', 'double precision'],
] as const;

const CONTACT_COLUMNS = [
  ['accountId', 'text'],
  ['id', 'text'],
  ['name', 'text'],
  ['title', 'text'],
  ['reportsTo', 'text'],
  ['influence', 'integer'],
  ['decisionRole', 'text'],
  ['behavior', 'text'],
  ['stance', 'integer'],
  ['competitorStances', 'jsonb'],
  ['interactions90d', 'integer'],
  ['position', 'integer'],
] as const;

const COMPETITOR_COLUMNS = [
  ['accountId', 'text'],
  ['id', 'text'],
  ['name', 'text'],
  ['share', 'double precision'],
  ['theirOffer', 'text'],
  ['ourEdge', 'text'],
  ['position', 'integer'],
] as const;

const LINK_COLUMNS = [
  ['accountId', 'text'],
  ['from', 'text'],
  ['to', 'text'],
  ['weight', 'integer'],
  ['position', 'integer'],
] as const;

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
  const set = [
    ...opts.update.map((f) => `"${column(f)}" = excluded."${column(f)}"`),
    ...(opts.fillIfNull ?? [])
      .filter((f) => !opts.update.includes(f))
      .map((f) => `"${column(f)}" = coalesce("accounts"."${column(f)}", excluded."${column(f)}")`),
    '"updated_at" = now()',
  ];
  const rows = items.map((a) => ({ ...a, competitorsNoneKnown: a.competitorsNoneKnown ?? false }));
  // PostgreSQL's `xmax = 0` tells a freshly inserted row from an updated one.
  const returned = await insertJson(
    db,
    accounts,
    ACCOUNT_COLUMNS,
    rows,
    `on conflict ("id") do update set ${set.join(', ')} returning (xmax = 0) as inserted`,
  );
  const inserted = returned.filter((r) => r['inserted'] === true).length;
  return { inserted, updated: returned.length - inserted };
}

/**
 * Whole accounts: every profile field, and contacts, competitors and influence links replaced by
 * the given ones. What the JSON import and the demo seed write; computed columns are untouched.
 */
export async function replaceAccounts(db: Db, items: readonly Account[]): Promise<{ inserted: number; updated: number }> {
  const counts = await upsertAccountProfiles(db, items, { update: PROFILE_FIELDS });
  for (let i = 0; i < items.length; i += JSON_BATCH) {
    const batch = items.slice(i, i + JSON_BATCH);
    const ids = batch.map((a) => a.id);
    await db.delete(contacts).where(inArray(contacts.accountId, ids));
    await db.delete(competitors).where(inArray(competitors.accountId, ids));
    await db.delete(influenceLinks).where(inArray(influenceLinks.accountId, ids));
    await insertJson(
      db,
      contacts,
      CONTACT_COLUMNS,
      batch.flatMap((a) => a.contacts.map((c, position) => ({ ...c, accountId: a.id, position }))),
    );
    await insertJson(
      db,
      competitors,
      COMPETITOR_COLUMNS,
      batch.flatMap((a) => a.competitors.map((c, position) => ({ ...c, accountId: a.id, position }))),
    );
    await insertJson(
      db,
      influenceLinks,
      LINK_COLUMNS,
      batch.flatMap((a) => a.influenceLinks.map((l, position) => ({ ...l, accountId: a.id, position }))),
    );
  }
  return counts;
}

/** Inserts or updates contacts by (account, id); the position of a stored contact is kept. */
export async function upsertContactRows(
  db: Db,
  rows: readonly (Contact & { accountId: string; position: number })[],
): Promise<void> {
  const update = CONTACT_COLUMNS.filter(([k]) => k !== 'accountId' && k !== 'id' && k !== 'position')
    .map(([k]) => `"${contacts[k].name}" = excluded."${contacts[k].name}"`)
    .join(', ');
  await insertJson(db, contacts, CONTACT_COLUMNS, rows, `on conflict ("account_id", "id") do update set ${update}`);
}

/** Visits in bulk (the demo's year of visits). */
export async function insertVisitRows(
  db: Db,
  rows: readonly { accountId: string; contactId: string | null; date: string; note: string | null; by: string | null }[],
): Promise<number> {
  await insertJson(
    db,
    visits,
    [
      ['accountId', 'text'],
      ['contactId', 'text'],
      ['date', 'date'],
      ['note', 'text'],
      ['by', 'text'],
    ],
    rows,
  );
  return rows.length;
}

/** Opportunities by id, without a hand-off (historical or demo data). */
export async function upsertOpportunityRows(
  db: Db,
  rows: readonly {
    id: string;
    accountId: string;
    title: string;
    estimatedValue: number | null;
    track: string | null;
    status: string;
    stage: string | null;
    closeDate: string | null;
    source: string | null;
    owner: string | null;
  }[],
): Promise<number> {
  const columns = [
    ['id', 'text'],
    ['accountId', 'text'],
    ['title', 'text'],
    ['estimatedValue', 'double precision'],
    ['track', 'text'],
    ['status', 'text'],
    ['stage', 'text'],
    ['closeDate', 'date'],
    ['source', 'text'],
    ['owner', 'text'],
  ] as const;
  const update = columns
    .filter(([k]) => k !== 'id')
    .map(([k]) => `"${opportunities[k].name}" = excluded."${opportunities[k].name}"`)
    .join(', ');
  await insertJson(db, opportunities, columns, rows, `on conflict ("id") do update set ${update}`);
  return rows.length;
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
  for (const batch of chunks(entries, JSON_BATCH)) {
    const ids = batch.map((e) => e.accountId);
    await db.delete(competitors).where(inArray(competitors.accountId, ids));
    await insertJson(
      db,
      competitors,
      COMPETITOR_COLUMNS,
      batch.flatMap((e) => e.competitors.map((c, position) => ({ ...c, share: c.share ?? 0, accountId: e.accountId, position }))),
    );

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
      e.links.map((l, position) => ({ accountId: e.accountId, from: e.from, to: l.to, weight: l.weight ?? 1, position })),
    );
    await insertJson(db, influenceLinks, LINK_COLUMNS, rows);
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
