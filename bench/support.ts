/** What the import, workflow and studio benchmarks share: options, statistics, databases, data. */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Db } from '../db/client.js';
import { Rng } from '../db/demo/prng.js';
import { decideAccount, STAGES, type Account, type Stage } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';
import { createActivities, type EspActivities } from '../workflows/activities/index.js';
import { mapConcurrent } from '../workflows/client.js';
import { accountWorkflowId, type Snapshot, type StageInput } from '../workflows/types.js';

export const ADMIN_URL =
  process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** `--name value` or `--name=value` from the command line (`npm run bench -- x --name=value`). */
export function option(name: string): string | undefined {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : 'true';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export function numberOption(name: string, fallback: number): number {
  const v = option(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not "${v}"`);
  return n;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Timing {
  p50: number;
  p95: number;
  max: number;
  mean: number;
  n: number;
}

export function timing(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
    n: sorted.length,
  };
}

/** Runs `fn` over `inputs` one at a time (after `warmup` unmeasured runs); milliseconds each. */
export async function timeEach<T>(inputs: readonly T[], fn: (input: T) => Promise<unknown>, warmup = 3): Promise<Timing> {
  for (const x of inputs.slice(0, warmup)) await fn(x);
  const samples: number[] = [];
  for (const x of inputs) {
    const t0 = performance.now();
    await fn(x);
    samples.push(performance.now() - t0);
  }
  return timing(samples);
}

/** How busy the machine is: the figures of a shared 2-core machine vary with it. */
export async function loadNote(): Promise<string> {
  const { loadavg, cpus } = await import('node:os');
  return `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
}

/** CPU seconds used so far: this process, the Temporal dev server, and every PostgreSQL process. */
export interface CpuSample {
  self: number;
  temporal: number | undefined;
  postgres: number | undefined;
}

/** Linux's clock ticks per second (`getconf CLK_TCK`), which every Linux this runs on sets to 100. */
const CLOCK_TICKS = 100;

/** utime + stime, and with `children` cutime + cstime: what exited children used (PostgreSQL's backends). */
function procCpuSeconds(stat: string, children = false): number {
  // The command name (2nd field) may hold spaces: the fields after its closing parenthesis count.
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) / CLOCK_TICKS;
}

/**
 * Wall-clock rates on a shared machine swing with its neighbours; CPU time per account does much
 * less, so the workflows bench prints both. Reads /proc: `undefined` where there is none.
 */
export function cpuSample(temporalPid?: number): CpuSample {
  const { user, system } = process.cpuUsage();
  const self = (user + system) / 1e6;
  if (!existsSync('/proc/self/stat')) return { self, temporal: undefined, postgres: undefined };
  let temporal: number | undefined;
  let pg = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (Number(pid) === temporalPid) temporal = procCpuSeconds(stat);
    else if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) pg += procCpuSeconds(stat, true);
  }
  return { self, temporal, postgres: pg };
}

/** CPU milliseconds per account between two samples, e.g. `temporal 14.2 + worker 11.0 + PostgreSQL 3.1 = 28.3 ms`. */
export function cpuPerAccount(from: CpuSample, to: CpuSample, accounts: number, selfName: string): string {
  const part = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : ((b - a) * 1000) / Math.max(1, accounts);
  const parts: [string, number | undefined][] = [
    ['temporal', part(from.temporal, to.temporal)],
    [selfName, part(from.self, to.self)],
    ['PostgreSQL', part(from.postgres, to.postgres)],
  ];
  const known = parts.filter((p): p is [string, number] => p[1] !== undefined);
  const total = known.reduce((a, [, v]) => a + v, 0);
  return `${known.map(([n, v]) => `${n} ${v.toFixed(1)}`).join(' + ')} = ${total.toFixed(1)} ms`;
}

// ---- PostgreSQL --------------------------------------------------------------------------------

export interface PgDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh `esp_bench_<random>` database on the server; `drop()` removes it. */
export async function createPgDatabase(): Promise<PgDatabase> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const name = `esp_bench_${randomBytes(5).toString('hex')}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}); start it (\`.ci/run\` does) or set BENCH_DATABASE_URL`,
    );
  }
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export async function postgresReachable(): Promise<boolean> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await admin.end({ timeout: 1 }).catch(() => {});
  }
}

// ---- computed columns (what the workflows write) -----------------------------------------------

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1]![0];
}

export { weighted };

