import { fail } from '@sveltejs/kit';
import { userNames } from '$db/repositories/users.js';
import type { Db } from '$db/client.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import {
  approvalQueue,
  decidePlans,
  matchesQueueFilter,
  parseQueueFilter,
  type DecisionResult,
} from '$lib/server/plan-decisions.js';
import { temporal } from '$lib/server/temporal.js';
import type { SessionUser } from '$lib/user.js';
import type { Actions, PageServerLoad } from './$types.js';

/** At most this many plans in one bulk decision: each is one workflow update, one after another. */
const MAX_BULK = 100;

export type QueueFormResult =
  | { ok: true; approve: boolean; results: DecisionResult[] }
  | { ok: false; error: 'nothingSelected' | 'tooMany' | 'missingReason' | 'notConfirmed' | 'invalidInput'; reason: string };

export const load: PageServerLoad = async ({ locals, url }) => _loadApprovals(await db(), requireUser(locals), url.searchParams);

/**
 * The plans the user may decide, filtered by the query. The queue is one page (the oldest first);
 * `shown` < `total` tells the page to say that more are waiting beyond it.
 */
export async function _loadApprovals(database: Db, user: SessionUser, params: URLSearchParams, now = new Date()) {
  const filter = parseQueueFilter(params);
  const { rows: queue, total } = await approvalQueue(database, user);
  const names = await userNames(
    database,
    queue.map((p) => p.ownerId),
  );
  const distinct = <T>(values: (T | null)[]) => [...new Set(values.filter((v): v is T => v !== null))].sort();
  return {
    filter,
    facets: {
      tiers: distinct(queue.map((p) => p.tier)),
      industries: distinct(queue.map((p) => p.industry)),
      owners: distinct(queue.map((p) => p.ownerId)),
    },
    total,
    shown: queue.length,
    plans: queue
      .filter((p) => matchesQueueFilter(p, filter, now))
      .map((p) => ({
        ...p,
        createdAt: p.createdAt.toISOString(),
        waitingDays: Math.floor((now.getTime() - p.createdAt.getTime()) / 86_400_000),
      })),
    names: Object.fromEntries(names),
  };
}

export const actions: Actions = {
  decide: async ({ locals, request }) => {
    const user = requireUser(locals);
    const database = await db();
    const form = await request.formData();
    const field = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' ? v.trim() : '';
    };
    const reason = field('reason').slice(0, 2000);
    const refuse = (error: Extract<QueueFormResult, { ok: false }>['error']) =>
      fail(400, { ok: false, error, reason } satisfies QueueFormResult);
    const decision = field('decision');
    if (decision !== 'approve' && decision !== 'reject') return refuse('invalidInput');
    const requested: { accountId: string; planId: number }[] = [];
    for (const value of form.getAll('plan')) {
      // `<accountId>:<planId>`: the decision is about the version the user saw.
      const m = typeof value === 'string' ? /^(.+):(\d+)$/.exec(value) : null;
      if (!m) return refuse('invalidInput');
      requested.push({ accountId: m[1]!, planId: Number(m[2]) });
    }
    if (requested.length === 0) return refuse('nothingSelected');
    if (requested.length > MAX_BULK) return refuse('tooMany');
    if (decision === 'reject' && !reason) return refuse('missingReason');
    if (field('confirm') !== 'yes') return refuse('notConfirmed');
    const approve = decision === 'approve';
    const results = await decidePlans(database, user, requested, { approve, reason }, await temporal());
    return { ok: true, approve, results } satisfies QueueFormResult;
  },
};
