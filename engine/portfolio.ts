/**
 * Evaluating many accounts at once: each with the rule set of its industry, and in quota mode
 * ranked against the other accounts of the same rule set ("rank, then grade").
 */
import type { Account, Tier } from './model.js';
import type { RuleBook } from './industry-rule-sets.js';
import type { EspRules } from './compiled-rule-set.js';
import { decideAccount, type AccountDecision, type DecideContext } from './pipeline.js';
import { compositeScore, dimensionScores, rankByQuota, type TierCutoffs } from './stages/grade.js';

export interface QuotaRanking {
  tiers: Map<string, Tier>;
  /** Per rule set (industry key): the lowest score per tier, for accounts graded until the next ranking. */
  cutoffs: Map<string, TierCutoffs>;
}

/** Ranks the accounts of every quota-mode rule set; threshold-mode sets are left alone. */
export function rankQuotaIndustries(accounts: readonly Account[], book: RuleBook): QuotaRanking {
  const groups = new Map<string, { id: string; score: number; revenueWithUs: number }[]>();
  for (const a of accounts) {
    const rules = book.forIndustry(a.industry);
    if (rules.ruleSet.grade.tierPolicy.mode !== 'quota') continue;
    const key = rules.ref.industry;
    const list = groups.get(key) ?? [];
    list.push({ id: a.id, score: compositeScore(dimensionScores(a, rules), rules.ruleSet.grade.weights), revenueWithUs: a.revenueWithUs ?? 0 });
    groups.set(key, list);
  }
  const tiers = new Map<string, Tier>();
  const cutoffs = new Map<string, TierCutoffs>();
  for (const [key, list] of groups) {
    const ranked = rankByQuota(list, book.forIndustry(key).ruleSet.grade.tierPolicy.quotas);
    for (const [id, tier] of ranked.tiers) tiers.set(id, tier);
    cutoffs.set(key, ranked.cutoffs);
  }
  return { tiers, cutoffs };
}

/**
 * Ranks the quota-mode sets once and returns `decide` (`decideAccount`, or `decideBrief` for the
 * decisions alone) for any account of `accounts`, so a caller can decide them one at a time
 * (streaming) rather than hold every decision.
 */
export function portfolioDecider<D>(
  accounts: readonly Account[],
  book: RuleBook,
  decide: (account: Account, rules: EspRules, ctx: DecideContext) => D,
  ctx: Omit<DecideContext, 'quota'> = {},
): (account: Account) => D {
  const ranking = rankQuotaIndustries(accounts, book);
  return (a) => decide(a, book.forIndustry(a.industry), { ...ctx, quota: { rankedTier: ranking.tiers.get(a.id) } });
}

export function evaluatePortfolio(
  accounts: readonly Account[],
  book: RuleBook,
  ctx: Omit<DecideContext, 'quota'> = {},
): AccountDecision[] {
  return accounts.map(portfolioDecider(accounts, book, decideAccount, ctx));
}
