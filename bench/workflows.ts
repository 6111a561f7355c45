/**
 * Workflow benchmark (issue 4): on a local Temporal dev server (temporary SQLite file, free ports)
 * with ONE in-process worker, onboard N accounts (default 2,000) to the `execute` stage (T1/T2
 * plans, which wait for approval, are approved by the bench as soon as they are pending), then run
 * the annual review over them. Prints accounts/s for each, the workflow tasks and activities per
 * account counted in the histories of a sample, and the CPU each account cost the Temporal server,
 * this process (worker and bench) and PostgreSQL: on a shared machine the rates swing with the
 * neighbours, CPU per account much less.
 *
 * Baseline, same run: the same work without Temporal: the same activity functions (engine +
 * repositories, same transactions and audit rows) called directly, in-process, with the same
 * concurrency, on a second database seeded the same way. The ratio is the cost of durability.
 *
 *   npm run bench -- workflows                          # N = 2,000, PostgreSQL
 *   node --import tsx bench/workflows.ts --accounts 300 --db pglite
 *
 * Options: --accounts N, --window W (accounts onboarding at once, default 100), --db postgres|pglite
 * (default postgres when 127.0.0.1:5432 answers), --task-activities (stage activities as activity
 * tasks instead of local activities, the default of `startAccountWorkflows`), --review-window W (accounts the review has in flight; default: the review workflow's own, 200, as scheduled runs),
 * --time-box S (no account is started after S seconds, default 120; the figures are over those
 * started) and --review-time-box S (the review is stopped after S seconds, default 90; the rate is
 * over the accounts reviewed by then; the release of the next cycles gets as long again): the
 * bench stays within ~6 minutes on a slow machine.
 * Through `npm run bench`, give values with `=` (`--accounts=300`): run.ts takes bare words for names. BENCH_DATABASE_URL / TEST_DATABASE_URL name the PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { eq, sql } from 'drizzle-orm';
import { openDatabase, type Database, type Db } from '../db/client.js';
import { generateAccounts } from '../db/demo/generate.js';
import { seedDemo } from '../db/demo/seed.js';
import { migrate } from '../db/migrate.js';
import { deleteAccounts, upsertAccounts } from '../db/repositories/accounts.js';
import { seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { accounts as accountsTable } from '../db/schema.js';
import { profile, type Account } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';
import { startDevServer, type DevServer } from '../scripts/temporal/dev-server.js';
import type { EspActivities } from '../workflows/activities/index.js';
import {
  approvePlan,
  connectClient,
  mapConcurrent,
  reviewProgress,
  startAccountWorkflows,
  startReview,
  type EspClient,
} from '../workflows/client.js';
import { accountWorkflowId, DEFAULT_REVIEW_WINDOW, reviewWorkflowId } from '../workflows/types.js';
import { startWorker, type WorkerHandle } from '../workflows/worker.js';
import {
  cpuPerAccount,
  cpuSample,
  createPgDatabase,
  directActivities,
  type CpuSample,
  fmt,
  loadNote,
  onboardDirect,
  option,
  postgresReachable,
  timing,
} from './support.js';
import { freePort } from '../scripts/ports.js';

const TASK_QUEUE = 'esp-bench';
const SAMPLE = 40;

// ---- databases -------------------------------------------------------------------------------------

interface BenchDatabase extends Database {
  drop(): Promise<void>;
}

async function createDatabase(driver: 'postgres' | 'pglite', scratch: string, label: string): Promise<BenchDatabase> {
  if (driver === 'pglite') {
    const d = await openDatabase({ driver: 'pglite', dataDir: join(scratch, `pglite-${label}`) });
    return { ...d, drop: async () => d.close() };
  }
  const pg = await createPgDatabase();
  const d = await openDatabase({ url: pg.url, max: 10 });
  return {
    ...d,
    drop: async () => {
      await d.close().catch(() => undefined);
      await pg.drop();
    },
  };
}

/**
 * The demo's users and teams, and N demo accounts whose profile is complete enough to be graded
 * (the others would wait in `profile` for data, which is not what this bench measures).
 */
function onboardableAccounts(n: number): Account[] {
  const book = loadRuleBook();
  const out: Account[] = [];
  for (let batch = n; out.length < n; batch *= 2) {
    out.length = 0;
    for (const a of generateAccounts(Math.ceil(batch * 1.5), 5)) {
      if (profile(a, book.forIndustry(a.industry).ruleSet).ready) out.push(a);
      if (out.length === n) break;
    }
  }
  return out;
}

