/**
 * `npm start`, step by step, in ONE Node process:
 *
 *   Temporal dev server (child process; reused when one already listens on the port)
 *   this process: the shared database handle (PGlite or PostgreSQL) ── migrations, rule sets, seed
 *                 the Temporal worker (in-process, same handle)
 *                 the studio's HTTP server (adapter-node handler, same handle)
 *
 * PGlite can be opened by one process only, hence one process for all of them; with
 * DATABASE_URL the same layout works, and more workers (`npm run worker`) may run elsewhere.
 * `stop()` undoes what was started, in reverse order.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Database } from '../../db/client.js';
import { DEMO_PASSWORD, demoUsers } from '../../db/demo/generate.js';
import { hasNoAccounts, seedDemo } from '../../db/demo/seed.js';
import { countAccounts, listAccountIds } from '../../db/repositories/accounts.js';
import { seedDefaultRuleSets } from '../../db/repositories/rule-sets.js';
import { getUserByEmail } from '../../db/repositories/users.js';
import { DatabaseLockedError, lockPath, sharedDatabase } from '../../db/shared.js';
import {
  connectClient,
  mapConcurrent,
  notifyAccountUpdated,
  startAccountWorkflows,
  type EspClient,
} from '../../workflows/client.js';
import { temporalSettings } from '../../workflows/connection.js';
import { catchUpLine } from '../../workflows/catch-up.js';
import { applyReviewSchedule, reviewScheduleFromRules, type AppliedSchedule } from '../../workflows/schedule.js';
import { startWorker, workflowBundle, type WorkerHandle } from '../../workflows/worker.js';
import { findTemporalCli, PROJECT_ROOT, TemporalBinaryNotFoundError } from '../temporal/binaries.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { readConfig, shown, type StartConfig } from './config.js';
import { canListen, portIsOpen } from '../ports.js';
import type { Log } from './progress.js';
import { ensureStudioBuild, PortInUseError, serveStudio, studioBuildExists, type StudioServer } from './studio.js';

/** An error whose message says it all: printed without a stack trace. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

export class Stopped extends Error {
  override readonly name = 'Stopped';
  constructor() {
    super('stopped before the start finished');
  }
}

export interface Running {
  config: StartConfig;
  studioUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  database: Database;
  /** `orphaned`: running workflows whose account is not in this database (told to end). */
  workflows: { running: number; started: number; failed: number; orphaned: number };
  schedule: AppliedSchedule | undefined;
  /** Settles when the worker stops by itself (a crash): the caller shuts everything down. */
  workerDone: Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  log: Log;
  /** Checked between steps: a Ctrl-C during the start stops after the current step. */
  stopRequested?: () => boolean;
}

