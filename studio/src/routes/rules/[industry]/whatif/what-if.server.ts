/**
 * What-if: what a draft rule set would change if it were published, over every account it covers.
 *
 * The accounts come from an in-memory snapshot (db/repositories/account-snapshots.ts: read in bulk
 * once, current until an account input changes), both rule books are compiled once, and each account
 * is decided with `decideBrief` through `portfolioDecider` (published, then draft), so quota-mode
 * sets rank exactly as the review would. The published decisions are kept with the snapshot, keyed
 * by the published rule sets, so a run decides the draft only. Only the changed accounts of the page
 * shown are explained (`explainAccount` is an order of magnitude slower than deciding).
 *
 * Which accounts a draft covers: an industry's draft covers that industry's accounts; a draft of the
 * fallback `*` changes the effective set of every industry (each override extends it), so it covers
 * every account, with and without an industry set of its own.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '$db/client.js';
import { accountSnapshot } from '$db/repositories/account-snapshots.js';
import { ruleSets } from '$db/schema.js';
import { explainAccount } from '$engine/explain.js';
import { CLASSES, DIMENSIONS, TIERS, type Account, type AccountClass, type Tier } from '$engine/model.js';
import { decideBrief, type BriefDecision } from '$engine/pipeline.js';
import { portfolioDecider, rankQuotaIndustries, type QuotaRanking } from '$engine/portfolio.js';
import { RuleBook, type RuleSetDocument } from '$engine/industry-rule-sets.js';
import { ValidationError, type Issue } from '$engine/ruleset-format/issues.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { migrationMatrix, type Matrix } from '$engine/stages/review.js';
import type { ChangedAccount, Side, Why } from '$lib/components/rules/types.js';

export type { ChangedAccount, Side, Why };

export const WHATIF_PAGE_SIZE = 25;

export type ChangeKind = 'tier' | 'class' | 'strategy';

/** Narrows the changed accounts listed (the counts and matrices always cover all of them). */
export interface ChangeFilter {
  kind?: ChangeKind | undefined;
  tierFrom?: Tier | undefined;
  tierTo?: Tier | undefined;
  classFrom?: AccountClass | undefined;
  classTo?: AccountClass | undefined;
}

export interface WhatIfOptions {
  /** 1-based page of the changed accounts. */
  page?: number;
  pageSize?: number;
  filter?: ChangeFilter;
  /**
   * Reuse the evaluation of an identical request made within `CACHE_TTL_MS` (paging through the
   * changed accounts re-runs nothing). The key must change whenever the draft or a published set does.
   */
  cacheKey?: string;
}

export type WhatIfResult =
  | {
      ok: false;
      industry: string;
      /** The industry whose effective set does not resolve (for a `*` draft: maybe another industry's override). */
      invalidIndustry: string;
      issues: Issue[];
    }
  | {
      ok: true;
      industry: string;
      scope: { all: boolean; accounts: number; industries: string[] };
      counts: {
        accounts: number;
        changed: number;
        tier: number;
        class: number;
        strategy: number;
        tierUp: number;
        tierDown: number;
      };
      tierMatrix: Matrix<Tier>;
      classMatrix: Matrix<AccountClass>;
      strategyChanges: { from: string; to: string; count: number }[];
      changed: { total: number; page: number; pageSize: number; rows: ChangedAccount[] };
      timings: { loadMs: number; compileMs: number; evaluateMs: number; explainMs: number; totalMs: number };
      computedAt: string;
    };

interface Evaluated {
  industry: string;
  accounts: readonly Account[];
  before: { book: RuleBook; decisions: readonly BriefDecision[] };
  after: { book: RuleBook; decisions: readonly BriefDecision[] };
  /** Indices into `accounts` of the accounts whose tier, class or strategy changed, in display order. */
  changed: number[];
  industries: string[];
  timings: { loadMs: number; compileMs: number; evaluateMs: number };
  computedAt: string;
}

const CACHE_TTL_MS = 30_000;
let cached: { key: string; at: number; value: Evaluated } | undefined;

const tierRank = (t: Tier) => TIERS.indexOf(t);

type PublishedRow = { id: number; industry: string; version: number | null; document: unknown };

// Published rows never change, so the published book is reused while the same rows are published
// (per database handle: two databases can hold different rows under the same ids).
const publishedBooks = new WeakMap<object, { key: string; book: RuleBook }>();

/**
 * The published book and the book with the draft in its place. Only the rule sets the covered
 * accounts use are compiled: an industry draft needs `*` and that industry, not every industry.
 */
