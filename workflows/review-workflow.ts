/**
 * The annual review (`review:<year>`, or started by the schedule): walks every account with a
 * bounded window of `review` signals to the account workflows (never thousands at once: the SQLite
 * dev server stalls near 1,000 concurrent workflows), waits for their acknowledgements, and keeps
 * its progress in a query and in the review_runs table. Once every account is reviewed it tells
 * them to start their next cycle (`startCycle`, page by page): the spec's "over all accounts …
 * then the next year's cycle starts", and the review's window is not slowed by the next cycles'
 * stages. Continues as new between pages so a run over 100k accounts keeps a short history.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { EspActivities } from './activities/index.js';
import { accountReviewedSignal, accountsReviewedSignal, progressQuery, reviewSignal } from './messages.js';
import {
  accountWorkflowId,
  DEFAULT_REVIEW_WINDOW,
  type ReviewAck,
  type ReviewCarried,
  type ReviewFailure,
  type ReviewPageItem,
  type ReviewProgress,
  type ReviewRequest,
  type ReviewWorkflowInput,
} from './types.js';

const MAX_FAILURES_KEPT = 50;
const MAX_HISTORY_EVENTS = 10_000;
/** Signals in flight at once while releasing the next cycles (the server caps pending signals at 2,000). */
const RELEASE_PAGE = 200;

const acts = proxyActivities<EspActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

function msOf(duration: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|seconds?|m|minutes?|h|hours?)\s*$/i.exec(duration);
  if (!m) throw new Error(`unsupported duration "${duration}"`);
  const unit = m[2]!.toLowerCase();
  const factor =
    unit.startsWith('ms') || unit.startsWith('milli')
      ? 1
      : unit.startsWith('s')
        ? 1000
        : unit.startsWith('m')
          ? 60_000
          : 3_600_000;
  return Number(m[1]) * factor;
}

/** A scheduled run has fixed arguments: it reviews the year that ended last (January–June), else its own. */
export function defaultReviewYear(now: Date): number {
  return now.getUTCMonth() < 6 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
}

