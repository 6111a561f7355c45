/**
 * The account workflows on a real Temporal dev server (persistent SQLite file, non-default ports)
 * with workers in child processes (`npm run worker`'s entry point) on PostgreSQL:
 * - a worker killed mid-stage is replaced by another: no stage lost, none run twice;
 * - the dev server stopped and started again on its file: the workflows go on;
 * - the stock `temporal` CLI lists accounts by search attribute and queries their state;
 * - `esp rules publish` moves waiting and executing accounts to the new version, and a publish
 *   and an import while the dev server is down are caught up by the workers once it is back.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli, PROJECT_ROOT } from '../scripts/temporal/binaries.js';
import { startDevServer, type DevServer } from '../scripts/temporal/dev-server.js';
import { accountsBehindEdits } from '../db/repositories/account-edit-versions.js';
import { getDocument } from '../db/repositories/rule-sets.js';
import { accountState, approvePlan, startAccountWorkflows } from '../workflows/client.js';
import { applyReviewSchedule } from '../workflows/schedule.js';
import type { AccountState } from '../workflows/types.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import { keyAccount, seedAccount, until } from './helpers/temporal.js';
import { stageResultCounts } from '../db/repositories/stage-results.js';
import { freePort } from './helpers/ports.js';

const run = promisify(execFile);
const TASK_QUEUE = 'esp-devserver';
const KEY_ACCOUNTS = ['dev-a', 'dev-b'];
const SMALL = 'dev-small';
const ALL = [...KEY_ACCOUNTS, SMALL];

let scratch: string;
let t: TestDatabase;
let server: DevServer;
let port: number;
let uiPort: number;
let cli: string;
let connection: Connection;
let client: Client;
const workers: { child: ChildProcess; log: string[] }[] = [];

/** `npm run worker` (the compiled worker, with the prebuilt workflow bundle) as its own process, slowed so a test can kill it in the middle of a stage. */
function startWorkerProcess(): { child: ChildProcess; log: string[] } {
  const log: string[] = [];
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist/workflows/worker.js')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      ESP_TASK_QUEUE: TASK_QUEUE,
      DATABASE_URL: t.url!,
      ESP_ACTIVITY_DELAY_MS: '600',
      // The catch-up, every 2 s instead of 5 minutes.
      ESP_RULES_CATCH_UP_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const entry = { child, log };
  workers.push(entry);
  return entry;
}

/** The `esp` CLI as a user runs it, against this test's Temporal and database. */
async function esp(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'dist/cli/bin.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, ESP_TASK_QUEUE: TASK_QUEUE, DATABASE_URL: t.url! },
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function connect(): Promise<void> {
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
}

function states(): Promise<AccountState[]> {
  return Promise.all(ALL.map((id) => accountState(client, id)));
}

const settled = (s: AccountState) => (s.accountId === SMALL ? s.waitingFor === 'next-monitor' : s.waitingFor === 'plan-approval');

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'esp-devserver-'));
  [port, uiPort, cli, t] = await Promise.all([freePort(), freePort(), findTemporalCli(), openTestDatabase('postgres')]);
  server = await startDevServer({ dataDir: scratch, port, uiPort, cliPath: cli, reuseExisting: false });
  await connect();
  for (const id of KEY_ACCOUNTS) await seedAccount(t.db, keyAccount({ id, name: `Key account ${id}` }));
  await seedAccount(
    t.db,
    keyAccount({
      id: SMALL,
      name: 'Small account',
      revenueWithUs: 300_000,
      potential: 2_000_000,
      demonstration: 30,
      winnability: 30,
    }),
  );
});