function ruleBooks(
  db: Db,
  industry: string,
  draft: unknown,
  published: PublishedRow[],
): { before: RuleBook; beforeKey: string; after: RuleBook } | { invalidIndustry: string; issues: Issue[] } {
  const all = industry === FALLBACK_INDUSTRY;
  const base = published.find((p) => p.industry === FALLBACK_INDUSTRY);
  if (!base) return { invalidIndustry: FALLBACK_INDUSTRY, issues: [] };
  const doc = (p: PublishedRow): RuleSetDocument => ({
    industry: p.industry,
    version: p.version,
    document: p.document,
    source: p.industry,
  });
  const overrides = published.filter((p) => p.industry !== FALLBACK_INDUSTRY && (all || p.industry === industry));
  const key = [base, ...overrides]
    .map((p) => p.id)
    .sort()
    .join(',');
  let current = publishedBooks.get(db);
  if (current?.key !== key) publishedBooks.set(db, (current = { key, book: new RuleBook(doc(base), overrides.map(doc)) }));
  const draftDoc: RuleSetDocument = { industry, version: null, document: draft, source: industry };
  try {
    const after = all ? new RuleBook(draftDoc, overrides.map(doc)) : new RuleBook(doc(base), [draftDoc]);
    return { before: current.book, beforeKey: key, after };
  } catch (error) {
    if (error instanceof ValidationError) return { invalidIndustry: error.source ?? industry, issues: error.issues };
    throw error;
  }
}

function decided(a: BriefDecision): Omit<Side, 'why'> {
  return { score: a.score, tier: a.tier, class: a.class, strategy: a.strategy, investment: a.investment };
}

async function evaluate(
  db: Db,
  industry: string,
  draft: unknown,
): Promise<Evaluated | { invalidIndustry: string; issues: Issue[] }> {
  const t0 = performance.now();
  const published = await db
    .select({ id: ruleSets.id, industry: ruleSets.industry, version: ruleSets.version, document: ruleSets.document })
    .from(ruleSets)
    .where(eq(ruleSets.status, 'published'));
  const all = industry === FALLBACK_INDUSTRY;
  const snapshot = await accountSnapshot(db, all ? { all: true } : { industries: [industry] });
  const accounts = snapshot.accounts;
  const t1 = performance.now();
  const books = ruleBooks(db, industry, draft, published);
  if ('issues' in books) return books;
  const t2 = performance.now();
  const decideAll = (book: RuleBook) => accounts.map(portfolioDecider(accounts, book, decideBrief));
  const before = snapshot.memo('published decisions', books.beforeKey, () => decideAll(books.before));
  const after = decideAll(books.after);
  const t3 = performance.now();

  const changed: number[] = [];
  for (let i = 0; i < accounts.length; i++) {
    const b = before[i]!;
    const a = after[i]!;
    if (b.tier !== a.tier || b.class !== a.class || b.strategy !== a.strategy) changed.push(i);
  }
  // Tier moves first (the biggest first), then class and strategy changes; then the largest score
  // change, then by name: what an admin reviewing the impact wants to see at the top.
  const weight = (i: number) => {
    const b = before[i]!;
    const a = after[i]!;
    return (
      (b.tier !== a.tier ? 100 * Math.abs(tierRank(b.tier) - tierRank(a.tier)) : 0) +
      (b.class !== a.class ? 10 : 0) +
      (b.strategy !== a.strategy ? 1 : 0)
    );
  };
  changed.sort(
    (x, y) =>
      weight(y) - weight(x) ||
      Math.abs(after[y]!.score - before[y]!.score) - Math.abs(after[x]!.score - before[x]!.score) ||
      accounts[x]!.name.localeCompare(accounts[y]!.name) ||
      (accounts[x]!.id < accounts[y]!.id ? -1 : 1),
  );
  const industries = all ? [...new Set(accounts.map((a) => a.industry ?? FALLBACK_INDUSTRY))].sort() : [industry];
  return {
    industry,
    accounts,
    before: { book: books.before, decisions: before },
    after: { book: books.after, decisions: after },
    changed,
    industries,
    timings: { loadMs: t1 - t0, compileMs: t2 - t1, evaluateMs: t3 - t2 },
    computedAt: new Date().toISOString(),
  };
}

function matches(filter: ChangeFilter, b: BriefDecision, a: BriefDecision): boolean {
  if (filter.kind === 'tier' && b.tier === a.tier) return false;
  if (filter.kind === 'class' && b.class === a.class) return false;
  if (filter.kind === 'strategy' && b.strategy === a.strategy) return false;
  if (filter.tierFrom && b.tier !== filter.tierFrom) return false;
  if (filter.tierTo && a.tier !== filter.tierTo) return false;
  if (filter.classFrom && b.class !== filter.classFrom) return false;
  if (filter.classTo && a.class !== filter.classTo) return false;
  return true;
}

function why(account: Account, book: RuleBook, ranking: QuotaRanking | undefined): Why {
  const rules = book.forIndustry(account.industry);
  const rankedTier = ranking?.tiers.get(account.id);
  const { explanation: e, decision } = explainAccount(account, rules, { quota: { rankedTier } });
  const dimensions = {} as Why['dimensions'];
  for (const d of DIMENSIONS) {
    const x = e.grade.dimensions[d];
    dimensions[d] = { value: x.value, score: x.score, weight: x.weight, weighted: Math.round(x.weighted * 100) / 100 };
  }
  const list = (t: { decidedBy: string[]; usedFallback: boolean }, result: string) => ({
    result,
    decidedBy: t.decidedBy[0] ?? null,
    usedFallback: t.usedFallback,
  });
  return {
    ruleSet: rules.ref,
    dimensions,
    score: e.grade.score,
    mode: e.grade.policy.mode,
    thresholds: e.grade.policy.thresholds,
    ranked: e.grade.policy.mode === 'quota' && rankedTier !== undefined,
    tier: decision.tier,
    classify: { ...e.classify, class: decision.class },
    strategy: list(e.strategy, e.strategy.result),
    investment: list(e.investment, e.investment.result),
  };
}

