/**
 * Evaluating many accounts at once: each with the rule set of its industry, and in quota mode
 * ranked against the other accounts of the same rule set ("rank, then grade").
 */
import type { Account, Health, Tier } from './model.js';
import type { RuleBook } from './industry-rule-sets.js';
import { decideAccount, monitorAccount, type AccountDecision, type DecideContext, type MonitorContext } from './pipeline.js';
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

export function evaluatePortfolio(
  accounts: readonly Account[],
  book: RuleBook,
  ctx: Omit<DecideContext, 'quota'> = {},
): AccountDecision[] {
  const ranking = rankQuotaIndustries(accounts, book);
  return accounts.map((a) => decideAccount(a, book.forIndustry(a.industry), { ...ctx, quota: { rankedTier: ranking.tiers.get(a.id) } }));
}

/** What an account's monitor sees besides the account (the plan in force, visits, actions). */
export type MonitorSeen = Omit<MonitorContext, keyof DecideContext>;

/**
 * `evaluatePortfolio`, plus the health the monitor's rules would give each account that has been
 * monitored (`seen`: what its monitor saw); null for the others, which have no health yet. The
 * decision is the same either way: the monitor decides first, then adds the health rules.
 */
export function evaluatePortfolioHealth(
  accounts: readonly Account[],
  book: RuleBook,
  seen: ReadonlyMap<string, MonitorSeen>,
): { decision: AccountDecision; health: Health | null }[] {
  const ranking = rankQuotaIndustries(accounts, book);
  return accounts.map((a) => {
    const rules = book.forIndustry(a.industry);
    const quota = { rankedTier: ranking.tiers.get(a.id) };
    const monitor = seen.get(a.id);
    if (!monitor) return { decision: decideAccount(a, rules, { quota }), health: null };
    const r = monitorAccount(a, rules, { quota, ...monitor });
    return { decision: r.decision, health: r.health };
  });
}