/** Account ids whose workflow is running, from Temporal's visibility store. */
async function runningAccountIds(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'accountWorkflow' AND ExecutionStatus = 'Running'` })) {
    if (wf.workflowId.startsWith('account:')) ids.add(wf.workflowId.slice('account:'.length));
  }
  return ids;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export async function start(opts: StartOptions): Promise<Running> {
  const env = opts.env ?? process.env;
  const log = opts.log;
  const config = readConfig(env);
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const checkpoint = (): void => {
    if (opts.stopRequested?.()) throw new Stopped();
  };
  const stopAll = async (): Promise<void> => {
    while (closers.length > 0) {
      const { name, close } = closers.pop()!;
      try {
        await close();
      } catch (error) {
        log.warn(`stopping ${name}: ${(error as Error).message}`);
      }
    }
  };

  try {
    // ---- 0. the environment the in-process parts read ----------------------------------------
    if (config.pgliteDir) env['PGLITE_DATA_DIR'] = config.pgliteDir;
    if (!(await canListen(config.studioHost, config.studioPort)))
      throw new PortInUseError(config.studioPort, 'PORT', 'the studio');

    // ---- 1. the studio build (before anything runs: it takes the CPU for a while) -------------
    if (config.buildStudio) {
      try {
        const b = await ensureStudioBuild({ onBuild: (why) => log.step(`building the studio (${why}); this takes a minute…`) });
        if (b.built) log.step(`studio built in ${b.seconds.toFixed(0)} s`);
      } catch (error) {
        const message = (error as Error).message.split('\n').slice(0, 12).join('\n');
        if (!studioBuildExists()) throw new StartError(message);
        log.warn(`${message}\nserving the previous build of the studio instead`);
      }
    }
    checkpoint();

    // The workflow bundle (webpack, several seconds) is built meanwhile; startWorker() reuses it.
    workflowBundle().catch(() => undefined);

    // ---- 2. Temporal ---------------------------------------------------------------------------
    let temporalAddress: string;
    let temporalUiUrl: string | undefined;
    if (config.externalTemporal) {
      temporalAddress = config.externalTemporal;
      log.step(`using the Temporal server at ${temporalAddress} (TEMPORAL_ADDRESS)`);
    } else {
      const host = config.temporalHost;
      const busy = await portIsOpen(host, config.temporalPort);
      if (!busy && !(await canListen(host, config.temporalUiPort)))
        throw new PortInUseError(config.temporalUiPort, 'TEMPORAL_UI_PORT', 'the Temporal web UI');
      if (!busy) {
        await mkdir(config.dataDir, { recursive: true });
        // Two dev servers on one SQLite file (another npm start on other ports) would corrupt it.
        const release = lockPath(
          path.join(config.dataDir, 'temporal.db'),
          `the Temporal dev server database ${shown(path.join(config.dataDir, 'temporal.db'))}`,
          'Stop that `npm start` first, or give this one another ESP_DATA_DIR.',
        );
        closers.push({ name: 'the Temporal database lock', close: async () => release() });
      }
      log.step(
        busy
          ? `something already listens on ${host}:${config.temporalPort}: using it as the Temporal server (a dev server left running?)`
          : `starting the Temporal dev server on ${host}:${config.temporalPort} (db ${shown(`${config.dataDir}/temporal.db`)})…`,
      );
      let server: DevServer;
      try {
        server = await startDevServer({
          dataDir: config.dataDir,
          ip: host,
          port: config.temporalPort,
          uiPort: config.temporalUiPort,
          namespace: temporalSettings(env).namespace,
        });
      } catch (error) {
        if (error instanceof TemporalBinaryNotFoundError) throw new StartError(error.message);
        const message = (error as Error).message;
        throw new StartError(/does not answer as a Temporal server/.test(message) ? `${message} (TEMPORAL_PORT)` : message);
      }
      closers.push({ name: 'the Temporal dev server', close: () => server.stop() });
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
      if (!server.reused) log.step(`Temporal dev server running (pid ${server.pid ?? '?'})`);
    }
    // The worker, the client and the studio's Temporal client all read TEMPORAL_ADDRESS.
    env['TEMPORAL_ADDRESS'] = temporalAddress;
    checkpoint();

    // ---- 3. the database -------------------------------------------------------------------------
    let database: Database;
    try {
      database = await sharedDatabase();
    } catch (error) {
      if (error instanceof DatabaseLockedError) throw new StartError(error.message);
      const cause = (error as { cause?: Error }).cause;
      throw new StartError(
        `cannot open and migrate the database${config.pgliteDir ? ` ${shown(config.pgliteDir)}` : ''}: ${cause?.message ?? (error as Error).message}`,
      );
    }
    closers.push({ name: 'the database', close: () => database.close() });
    log.step(
      `database ${database.driver === 'pglite' ? `PGlite ${shown(database.location)}` : `PostgreSQL ${database.location}`}: migrated`,
    );
    const db = database.db;
    const published = await seedDefaultRuleSets(db);
    if (published.length > 0) log.step(`published the default rule sets of ${published.join(', ')}`);
    if (await hasNoAccounts(db)) {
      if (config.demoAccounts > 0) {
        const p = log.progress('seeding the demo accounts');
        const r = await seedDemo(db, {
          accounts: config.demoAccounts,
          seed: config.demoSeed,
          today: today(),
          batchSize: 50,
          onProgress: (done, total) => p.update(done, total),
        });
        p.done(
          `seeded the demo: ${r.accounts} accounts, ${r.contacts} contacts, ${r.visits} visits, ${r.opportunities} opportunities, ${r.users} users, ${r.teams} teams`,
        );
      } else {
        log.step('no accounts and ESP_DEMO_ACCOUNTS=0: nothing seeded (import some with `npx esp import accounts <file>`)');
      }
    }
    checkpoint();

    // ---- 4. the worker -----------------------------------------------------------------------------
    log.step('starting the worker…');
    let worker: WorkerHandle;
    try {
      worker = await startWorker({
        db,
        env,
        worker: { shutdownGraceTime: '5 seconds', shutdownForceTime: '20 seconds' },
        // Accounts whose workflows missed a publish or an edit (Temporal was down) are told again.
        catchUp: { onReport: (kind, r) => (r.reachable ? log.step(catchUpLine(kind, r)) : log.warn(catchUpLine(kind, r))) },
      });
    } catch (error) {
      throw new StartError(`the worker did not start: ${(error as Error).message}`);
    }
    closers.push({ name: 'the worker', close: () => worker.shutdown() });
    const workerDone = worker.running.then(
      () => undefined,
      (error: unknown) => {
        log.warn(`the worker stopped: ${(error as Error).message}`);
      },
    );
    log.step(`worker polling task queue "${worker.taskQueue}" in namespace "${worker.namespace}"`);
    checkpoint();

    // ---- 5. a workflow for every account -------------------------------------------------------
    let client: EspClient;
    try {
      client = await connectClient({ env });
    } catch (error) {
      throw new StartError(`cannot reach Temporal at ${temporalAddress}: ${(error as Error).message}`);
    }
    closers.push({ name: 'the Temporal client', close: () => client.close() });
    const ids = await listAccountIds(db);
    const running = await runningAccountIds(client.client);
    const missing = ids.filter((id) => !running.has(id));
    // Workflows of accounts this database does not have (deleted, or another DATABASE_URL than the
    // one `.data/temporal.db` was run with): told to look, they find their account gone and end.
    const known = new Set(ids);
    const orphans = [...running].filter((id) => !known.has(id));
    if (orphans.length > 0) {
      await mapConcurrent(orphans, config.startConcurrency, (id) => notifyAccountUpdated(client.client, id).catch(() => false));
      log.warn(
        `${orphans.length} running account workflow(s) have no account in this database (e.g. ${orphans.slice(0, 3).join(', ')}): ` +
          `they end with AccountNotFound and show in the portfolio's "failed or stuck" list`,
      );
    }
    let started = 0;
    let alsoRunning = 0;
    const failures: { accountId: string; error: string }[] = [];
    if (missing.length > 0) {
      const p = log.progress('starting account workflows');
      const r = await startAccountWorkflows(client.client, missing, {
        taskQueue: client.taskQueue,
        concurrency: config.startConcurrency,
        onProgress: (done, total) => p.update(done, total),
      });
      started = r.started.length;
      alsoRunning = r.existing.length;
      failures.push(...r.failed);
      p.done(
        `account workflows: ${r.started.length} started, ${ids.length - missing.length + r.existing.length} already running` +
          (r.failed.length ? `, ${r.failed.length} FAILED to start` : ''),
      );
      for (const f of r.failed.slice(0, 5)) log.warn(`workflow of account ${f.accountId}: ${f.error}`);
    } else {
      log.step(`account workflows: all ${ids.length} already running`);
    }
    checkpoint();

    // ---- 6. the annual review's schedule ----------------------------------------------------------
    let schedule: AppliedSchedule | undefined;
    try {
      schedule = await applyReviewSchedule(client.client, {
        ...(await reviewScheduleFromRules(db)),
        taskQueue: client.taskQueue,
      });
      log.step(`review schedule ${schedule.scheduleId}: ${schedule.action}`);
    } catch (error) {
      log.warn(`the review schedule was not applied: ${(error as Error).message} (retry with \`npx esp schedule apply\`)`);
    }
    checkpoint();

    // ---- 7. the studio ---------------------------------------------------------------------------
    let studio: StudioServer;
    try {
      studio = await serveStudio({ host: config.studioHost, port: config.studioPort, origin: config.origin });
    } catch (error) {
      if (error instanceof PortInUseError) throw error;
      throw new StartError(`the studio did not start: ${(error as Error).message}`);
    }
    closers.push({ name: 'the studio', close: () => studio.close() });

    return {
      config,
      studioUrl: studio.url,
      temporalAddress,
      temporalUiUrl,
      database,
      workflows: {
        running: ids.length - missing.length + alsoRunning + started,
        started,
        failed: failures.length,
        orphaned: orphans.length,
      },
      schedule,
      workerDone,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    if (error instanceof PortInUseError || error instanceof DatabaseLockedError) throw new StartError(error.message);
    throw error;
  }
}