function quotaRanking(accounts: readonly Account[], book: RuleBook): QuotaRanking | undefined {
  const anyQuota = book.industries.some((i) => book.forIndustry(i).ruleSet.grade.tierPolicy.mode === 'quota');
  return anyQuota ? rankQuotaIndustries(accounts, book) : undefined;
}

/**
 * The impact of publishing `draftDocument` as `industry`'s rule set. Never throws for an invalid
 * draft: it answers `{ ok: false, issues }` (an invalid set is never evaluated).
 */
export async function runWhatIf(
  db: Db,
  industry: string,
  draftDocument: unknown,
  opts: WhatIfOptions = {},
): Promise<WhatIfResult> {
  const started = performance.now();
  let value: Evaluated;
  const now = Date.now();
  if (opts.cacheKey && cached && cached.key === opts.cacheKey && now - cached.at < CACHE_TTL_MS) {
    value = cached.value;
  } else {
    const result = await evaluate(db, industry, draftDocument);
    if ('issues' in result) return { ok: false, industry, invalidIndustry: result.invalidIndustry, issues: result.issues };
    value = result;
    // One entry: what-if pages are an admin's occasional tool, and 10k accounts are tens of MB.
    cached = opts.cacheKey ? { key: opts.cacheKey, at: now, value } : undefined;
  }
  const { accounts, before, after } = value;

  let tier = 0;
  let cls = 0;
  let strategy = 0;
  let tierUp = 0;
  let tierDown = 0;
  const strategyPairs = new Map<string, number>();
  for (const i of value.changed) {
    const b = before.decisions[i]!;
    const a = after.decisions[i]!;
    if (b.tier !== a.tier) {
      tier++;
      if (tierRank(a.tier) < tierRank(b.tier)) tierUp++;
      else tierDown++;
    }
    if (b.class !== a.class) cls++;
    if (b.strategy !== a.strategy) {
      strategy++;
      const key = `${b.strategy}\u0000${a.strategy}`;
      strategyPairs.set(key, (strategyPairs.get(key) ?? 0) + 1);
    }
  }
  const tierMatrix = migrationMatrix(
    TIERS,
    before.decisions.map((b, i) => [b.tier, after.decisions[i]!.tier] as const),
  );
  const classMatrix = migrationMatrix(
    CLASSES,
    before.decisions.map((b, i) => [b.class, after.decisions[i]!.class] as const),
  );

  const filter = opts.filter ?? {};
  const listed = value.changed.filter((i) => matches(filter, before.decisions[i]!, after.decisions[i]!));
  const pageSize = Math.max(1, Math.min(200, Math.floor(opts.pageSize ?? WHATIF_PAGE_SIZE)));
  const pages = Math.max(1, Math.ceil(listed.length / pageSize));
  const page = Math.min(pages, Math.max(1, Math.floor(opts.page ?? 1)));

  const e0 = performance.now();
  const shown = listed.slice((page - 1) * pageSize, page * pageSize);
  const rankings = shown.length
    ? { before: quotaRanking(accounts, before.book), after: quotaRanking(accounts, after.book) }
    : undefined;
  const rows = shown.map((i): ChangedAccount => {
    const account = accounts[i]!;
    const b = before.decisions[i]!;
    const a = after.decisions[i]!;
    return {
      id: account.id,
      name: account.name,
      industry: account.industry ?? null,
      changes: { tier: b.tier !== a.tier, class: b.class !== a.class, strategy: b.strategy !== a.strategy },
      before: { ...decided(b), why: why(account, before.book, rankings?.before) },
      after: { ...decided(a), why: why(account, after.book, rankings?.after) },
    };
  });
  const explainMs = performance.now() - e0;

  return {
    ok: true,
    industry,
    scope: { all: industry === FALLBACK_INDUSTRY, accounts: accounts.length, industries: value.industries },
    counts: { accounts: accounts.length, changed: value.changed.length, tier, class: cls, strategy, tierUp, tierDown },
    tierMatrix,
    classMatrix,
    strategyChanges: [...strategyPairs]
      .map(([key, count]) => {
        const [from = '', to = ''] = key.split('\u0000');
        return { from, to, count };
      })
      .sort((x, y) => y.count - x.count || x.from.localeCompare(y.from) || x.to.localeCompare(y.to)),
    changed: { total: listed.length, page, pageSize, rows },
    timings: {
      ...value.timings,
      explainMs,
      totalMs: performance.now() - started,
    },
    computedAt: value.computedAt,
  };
}