async function seed(db: Db, accounts: readonly Account[]): Promise<void> {
  await migrate(db);
  await seedDefaultRuleSets(db);
  await seedDemo(db, { accounts: 0 }); // users and teams
  await upsertAccounts(db, accounts);
}

// ---- the durable run ---------------------------------------------------------------------------------

interface Counts {
  workflowTasks: number;
  activities: number;
  localActivities: number;
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

async function historyEvents(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

function countsOf(events: readonly HistoryEvent[]): Counts {
  const c: Counts = { workflowTasks: 0, activities: 0, localActivities: 0 };
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) c.workflowTasks++;
    if (e.activityTaskScheduledEventAttributes) c.activities++;
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') c.localActivities++;
  }
  return c;
}

const signalled = (name: string) => (e: HistoryEvent) => e.workflowExecutionSignaledEventAttributes?.signalName === name;

/**
 * An account's first run in three parts: onboarding (up to the `review` signal), the review (up to
 * `startCycle`; the run holds the next cycle until then), and the start of the next cycle (the rest:
 * the continue-as-new, whose new run is counted apart).
 */
function phasesOf(events: readonly HistoryEvent[]): { onboard: HistoryEvent[]; review: HistoryEvent[]; release: HistoryEvent[] } {
  const reviewAt = events.findIndex(signalled('review'));
  const releaseAt = events.findIndex(signalled('startCycle'));
  const r = reviewAt < 0 ? events.length : reviewAt;
  const c = releaseAt < 0 ? events.length : releaseAt;
  return { onboard: events.slice(0, r), review: events.slice(r, c), release: events.slice(c) };
}

interface Latencies {
  /** Per account: start of the workflow to the end of its last onboarding activity. */
  onboardSpan: number[];
  /** Activity tasks' wait in the task queue (scheduled → started), onboarding. */
  onboardQueueWait: number[];
  /** Review signal received → acknowledgement sent. */
  reviewSpan: number[];
  /** The review activity's wait in the task queue. */
  reviewQueueWait: number[];
}

const ms = (e: HistoryEvent): number => {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
};

/** Where an account's time went, from the history of its first run. */
function latencies(events: readonly HistoryEvent[], into: Latencies): void {
  const scheduledAt = new Map<string, number>();
  const reviewAt = events.find(signalled('review'));
  const reviewId = reviewAt ? Number(reviewAt.eventId) : Infinity;
  let lastOnboardActivity = NaN;
  for (const e of events) {
    const id = Number(e.eventId);
    if (e.activityTaskScheduledEventAttributes) scheduledAt.set(String(id), ms(e));
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const wait = ms(e) - (scheduledAt.get(String(Number(started.scheduledEventId))) ?? NaN);
      (id < reviewId ? into.onboardQueueWait : into.reviewQueueWait).push(wait);
    }
    const localActivity = e.markerRecordedEventAttributes?.markerName === 'core_local_activity';
    if ((e.activityTaskCompletedEventAttributes || localActivity) && id < reviewId) lastOnboardActivity = ms(e);
    // The acknowledgement: sent by the review activity (recorded when it completes), or by the
    // workflow itself in runs that do not hold the next cycle.
    if (
      reviewAt &&
      id > reviewId &&
      (localActivity || e.activityTaskCompletedEventAttributes || e.signalExternalWorkflowExecutionInitiatedEventAttributes)
    ) {
      into.reviewSpan.push(ms(e) - ms(reviewAt));
      break;
    }
  }
  if (events[0]) into.onboardSpan.push(lastOnboardActivity - ms(events[0]));
}

const sum = (xs: readonly Counts[]): Counts =>
  xs.reduce(
    (a, b) => ({
      workflowTasks: a.workflowTasks + b.workflowTasks,
      activities: a.activities + b.activities,
      localActivities: a.localActivities + b.localActivities,
    }),
    {
      workflowTasks: 0,
      activities: 0,
      localActivities: 0,
    },
  );

async function countWhere(db: Db, condition: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(accountsTable)
    .where(condition);
  return row?.n ?? 0;
}