export async function reviewWorkflow(input: ReviewWorkflowInput = {}): Promise<ReviewProgress> {
  const info = workflowInfo();
  const year = input.year ?? defaultReviewYear(new Date(Date.now()));
  // Runs from before this patch let each account start its next cycle right after its review.
  const releases = patched('review-releases-next-cycles');
  // With that patch the review's own cost per account is small enough for a wider default window;
  // with 'review-window-200' wider still: each account's share of a signalling activity, an
  // acknowledgement batch and a review workflow task shrinks with the window, and 200 is far below
  // the ~1,000 concurrent workflows where the SQLite dev server stalls (measured: workflows/README.md).
  const window = Math.max(1, input.window ?? (releases ? (patched('review-window-200') ? DEFAULT_REVIEW_WINDOW : 100) : 50));
  const refill = Math.max(1, Math.floor(window / 2));
  const pageSize = Math.max(1, input.pageSize ?? 200);
  const ackTimeoutMs = msOf(input.ackTimeout ?? '30 minutes');

  let c: ReviewCarried | null = input.carried ?? null;
  let status: ReviewProgress['status'] = c ? 'running' : 'starting';

  const progress = (): ReviewProgress => ({
    year,
    reviewRunId: c?.reviewRunId ?? null,
    status,
    total: c?.total ?? 0,
    done: c?.done ?? 0,
    skipped: c?.skipped ?? 0,
    failed: c?.failed ?? 0,
    inFlight: c ? Object.keys(c.inFlight).length : 0,
    released: c?.release?.released ?? 0,
    failures: c?.failures ?? [],
  });
  setHandler(progressQuery, progress);

  if (!c) {
    const reviewRunId = `${info.workflowId}:${info.firstExecutionRunId}`;
    const { total } = await acts.startReviewRun({ reviewRunId, year });
    c = {
      reviewRunId,
      total,
      done: 0,
      skipped: 0,
      failed: 0,
      cursor: null,
      exhausted: false,
      inFlight: {},
      failures: [],
      startedAt: new Date(Date.now()).toISOString(),
    };
  }
  const carried = c;
  status = 'running';

  function fail(accountId: string, error: string): void {
    carried.failed++;
    carried.failures = [...carried.failures, { accountId, error } satisfies ReviewFailure].slice(-MAX_FAILURES_KEPT);
  }
  // Registered once the run's state exists; the SDK buffers signals that arrive before.
  function acknowledged(ack: ReviewAck): void {
    // An acknowledgement after its timeout was already counted as a failure.
    if (!(ack.accountId in carried.inFlight)) return;
    delete carried.inFlight[ack.accountId];
    if (!ack.ok) fail(ack.accountId, ack.error ?? 'review failed');
    else if (ack.skipped) carried.skipped++;
    else carried.done++;
  }
  setHandler(accountReviewedSignal, acknowledged);
  setHandler(accountsReviewedSignal, (acks: ReviewAck[]) => acks.forEach(acknowledged));

  const sending = new Set<Promise<void>>();
  let failuresRecorded = carried.failed;

  function expireOverdue(): void {
    const now = Date.now();
    for (const [accountId, sentAt] of Object.entries(carried.inFlight)) {
      if (Date.parse(sentAt) + ackTimeoutMs <= now) {
        delete carried.inFlight[accountId];
        fail(accountId, `no acknowledgement within ${input.ackTimeout ?? '30 minutes'}`);
      }
    }
  }

  /**
   * Since the patch: one timer at a time for the oldest acknowledgement's deadline, rather than a
   * timer started and cancelled for every acknowledgement (two events and two commands each, on a
   * workflow whose task rate bounds the whole review).
   */
  let expiring = false;
  async function expireLoop(): Promise<void> {
    for (;;) {
      await condition(() => Object.keys(carried.inFlight).length > 0);
      const oldest = Math.min(...Object.values(carried.inFlight).map((t) => Date.parse(t)));
      await sleep(Math.max(1, oldest + ackTimeoutMs - Date.now()));
      expireOverdue();
    }
  }

  /** Waits until fewer than `limit` accounts are in flight, expiring those that never answer. */
  async function inFlightBelow(limit: number): Promise<void> {
    if (releases) {
      if (!expiring) {
        expiring = true;
        void expireLoop();
      }
      await condition(() => Object.keys(carried.inFlight).length < limit);
      return;
    }
    while (Object.keys(carried.inFlight).length >= limit) {
      const oldest = Math.min(...Object.values(carried.inFlight).map((t) => Date.parse(t)));
      const freed = await condition(
        () => Object.keys(carried.inFlight).length < limit,
        Math.max(1, oldest + ackTimeoutMs - Date.now()),
      );
      if (!freed) expireOverdue();
    }
  }

  const requestFor = (item: ReviewPageItem): ReviewRequest => ({
    year,
    reviewRunId: carried.reviewRunId,
    replyTo: info.workflowId,
    rankedTier: item.rankedTier,
    cutoffs: item.cutoffs,
    ...(releases ? { holdNextCycle: true } : {}),
  });

  /** Since the patch: a batch of `review` signals sent by one activity (`signalAccounts`). */
  function sendBatch(items: readonly ReviewPageItem[]): void {
    const sentAt = new Date(Date.now()).toISOString();
    for (const item of items) carried.inFlight[item.id] = sentAt;
    const notAnswering = (accountId: string, why: string) => {
      if (accountId in carried.inFlight) {
        delete carried.inFlight[accountId];
        fail(accountId, why);
      }
    };
    const p = acts
      .signalAccounts({
        signal: 'review',
        year,
        accounts: items.map((item) => ({ accountId: item.id, request: requestFor(item) })),
      })
      .then(({ notRunning }) => {
        for (const f of notRunning) notAnswering(f.accountId, `no running account workflow: ${f.error}`);
      })
      .catch((error: unknown) => {
        for (const item of items) notAnswering(item.id, `could not be signalled: ${(error as Error).message}`);
      })
      .finally(() => {
        sending.delete(p);
      });
    sending.add(p);
  }

  function send(item: ReviewPageItem): void {
    carried.inFlight[item.id] = new Date(Date.now()).toISOString();
    const p = getExternalWorkflowHandle(accountWorkflowId(item.id))
      .signal(reviewSignal, requestFor(item))
      .catch((error: unknown) => {
        // No running account workflow (never started, or terminated): nothing will answer.
        if (item.id in carried.inFlight) {
          delete carried.inFlight[item.id];
          fail(item.id, `no running account workflow: ${(error as Error).message}`);
        }
      })
      .finally(() => {
        sending.delete(p);
      });
    sending.add(p);
  }

  async function recordFailures(): Promise<void> {
    if (carried.failed === failuresRecorded) return;
    failuresRecorded = carried.failed;
    await acts.recordReviewFailures({ reviewRunId: carried.reviewRunId, failed: carried.failed });
  }

  /**
   * Tells every account, in the review's order and a page at a time, to start its next cycle. An
   * account without a running workflow (or not held) is skipped: the signal changes nothing there.
   */
  async function releaseNextCycles(): Promise<void> {
    const release = (carried.release ??= { cursor: null, exhausted: false, released: 0 });
    while (!release.exhausted) {
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof reviewWorkflow>({ ...input, year, carried });
      }
      const page = await acts.reviewAccountsPage({
        reviewRunId: carried.reviewRunId,
        cursor: release.cursor,
        limit: RELEASE_PAGE,
      });
      await acts.signalAccounts({ signal: 'startCycle', year, accounts: page.items.map((item) => ({ accountId: item.id })) });
      release.released += page.items.length;
      release.cursor = page.next;
      release.exhausted = page.next === null;
    }
  }

  let page: ReviewPageItem[] = [];
  for (;;) {
    if (page.length === 0) {
      if (carried.exhausted) break;
      await recordFailures();
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
        // Every signal sent so far is settled, so `inFlight` is exactly who still owes an answer.
        await Promise.allSettled([...sending]);
        await condition(allHandlersFinished);
        await continueAsNew<typeof reviewWorkflow>({ ...input, year, carried });
      }
      const next = await acts.reviewAccountsPage({ reviewRunId: carried.reviewRunId, cursor: carried.cursor, limit: pageSize });
      page = next.items;
      carried.cursor = next.next;
      if (next.next === null) carried.exhausted = true;
      continue;
    }
    if (releases) {
      // Refilled half a window at a time, so each signalling activity carries a real batch.
      await inFlightBelow(window - refill + 1);
      sendBatch(page.splice(0, window - Object.keys(carried.inFlight).length));
      continue;
    }
    await inFlightBelow(window);
    while (page.length > 0 && Object.keys(carried.inFlight).length < window) send(page.shift()!);
  }

  if (!carried.finished) {
    await Promise.allSettled([...sending]);
    await inFlightBelow(1);
    const final = await acts.finishReviewRun({ reviewRunId: carried.reviewRunId, failed: carried.failed });
    failuresRecorded = final.failed;
    if (releases) carried.finished = true;
  }
  if (releases) await releaseNextCycles();
  status = 'completed';
  await condition(allHandlersFinished);
  return progress();
}
