/**
 * The annual review run's activities: the run row and its progress, and the walk over all
 * accounts in pages, quota-mode industries first with their ranking ("rank, then grade").
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { listIndustries } from '../../db/repositories/rule-sets.js';
import { getAccounts } from '../../db/repositories/accounts.js';
import { ensureReviewRun, finishReviewRun, reviewAccountCount, setReviewRunFailed } from '../../db/repositories/reviews.js';
import {
  FALLBACK_INDUSTRY,
  rankQuotaIndustries,
  type EspRules,
  type RuleBook,
  type Tier,
  type TierCutoffs,
} from '../../engine/index.js';
import { reviewSignal, startCycleSignal } from '../messages.js';
import { accountWorkflowId, type ReviewCursor, type ReviewPage, type ReviewPageItem, type ReviewRequest } from '../types.js';
import { guarded, type Shared } from './deps.js';
import { quotaAccountsWhere, quotaAccountIds, accountIdPage } from '../../db/repositories/accounts-list.js';

/** Signal calls in flight at once in `signalAccounts`. */
const SIGNAL_LANES = 25;

interface QuotaSetup {
  where: ReturnType<typeof quotaAccountsWhere>;
  ranking: Map<string, { rankedTier: Tier; cutoffs: TierCutoffs | null }>;
}

export function reviewRunActivities(s: Shared) {
  // One ranking per review run and worker process: it reads every quota-mode account, so pages
  // after the first reuse it. Another worker computing it again gets the same answer.
  const setups = new Map<string, Promise<QuotaSetup>>();

  async function computeSetup(): Promise<QuotaSetup> {
    const industries = (await listIndustries(s.db)).filter((i) => i.published).map((i) => i.industry);
    const rulesOf = new Map<string, EspRules>();
    for (const industry of industries) rulesOf.set(industry, await s.rules(industry === FALLBACK_INDUSTRY ? null : industry));
    const isQuota = (r: EspRules | undefined) => r?.ruleSet.grade.tierPolicy.mode === 'quota';
    const own = industries.filter((i) => i !== FALLBACK_INDUSTRY);
    const where = quotaAccountsWhere({
      quotaIndustries: own.filter((i) => isQuota(rulesOf.get(i))),
      ownIndustries: own,
      fallbackIsQuota: isQuota(rulesOf.get(FALLBACK_INDUSTRY)),
    });
    const ranking = new Map<string, { rankedTier: Tier; cutoffs: TierCutoffs | null }>();
    const ids = await quotaAccountIds(s.db, where);
    if (ids.length > 0) {
      const accounts = await getAccounts(
        s.db,
        ids.map((a) => a.id),
      );
      const fallback = rulesOf.get(FALLBACK_INDUSTRY)!;
      // rankQuotaIndustries only asks the book for the rules of an industry.
      const book = {
        forIndustry: (industry: string | null | undefined) => (industry != null && rulesOf.get(industry)) || fallback,
      } as unknown as RuleBook;
      const ranked = rankQuotaIndustries(accounts, book);
      for (const a of accounts) {
        const tier = ranked.tiers.get(a.id);
        if (tier)
          ranking.set(a.id, { rankedTier: tier, cutoffs: ranked.cutoffs.get(book.forIndustry(a.industry).ref.industry) ?? null });
      }
    }
    return { where, ranking };
  }

  function setup(reviewRunId: string): Promise<QuotaSetup> {
    let p = setups.get(reviewRunId);
    if (!p) {
      p = computeSetup();
      p.catch(() => setups.delete(reviewRunId));
      setups.set(reviewRunId, p);
    }
    return p;
  }

  return {
    async startReviewRun(input: { reviewRunId: string; year: number }): Promise<{ total: number }> {
      return guarded(async () => {
        const total = await reviewAccountCount(s.db);
        const run = await ensureReviewRun(s.db, { id: input.reviewRunId, year: input.year, total });
        return { total: run.total };
      });
    },

    async reviewAccountsPage(input: { reviewRunId: string; cursor: ReviewCursor | null; limit: number }): Promise<ReviewPage> {
      return guarded(async () => {
        const { where, ranking } = await setup(input.reviewRunId);
        const items: ReviewPageItem[] = [];
        let cursor: ReviewCursor = input.cursor ?? { phase: 'quota', after: null };
        for (;;) {
          const ids = await accountIdPage(s.db, {
            quota: where,
            inQuota: cursor.phase === 'quota',
            after: cursor.after,
            limit: input.limit - items.length,
          });
          for (const id of ids) {
            const r = ranking.get(id);
            items.push({ id, rankedTier: r?.rankedTier ?? null, cutoffs: r?.cutoffs ?? null });
          }
          if (ids.length > 0) cursor = { phase: cursor.phase, after: ids[ids.length - 1]! };
          if (items.length >= input.limit) return { items, next: cursor };
          if (cursor.phase === 'rest') return { items, next: null };
          cursor = { phase: 'rest', after: null };
        }
      });
    },

    /**
     * Signals a batch of account workflows through the client: one activity for many signals,
     * instead of a command and two events per signal in the review workflow, whose task rate
     * bounds the review. Accounts without a running workflow are returned; a retry re-signals
     * the batch, which the accounts ignore (same review run) or acknowledge as already reviewed.
     */
    async signalAccounts(input: {
      signal: 'review' | 'startCycle';
      accounts: { accountId: string; request?: ReviewRequest }[];
      year: number;
    }): Promise<{ notRunning: { accountId: string; error: string }[] }> {
      const client = Context.current().client;
      const notRunning: { accountId: string; error: string }[] = [];
      let next = 0;
      const lane = async () => {
        while (next < input.accounts.length) {
          const { accountId, request } = input.accounts[next++]!;
          const handle = client.workflow.getHandle(accountWorkflowId(accountId));
          try {
            if (input.signal === 'review') await handle.signal(reviewSignal, request!);
            else await handle.signal(startCycleSignal, { year: input.year });
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
            notRunning.push({ accountId, error: error.message });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(SIGNAL_LANES, input.accounts.length) }, lane));
      return { notRunning };
    },

    async recordReviewFailures(input: { reviewRunId: string; failed: number }): Promise<void> {
      return guarded(() => setReviewRunFailed(s.db, input.reviewRunId, input.failed));
    },

    async finishReviewRun(input: { reviewRunId: string; failed: number }): Promise<{ done: number; failed: number }> {
      return guarded(async () => {
        await setReviewRunFailed(s.db, input.reviewRunId, input.failed);
        const row = await finishReviewRun(s.db, input.reviewRunId, 'completed');
        setups.delete(input.reviewRunId);
        return { done: row.done, failed: row.failed };
      });
    },
  };
}
