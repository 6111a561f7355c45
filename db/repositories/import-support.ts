/**
 * Writes the imports need beyond the general repositories: partial account upserts (a CSV without
 * a `potential` column must not wipe the potential typed in the studio), replacing one account's
 * competitor list or one contact's outgoing influence links, users created only when missing (a
 * re-import must not reset a password), and clearing demo visits before re-seeding.
 *
 * Bulk writes send each column as ONE bound parameter, a PostgreSQL array literal, and read the
 * rows back with `unnest(...)`: a batch is a handful of parameters instead of rows × columns. drizzle
 * spends about half a second building a 1,000-row multi-row INSERT (an import near 2,000 rows/s);
 * `jsonb_to_recordset` removed that but made the server parse JSON, about 20 µs a row for accounts;
 * an array literal is several times cheaper to parse, and nearly as cheap to build. Same SQL on
 * PostgreSQL and PGlite.
 */
import { and, getTableColumns, getTableName, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Account, Competitor, Contact, InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accounts, competitors, contacts, influenceLinks, opportunities, users, visits, type UserRole } from '../schema.js';

const BATCH = 1000;
/** Rows per array-literal statement: a few parameters each, so only their size limits it. */
const ARRAY_BATCH = 10_000;

type SqlType = 'text' | 'integer' | 'double precision' | 'boolean' | 'jsonb' | 'date' | 'text[]';

/** Quotes an array element: `"…"` with `"` and `\` escaped (every other character is literal). */
function quoted(s: string): string {
  return s.indexOf('"') === -1 && s.indexOf('\\') === -1 ? `"${s}"` : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** How a non-null value of each type is written as an array element. */
const ENCODE: Record<SqlType, (value: unknown) => string> = {
  text: (v) => quoted(String(v)),
  date: (v) => quoted(String(v)),
  // Digits, sign, point, exponent: nothing an array literal needs quoted.
  integer: (v) => String(v),
  'double precision': (v) => String(v),
  boolean: (v) => (v ? 't' : 'f'),
  jsonb: (v) => quoted(JSON.stringify(v)),
  'text[]': (v) => quoted(`{${(v as readonly string[]).map(quoted).join(',')}}`),
};

/** `{e1,e2,NULL,…}`: one column of a batch as a `text[]` literal (`fallback` replaces null). */
function arrayLiteral(values: ArrayLike<unknown>, type: SqlType, fallback: unknown = null): string {
  const n = values.length;
  // join(), not +=: a concatenated string is a rope the driver flattens again to measure it.
  const parts = new Array<string>(n);
  // Text and numbers, nearly every cell, get loops of their own rather than a call per element.
  if (type === 'text') {
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : quoted(typeof v === 'string' ? v : String(v));
    }
  } else if (type === 'integer' || type === 'double precision') {
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : String(v);
    }
  } else {
    const encode = ENCODE[type];
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : encode(v);
    }
  }
  return `{${parts.join(',')}}`;
}

/** A column: the table's TypeScript key, its SQL type, and what to write for a missing value. */
type Columns<T extends PgTable> = readonly (readonly [keyof T['_']['columns'] & string, SqlType, unknown?])[];

/**
 * `select <columns> from unnest(<one text[] per column>)`: a batch as a relation, each column cast
 * from text to its type. `data` holds each column's values under the table's TypeScript key.
 */
function unnestColumns<T extends PgTable>(table: T, columns: Columns<T>, data: Record<string, ArrayLike<unknown>>) {
  const defs = getTableColumns(table) as Record<string, PgColumn>;
  const names = columns.map(([k]) => `"${defs[k]!.name}"`);
  const select = columns.map(([, type], i) => (type === 'text' ? `x.${names[i]}` : `x.${names[i]}::${type}`)).join(', ');
  const params = sql.join(
    columns.map(([k, type, fallback]) => sql`${arrayLiteral(data[k]!, type, fallback)}::text[]`),
    sql`, `,
  );
  return {
    list: names.join(', '),
    query: sql`select ${sql.raw(select)} from unnest(${params}) as x(${sql.raw(names.join(', '))})`,
  };
}

/** `unnestColumns` for rows keyed by the table's TypeScript keys. */
function unnestRows<T extends PgTable>(table: T, columns: Columns<T>, rows: readonly Record<string, unknown>[]) {
  const data: Record<string, unknown[]> = {};
  for (const [k] of columns) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = rows[i]![k];
    data[k] = values;
  }
  return unnestColumns(table, columns, data);
}

