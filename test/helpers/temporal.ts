/**
 * Shared pieces of the workflow tests: a seeded account, a worker on a test environment, and
 * polling a workflow's state until a condition holds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import { upsertAccounts } from '../../db/repositories/accounts.js';
import type { Db } from '../../db/client.js';
import { accountSchema, type AccountInput } from '../../engine/index.js';
import type { ActivityDeps } from '../../workflows/activities/index.js';
import { accountState } from '../../workflows/client.js';
import { refusalOf } from '../../workflows/refusals.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import type { AccountState } from '../../workflows/types.js';
import { startWorker, type WorkerHandle } from '../../workflows/worker.js';

/**
 * A manufacturing account that grades T1 (score 81.5), class A, strategy retain, on the
 * major-project track: its plans need approval.
 */
export function keyAccount(overrides: Partial<AccountInput> = {}): AccountInput {
  return {
    id: 'acme',
    name: 'Acme Manufacturing',
    industry: 'manufacturing',
    region: 'East',
    status: 'active',
    ownerId: 'u-alice',
    employees: 5000,
    companyRevenue: 2_000_000_000,
    revenueWithUs: 12_000_000,
    potential: 60_000_000,
    demonstration: 70,
    winnability: 70,
    contacts: [
      {
        id: 'c1',
        name: 'Chief Executive',
        influence: 5,
        stance: 2,
        interactions90d: 6,
        decisionRole: 'decision-maker',
        competitorStances: { rival: 0 },
      },
      { id: 'c2', name: 'Chief Information Officer', influence: 4, stance: 1, interactions90d: 4, reportsTo: 'c1' },
      { id: 'c3', name: 'Purchasing Manager', influence: 3, stance: 0, interactions90d: 2, reportsTo: 'c2' },
    ],
    competitors: [{ id: 'rival', name: 'Rival Corp', share: 0.3 }],
    ...overrides,
  };
}

/** A cycle's audit rows per stage, up to its plan, when each stage was decided once. */
export const EACH_STAGE_ONCE_TO_PLAN = { profile: 1, grade: 1, classify: 1, relationship: 1, coverage: 1, plan: 1 } as const;

export async function seedAccount(db: Db, input: AccountInput = keyAccount()): Promise<string> {
  const account = accountSchema.parse(input);
  await upsertAccounts(db, [account]);
  return account.id;
}

/**
 * The time-skipping server rejects upserts of unknown search attributes and does not implement
 * listing them, so they are added blindly (the dev server registers them at start).
 */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const keyword = 2; // IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((n) => [n, keyword])),
  });
}

// Workers log every state change and the bundler's output at INFO: the tests keep warnings only.
// Installed on import, before a test environment or worker creates the default runtime.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this process; that logger stays.
}

export async function startTestWorker(
  connection: NativeConnection,
  db: Db,
  taskQueue: string,
  activities: Omit<ActivityDeps, 'db'> = {},
  namespace = 'default',
): Promise<WorkerHandle> {
  return startWorker({ connection, db, taskQueue, namespace, activities, worker: { shutdownGraceTime: '2 seconds' } });
}

export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}` +
          (lastError ? `; last error: ${(lastError as Error).message}` : ''),
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function untilState(
  client: Client,
  accountId: string,
  what: string,
  ok: (s: AccountState) => boolean,
  timeoutMs?: number,
): Promise<AccountState> {
  return until(what, () => accountState(client, accountId), ok, timeoutMs);
}

const HistoryProto = temporal.api.history.v1.History;

/** The recorded histories, which the replay test replays. */
export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * The files a recording (`RECORD_HISTORIES=1`: workflows/record-histories.ts) writes, one per
 * scenario run. Each is a committed history, so that once a new recording is saved under new
 * names, `git checkout` restores these paths (workflows/README.md).
 */
export const RECORDED_HISTORIES = [
  'account-year',
  'account-year-two',
  'review',
  'account-plan-revision',
  'account-review-pending-plan',
  'account-review-pending-plan-two',
] as const;

/** When recording (`RECORD_HISTORIES=1`), saves the history of `handle`'s run as recording `name`. */
export async function recordHistory(name: (typeof RECORDED_HISTORIES)[number], handle: WorkflowHandle): Promise<void> {
  if (!process.env['RECORD_HISTORIES']) return;
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), historyFileText(handle.workflowId, await handle.fetchHistory()));
}

/**
 * A recorded history as a JSON file: protobuf's object form (enums and 64-bit numbers as strings,
 * payload bytes in base64) plus the workflow id, which histories do not carry and the workflows
 * use. (The SDK's `historyToJSON` trips over two protobufjs copies under vitest.)
 */
export function historyFileText(workflowId: string, history: temporal.api.history.v1.IHistory): string {
  const object = HistoryProto.toObject(HistoryProto.fromObject(history), { longs: String, enums: String, bytes: String });
  return JSON.stringify({ workflowId, history: object }) + '\n';
}

export function historyFromFileText(text: string): { workflowId: string; history: temporal.api.history.v1.History } {
  const { workflowId, history } = JSON.parse(text) as { workflowId: string; history: Record<string, unknown> };
  return { workflowId, history: HistoryProto.fromObject(history) };
}

/**
 * How a workflow failed, read from its history once it has. (`handle.result()` on the time-skipping
 * server lets time run while it waits, up to other workflows' ten-year execution timeouts.)
 */
export async function failureOf(client: Client, workflowId: string): Promise<{ type: string | null; message: string }> {
  const handle = client.workflow.getHandle(workflowId);
  await until(
    'the workflow to fail',
    () => handle.describe(),
    (d) => d.status.name === 'FAILED',
  );
  const history = await handle.fetchHistory();
  const failure = history.events!.at(-1)!.workflowExecutionFailedEventAttributes!.failure!;
  return { type: failure.applicationFailureInfo?.type ?? null, message: failure.message ?? '' };
}

/** The refusal code a workflow update or signal-with-check was refused with; fails when it was accepted. */
export async function refusalCode(p: Promise<unknown>): Promise<string | undefined> {
  const error = await p.then(
    () => {
      throw new Error('expected a refusal, but the workflow accepted it');
    },
    (e: unknown) => e,
  );
  return refusalOf(error)?.code;
}