interface DurableResult {
  onboarded: number;
  onboardSeconds: number;
  approved: number;
  reviewSeconds: number;
  /** Every account answered its review within the time box. */
  reviewComplete: boolean;
  /** From the last acknowledgement to the run's end: every next cycle released (`startCycle`). */
  releaseSeconds: number | undefined;
  reviewed: { done: number; skipped: number; failed: number; total: number };
  sample: { onboard: number; review: number; released: number };
  onboardPerAccount: Counts;
  reviewPerAccount: Counts;
  reviewWorkflowPerAccount: Counts;
  latencies: Latencies;
  nextCyclePerAccount: Counts;
  /** CPU per account, as `cpuPerAccount` prints it. */
  cpu: { onboard: string; review: string };
}

async function durableRun(
  db: Db,
  ids: readonly string[],
  server: DevServer,
  opts: {
    window: number;
    /** Undefined: the review workflow's default. */
    reviewWindow: number | undefined;
    localActivities: boolean;
    year: number;
    timeBoxS: number;
    reviewTimeBoxS: number;
  },
): Promise<DurableResult> {
  let worker: WorkerHandle | undefined;
  let c: EspClient | undefined;
  try {
    worker = await startWorker({
      address: server.address,
      taskQueue: TASK_QUEUE,
      db,
      env: { ...process.env, TEMPORAL_ADDRESS: server.address },
    });
    c = await connectClient({ address: server.address, taskQueue: TASK_QUEUE });
    const client = c.client;

    // ---- onboarding: a sliding window of accounts between start and `execute` ------------------
    // After the time box no new account is started; the ones started are waited for.
    const approved = new Set<string>();
    const approving = new Set<string>();
    let next = 0;
    let executed = 0;
    let target = ids.length;
    let lastReport = Date.now();
    const t0 = performance.now();
    const cpu0 = cpuSample(server.pid);
    while (executed < target) {
      executed = await countWhere(db, eq(accountsTable.stage, 'execute'));
      if (next < target && performance.now() - t0 > opts.timeBoxS * 1000) target = next;
      const room = opts.window - (next - executed);
      if (next < target && room > 0) {
        const batch = ids.slice(next, next + room);
        next += batch.length;
        const r = await startAccountWorkflows(client, batch, {
          taskQueue: TASK_QUEUE,
          concurrency: 50,
          workflow: { localActivities: opts.localActivities },
        });
        if (r.failed.length) throw new Error(`could not start workflows: ${r.failed[0]!.error}`);
      }
      // T1/T2 plans wait for a manager: approve each as soon as it is pending.
      const pending = await db
        .select({ id: accountsTable.id })
        .from(accountsTable)
        .where(eq(accountsTable.waitingFor, 'plan-approval'));
      for (const { id } of pending) {
        if (approved.has(id) || approving.has(id)) continue;
        approving.add(id);
        approvePlan(client, id, { approve: true, by: 'bench', role: 'admin' })
          .then(() => approved.add(id))
          // The plan activity wrote the row before the workflow took the result: try again later.
          .catch(() => undefined)
          .finally(() => approving.delete(id));
      }
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        process.stderr.write(`    … onboarding: ${executed}/${target} at execute, ${next} started, ${approved.size} approved\n`);
      }
      if (executed < target) await new Promise((r) => setTimeout(r, 100));
    }
    const onboardSeconds = (performance.now() - t0) / 1000;
    const cpuOnboarded = cpuSample(server.pid);
    const onboarded = ids.slice(0, target);
    // Accounts never started (time box) leave the database: the review walks every account.
    const unstarted = ids.slice(target);
    await deleteAccounts(db, unstarted);

    const sample = onboarded.slice(0, Math.min(SAMPLE, onboarded.length));
    const runIds = new Map<string, string>();
    for (const id of sample) runIds.set(id, (await client.workflow.getHandle(accountWorkflowId(id)).describe()).runId);

    // ---- the annual review -------------------------------------------------------------------------
    const t1 = performance.now();
    const cpu1 = cpuSample(server.pid);
    let cpuReviewed: CpuSample | undefined;
    const handle = await startReview(
      client,
      { year: opts.year, ...(opts.reviewWindow ? { window: opts.reviewWindow } : {}) },
      { taskQueue: TASK_QUEUE },
    );
    // Polled: the review's rate is up to its last acknowledgement; releasing the next cycles
    // (`startCycle`, after that) is timed on its own.
    const deadline = t1 + opts.reviewTimeBoxS * 1000;
    let progress = await reviewProgress(handle);
    let reviewedAt: number | undefined;
    for (;;) {
      const now = performance.now();
      if (
        reviewedAt === undefined &&
        progress.total > 0 &&
        progress.done + progress.skipped + progress.failed >= progress.total
      ) {
        reviewedAt = now;
        cpuReviewed = cpuSample(server.pid);
      }
      // The release (startCycle to every account) gets a time box of its own.
      const limit = reviewedAt === undefined ? deadline : reviewedAt + opts.reviewTimeBoxS * 1000;
      if (progress.status === 'completed' || now > limit) break;
      // Once a second: a query is a task on the review workflow, competing with its own work.
      await new Promise((r) => setTimeout(r, 1000));
      progress = await reviewProgress(handle);
    }
    const completedAt = progress.status === 'completed' ? performance.now() : undefined;
    const reviewSeconds = ((reviewedAt ?? performance.now()) - t1) / 1000;
    const releaseSeconds = reviewedAt !== undefined && completedAt !== undefined ? (completedAt - reviewedAt) / 1000 : undefined;
    if (completedAt === undefined) await handle.terminate('bench time box').catch(() => undefined);

    // The sample's first runs, split at the `review` and `startCycle` signals; the review's share
    // only from accounts already reviewed (acknowledged) when the review ended or was stopped.
    const firstRuns = await Promise.all(sample.map((id) => historyEvents(client, accountWorkflowId(id), runIds.get(id))));
    const phases = firstRuns.map(phasesOf);
    const reviewed = phases.filter((p) => {
      const c = countsOf(p.review);
      return c.localActivities + c.activities > 0;
    });
    const per = (x: Counts, k: number): Counts => ({
      workflowTasks: x.workflowTasks / Math.max(1, k),
      activities: x.activities / Math.max(1, k),
      localActivities: x.localActivities / Math.max(1, k),
    });
    // The next cycle so far: the rest of the first run, and the run it continued as.
    const nextRuns = await Promise.all(
      sample.map(async (id) => {
        const latest = await client.workflow.getHandle(accountWorkflowId(id)).describe();
        return latest.runId === runIds.get(id) ? [] : historyEvents(client, accountWorkflowId(id), latest.runId);
      }),
    );
    const released = phases.flatMap((p, i) => (p.release.length > 0 ? [[...p.release, ...nextRuns[i]!]] : []));
    const lat: Latencies = { onboardSpan: [], onboardQueueWait: [], reviewSpan: [], reviewQueueWait: [] };
    for (const events of firstRuns) latencies(events, lat);
    const reviewRuns: Counts[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${reviewWorkflowId(opts.year)}'` })) {
      reviewRuns.push(countsOf(await historyEvents(client, wf.workflowId, wf.runId)));
    }
    const reviewedCount = progress.done + progress.skipped + progress.failed;
    return {
      onboarded: onboarded.length,
      onboardSeconds,
      approved: approved.size,
      reviewSeconds,
      reviewComplete: reviewedAt !== undefined,
      releaseSeconds,
      reviewed: { done: progress.done, skipped: progress.skipped, failed: progress.failed, total: progress.total },
      sample: { onboard: sample.length, review: reviewed.length, released: released.length },
      onboardPerAccount: per(sum(phases.map((p) => countsOf(p.onboard))), sample.length),
      reviewPerAccount: per(sum(reviewed.map((p) => countsOf(p.review))), reviewed.length),
      reviewWorkflowPerAccount: per(sum(reviewRuns), reviewedCount),
      latencies: lat,
      nextCyclePerAccount: per(sum(released.map(countsOf)), released.length),
      cpu: {
        onboard: cpuPerAccount(cpu0, cpuOnboarded, onboarded.length, 'worker'),
        review: cpuPerAccount(cpu1, cpuReviewed ?? cpuSample(server.pid), reviewedCount, 'worker'),
      },
    };
  } finally {
    await c?.close();
    // The accounts' next cycle is running now; the worker finishes its tasks and stops.
    await worker?.shutdown();
  }
}