function resultRows(result: unknown): Record<string, unknown>[] {
  const rows = Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows;
  return (rows ?? []) as Record<string, unknown>[];
}

/**
 * Runs one statement per batch of `n` rows, building batch i+1 while the server runs batch i:
 * turning 10,000 rows into array literals takes about as long as the server takes to insert
 * them, so the two overlap instead of taking turns. (PGlite runs in this thread: no overlap there,
 * and the yield costs a tick.) `done` sees each batch's result, in order.
 */
async function eachBatch(
  db: Db,
  n: number,
  size: number,
  build: (from: number, to: number) => SQL,
  done: (result: unknown, from: number, to: number) => void = () => {},
): Promise<void> {
  let running: { result: Promise<unknown>; from: number; to: number } | undefined;
  for (let i = 0; i < n; i += size) {
    const to = Math.min(n, i + size);
    const query = build(i, to);
    if (running) done(await running.result, running.from, running.to);
    running = { result: Promise.resolve(db.execute(query)), from: i, to };
    // Awaited below; handled now so that a failure during the tick is not an unhandled rejection.
    running.result.catch(() => {});
    // Lets the driver put the statement on the wire before the next batch is built.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (running) done(await running.result, running.from, running.to);
}

/**
 * `insert into <table> (<columns>) select … from unnest(…)`, in batches. `columns` maps the table's
 * TypeScript keys to SQL types; `rows` are keyed the same way. `tail` is appended (ON CONFLICT …,
 * RETURNING …); the returned rows of all batches are concatenated.
 */
async function insertRows<T extends PgTable>(
  db: Db,
  table: T,
  columns: Columns<T>,
  rows: readonly Record<string, unknown>[],
  tail = '',
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await eachBatch(
    db,
    rows.length,
    ARRAY_BATCH,
    (from, to) => {
      const { list, query } = unnestRows(table, columns, rows.slice(from, to));
      return sql`insert into ${sql.raw(`"${getTableName(table)}"`)} (${sql.raw(list)}) ${query} ${sql.raw(tail)}`;
    },
    (result) => out.push(...resultRows(result)),
  );
  return out;
}

/** `insertRows` for data already split into columns (`unnestColumns`'s shape). */
async function insertColumns<T extends PgTable>(
  db: Db,
  table: T,
  columns: Columns<T>,
  data: Record<string, unknown[]>,
  tail = '',
): Promise<void> {
  await eachBatch(db, data[columns[0]![0]]!.length, ARRAY_BATCH, (from, to) => {
    const batch = Object.fromEntries(columns.map(([k]) => [k, data[k]!.slice(from, to)]));
    const { list, query } = unnestColumns(table, columns, batch);
    return sql`insert into ${sql.raw(`"${getTableName(table)}"`)} (${sql.raw(list)}) ${query} ${sql.raw(tail)}`;
  });
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
  ['competitorsNoneKnown', 'boolean', false],
  ['previousCloseness', 'double precision'],
  ['solution', 'text'],
  ['businessValue', 'text'],
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
  ['strengths', 'text'],
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
  'solution',
  'businessValue',
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

/** A `text[]` parameter: `unnest(${textArray(ids)})` is a list of ids as one bound value. */
function textArray(values: readonly string[]) {
  return sql`${`{${values.map(quoted).join(',')}}`}::text[]`;
}

export interface ProfileUpsertOptions {
  /** Fields an existing account takes from the input. */
  update: readonly ProfileField[];
  /** Fields an existing account takes only where its stored value is null (imported defaults). */
  fillIfNull?: readonly ProfileField[];
  /**
   * Write each item's `importedDefaults` as the account's list (the CRM import, which works the
   * list out itself). Otherwise the stored list is left to the database: a field whose value
   * changes leaves it (migration 0003).
   */
  importedDefaults?: boolean;
  batchSize?: number;
}

export interface ProfileUpsertResult {
  inserted: number;
  updated: number;
  /** The accounts that did not exist before: they have no contacts or competitors to replace. */
  insertedIds: ReadonlySet<string>;
}

/**
 * Inserts new accounts with every profile field and updates existing ones with only the listed
 * fields; computed columns, contacts and competitors are untouched. An existing account whose
 * listed fields already hold the given values is not rewritten (nor is its `updated_at` bumped):
 * re-importing a file costs a read, not a new row version in every index. `updated` counts every
 * existing account given, rewritten or not. Ids must be unique within `items`.
 */
export async function upsertAccountProfiles(
  db: Db,
  items: readonly (Account & { importedDefaults?: readonly string[] })[],
  opts: ProfileUpsertOptions,
): Promise<ProfileUpsertResult> {
  const set: [string, string][] = [
    ...opts.update.map((f): [string, string] => [column(f), `excluded."${column(f)}"`]),
    ...(opts.fillIfNull ?? [])
      .filter((f) => !opts.update.includes(f))
      .map((f): [string, string] => [column(f), `coalesce("accounts"."${column(f)}", excluded."${column(f)}")`]),
    ...(opts.importedDefaults ? [['imported_defaults', 'excluded."imported_defaults"'] as [string, string]] : []),
  ];
  const columns = opts.importedDefaults ? [...ACCOUNT_COLUMNS, ['importedDefaults', 'text[]'] as const] : ACCOUNT_COLUMNS;
  const assignments = [...set.map(([c, v]) => `"${c}" = ${v}`), '"updated_at" = now()'].join(', ');
  const changed = set.length
    ? ` where (${set.map(([c]) => `"accounts"."${c}"`).join(', ')}) is distinct from (${set.map(([, v]) => v).join(', ')})`
    : ' where false';
  const size = opts.batchSize ?? ARRAY_BATCH;
  const insertedIds = new Set<string>();
  await eachBatch(
    db,
    items.length,
    size,
    (from, to) => {
      const { list, query } = unnestRows(accounts, columns, items.slice(from, to));
      // Skipped (unchanged) rows return nothing, so the new ones are named rather than counted;
      // only a batch that is partly new needs the names sent back.
      return sql`
        with written as (
          insert into "accounts" (${sql.raw(list)}) ${query}
          on conflict ("id") do update set ${sql.raw(assignments)}${sql.raw(changed)}
          returning "id", (xmax = 0) as fresh
        )
        select count(*) filter (where fresh)::integer as fresh,
          case when count(*) filter (where fresh) < ${to - from} then array_agg("id") filter (where fresh) end as ids
        from written`;
    },
    (result, from, to) => {
      const row = resultRows(result)[0];
      if (Number(row?.['fresh'] ?? 0) === to - from) for (let i = from; i < to; i++) insertedIds.add(items[i]!.id);
      else for (const id of parseTextArray(row?.['ids'])) insertedIds.add(id);
    },
  );
  return { inserted: insertedIds.size, updated: items.length - insertedIds.size, insertedIds };
}

/** A `text[]` result, which postgres.js and PGlite both hand back as a JS array (NULL for none). */
function parseTextArray(value: unknown): string[] {
  if (value == null) return [];
  if (Array.isArray(value)) return value as string[];
  throw new Error(`expected a text[] result, got ${typeof value}`);
}

/**
 * Whole accounts: every profile field, and contacts, competitors and influence links replaced by
 * the given ones. What the JSON import and the demo seed write; computed columns are untouched.
 */
export async function replaceAccounts(db: Db, items: readonly Account[]): Promise<ProfileUpsertResult> {
  const counts = await upsertAccountProfiles(db, items, { update: PROFILE_FIELDS });
  // A new account has no children yet: only existing ones need theirs deleted.
  const existing = items.filter((a) => !counts.insertedIds.has(a.id)).map((a) => a.id);
  for (const ids of chunks(existing, ARRAY_BATCH)) {
    await db.execute(sql`delete from ${contacts} where ${contacts.accountId} in (select unnest(${textArray(ids)}))`);
    await db.execute(sql`delete from ${competitors} where ${competitors.accountId} in (select unnest(${textArray(ids)}))`);
    await db.execute(sql`delete from ${influenceLinks} where ${influenceLinks.accountId} in (select unnest(${textArray(ids)}))`);
  }
  await insertRows(
    db,
    contacts,
    CONTACT_COLUMNS,
    items.flatMap((a) => a.contacts.map((c, position) => ({ ...c, accountId: a.id, position }))),
  );
  await insertRows(
    db,
    competitors,
    COMPETITOR_COLUMNS,
    items.flatMap((a) => a.competitors.map((c, position) => ({ ...c, accountId: a.id, position }))),
  );
  await insertRows(
    db,
    influenceLinks,
    LINK_COLUMNS,
    items.flatMap((a) => a.influenceLinks.map((l, position) => ({ ...l, accountId: a.id, position }))),
  );
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
  await insertRows(db, contacts, CONTACT_COLUMNS, rows, `on conflict ("account_id", "id") do update set ${update}`);
}

/** Visits in bulk (the demo's year of visits). */
export async function insertVisitRows(
  db: Db,
  rows: readonly { accountId: string; contactId: string | null; date: string; note: string | null; by: string | null }[],
): Promise<number> {
  await insertRows(
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
  await insertRows(db, opportunities, columns, rows, `on conflict ("id") do update set ${update}`);
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

/** Stored values of some profile fields and the imported defaults, for accounts that exist. */
export async function storedProfileFields(
  db: Db,
  ids: readonly string[],
  fields: readonly ProfileField[],
): Promise<Map<string, Partial<Record<ProfileField, unknown>> & { importedDefaults: string[] }>> {
  const out = new Map<string, Partial<Record<ProfileField, unknown>> & { importedDefaults: string[] }>();
  const selection = Object.fromEntries([
    ['id', accounts.id],
    ['importedDefaults', accounts.importedDefaults],
    ...fields.map((f) => [f, accounts[f]]),
  ]) as Record<string, (typeof accounts)[ProfileField]>;
  for (const batch of chunks([...new Set(ids)])) {
    const rows = (await db.select(selection).from(accounts).where(inArray(accounts.id, batch))) as Record<string, unknown>[];
    for (const r of rows)
      out.set(r['id'] as string, r as Partial<Record<ProfileField, unknown>> & { importedDefaults: string[] });
  }
  return out;
}

/** The competitor rows of the given lists, column by column (no object per row: 200,000 of them). */
function competitorColumns(
  entries: readonly { accountId: string; competitors: readonly Competitor[] }[],
): Record<string, unknown[]> {
  const d: Record<(typeof COMPETITOR_COLUMNS)[number][0], unknown[]> = {
    accountId: [],
    id: [],
    name: [],
    share: [],
    theirOffer: [],
    ourEdge: [],
    strengths: [],
    position: [],
  };
  for (const e of entries) {
    const list = e.competitors;
    for (let position = 0; position < list.length; position++) {
      const c = list[position]!;
      d.accountId.push(e.accountId);
      d.id.push(c.id);
      d.name.push(c.name);
      d.share.push(c.share ?? 0);
      d.theirOffer.push(c.theirOffer);
      d.ourEdge.push(c.ourEdge);
      d.strengths.push(c.strengths);
      d.position.push(position);
    }
  }
  return d;
}

/**
 * Replaces each account's competitor list. A contact's stance toward a competitor that is no
 * longer listed means nothing any more, so it is removed; returns how many contacts lost one.
 *
 * Stored rows that the new list repeats exactly are kept rather than deleted and re-inserted: each
 * inserted row costs its index entries and the foreign-key check against accounts, and a re-import
 * mostly repeats what is stored. Accounts named in `fresh` were created in this transaction: they
 * have neither competitors nor contacts yet, so they skip the comparison and the stance clean-up.
 */
export async function replaceCompetitors(
  db: Db,
  entries: readonly { accountId: string; competitors: readonly Competitor[] }[],
  opts: { fresh?: ReadonlySet<string> } = {},
): Promise<{ contactsCleared: number }> {
  const fresh = opts.fresh ?? new Set<string>();
  let contactsCleared = 0;
  for (const batch of chunks(
    entries.filter((e) => !fresh.has(e.accountId)),
    ARRAY_BATCH,
  )) {
    const ids = textArray(batch.map((e) => e.accountId));
    const data = competitorColumns(batch);
    const given = unnestColumns(competitors, COMPETITOR_COLUMNS, data).query;
    await db.execute(sql`
      delete from "competitors" c using unnest(${ids}) as t(account_id)
      where c.account_id = t.account_id and not exists (
        select 1 from (${given}) n
        where n.account_id = c.account_id and n.id = c.id and n.name = c.name and n.share = c.share
          and n.position = c.position and n.their_offer is not distinct from c.their_offer
          and n.our_edge is not distinct from c.our_edge and n.strengths is not distinct from c.strengths)`);
    await insertColumns(db, competitors, COMPETITOR_COLUMNS, data, 'on conflict ("account_id", "id") do nothing');
    const cleared = await db.execute(sql`
      with cleared as (
        update "contacts" c set competitor_stances = coalesce(
          (select jsonb_object_agg(s.key, s.value) from jsonb_each(c.competitor_stances) s
            where exists (select 1 from "competitors" k where k.account_id = c.account_id and k.id = s.key)),
          '{}'::jsonb)
        from unnest(${ids}) as t(account_id)
        where c.account_id = t.account_id and c.competitor_stances <> '{}'::jsonb
          and exists (select 1 from jsonb_object_keys(c.competitor_stances) s(key)
            where not exists (select 1 from "competitors" k where k.account_id = c.account_id and k.id = s.key))
        returning 1)
      select count(*)::integer as n from cleared`);
    contactsCleared += Number(resultRows(cleared)[0]?.['n'] ?? 0);
  }
  await insertColumns(db, competitors, COMPETITOR_COLUMNS, competitorColumns(entries.filter((e) => fresh.has(e.accountId))));
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
    await insertRows(db, influenceLinks, LINK_COLUMNS, rows);
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

// ---- bulk loading ------------------------------------------------------------------------------

/** Below this many rows an import keeps the indexes: maintaining them row by row is cheap enough. */
export const BULK_LOAD_MIN_ROWS = 10_000;

/**
 * Whether a write of `rows` accounts should go through `withBulkLoad`: when it is large and at
 * least twice what is stored. Rebuilding an index over the whole table costs about 0.4 of adding
 * the same number of entries one by one, so it pays when most of the table is new; a re-import of
 * stored accounts mostly changes nothing (unchanged rows are skipped) and keeps the indexes.
 */
export async function worthBulkLoading(db: Db, rows: number): Promise<boolean> {
  if (rows < BULK_LOAD_MIN_ROWS) return false;
  const [row] = resultRows(await db.execute(sql`select count(*)::integer as n from ${accounts}`));
  return Number(row?.['n'] ?? 0) * 2 <= rows;
}

/**
 * Runs `write` with the tables' secondary indexes and foreign keys dropped, then recreates them
 * exactly as they were (definitions read from the catalog, same names): PostgreSQL's advice for
 * populating a database. A 100,000-account import spends most of its server time adding index
 * entries one row at a time (13 on accounts) and checking each competitor's foreign key with a
 * query of its own; a rebuild sorts once and re-validating a foreign key is one join.
 *
 * Must run inside a transaction, which makes it all or nothing: a failed write or a rebuild that
 * finds bad data rolls the drops back too. The price is an exclusive lock on the tables until
 * that transaction ends: readers wait for the import instead of seeing it half done. Primary keys
 * and unique indexes stay (upserts and uniqueness need them). Tables are locked in the order
 * given; pass `accounts` first, as every reader reads accounts before its children.
 */
export async function withBulkLoad<T>(db: Db, tables: readonly PgTable[], write: () => Promise<T>): Promise<T> {
  const indexes: string[] = [];
  const foreignKeys: string[] = [];
  for (const table of tables) {
    const name = getTableName(table);
    for (const r of resultRows(
      await db.execute(sql`
        select quote_ident(c.relname) as name, pg_get_indexdef(i.indexrelid) as def
        from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = ${name}::regclass and not i.indisprimary and not i.indisunique
          and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
        order by c.relname`),
    )) {
      await db.execute(sql.raw(`drop index ${String(r['name'])}`));
      indexes.push(String(r['def']));
    }
    for (const r of resultRows(
      await db.execute(sql`
        select quote_ident(conname) as name, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid = ${name}::regclass and contype = 'f' order by conname`),
    )) {
      await db.execute(sql.raw(`alter table "${name}" drop constraint ${String(r['name'])}`));
      foreignKeys.push(`alter table "${name}" add constraint ${String(r['name'])} ${String(r['def'])}`);
    }
  }
  const result = await write();
  for (const statement of [...indexes, ...foreignKeys]) await db.execute(sql.raw(statement));
  return result;
}
