/**
 * Loading many accounts at once in the engine's shape, for whole-portfolio evaluations such as the
 * studio's what-if (every account a rule set covers, 10,000 and more, within a second or so).
 *
 * `getAccounts` reads four row sets through the driver, and turning ~100k rows into JavaScript
 * objects one field at a time is what costs (on PGlite in particular, where it dominates the
 * query itself). Here the database serialises each table into one JSON text and the process parses
 * four strings: one round trip, one query, and the rows never exist as driver objects.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Account, Behavior, DecisionRole } from '../../engine/model.js';
import type { Db } from '../client.js';
import { ARRAY_BATCH, chunks, textArray } from './batched-writes.js';

export type BulkAccountFilter =
  /** Every account. */
  | { all: true }
  /** Accounts of these industries (an empty list matches none). */
  | { industries: readonly string[] };

type AccountTuple = [
  id: string,
  name: string,
  industry: string | null,
  region: string | null,
  status: Account['status'],
  ownerId: string | null,
  parentId: string | null,
  employees: number | null,
  companyRevenue: number | null,
  revenueWithUs: number | null,
  potential: number | null,
  demonstration: number | null,
  winnability: number | null,
  competitorsNoneKnown: boolean,
  previousCloseness: number | null,
  solution: string | null,
  businessValue: string | null,
];
type ContactTuple = [
  accountId: string,
  position: number,
  id: string,
  name: string,
  title: string | null,
  reportsTo: string | null,
  influence: number,
  decisionRole: DecisionRole | null,
  behavior: Behavior | null,
  stance: number,
  competitorStances: Record<string, number> | null,
  interactions90d: number,
];
type CompetitorTuple = [
  accountId: string,
  position: number,
  id: string,
  name: string,
  share: number,
  theirOffer: string | null,
  ourEdge: string | null,
  strengths: string | null,
];
type LinkTuple = [accountId: string, position: number, from: string, to: string, weight: number];

function accountWhere(filter: BulkAccountFilter): SQL {
  if ('all' in filter) return sql`true`;
  if (filter.industries.length === 0) return sql`false`;
  return sql`a.industry in (${sql.join(
    filter.industries.map((i) => sql`${i}`),
    sql`, `,
  )})`;
}

/** Child rows of the matching accounts; without a filter no join at all (it would only cost). */
function childWhere(filter: BulkAccountFilter, alias: string): SQL {
  if ('all' in filter) return sql`true`;
  return sql`${sql.raw(alias)}.account_id in (select a.id from accounts a where ${accountWhere(filter)})`;
}

/** The first (only) row of a raw query, whichever driver ran it. */
function firstRow(result: unknown): Record<string, unknown> {
  const rows = Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows;
  return (rows?.[0] ?? {}) as Record<string, unknown>;
}

function parseList<T>(text: unknown): T[] {
  return typeof text === 'string' && text.length > 0 ? (JSON.parse(`[${text}]`) as T[]) : [];
}

/** Groups child tuples by account id (element 0), each group ordered by position (element 1), then id. */
function group<T extends [string, number, ...unknown[]]>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item[0]);
    if (list) list.push(item);
    else out.set(item[0], [item]);
  }
  for (const list of out.values())
    if (list.length > 1)
      list.sort((x, y) => x[1] - y[1] || (String(x[2]) < String(y[2]) ? -1 : String(x[2]) > String(y[2]) ? 1 : 0));
  return out;
}

/**
 * The matching accounts with their contacts, competitors and influence links, ordered by id:
 * the same accounts `getAccounts` returns, read with one query.
 */
export async function loadAccountsBulk(db: Db, filter: BulkAccountFilter): Promise<Account[]> {
  return (await loadAccountsVersioned(db, filter)).accounts;
}

/**
 * The same, with the `account_inputs_version` they were read at: one statement reads both, so the
 * version matches exactly the rows read.
 */
export async function loadAccountsVersioned(
  db: Db,
  filter: BulkAccountFilter,
): Promise<{ accounts: Account[]; version: number }> {
  return loadWhere(db, accountWhere(filter), (alias) => childWhere(filter, alias));
}

/**
 * What changed among the matching accounts since `account_inputs_version` was `since` (see
 * `accountSnapshot`): the matching accounts written since (their `inputs_version` is above it),
 * read in one statement with the version and how many accounts match now, and with `ids` the ids
 * of all of them in the same order as the accounts (which costs more: they are sorted and sent).
 */
