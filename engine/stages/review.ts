/**
 * Stage 9, review (评估和考核): the yearly evaluation of each account and of the whole portfolio:
 * attainment, actions done, opportunities incubated, closeness change, and tier / class migration.
 */
import { CLASSES, TIERS, type AccountClass, type Strategy, type Tier } from '../model.js';
import { round2 } from '../round.js';
import { actionStatus, type ActionLike } from './execute.js';

export interface Snapshot {
  score: number;
  tier: Tier;
  class: AccountClass;
  strategy: Strategy;
  closeness: number;
}

export interface AccountReviewInput {
  accountId: string;
  /** The plan's revenue objective; null without a plan. */
  objective: number | null;
  actualRevenue: number;
  actions: readonly ActionLike[];
  opportunities: readonly { estimatedValue: number }[];
  before: Snapshot | null;
  after: Snapshot;
}

export interface AccountReview {
  accountId: string;
  /** actual ÷ objective; null when there was no (or a zero) objective. */
  attainment: number | null;
  actionsDoneShare: number | null;
  opportunities: { count: number; value: number };
  closenessChange: number | null;
  before: Snapshot | null;
  after: Snapshot;
}

export function reviewAccount(input: AccountReviewInput, asOf: string): AccountReview {
  const actions = actionStatus(input.actions, asOf);
  return {
    accountId: input.accountId,
    attainment: input.objective ? round2(input.actualRevenue / input.objective) : null,
    actionsDoneShare: actions.doneShare === null ? null : round2(actions.doneShare),
    opportunities: {
      count: input.opportunities.length,
      value: round2(input.opportunities.reduce((s, o) => s + o.estimatedValue, 0)),
    },
    closenessChange: input.before ? round2(input.after.closeness - input.before.closeness) : null,
    before: input.before,
    after: input.after,
  };
}

export type Matrix<K extends string> = Record<K, Record<K, number>>;

export function migrationMatrix<K extends string>(keys: readonly K[], pairs: Iterable<readonly [K, K]>): Matrix<K> {
  const m = Object.fromEntries(keys.map((from) => [from, Object.fromEntries(keys.map((to) => [to, 0]))])) as Matrix<K>;
  for (const [from, to] of pairs) m[from][to]++;
  return m;
}

export interface PortfolioReview {
  accounts: number;
  tierMigration: Matrix<Tier>;
  classMigration: Matrix<AccountClass>;
  /** "from->to" → count, only for accounts whose strategy changed. */
  strategyChanges: Record<string, number>;
  attainment: { mean: number | null; atOrAbove1: number };
  opportunities: { count: number; value: number };
}

export function summarizeReviews(reviews: readonly AccountReview[]): PortfolioReview {
  const compared = reviews.filter((r) => r.before !== null) as (AccountReview & { before: Snapshot })[];
  const strategyChanges: Record<string, number> = {};
  for (const r of compared) {
    if (r.before.strategy !== r.after.strategy) {
      const key = `${r.before.strategy}->${r.after.strategy}`;
      strategyChanges[key] = (strategyChanges[key] ?? 0) + 1;
    }
  }
  const attained = reviews.map((r) => r.attainment).filter((a): a is number => a !== null);
  return {
    accounts: reviews.length,
    tierMigration: migrationMatrix(TIERS, compared.map((r) => [r.before.tier, r.after.tier] as const)),
    classMigration: migrationMatrix(CLASSES, compared.map((r) => [r.before.class, r.after.class] as const)),
    strategyChanges,
    attainment: {
      mean: attained.length ? round2(attained.reduce((s, a) => s + a, 0) / attained.length) : null,
      atOrAbove1: attained.filter((a) => a >= 1).length,
    },
    opportunities: {
      count: reviews.reduce((s, r) => s + r.opportunities.count, 0),
      value: round2(reviews.reduce((s, r) => s + r.opportunities.value, 0)),
    },
  };
}