afterAll(async () => {
  for (const w of workers) {
    w.child.kill('SIGKILL');
    await exited(w.child);
  }
  await connection?.close();
  await server?.stop();
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('account workflows on the dev server', () => {
  it('survive a killed worker and a server restart; the stock CLI lists and queries them', { timeout: 150_000 }, async () => {
    // ---- a worker dies in the middle of the stages ----------------------------------------------
    const first = startWorkerProcess();
    const started = await startAccountWorkflows(client, ALL, {
      taskQueue: TASK_QUEUE,
      // The default mode (local activities): a killed worker's stages re-run on the next one.
      workflow: { activityTimeout: '3 seconds', localActivities: true },
    });
    expect(started).toMatchObject({ started: ALL, existing: [], failed: [] });
    expect(await startAccountWorkflows(client, ALL, { taskQueue: TASK_QUEUE })).toMatchObject({ started: [], existing: ALL });
    // A start the server refuses says why, not only the client's "Failed to start Workflow".
    const tooLong = 'x'.repeat(1_000);
    expect((await startAccountWorkflows(client, [tooLong], { taskQueue: TASK_QUEUE })).failed).toEqual([
      {
        accountId: tooLong,
        error: expect.stringMatching(/^Failed to start Workflow: 3 INVALID_ARGUMENT: WorkflowId exceeds maximum allowed length/),
      },
    ]);

    // Each stage takes 0.6 s: once two stages are done for an account, the third is running.
    await until(
      'a stage or two done',
      () => stageResultCounts(t.db, KEY_ACCOUNTS[0]!),
      (c) => Object.values(c).reduce((a, b) => a + b, 0) >= 2,
      60_000,
      100,
    );
    first.child.kill('SIGKILL');
    await exited(first.child);
    const done = await Promise.all(ALL.map((id) => stageResultCounts(t.db, id)));
    expect(done.some((c) => (c['plan'] ?? 0) === 0)).toBe(true);

    startWorkerProcess();
    const after = await until('every account at its wait', states, (all) => all.every(settled), 60_000, 250);
    for (const s of after) {
      const stages = [
        'profile',
        'grade',
        'classify',
        'relationship',
        'coverage',
        'plan',
        // A plan without approval starts at once, with its first monitor.
        ...(s.accountId === SMALL ? ['execute', 'monitor'] : []),
      ];
      expect(
        s.history.map((h) => h.stage),
        s.accountId,
      ).toEqual(stages);
      expect(await stageResultCounts(t.db, s.accountId), s.accountId).toEqual(
        Object.fromEntries(stages.map((stage) => [stage, 1])),
      );
    }

    // ---- the dev server restarts on its file ----------------------------------------------------
    await connection.close();
    await server.stop();
    server = await startDevServer({ dataDir: scratch, port, uiPort, cliPath: cli, reuseExisting: false });
    await connect();
    expect(await approvePlan(client, KEY_ACCOUNTS[0]!, { approve: true, by: 'u-boss', role: 'manager' })).toMatchObject({
      status: 'approved',
    });
    const executing = await until(
      'execution after the restart',
      () => accountState(client, KEY_ACCOUNTS[0]!),
      (s) => s.waitingFor === 'next-monitor',
      30_000,
      250,
    );
    expect(executing.history.map((h) => h.stage).slice(-3)).toEqual(['plan', 'execute', 'monitor']);

    // ---- the stock CLI ------------------------------------------------------------------------
    const address = ['--address', server.address, '--namespace', 'default'];
    const listed = await until(
      'the visibility store to catch up',
      async () => {
        const { stdout } = await run(cli, [
          'workflow',
          'list',
          ...address,
          '--query',
          `EspStage="plan" AND EspTier="T1"`,
          '--output',
          'json',
        ]);
        return (JSON.parse(stdout || '[]') as { execution: { workflowId: string } }[]).map((w) => w.execution.workflowId).sort();
      },
      (ids) => ids.length === 1,
      20_000,
      500,
    );
    expect(listed).toEqual([`account:${KEY_ACCOUNTS[1]}`]);
    const { stdout: executingList } = await run(cli, [
      'workflow',
      'list',
      ...address,
      '--query',
      `EspStage="execute"`,
      '--output',
      'json',
    ]);
    expect(executingList).toContain(`account:${KEY_ACCOUNTS[0]}`);
    const { stdout: queried } = await run(cli, [
      'workflow',
      'query',
      ...address,
      '--workflow-id',
      `account:${KEY_ACCOUNTS[1]}`,
      '--name',
      'state',
      '--output',
      'json',
    ]);
    expect(queried).toMatch(/"waitingFor":\s*"plan-approval"/);

    // ---- the schedule and the review, through `esp` ------------------------------------------------
    const applied = await esp('schedule', 'apply');
    expect(applied.stdout).toMatch(/schedule esp-annual-review created: every year on 01-15 at 02:00 UTC/);
    expect((await applyReviewSchedule(client, { month: 1, day: 15, taskQueue: TASK_QUEUE })).action).toBe('unchanged');
    const moved = await applyReviewSchedule(client, { month: 2, day: 1, taskQueue: TASK_QUEUE });
    expect(moved).toMatchObject({ action: 'updated', spec: { month: 2, day: 1 } });
    expect(moved.nextRuns[0]!.toISOString()).toMatch(/-02-01T02:00:00/);

    const year = executing.cycleYear;
    const reviewed = await esp('review', 'run', '--year', String(year));
    expect(reviewed.stdout).toMatch(new RegExp(`completed: 3/3 \\(done 3, skipped 0, failed 0`));
    const next = await until(
      'the next cycle',
      states,
      (all) => all.every((s) => s.cycleYear === year + 1 && settled(s)),
      60_000,
      250,
    );
    expect(next.map((s) => s.previousCycles.map((c) => c.year))).toEqual([[year], [year], [year]]);
    const shown = await esp('workflows', 'state', KEY_ACCOUNTS[0]!);
    expect(shown.stdout).toMatch(new RegExp(`account    ${KEY_ACCOUNTS[0]} \\(cycle ${year + 1}, run 2\\)`));
  });

  it(
    'esp rules publish moves waiting and executing accounts; a publish and an import while Temporal is down are caught up',
    { timeout: 150_000 },
    async () => {
      const file = path.join(scratch, 'manufacturing.json');
      await writeFile(file, JSON.stringify((await getDocument(t.db, 'manufacturing', 'published')).document));
      const onVersion = (version: number) =>
        until(
          `every account on manufacturing v${version}`,
          states,
          (all) => all.every((s) => s.ruleSet?.version === version && settled(s)),
          60_000,
          250,
        );

      const told = await esp('rules', 'publish', 'manufacturing', '--file', file, '--comment', 'told at once');
      const version = Number(/version (\d+)/.exec(told.stdout)![1]);
      expect(told.stdout).toContain('told 3 of 3 account workflows');
      const moved = await onVersion(version);
      // One waiting for its plan's approval, one executing: both on the new version.
      expect(moved.map((s) => s.waitingFor).sort()).toEqual(['next-monitor', 'plan-approval', 'plan-approval']);

      // ---- published while the dev server is down ---------------------------------------------------
      await connection.close();
      await server.stop();
      const missed = await esp('rules', 'publish', 'manufacturing', '--file', file, '--comment', 'Temporal is down');
      expect(missed.stderr).toContain('the account workflows were NOT told');
      // An import while Temporal is down: committed with its audit row, its workflow not told.
      const edited = path.join(scratch, 'small.csv');
      await writeFile(edited, `id,name,potential\n${SMALL},Small account,2500000\n`);
      const imported = await esp('import', 'accounts', edited);
      expect(imported.stdout).toContain('Temporal is not reachable');
      expect(await accountsBehindEdits(t.db)).toMatchObject([{ accountId: SMALL, fields: ['potential'] }]);
      server = await startDevServer({ dataDir: scratch, port, uiPort, cliPath: cli, reuseExisting: false });
      await connect();
      await onVersion(version + 1);
      // The workers' catch-up told the edited account too, and its workflow read the new version.
      await until(
        'the edit caught up',
        () => accountsBehindEdits(t.db),
        (behind) => behind.length === 0,
        60_000,
        250,
      );
      expect(workers.flatMap((w) => w.log).join('')).toMatch(
        /edits catch-up: 1 of 1 accounts changed since their workflow last read them told again/,
      );
    },
  );
});
