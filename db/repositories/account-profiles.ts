/**
 * Accounts written in bulk: partial profile upserts (a CSV without a `potential` column must not
 * wipe the potential typed in the studio), the stored profile of many accounts, and whole
 * accounts with their contacts, competitors and influence links.
 */
import { sql, inArray } from 'drizzle-orm';
import type { Account } from '../../engine/model.js';
import type { Db } from '../client.js';
import { PROFILE_FIELDS, type ProfileField } from '../profile-fields.js';
import { accounts, competitors, contacts, influenceLinks } from '../schema.js';
import {
  type Columns,
  type SqlType,
  ARRAY_BATCH,
  eachBatch,
  unnestRows,
  resultRows,
  parseTextArray,
  chunks,
  textArray,
  insertRows,
} from './batched-writes.js';
import { bumpAccountVersions } from './accounts.js';
import { COMPETITOR_COLUMNS } from './competitors.js';
import { CONTACT_COLUMNS, LINK_COLUMNS } from './contacts.js';

/** The columns an account is written with: its id and its profile, typed and defaulted by the schema. */
const ACCOUNT_COLUMNS: Columns<typeof accounts> = [
  ['id', 'text'],
  ...PROFILE_FIELDS.map((f) => [f, accounts[f].getSQLType() as SqlType, accounts[f].default] as const),
];

function column(field: ProfileField): string {
  return accounts[field].name;
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
  // A rewritten account is a new version: a studio edit based on the one before gets the conflict.
  const assignments = [...set.map(([c, v]) => `"${c}" = ${v}`), '"updated_at" = now()', '"version" = "accounts"."version" + 1'].join(
    ', ',
  );
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

/**
 * Whole accounts: every profile field, and contacts, competitors and influence links replaced by
 * the given ones. What the JSON import and the demo seed write; computed columns are untouched.
 */
export async function replaceAccounts(db: Db, items: readonly Account[]): Promise<ProfileUpsertResult> {
  const counts = await upsertAccountProfiles(db, items, { update: PROFILE_FIELDS });
  // A new account has no children yet: only existing ones need theirs deleted.
  const existing = items.filter((a) => !counts.insertedIds.has(a.id)).map((a) => a.id);
  await bumpAccountVersions(db, existing);
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