/** The "ready" banner: URLs, the demo users, what to do next. */
export async function banner(r: Running): Promise<string> {
  const db = r.database.db;
  const settings = temporalSettings();
  const accounts = await countAccounts(db);
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(13)}${value}`);
  };
  lines.push('', `ESP+ Studio is ready: ${r.studioUrl}`, '');
  row('Studio', r.studioUrl);
  row('Temporal UI', r.temporalUiUrl ?? '(the UI of the server at TEMPORAL_ADDRESS)');
  row('Temporal', `${r.temporalAddress}, namespace "${settings.namespace}", task queue "${settings.taskQueue}"`);
  row('Database', r.database.driver === 'pglite' ? `PGlite ${shown(r.database.location)}` : `PostgreSQL ${r.database.location}`);
  row(
    'Workflows',
    `${accounts.toLocaleString('en-US')} accounts, ${r.workflows.running.toLocaleString('en-US')} workflows running` +
      (r.workflows.started ? ` (${r.workflows.started} started now)` : '') +
      (r.workflows.failed ? `, ${r.workflows.failed} failed to start` : ''),
  );
  if (r.schedule) {
    const s = r.schedule.spec;
    const next = r.schedule.nextRuns[0];
    row(
      'Review',
      `every ${String(s.month).padStart(2, '0')}-${String(s.day).padStart(2, '0')} ${String(s.hour).padStart(2, '0')}:00 ${s.timezone}` +
        (next ? `, next ${next.toISOString().slice(0, 10)}` : ''),
    );
  }

  const users: string[] = [];
  for (const u of demoUsers()) {
    const found = await getUserByEmail(db, u.email);
    if (!found) continue;
    const owned = await countAccounts(db, { ownerId: found.id });
    users.push(
      `  ${found.email.padEnd(24)} ${found.role.padEnd(8)} ${found.name}${found.role === 'manager' ? `, owns ${owned} account${owned === 1 ? '' : 's'}` : ''}`,
    );
  }
  lines.push('');
  if (users.length > 0) lines.push(`Demo users (password "${DEMO_PASSWORD}"):`, ...users);
  else
    lines.push('No demo users in this database (it had accounts before the first `npm start`); `npx esp demo seed` adds them.');

  let temporal = 'temporal';
  try {
    const cli = await findTemporalCli({ install: false });
    temporal = cli.startsWith(PROJECT_ROOT) ? shown(cli) : 'temporal';
  } catch {
    // Not installed: the plain name still shows the command.
  }
  const address =
    r.temporalAddress === 'localhost:7233' || r.temporalAddress === '127.0.0.1:7233' ? '' : ` --address ${r.temporalAddress}`;
  const envPrefix = r.temporalAddress === 'localhost:7233' ? '' : `TEMPORAL_ADDRESS=${r.temporalAddress} `;
  const year = new Date().getUTCFullYear();
  lines.push(
    '',
    'Next:',
    `  sign in at ${r.studioUrl} as ${demoUsers()[0]!.email} (admin) or a manager`,
    `  list accounts by stage and tier:  ${temporal} workflow list${address} --query 'EspStage="plan" AND EspTier="T1"'`,
    `  one account's workflow state:     ${envPrefix}npx esp workflows state <accountId>`,
    `  run the annual review now:        ${envPrefix}npx esp review run --year ${year}`,
  );
  if (r.database.driver === 'pglite')
    lines.push(
      '  (PGlite is one process: stop npm start before `npx esp` commands that use the database, such as',
      '   `esp rules`, `esp import`, `esp export`; or set DATABASE_URL to use PostgreSQL and run more workers',
      '   with `npm run worker`)',
    );
  else lines.push(`  more workers, on any machine:      DATABASE_URL=… ${envPrefix}npm run worker`);
  lines.push('', 'Ctrl-C stops everything; the next `npm start` resumes every workflow where it was.', '');
  return lines.join('\n');
}
