/** Stage 2, grade (客户分级 / 综合积分法): composite score over four dimensions, then the tier. */
import { type Account, type Dimension, type Tier } from '../model.js';
import { round2, round6 } from '../round.js';
import type { Band } from '../ruleset-format/schema.js';
import type { EspRules } from '../compiled-rule-set.js';

export const DIMENSION_FIELDS = {
  revenue: 'revenueWithUs',
  potential: 'potential',
  demonstration: 'demonstration',
  winnability: 'winnability',
} as const satisfies Record<Dimension, keyof Account>;

export type DimensionScores = Record<Dimension, number>;

/** Bands are strictly descending by `min` (validated): the first band the value reaches scores. */
export function bandIndex(value: number, bands: readonly Band[]): number {
  for (let i = 0; i < bands.length; i++) if (value >= bands[i]!.min) return i;
  return -1;
}

export function bandScore(value: number, bands: readonly Band[]): number {
  const i = bandIndex(value, bands);
  return i < 0 ? 0 : bands[i]!.score;
}

export interface GradeResult {
  score: number;
  dimensions: DimensionScores;
  tier: Tier;
}

/** The lowest score of each tier at the last quota review: how a new account is tiered in between. */
export type TierCutoffs = Record<'T1' | 'T2' | 'T3', number>;

export function tierFromThresholds(score: number, t: TierCutoffs): Tier {
  if (score >= t.T1) return 'T1';
  if (score >= t.T2) return 'T2';
  if (score >= t.T3) return 'T3';
  return 'T4';
}

export function dimensionScores(account: Account, rules: EspRules): DimensionScores {
  const b = rules.bands;
  return {
    revenue: bandScore(account.revenueWithUs ?? 0, b.revenue),
    potential: bandScore(account.potential ?? 0, b.potential),
    demonstration: bandScore(account.demonstration ?? 0, b.demonstration),
    winnability: bandScore(account.winnability ?? 0, b.winnability),
  };
}

/** Σ weight × score in DIMENSIONS order (the order fixes the floating-point sum), rounded. */
export function compositeScore(dimensions: DimensionScores, weights: Record<Dimension, number>): number {
  return weightedScore(dimensions.revenue, dimensions.potential, dimensions.demonstration, dimensions.winnability, weights);
}

/** `compositeScore` over the four dimension scores as numbers: the decision-only path's form. */
export function weightedScore(
  revenue: number,
  potential: number,
  demonstration: number,
  winnability: number,
  weights: Record<Dimension, number>,
): number {
  return round2(
    0 + weights.revenue * revenue + weights.potential * potential + weights.demonstration * demonstration + weights.winnability * winnability,
  );
}

export interface QuotaContext {
  /** The tier the account got by rank in a quota review of its rule set's accounts. */
  rankedTier?: Tier | undefined;
  /** The lowest score per tier at the last quota review, for accounts graded in between. */
  cutoffs?: TierCutoffs | undefined;
}

/**
 * In threshold mode the tier comes from the thresholds. In quota mode tiers are assigned by rank in
 * the annual review (`rankByQuota`); between reviews an account gets the tier whose lowest score at
 * the last review it reaches (`cutoffs`), or the thresholds before the first review.
 */
export function grade(account: Account, rules: EspRules, quota: QuotaContext = {}): GradeResult {
  const dimensions = dimensionScores(account, rules);
  const score = compositeScore(dimensions, rules.ruleSet.grade.weights);
  return { score, dimensions, tier: tierOf(score, rules, quota) };
}

/** The tier of a composite score under the rule set's tier policy (see `grade`). */
export function tierOf(score: number, rules: EspRules, quota: QuotaContext): Tier {
  const policy = rules.ruleSet.grade.tierPolicy;
  if (policy.mode === 'quota' && quota.rankedTier) return quota.rankedTier;
  return tierFromThresholds(score, policy.mode === 'quota' && quota.cutoffs ? quota.cutoffs : policy.thresholds);
}

export interface Ranked {
  id: string;
  score: number;
  revenueWithUs: number;
}

/**
 * Quota mode (rank, then grade): score descending, ties by higher revenueWithUs then id ascending;
 * rank i is T1 if i < ceil(N·q1), T2 if i < ceil(N·(q1+q2)), T3 if i < ceil(N·(q1+q2+q3)).
 */
export function rankByQuota(
  accounts: readonly Ranked[],
  quotas: Record<'T1' | 'T2' | 'T3', number>,
): { tiers: Map<string, Tier>; cutoffs: TierCutoffs; order: string[] } {
  const sorted = [...accounts].sort(
    (a, b) => b.score - a.score || b.revenueWithUs - a.revenueWithUs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const n = sorted.length;
  // N·q is rounded to 6 decimals before ceil: in floating point 10 × (0.1 + 0.2) is
  // 3.0000000000000004, and a plain ceil would give 4 where ESP-PLUS.md's ceil(N·(q1+q2)) is 3.
  const ceilOf = (x: number) => Math.ceil(round6(x));
  const limits = [
    ceilOf(n * quotas.T1),
    ceilOf(n * (quotas.T1 + quotas.T2)),
    ceilOf(n * (quotas.T1 + quotas.T2 + quotas.T3)),
  ] as const;
  const tiers = new Map<string, Tier>();
  // A tier nobody reached keeps an unreachable cutoff so in-between accounts cannot land in it.
  const cutoffs: TierCutoffs = { T1: Infinity, T2: Infinity, T3: Infinity };
  sorted.forEach((a, i) => {
    const tier: Tier = i < limits[0] ? 'T1' : i < limits[1] ? 'T2' : i < limits[2] ? 'T3' : 'T4';
    tiers.set(a.id, tier);
    if (tier !== 'T4') cutoffs[tier] = Math.min(cutoffs[tier], a.score);
  });
  return { tiers, cutoffs, order: sorted.map((a) => a.id) };
}
