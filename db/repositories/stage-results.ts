/**
 * The audit trail: one row per stage run per account, with the rule set version, the input it saw,
 * what it decided and why. Appends are idempotent by key, so a retried Temporal activity that
 * already wrote its result does not write it twice.
 */
import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Stage, Strategy } from '../../engine/model.js';
import type { MonitorSeen } from '../../engine/portfolio.js';
import type { Db } from '../client.js';
import { accounts, stageResults, type StageResultRow } from '../schema.js';

export type StageResultInput = Omit<typeof stageResults.$inferInsert, 'id' | 'createdAt'>;

/**
 * Appends a stage result unless one with the same `idempotencyKey` exists. Returns the stored row
 * either way, and whether this call wrote it.
 */
export async function appendStageResult(db: Db, input: StageResultInput): Promise<{ row: StageResultRow; inserted: boolean }> {
  const [row] = await db
    .insert(stageResults)
    .values(input)
    .onConflictDoNothing({ target: stageResults.idempotencyKey })
    .returning();
  if (row) return { row, inserted: true };
  const [existing] = await db.select().from(stageResults).where(eq(stageResults.idempotencyKey, input.idempotencyKey));
  // Only a concurrent delete could make it vanish; the audit trail is append-only.
  if (!existing) throw new Error(`stage result ${input.idempotencyKey} was neither written nor found`);
  return { row: existing, inserted: false };
}

export interface StageResultQuery {
  stage?: Stage;
  cycleYear?: number;
  limit?: number;
}

/** The account's stage results, newest first. */
export async function listStageResults(db: Db, accountId: string, q: StageResultQuery = {}): Promise<StageResultRow[]> {
  const conditions: SQL[] = [eq(stageResults.accountId, accountId)];
  if (q.stage) conditions.push(eq(stageResults.stage, q.stage));
  if (q.cycleYear !== undefined) conditions.push(eq(stageResults.cycleYear, q.cycleYear));
  return db
    .select()
    .from(stageResults)
    .where(and(...conditions))
    .orderBy(desc(stageResults.createdAt), desc(stageResults.id))
    .limit(q.limit ?? 200);
}

export async function latestStageResult(db: Db, accountId: string, stage: Stage): Promise<StageResultRow | undefined> {
  return (await listStageResults(db, accountId, { stage, limit: 1 }))[0];
}

/** An industry's rule set version, as an audit row names it. */
export interface RuleSetRef {
  industry: string;
  version: number;
}

/**
 * The rule set each of the account's plan versions was made under: the plan stage's audit row
 * (the workflow's plan and a manager's revision alike) names the plan it stored as `output.planId`.
 */
export async function planRuleSets(db: Db, accountId: string): Promise<Map<number, RuleSetRef>> {
  const rows = await db
    .select({
      planId: sql<string | null>`${stageResults.output}->>'planId'`,
      industry: stageResults.ruleSetIndustry,
      version: stageResults.ruleSetVersion,
    })
    .from(stageResults)
    .where(and(eq(stageResults.accountId, accountId), eq(stageResults.stage, 'plan')));
  return new Map(
    rows.filter((r) => r.planId !== null).map((r) => [Number(r.planId), { industry: r.industry, version: r.version }] as const),
  );
}

/** The audit row an activity wrote under its idempotency key, if it already ran to the end once. */
export async function stageResultByKey(db: Db, idempotencyKey: string): Promise<StageResultRow | undefined> {
  const [row] = await db.select().from(stageResults).where(eq(stageResults.idempotencyKey, idempotencyKey));
  return row;
}

/** Stage result counts per stage for an account (and cycle): what the tests and the studio check. */
export async function stageResultCounts(db: Db, accountId: string, cycleYear?: number): Promise<Record<string, number>> {
  const rows = await db
    .select({ stage: stageResults.stage, n: count() })
    .from(stageResults)
    .where(
      and(eq(stageResults.accountId, accountId), cycleYear === undefined ? undefined : eq(stageResults.cycleYear, cycleYear)),
    )
    .groupBy(stageResults.stage);
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}

const count0 = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Per account (of these industries; all accounts without a filter), what its latest monitor saw,
 * read from the monitor's audit row: what-if re-decides health with it. Accounts never monitored
 * are absent.
 */
