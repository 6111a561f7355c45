/**
 * The accounts list's query, shared by the list page and its CSV export: its URL parameters, read
 * leniently, and its filters as SQL inside the user's scope.
 */
import { and, eq, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '$db/client.js';
import { ACCOUNT_SORTS, accountWhere, type AccountFilter, type AccountSort } from '$db/repositories/accounts.js';
import { levelExpressions } from '$db/repositories/accounts-portfolio.js';
import { accounts } from '$db/schema.js';
import { CLASSES, HEALTHS, LEVELS, STAGES, STRATEGIES, TIERS, type AccountClass, type Level, type Stage } from '$engine/index.js';
import { withinScope, type AccountScope } from '$lib/server/scope.js';
import { WAITING_FOR } from '$workflows/types.js';
import { levelSpecs } from '$lib/server/account-rules.js';

export const PAGE_SIZES = [25, 50, 100] as const;

export const DEFAULT_PAGE_SIZE = 50;

export interface AccountQuery {
  /** Name (anywhere in it) or id (exact or prefix). */
  q: string;
  industry: string | null;
  tier: (typeof TIERS)[number] | null;
  class: AccountClass | null;
  strategy: (typeof STRATEGIES)[number] | null;
  stage: Stage | null;
  health: (typeof HEALTHS)[number] | null;
  owner: string | null;
  /** The covering team's id. */
  team: string | null;
  /** A specific wait, or `any`. */
  waiting: (typeof WAITING_FOR)[number] | 'any' | null;
  /** Nine-box axes (from the portfolio's grid). */
  potential: Level | null;
  contribution: Level | null;
  sort: AccountSort;
  dir: 'asc' | 'desc';
  page: number;
  size: number;
}

function oneOf<T extends string>(values: readonly T[], v: string | null): T | null {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : null;
}

function text(v: string | null, max = 200): string | null {
  const s = v?.trim();
  return s ? s.slice(0, max) : null;
}

const defaultDirection = (sort: AccountSort): 'asc' | 'desc' =>
  sort === 'name' || sort === 'id' || sort === 'tier' ? 'asc' : 'desc';

/** Reads the list's URL parameters; unknown values are ignored rather than failing the page. */
export function parseAccountQuery(params: URLSearchParams): AccountQuery {
  const sort = oneOf(ACCOUNT_SORTS, params.get('sort')) ?? 'score';
  const page = Number(params.get('page') ?? '1');
  const size = Number(params.get('size') ?? DEFAULT_PAGE_SIZE);
  return {
    q: text(params.get('q')) ?? '',
    industry: text(params.get('industry')),
    tier: oneOf(TIERS, params.get('tier')),
    class: oneOf(CLASSES, params.get('class')),
    strategy: oneOf(STRATEGIES, params.get('strategy')),
    stage: oneOf(STAGES, params.get('stage')),
    health: oneOf(HEALTHS, params.get('health')),
    owner: text(params.get('owner')),
    team: text(params.get('team')),
    waiting: oneOf([...WAITING_FOR, 'any'] as const, params.get('waiting')),
    potential: oneOf(LEVELS, params.get('potential')),
    contribution: oneOf(LEVELS, params.get('contribution')),
    sort,
    dir: oneOf(['asc', 'desc'] as const, params.get('dir')) ?? defaultDirection(sort),
    page: Number.isInteger(page) && page > 0 ? Math.min(page, 100_000) : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

/** The query's parameters that place the list (order, page) rather than filter it. */
const PLACEMENT: ReadonlySet<keyof AccountQuery> = new Set(['sort', 'dir', 'page', 'size']);

/** Whether the query narrows the list: any parameter set but the order and the page, so a filter added later counts too. */
export function isFiltered(q: AccountQuery): boolean {
  return (Object.keys(q) as (keyof AccountQuery)[]).some((k) => !PLACEMENT.has(k) && Boolean(q[k]));
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The filters of the query as SQL, inside the scope. */
export async function accountQueryWhere(db: Db, scope: AccountScope, q: AccountQuery): Promise<SQL | undefined> {
  const filter: AccountFilter = {};
  if (q.industry) filter.industry = q.industry;
  if (q.tier) filter.tier = q.tier;
  if (q.class) filter.class = q.class;
  if (q.strategy) filter.strategy = q.strategy;
  if (q.stage) filter.stage = q.stage;
  if (q.health) filter.health = q.health;
  if (q.owner) filter.ownerId = q.owner;
  if (q.team) filter.team = q.team;
  if (q.waiting) filter.waitingFor = q.waiting === 'any' ? true : q.waiting;
  const parts: (SQL | undefined)[] = [accountWhere(filter)];
  if (q.q) {
    const lower = q.q.toLowerCase();
    parts.push(
      or(
        sql`lower(${accounts.name}) like ${`%${escapeLike(lower)}%`}`,
        eq(accounts.id, q.q),
        sql`lower(${accounts.id}) like ${`${escapeLike(lower)}%`}`,
      ),
    );
  }
  if (q.potential || q.contribution) {
    const levels = levelExpressions(await levelSpecs(db));
    // The grid counts evaluated accounts only, so its links must too.
    parts.push(isNotNull(accounts.class));
    if (q.potential) parts.push(sql`${levels.potential} = ${q.potential}`);
    if (q.contribution) parts.push(sql`${levels.contribution} = ${q.contribution}`);
  }
  const present = parts.filter((p): p is SQL => p !== undefined);
  return withinScope(scope, present.length ? and(...present) : undefined);
}