// ---- the same work without Temporal ----------------------------------------------------------------

interface DirectResult {
  onboardSeconds: number;
  approved: number;
  reviewSeconds: number;
  reviewed: number;
  cpu: { onboard: string; review: string };
}

async function directRun(db: Db, ids: readonly string[], opts: { concurrency: number; year: number }): Promise<DirectResult> {
  const d = directActivities(db);
  const { acts, call } = d;
  const asOf = new Date().toISOString().slice(0, 10);
  const t0 = performance.now();
  const cpu0 = cpuSample();
  const onboarded = await onboardDirect(d, ids, { concurrency: opts.concurrency, year: opts.year, asOf });
  const onboardSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const cpu1 = cpuSample();
  const reviewRunId = `direct-review:${opts.year}`;
  await call('review', acts.startReviewRun, { reviewRunId, year: opts.year });
  let reviewed = 0;
  let cursor = null as Parameters<EspActivities['reviewAccountsPage']>[0]['cursor'];
  for (;;) {
    const page = await call('review', acts.reviewAccountsPage, { reviewRunId, cursor, limit: 200 });
    await mapConcurrent(page.items, opts.concurrency, async (item) => {
      const s = onboarded.get(item.id);
      await call(accountWorkflowId(item.id), acts.reviewStage, {
        accountId: item.id,
        cycleYear: opts.year,
        asOf,
        quotaCutoffs: item.cutoffs,
        reviewYear: opts.year,
        reviewRunId,
        rankedTier: item.rankedTier,
        before: s?.snapshot ?? null,
        planId: s?.planId ?? null,
        opportunityIds: [],
      });
      reviewed++;
    });
    if (!page.next) break;
    cursor = page.next;
  }
  await call('review', acts.finishReviewRun, { reviewRunId, failed: 0 });
  const approved = [...onboarded.values()].filter((o) => o.approved).length;
  const reviewSeconds = (performance.now() - t1) / 1000;
  const cpu2 = cpuSample();
  return {
    onboardSeconds,
    approved,
    reviewSeconds,
    reviewed,
    cpu: {
      onboard: cpuPerAccount(cpu0, cpu1, ids.length, 'activities'),
      review: cpuPerAccount(cpu1, cpu2, reviewed, 'activities'),
    },
  };
}