export async function latestMonitorSeen(
  db: Db,
  filter: { industries?: readonly string[] } = {},
): Promise<Map<string, MonitorSeen>> {
  const conditions: SQL[] = [eq(stageResults.stage, 'monitor')];
  if (filter.industries)
    conditions.push(
      inArray(
        stageResults.accountId,
        db
          .select({ id: accounts.id })
          .from(accounts)
          .where(inArray(accounts.industry, [...filter.industries])),
      ),
    );
  const rows = await db
    .selectDistinctOn([stageResults.accountId], { accountId: stageResults.accountId, input: stageResults.input })
    .from(stageResults)
    .where(and(...conditions))
    .orderBy(stageResults.accountId, desc(stageResults.createdAt), desc(stageResults.id));
  const out = new Map<string, MonitorSeen>();
  for (const { accountId, input } of rows) {
    const i = (input ?? {}) as Record<string, unknown>;
    const plan = i['plan'] as { strategy?: unknown; closeness?: unknown } | null | undefined;
    out.set(accountId, {
      plan:
        plan && typeof plan.strategy === 'string' && typeof plan.closeness === 'number'
          ? { strategy: plan.strategy as Strategy, closeness: plan.closeness }
          : undefined,
      overdueVisits: count0(i['overdueVisits']),
      openActions: count0(i['openActions']),
      overdueActions: count0(i['overdueActions']),
    });
  }
  return out;
}

// ---- trends -------------------------------------------------------------------------------------

/** A value an audited stage decides, by the stage that writes it and its field in the output. */
export const TREND_FIELDS = {
  tier: { stage: 'grade', field: 'tier' },
  health: { stage: 'monitor', field: 'health' },
} as const satisfies Record<string, { stage: Stage; field: string }>;
export type TrendField = keyof typeof TREND_FIELDS;

export interface MonthCount {
  /** `YYYY-MM`. */
  month: string;
  value: string;
  count: number;
}

/**
 * For each of the last `months` calendar months (UTC) up to `now`'s, how many accounts stood at
 * each value at the month's end: every account counts with its latest decision by then, so an
 * account graded in March still counts in April. `where` (over `accounts`) is the caller's scope.
 */
export async function monthlyDistribution(
  db: Db,
  what: TrendField,
  opts: { months: number; now: Date; where?: SQL | undefined },
): Promise<MonthCount[]> {
  const { stage, field } = TREND_FIELDS[what];
  const months = Math.max(1, Math.min(60, Math.trunc(opts.months)));
  const scoped = opts.where ? sql`and sr.account_id in (select ${accounts.id} from ${accounts} where ${opts.where})` : sql``;
  const result = await db.execute(sql`
    with months as (
      select generate_series(
        date_trunc('month', ${opts.now.toISOString()}::timestamptz at time zone 'UTC') - make_interval(months => ${months - 1}),
        date_trunc('month', ${opts.now.toISOString()}::timestamptz at time zone 'UTC'),
        interval '1 month'
      ) as start
    )
    select to_char(m.start, 'YYYY-MM') as month, x.value, count(*)::int as count
    from months m
    cross join lateral (
      select distinct on (sr.account_id) sr.output ->> ${field} as value
      from ${stageResults} sr
      where sr.stage = ${stage} and sr.created_at < (m.start + interval '1 month') at time zone 'UTC' ${scoped}
      order by sr.account_id, sr.created_at desc, sr.id desc
    ) x
    where x.value is not null
    group by 1, 2
    order by 1, 2
  `);
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    month: string;
    value: string;
    count: number;
  }[];
  return rows.map((r) => ({ month: r.month, value: r.value, count: Number(r.count) }));
}

export interface AccountTrendPoint {
  at: string;
  stage: 'grade' | 'monitor';
  cycleYear: number;
  score: number | null;
  tier: string | null;
  health: string | null;
}

/** The account's scores (grade) and health (monitor) over time, oldest first. */
export async function accountTrend(db: Db, accountId: string, limit = 200): Promise<AccountTrendPoint[]> {
  const rows = await db
    .select({
      at: stageResults.createdAt,
      stage: stageResults.stage,
      cycleYear: stageResults.cycleYear,
      score: sql<string | null>`${stageResults.output} ->> 'score'`,
      tier: sql<string | null>`${stageResults.output} ->> 'tier'`,
      health: sql<string | null>`${stageResults.output} ->> 'health'`,
    })
    .from(stageResults)
    .where(and(eq(stageResults.accountId, accountId), inArray(stageResults.stage, ['grade', 'monitor'])))
    .orderBy(desc(stageResults.createdAt), desc(stageResults.id))
    .limit(limit);
  return rows.reverse().map((r) => ({
    at: r.at.toISOString(),
    stage: r.stage as 'grade' | 'monitor',
    cycleYear: r.cycleYear,
    score: r.score === null ? null : Number(r.score),
    tier: r.tier,
    health: r.health,
  }));
}