const STAGE_WEIGHTS: (readonly [Stage, number])[] = (
  [
    ['execute', 55],
    ['plan', 12],
    ['monitor', 8],
    ['profile', 6],
    ['coverage', 4],
    ['grade', 3],
    ['classify', 3],
    ['relationship', 3],
    ['review', 6],
  ] as const
).filter(([s]) => (STAGES as readonly string[]).includes(s));
const HEALTH_WEIGHTS = [
  ['green', 60],
  ['amber', 28],
  ['red', 12],
] as const;

export interface Computed {
  id: string;
  score: number;
  tier: string;
  class: string;
  strategy: string;
  closeness: number;
  stage: string;
  health: string | null;
  waitingFor: string | null;
}

/**
 * The columns the workflows fill in, for accounts that were imported rather than run: tier, class,
 * strategy, score and closeness from the engine (default rules); the stage, health and wait drawn
 * as a running portfolio would have them (mostly executing).
 */
export function computeColumns(accounts: readonly Account[]): Computed[] {
  const book = loadRuleBook();
  const rng = new Rng(99);
  return accounts.map((a) => {
    const d = decideAccount(a, book.forIndustry(a.industry));
    const stage = weighted(rng, STAGE_WEIGHTS);
    const waitingFor =
      stage === 'execute' ? 'next-monitor' : stage === 'plan' && (d.tier === 'T1' || d.tier === 'T2') ? 'plan-approval' : null;
    return {
      id: a.id,
      score: d.score,
      tier: d.tier,
      class: d.class,
      strategy: d.strategy,
      closeness: d.closeness,
      stage,
      health: stage === 'execute' || stage === 'monitor' ? weighted(rng, HEALTH_WEIGHTS) : null,
      waitingFor,
    };
  });
}

export async function writeComputed(db: Db, rows: readonly Computed[]): Promise<void> {
  // One JSON parameter per batch: far cheaper to send and parse than thousands of bind parameters.
  for (let i = 0; i < rows.length; i += 10_000) {
    const batch = JSON.stringify(rows.slice(i, i + 10_000));
    await db.execute(sql`
      update accounts as a set score = v.score, tier = v.tier, class = v.class, strategy = v.strategy,
        closeness = v.closeness, stage = v.stage, health = v.health, waiting_for = v."waitingFor"
      from json_to_recordset(${batch}::json) as v(id text, score double precision, tier text, class text, strategy text,
        closeness double precision, stage text, health text, "waitingFor" text)
      where a.id = v.id`);
  }
  await db.execute(sql`analyze accounts`);
}

// ---- the activities without Temporal ----------------------------------------------------------

export interface DirectActivities {
  acts: EspActivities;
  /** Runs an activity function as Temporal would: inside an activity context (the idempotency key needs it). */
  call<A, R>(workflowId: string, fn: (input: A) => Promise<R>, input: A): Promise<R>;
}

export function directActivities(db: Db): DirectActivities {
  const acts = createActivities({ db });
  let activity = 0;
  return {
    acts,
    call: <A, R>(workflowId: string, fn: (input: A) => Promise<R>, input: A): Promise<R> =>
      new MockActivityEnvironment({
        workflowExecution: { workflowId, runId: 'direct' },
        activityId: String(++activity),
      } as never).run(fn as never, input as never) as Promise<R>,
  };
}

export interface Onboarded {
  snapshot: Snapshot;
  planId: number | null;
  approved: boolean;
}

/**
 * What an account workflow does from profile to execute, as direct activity calls (the same
 * activities as the workflow): the stages with their audit rows, a plan (approved when it needs approval) and the start of execution.
 */
export async function onboardDirect(
  d: DirectActivities,
  ids: readonly string[],
  opts: { concurrency: number; year: number; asOf?: string },
): Promise<Map<string, Onboarded>> {
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  const out = new Map<string, Onboarded>();
  const { acts, call } = d;
  await mapConcurrent(ids, opts.concurrency, async (accountId) => {
    const wf = accountWorkflowId(accountId);
    const input: StageInput = { accountId, cycleYear: opts.year, asOf, quotaCutoffs: null };
    const { assess } = await call(wf, acts.profileAndAssess, input);
    if (!assess) return;
    const { coverage } = assess;
    const { plan, execution } = await call(wf, acts.planAndStart, input);
    if (!execution) {
      await call(wf, acts.decidePlan, { accountId, planId: plan.plan.id, approve: true, by: 'bench' });
      await call(wf, acts.startExecution, { ...input, planId: plan.plan.id });
    }
    out.set(accountId, { snapshot: coverage.snapshot, planId: plan.plan.id, approved: !execution });
  });
  return out;
}