// ---- the run -------------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const n = Number(option('accounts') ?? 2000);
  const window = Number(option('window') ?? 100);
  const reviewWindowOption = option('review-window');
  const reviewWindow = reviewWindowOption === undefined ? undefined : Number(reviewWindowOption);
  const timeBoxS = Number(option('time-box') ?? 120);
  const reviewTimeBoxS = Number(option('review-time-box') ?? 90);
  const localActivities = option('task-activities') !== 'true';
  const wantedDb = option('db');
  const driver: 'postgres' | 'pglite' =
    wantedDb === 'pglite' ? 'pglite' : wantedDb === 'postgres' || (await postgresReachable()) ? 'postgres' : 'pglite';
  const year = new Date().getUTCFullYear();
  console.log(
    `workflows: onboard ${fmt(n)} accounts to execute, then the annual review; dev server (SQLite, temp) + one worker, ${driver === 'postgres' ? 'PostgreSQL' : 'PGlite'}` +
      (localActivities ? ', stage activities as local activities' : ', stage activities as activity tasks') +
      ` (${await loadNote()})`,
  );
  try {
    // The SDK core's warnings ("workflow task took more than 5 s" when local activities run on a
    // loaded machine) would drown the figures; errors still show.
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Already installed by another bench in this process.
  }

  const scratch = mkdtempSync(join(tmpdir(), 'esp-bench-wf-'));
  const databases: BenchDatabase[] = [];
  let server: DevServer | undefined;
  try {
    const accounts = onboardableAccounts(n);
    const ids = accounts.map((a) => a.id);
    const durableDb = await createDatabase(driver, scratch, 'durable');
    databases.push(durableDb);
    const directDb = await createDatabase(driver, scratch, 'direct');
    databases.push(directDb);
    const ts = performance.now();
    await seed(durableDb.db, accounts);
    await seed(directDb.db, accounts);
    console.log(
      `  seeded ${fmt(n)} accounts (complete profiles) into two databases in ${((performance.now() - ts) / 1000).toFixed(1)} s`,
    );

    server = await startDevServer({ dataDir: scratch, port: await freePort(), uiPort: await freePort(), reuseExisting: false });
    const durable = await durableRun(durableDb.db, ids, server, {
      window,
      reviewWindow,
      localActivities,
      year,
      timeBoxS,
      reviewTimeBoxS,
    });
    await server.stop();
    server = undefined;
    // The same accounts (those onboarded within the time box), the same work, without Temporal.
    const onboardedIds = ids.slice(0, durable.onboarded);
    const unstarted = ids.slice(durable.onboarded);
    await deleteAccounts(directDb.db, unstarted);
    const direct = await directRun(directDb.db, onboardedIds, { concurrency: 20, year });

    const k = durable.onboarded;
    const reviewedCount = durable.reviewed.done + durable.reviewed.skipped + durable.reviewed.failed;
    const onboardRate = k / durable.onboardSeconds;
    const reviewRate = reviewedCount / durable.reviewSeconds;
    const directOnboard = k / direct.onboardSeconds;
    const directReview = direct.reviewed / direct.reviewSeconds;
    const c = (x: Counts) =>
      `${x.workflowTasks.toFixed(1)} workflow tasks, ${x.activities.toFixed(1)} activities${x.localActivities ? ` + ${x.localActivities.toFixed(1)} local activities` : ''}`;
    if (k < n)
      console.log(
        `  time box: ${fmt(k)} of ${fmt(n)} accounts started within ${timeBoxS} s (--time-box); the figures are over those ${fmt(k)}`,
      );
    console.log(
      `  onboarding   ${fmt(onboardRate, 1).padStart(7)} accounts/s durable (${fmt(k)} in ${durable.onboardSeconds.toFixed(1)} s, window ${window}, ${durable.approved} T1/T2 plans approved on the way)`,
    );
    console.log(
      `               ${fmt(directOnboard, 1).padStart(7)} accounts/s direct  (${direct.onboardSeconds.toFixed(1)} s: the same activities called in-process, 20 at a time, no Temporal)   durable / direct: ${(onboardRate / directOnboard).toFixed(2)}x`,
    );
    console.log(
      `  review       ${fmt(reviewRate, 1).padStart(7)} accounts/s durable (${fmt(reviewedCount)} of ${fmt(durable.reviewed.total)} in ${durable.reviewSeconds.toFixed(1)} s${durable.reviewComplete ? '' : `, stopped at the ${reviewTimeBoxS} s time box`}; window ${reviewWindow ?? `${DEFAULT_REVIEW_WINDOW} (the default)`}; done ${durable.reviewed.done}, skipped ${durable.reviewed.skipped}, failed ${durable.reviewed.failed})`,
    );
    console.log(
      `               then every next cycle released (startCycle) in ${durable.releaseSeconds === undefined ? `n/a (not within the ${reviewTimeBoxS} s time box)` : `${durable.releaseSeconds.toFixed(1)} s`}; the next cycles' stages run after that, at the onboarding rate`,
    );
    console.log(
      `               ${fmt(directReview, 1).padStart(7)} accounts/s direct  (${direct.reviewed} reviews in ${direct.reviewSeconds.toFixed(1)} s)   durable / direct: ${(reviewRate / directReview).toFixed(2)}x`,
    );
    console.log(
      `  per account (histories of ${durable.sample.onboard} accounts; review: the ${durable.sample.review} of them reviewed):`,
    );
    console.log(`    onboarding: ${c(durable.onboardPerAccount)}`);
    console.log(
      `    review:     ${c(durable.reviewPerAccount)} in the account workflow, + ${c(durable.reviewWorkflowPerAccount)} of the review workflow`,
    );
    console.log(
      `    next cycle: ${c(durable.nextCyclePerAccount)} run by the ${durable.sample.released} released when the review run ended (startCycle, once every account is reviewed; then continue-as-new)`,
    );
    const L = durable.latencies;
    const t = (xs: number[]) => {
      const x = timing(xs.filter((v) => Number.isFinite(v)));
      if (x.n === 0) return 'n/a (local activities: no task queue)';
      return `p50 ${(x.p50 / 1000).toFixed(1)} s, p95 ${(x.p95 / 1000).toFixed(1)} s`;
    };
    console.log(`  CPU per account (/proc; steadier than the rates on a shared machine):`);
    console.log(`    onboarding: durable ${durable.cpu.onboard}; direct ${direct.cpu.onboard}`);
    console.log(`    review:     durable ${durable.cpu.review}; direct ${direct.cpu.review}`);
    console.log(`  where the time goes (same sample):`);
    console.log(
      `    onboarding: workflow start -> last onboarding activity done ${t(L.onboardSpan)}; an activity waits in the task queue ${t(L.onboardQueueWait)}`,
    );
    console.log(
      `    review:     review signal -> review written and acknowledged ${t(L.reviewSpan)}; the review activity waits in the task queue ${t(L.reviewQueueWait)}`,
    );
    console.log(
      `  targets: onboarding >= 25 accounts/s ${onboardRate >= 25 ? 'met' : 'MISSED'}; review >= 50 accounts/s ${reviewRate >= 50 ? 'met' : 'MISSED'}`,
    );
  } finally {
    await server?.stop().catch(() => undefined);
    for (const d of databases) await d.drop().catch((e: unknown) => console.error(`  cleanup: ${(e as Error).message}`));
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
  process.exit(0);
}