export async function loadAccountsChangedSince(
  db: Db,
  filter: BulkAccountFilter,
  since: number,
  opts: { ids: boolean },
): Promise<{ accounts: Account[]; version: number; count: number; ids: string[] | null }> {
  const changed = sql`a.inputs_version > ${since} and ${accountWhere(filter)}`;
  const { accounts, version, extra } = await loadWhere(
    db,
    changed,
    (alias) => sql`${sql.raw(alias)}.account_id in (select a.id from accounts a where ${changed})`,
    opts.ids
      ? sql`(select string_agg(to_json(a.id)::text, ',' order by a.id) from accounts a where ${accountWhere(filter)})`
      : sql`(select count(*) from accounts a where ${accountWhere(filter)})`,
  );
  if (!opts.ids) return { accounts, version, count: Number(extra), ids: null };
  const ids = parseList<string>(extra);
  return { accounts, version, count: ids.length, ids };
}

/**
 * The accounts of `ids` (a bulk write's before and after: see `accountsBeforeWrite`); without
 * `lists` only their own fields, with empty contacts, competitors and links.
 */
export async function loadAccountsByIds(db: Db, ids: readonly string[], opts: { lists: boolean }): Promise<Account[]> {
  const out: Account[] = [];
  for (const batch of chunks(ids, ARRAY_BATCH)) {
    const list = textArray(batch);
    const loaded = await loadWhere(db, sql`a.id in (select unnest(${list}))`, (alias) =>
      opts.lists ? sql`${sql.raw(alias)}.account_id in (select unnest(${list}))` : sql`false`,
    );
    out.push(...loaded.accounts);
  }
  return out;
}

/** The accounts `where` selects with their lists `childWhere` selects, and the value of `extra` read with them. */
async function loadWhere(
  db: Db,
  where: SQL,
  childWhere: (alias: string) => SQL,
  extra: SQL = sql`null`,
): Promise<{ accounts: Account[]; version: number; extra: unknown }> {
  const result = await db.execute(sql`
    select
      (select version from account_inputs_version) as version,
      ${extra} as extra,
      (select string_agg(json_build_array(
          a.id, a.name, a.industry, a.region, a.status, a.owner_id, a.parent_id, a.employees, a.company_revenue,
          a.revenue_with_us, a.potential, a.demonstration, a.winnability, a.competitors_none_known, a.previous_closeness,
          a.solution, a.business_value
        )::text, ',' order by a.id)
        from accounts a where ${where}) as accounts,
      (select string_agg(json_build_array(
          c.account_id, c.position, c.id, c.name, c.title, c.reports_to, c.influence, c.decision_role, c.behavior,
          c.stance, c.competitor_stances, c.interactions_90d
        )::text, ',')
        from contacts c where ${childWhere('c')}) as contacts,
      (select string_agg(json_build_array(k.account_id, k.position, k.id, k.name, k.share, k.their_offer, k.our_edge, k.strengths)::text, ',')
        from competitors k where ${childWhere('k')}) as competitors,
      (select string_agg(json_build_array(l.account_id, l.position, l.from_contact, l.to_contact, l.weight)::text, ',')
        from influence_links l where ${childWhere('l')}) as links
  `);
  const row = firstRow(result);
  const contacts = group(parseList<ContactTuple>(row['contacts']));
  const competitors = group(parseList<CompetitorTuple>(row['competitors']));
  const links = group(parseList<LinkTuple>(row['links']));
  const accounts = parseList<AccountTuple>(row['accounts']).map((a): Account => {
    const id = a[0];
    return {
      id,
      name: a[1],
      industry: a[2],
      region: a[3],
      status: a[4],
      ownerId: a[5],
      parentId: a[6],
      employees: a[7],
      companyRevenue: a[8],
      revenueWithUs: a[9],
      potential: a[10],
      demonstration: a[11],
      winnability: a[12],
      competitorsNoneKnown: a[13],
      previousCloseness: a[14],
      solution: a[15],
      businessValue: a[16],
      contacts: (contacts.get(id) ?? []).map((c) => ({
        id: c[2],
        name: c[3],
        title: c[4],
        reportsTo: c[5],
        influence: c[6],
        decisionRole: c[7],
        behavior: c[8],
        stance: c[9],
        competitorStances: c[10] ?? {},
        interactions90d: c[11],
      })),
      competitors: (competitors.get(id) ?? []).map((k) => ({
        id: k[2],
        name: k[3],
        share: k[4],
        theirOffer: k[5],
        ourEdge: k[6],
        strengths: k[7],
      })),
      influenceLinks: (links.get(id) ?? []).map((l) => ({ from: l[2], to: l[3], weight: l[4] })),
    };
  });
  return { accounts, version: Number(row['version']), extra: row['extra'] };
}
