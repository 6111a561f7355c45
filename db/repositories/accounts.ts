/**
 * Accounts and what the engine reads with them (contacts, competitors, influence links), plus the
 * computed columns the workflows write back for the studio's list.
 */
import { and, asc, count, desc, eq, getTableColumns, getTableName, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type {
  Account,
  AccountClass,
  Competitor,
  Contact,
  Health,
  InfluenceLink,
  Stage,
  Strategy,
  Tier,
} from '../../engine/model.js';
import type { Db } from '../client.js';
import { accounts, competitors, contacts, influenceLinks, type AccountRow } from '../schema.js';
import { CONTACT_FIELDS, type ContactField } from '../contact-fields.js';
import { PROFILE_FIELDS, type ProfileField } from '../profile-fields.js';

/** Rows per multi-row INSERT: well under PostgreSQL's 65,535 bind parameters for every table. */
export const BATCH_SIZE = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `excluded.<column>` for every listed column: the ON CONFLICT DO UPDATE of an upsert. */
function excludedSet<T extends PgTable>(table: T, keys: readonly (keyof T['_']['columns'] & string)[]): Record<string, SQL> {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  return Object.fromEntries(keys.map((k) => [k, sql.raw(`excluded."${columns[k]!.name}"`)]));
}

type ProfileValues = Pick<typeof accounts.$inferInsert, 'id' | ProfileField>;

/** The account's row values: every profile field, a missing one written as the column's default (or null). */
function profileValues(a: Account): ProfileValues {
  const values: Record<string, unknown> = { id: a.id };
  for (const f of PROFILE_FIELDS) values[f] = a[f] ?? accounts[f].default ?? null;
  return values as ProfileValues;
}

export interface UpsertOptions {
  /**
   * Replace each account's contacts, competitors and links with the ones given (default). Off for
   * an accounts-only import, which must not wipe contacts imported separately.
   */
  replaceChildren?: boolean;
  batchSize?: number;
}

/**
 * Inserts or updates accounts by id, in batches, in one transaction (nested in the caller's when
 * given one). Computed columns are left alone: they belong to the workflows.
 */
export async function upsertAccounts(db: Db, items: readonly Account[], opts: UpsertOptions = {}): Promise<number> {
  const replaceChildren = opts.replaceChildren ?? true;
  const size = opts.batchSize ?? BATCH_SIZE;
  if (items.length === 0) return 0;
  await db.transaction(async (tx) => {
    for (const batch of chunks(items, size)) {
      await tx
        .insert(accounts)
        .values(batch.map(profileValues))
        .onConflictDoUpdate({
          target: accounts.id,
          set: { ...excludedSet(accounts, PROFILE_FIELDS), updatedAt: sql`now()` },
        });
      if (!replaceChildren) continue;
      const ids = batch.map((a) => a.id);
      await tx.delete(contacts).where(inArray(contacts.accountId, ids));
      await tx.delete(competitors).where(inArray(competitors.accountId, ids));
      await tx.delete(influenceLinks).where(inArray(influenceLinks.accountId, ids));
      await insertContacts(
        tx,
        batch.flatMap((a) => a.contacts.map((c, i) => ({ ...c, accountId: a.id, position: i }))),
        size,
      );
      await insertCompetitors(
        tx,
        batch.flatMap((a) => a.competitors.map((c, i) => ({ ...c, accountId: a.id, position: i }))),
        size,
      );
      await insertLinks(
        tx,
        batch.flatMap((a) => a.influenceLinks.map((l, i) => ({ ...l, accountId: a.id, position: i }))),
        size,
      );
    }
  });
  return items.length;
}

type WithAccount<T> = T & { accountId: string; position?: number };

function contactValues(c: WithAccount<Contact>) {
  return {
    accountId: c.accountId,
    id: c.id,
    name: c.name,
    title: c.title ?? null,
    reportsTo: c.reportsTo ?? null,
    influence: c.influence,
    decisionRole: c.decisionRole ?? null,
    behavior: c.behavior ?? null,
    stance: c.stance,
    competitorStances: c.competitorStances ?? {},
    interactions90d: c.interactions90d ?? 0,
    position: c.position ?? 0,
  };
}

async function insertContacts(db: Db, rows: WithAccount<Contact>[], size: number) {
  for (const batch of chunks(rows, size)) await db.insert(contacts).values(batch.map(contactValues));
}

function competitorValues(c: WithAccount<Competitor>) {
  return {
    accountId: c.accountId,
    id: c.id,
    name: c.name,
    share: c.share ?? 0,
    theirOffer: c.theirOffer ?? null,
    ourEdge: c.ourEdge ?? null,
    strengths: c.strengths ?? null,
    position: c.position ?? 0,
  };
}

async function insertCompetitors(db: Db, rows: WithAccount<Competitor>[], size: number) {
  for (const batch of chunks(rows, size)) await db.insert(competitors).values(batch.map(competitorValues));
}

async function insertLinks(db: Db, rows: WithAccount<InfluenceLink>[], size: number) {
  for (const batch of chunks(rows, size))
    await db
      .insert(influenceLinks)
      .values(
        batch.map((l) => ({ accountId: l.accountId, from: l.from, to: l.to, weight: l.weight ?? 1, position: l.position ?? 0 })),
      );
}

/** Inserts or updates contacts by (account, id): the contacts import. The accounts must exist. */
export async function upsertContacts(db: Db, rows: readonly WithAccount<Contact>[], batchSize = BATCH_SIZE): Promise<number> {
  await db.transaction(async (tx) => {
    for (const batch of chunks(rows, batchSize))
      await tx
        .insert(contacts)
        .values(batch.map(contactValues))
        .onConflictDoUpdate({ target: [contacts.accountId, contacts.id], set: excludedSet(contacts, CONTACT_FIELDS) });
  });
  return rows.length;
}

/** Inserts or updates competitors by (account, id). */
export async function upsertCompetitors(
  db: Db,
  rows: readonly WithAccount<Competitor>[],
  batchSize = BATCH_SIZE,
): Promise<number> {
  const keys = ['name', 'share', 'theirOffer', 'ourEdge', 'strengths'] as const;
  await db.transaction(async (tx) => {
    for (const batch of chunks(rows, batchSize))
      await tx
        .insert(competitors)
        .values(batch.map(competitorValues))
        .onConflictDoUpdate({ target: [competitors.accountId, competitors.id], set: excludedSet(competitors, keys) });
  });
  return rows.length;
}

/** Inserts or updates influence links by (account, from, to). */
export async function upsertInfluenceLinks(
  db: Db,
  rows: readonly WithAccount<InfluenceLink>[],
  batchSize = BATCH_SIZE,
): Promise<number> {
  await db.transaction(async (tx) => {
    for (const batch of chunks(rows, batchSize))
      await tx
        .insert(influenceLinks)
        .values(
          batch.map((l) => ({
            accountId: l.accountId,
            from: l.from,
            to: l.to,
            weight: l.weight ?? 1,
            position: l.position ?? 0,
          })),
        )
        .onConflictDoUpdate({
          target: [influenceLinks.accountId, influenceLinks.from, influenceLinks.to],
          set: excludedSet(influenceLinks, ['weight']),
        });
  });
  return rows.length;
}

// ---- reading -----------------------------------------------------------------------------------

/**
 * The computed columns (what the workflows decided last, for the studio) and the profile fields an
 * import only defaulted (the profile stage counts those as missing).
 */
export type AccountState = Pick<
  AccountRow,
  | 'importedDefaults'
  | 'version'
  | 'score'
  | 'tier'
  | 'class'
  | 'closeness'
  | 'advantage'
  | 'strategy'
  | 'investment'
  | 'health'
  | 'stage'
  | 'waitingFor'
  | 'cycleYear'
  | 'coverageLine'
  | 'coverageTeam'
  | 'coverageTrack'
  | 'presalesTier'
  | 'ruleSetIndustry'
  | 'ruleSetVersion'
  | 'createdAt'
  | 'updatedAt'
>;

type ContactRow = typeof contacts.$inferSelect;
type CompetitorRow = typeof competitors.$inferSelect;
type LinkRow = typeof influenceLinks.$inferSelect;

function toAccount(
  row: AccountRow,
  cs: readonly Pick<ContactRow, keyof typeof CONTACT_ROW_FIELDS>[],
  comps: readonly Pick<CompetitorRow, keyof typeof COMPETITOR_FIELDS>[],
  links: readonly Pick<LinkRow, keyof typeof LINK_FIELDS>[],
): Account {
  return {
    id: row.id,
    name: row.name,
    industry: row.industry,
    region: row.region,
    status: row.status,
    ownerId: row.ownerId,
    parentId: row.parentId,
    employees: row.employees,
    companyRevenue: row.companyRevenue,
    revenueWithUs: row.revenueWithUs,
    potential: row.potential,
    demonstration: row.demonstration,
    winnability: row.winnability,
    competitorsNoneKnown: row.competitorsNoneKnown,
    previousCloseness: row.previousCloseness,
    solution: row.solution,
    businessValue: row.businessValue,
    // The database built these with exactly the engine's fields (CONTACT_ROW_FIELDS and its siblings).
    contacts: [...cs],
    competitors: [...comps],
    influenceLinks: [...links],
  };
}

function stateOf(row: AccountRow): AccountState {
  const { score, tier, closeness, advantage, strategy, investment, health, stage, waitingFor, cycleYear } = row;
  const { coverageLine, coverageTeam, coverageTrack, presalesTier, ruleSetIndustry, ruleSetVersion, createdAt, updatedAt } = row;
  return {
    importedDefaults: row.importedDefaults,
    version: row.version,
    score,
    tier,
    class: row.class,
    closeness,
    advantage,
    strategy,
    investment,
    health,
    stage,
    waitingFor,
    cycleYear,
    coverageLine,
    coverageTeam,
    coverageTrack,
    presalesTier,
    ruleSetIndustry,
    ruleSetVersion,
    createdAt,
    updatedAt,
  };
}

// The child rows an account is made of, as JSON built by the database: one query reads an account
// whole (every stage activity reads one; four queries each were a good part of their cost).
function columnsOf<K extends string>(table: Record<K, PgColumn>, keys: readonly K[]): Record<K, PgColumn> {
  const columns = {} as Record<K, PgColumn>;
  for (const k of keys) columns[k] = table[k];
  return columns;
}
const CONTACT_ROW_FIELDS = columnsOf<'id' | ContactField>(contacts, ['id', ...CONTACT_FIELDS]);
const COMPETITOR_FIELDS = {
  id: competitors.id,
  name: competitors.name,
  share: competitors.share,
  theirOffer: competitors.theirOffer,
  ourEdge: competitors.ourEdge,
  strengths: competitors.strengths,
} satisfies Partial<Record<keyof CompetitorRow, PgColumn>>;
const LINK_FIELDS = { from: influenceLinks.from, to: influenceLinks.to, weight: influenceLinks.weight } satisfies Partial<
  Record<keyof LinkRow, PgColumn>
>;

// Drizzle leaves columns unqualified in a one-table select; the correlation must not be.
const outer = (column: PgColumn): SQL => sql.raw(`"${getTableName(column.table)}"."${column.name}"`);

/** `[{field: value, …}]` of an account's rows of `table`, in `order`. */
function childrenJson<T>(table: PgTable, fields: Record<string, PgColumn>, accountId: PgColumn, order: SQL): SQL<T[]> {
  const pairs = sql.join(
    Object.entries(fields).map(([key, column]) => sql`${sql.raw(`'${key}'`)}, ${column}`),
    sql`, `,
  );
  return sql<
    T[]
  >`(select coalesce(json_agg(json_build_object(${pairs}) order by ${order}), '[]'::json) from ${table} where ${outer(accountId)} = ${outer(accounts.id)})`;
}

const ACCOUNT_WHOLE = {
  ...getTableColumns(accounts),
  contactsJson: childrenJson<Pick<ContactRow, keyof typeof CONTACT_ROW_FIELDS>>(
    contacts,
    CONTACT_ROW_FIELDS,
    contacts.accountId,
    sql`${contacts.position}, ${contacts.id}`,
  ),
  competitorsJson: childrenJson<Pick<CompetitorRow, keyof typeof COMPETITOR_FIELDS>>(
    competitors,
    COMPETITOR_FIELDS,
    competitors.accountId,
    sql`${competitors.position}, ${competitors.id}`,
  ),
  linksJson: childrenJson<Pick<LinkRow, keyof typeof LINK_FIELDS>>(
    influenceLinks,
    LINK_FIELDS,
    influenceLinks.accountId,
    sql`${influenceLinks.position}`,
  ),
};

/** Accounts in the engine's shape with their state, in the order of `ids` (missing ids skipped). */
export async function getAccountsWithState(db: Db, ids: readonly string[]): Promise<{ account: Account; state: AccountState }[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const out = new Map<string, { account: Account; state: AccountState }>();
  for (const batch of chunks(unique, BATCH_SIZE)) {
    // One statement, so the account and its rows are one consistent picture.
    const rows = await db.select(ACCOUNT_WHOLE).from(accounts).where(inArray(accounts.id, batch));
    for (const { contactsJson, competitorsJson, linksJson, ...row } of rows)
      out.set(row.id, { account: toAccount(row, contactsJson, competitorsJson, linksJson), state: stateOf(row) });
  }
  return ids.flatMap((id) => {
    const found = out.get(id);
    return found ? [found] : [];
  });
}

export async function getAccounts(db: Db, ids: readonly string[]): Promise<Account[]> {
  return (await getAccountsWithState(db, ids)).map((a) => a.account);
}

export async function getAccount(db: Db, id: string): Promise<Account | undefined> {
  return (await getAccounts(db, [id]))[0];
}

export async function getAccountWithState(db: Db, id: string): Promise<{ account: Account; state: AccountState } | undefined> {
  return (await getAccountsWithState(db, [id]))[0];
}

// ---- the studio's list -------------------------------------------------------------------------

type OneOrMany<T> = T | readonly T[];

export interface AccountFilter {
  industry?: OneOrMany<string>;
  region?: OneOrMany<string>;
  status?: OneOrMany<NonNullable<Account['status']>>;
  tier?: OneOrMany<Tier>;
  class?: OneOrMany<AccountClass>;
  strategy?: OneOrMany<Strategy>;
  stage?: OneOrMany<Stage>;
  health?: OneOrMany<Health>;
  ownerId?: OneOrMany<string>;
  team?: OneOrMany<string>;
  /** A specific wait (`plan-approval`…), or `true` for any account waiting on something. */
  waitingFor?: OneOrMany<string> | true;
  /**
   * Case-insensitive name search. `prefix` (default) uses the `lower(name)` index; `contains`
   * matches anywhere in the name but scans the rows the other filters leave.
   */
  name?: string;
  nameMatch?: 'prefix' | 'contains';
}

export const ACCOUNT_SORTS = ['score', 'name', 'updatedAt', 'revenueWithUs', 'potential', 'closeness', 'tier', 'id'] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

export interface ListOptions {
  sort?: AccountSort;
  direction?: 'asc' | 'desc';
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export type AccountListRow = Omit<AccountRow, 'createdAt'>;

export interface AccountPage {
  rows: AccountListRow[];
  total: number;
  page: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 500;

function oneOrMany<T>(column: PgColumn, value: OneOrMany<T> | undefined): SQL | undefined {
  if (value === undefined) return undefined;
  const values = (Array.isArray(value) ? value : [value]) as unknown[];
  if (values.length === 1) return eq(column, values[0]);
  return inArray(column, values);
}

/** LIKE's wildcards typed by a user are literal characters. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function accountWhere(f: AccountFilter): SQL | undefined {
  const conditions = [
    oneOrMany(accounts.industry, f.industry),
    oneOrMany(accounts.region, f.region),
    oneOrMany(accounts.status, f.status),
    oneOrMany(accounts.tier, f.tier),
    oneOrMany(accounts.class, f.class),
    oneOrMany(accounts.strategy, f.strategy),
    oneOrMany(accounts.stage, f.stage),
    oneOrMany(accounts.health, f.health),
    oneOrMany(accounts.ownerId, f.ownerId),
    oneOrMany(accounts.coverageTeam, f.team),
    f.waitingFor === true ? isNotNull(accounts.waitingFor) : oneOrMany(accounts.waitingFor, f.waitingFor),
  ];
  const q = f.name?.trim().toLowerCase();
  if (q) {
    const pattern = f.nameMatch === 'contains' ? `%${escapeLike(q)}%` : `${escapeLike(q)}%`;
    // Spelled exactly like the index expression so the planner matches it.
    conditions.push(sql`lower(${accounts.name}) like ${pattern}`);
  }
  const present = conditions.filter((c): c is SQL => c !== undefined);
  return present.length ? and(...present) : undefined;
}

/**
 * The order of an account list: unscored accounts last either way, and `id` keeps pages stable
 * when values tie. Spelled like the (score desc nulls last, id) indexes so the planner can walk
 * them instead of sorting.
 */
export function accountOrder(sort: AccountSort, direction: 'asc' | 'desc'): SQL[] {
  const column = {
    score: accounts.score,
    name: accounts.name,
    updatedAt: accounts.updatedAt,
    revenueWithUs: accounts.revenueWithUs,
    potential: accounts.potential,
    closeness: accounts.closeness,
    tier: accounts.tier,
    id: accounts.id,
  }[sort];
  const primary = direction === 'desc' ? sql`${column} desc nulls last` : sql`${column} asc nulls last`;
  return sort === 'id' ? [primary] : [primary, asc(accounts.id)];
}

const { createdAt: _createdAt, ...listColumns } = getTableColumns(accounts);

/** A filtered, sorted page of accounts and the total matching, for the studio's account list. */
export async function listAccounts(db: Db, filter: AccountFilter = {}, opts: ListOptions = {}): Promise<AccountPage> {
  const sort = opts.sort ?? 'score';
  const direction = opts.direction ?? (sort === 'name' || sort === 'id' || sort === 'tier' ? 'asc' : 'desc');
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const where = accountWhere(filter);
  // Side by side: on PostgreSQL the page and the count run on two pooled connections.
  const [rows, [totalRow]] = await Promise.all([
    db
      .select(listColumns)
      .from(accounts)
      .where(where)
      .orderBy(...accountOrder(sort, direction))
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(accounts).where(where),
  ]);
  return { rows, total: totalRow?.n ?? 0, page, pageSize };
}

/** Ids of the matching accounts, in id order: for starting workflows or a review run. */
export async function listAccountIds(db: Db, filter: AccountFilter = {}): Promise<string[]> {
  const rows = await db.select({ id: accounts.id }).from(accounts).where(accountWhere(filter)).orderBy(asc(accounts.id));
  return rows.map((r) => r.id);
}

export async function countAccounts(db: Db, filter: AccountFilter = {}): Promise<number> {
  const [row] = await db.select({ n: count() }).from(accounts).where(accountWhere(filter));
  return row?.n ?? 0;
}

/** Counts per value of one column over the filtered accounts: the studio's facet chips. */
export async function accountFacets(
  db: Db,
  column: 'industry' | 'tier' | 'class' | 'strategy' | 'stage' | 'health' | 'region',
  filter: AccountFilter = {},
): Promise<{ value: string | null; count: number }[]> {
  const col = accounts[column];
  const rows = await db
    .select({ value: col, count: count() })
    .from(accounts)
    .where(accountWhere(filter))
    .groupBy(col)
    .orderBy(desc(count()), asc(col));
  return rows.map((r) => ({ value: r.value as string | null, count: r.count }));
}

// ---- computed columns --------------------------------------------------------------------------

export type AccountComputedPatch = Partial<Omit<AccountState, 'importedDefaults' | 'version' | 'createdAt' | 'updatedAt'>> & {
  /** Owner reassignment by the coverage stage. */
  ownerId?: string | null;
  previousCloseness?: number | null;
  /** The account `version` the stage read (db/repositories/account-edit-versions.ts). */
  evaluatedVersion?: number;
};

/** Writes what a stage computed; returns false when the account does not exist. */
export async function updateComputed(db: Db, id: string, patch: AccountComputedPatch): Promise<boolean> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const updated = await db
    .update(accounts)
    .set({ ...set, updatedAt: sql`now()` })
    .where(eq(accounts.id, id))
    .returning({ id: accounts.id });
  return updated.length > 0;
}

/** Many accounts' computed columns in one transaction (quota grading re-tiers a whole industry). */
export async function updateComputedMany(db: Db, patches: readonly ({ id: string } & AccountComputedPatch)[]): Promise<number> {
  let n = 0;
  await db.transaction(async (tx) => {
    for (const { id, ...patch } of patches) if (await updateComputed(tx, id, patch)) n++;
  });
  return n;
}

/**
 * Marks accounts as changed by a writer other than the studio's editor (an import): a studio edit
 * based on the version before gets the conflict instead of overwriting what the import wrote.
 */
export async function bumpAccountVersions(db: Db, ids: readonly string[]): Promise<void> {
  for (const batch of chunks(ids, BATCH_SIZE))
    await db
      .update(accounts)
      .set({ version: sql`${accounts.version} + 1` })
      .where(inArray(accounts.id, batch));
}

export async function deleteAccount(db: Db, id: string): Promise<boolean> {
  return (await deleteAccounts(db, [id])) > 0;
}

/** Deletes accounts (their rows go with them); returns how many existed. */
export async function deleteAccounts(db: Db, ids: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const batch of chunks(ids, BATCH_SIZE))
    deleted += (await db.delete(accounts).where(inArray(accounts.id, batch)).returning({ id: accounts.id })).length;
  return deleted;
}
