/**
 * The ESP+ worker: runs the account and review workflows and their activities.
 *
 *   npm run worker          # (the compiled dist/workflows/worker.js) TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ESP_TASK_QUEUE, TLS: see connection.ts
 *
 * Any number of workers may run on any machines against the same Temporal namespace and
 * database. `ESP_HANDOFF_URL` turns on the hand-off POSTs; `ESP_ACTIVITY_DELAY_MS` slows every
 * stage activity (tests only: it gives a test time to kill a worker mid-stage).
 */
import { existsSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { openDatabase, type Db } from '../db/client.js';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { temporalSettings } from './connection.js';
import { catchUpLine, startCatchUp, type CatchUpOptions } from './catch-up.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./index.ts', import.meta.url));
/** Written by `npm run build` (scripts/build.mjs) beside the compiled worker, dist/workflows/. */
const PREBUILT_BUNDLE = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));

let bundle: Promise<WorkflowBundleOption> | undefined;

/**
 * The workflows for `Worker.create`. The compiled worker loads the bundle prebuilt at build time
 * (`{ codePath }`, Temporal's production setup: no webpack at start). From the sources (tsx: tests,
 * development) there is none beside this file, so the sources are bundled, once per process
 * (webpack takes seconds), and shared by every worker.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  if (existsSync(PREBUILT_BUNDLE)) return Promise.resolve({ codePath: PREBUILT_BUNDLE });
  // The runtime's logger, so an embedding process (a test) that quiets the SDK quiets webpack too.
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: Runtime.instance().logger }).then((b) => ({
    code: b.code,
  }));
  bundle.catch(() => {
    bundle = undefined;
  });
  return bundle;
}

export interface StartWorkerOptions {
  /** An open connection (e.g. a test environment's `nativeConnection`); else one from the environment. */
  connection?: NativeConnection;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** The database; else `openDatabase()` (PGlite under .data/, or DATABASE_URL), closed on shutdown. */
  db?: Db;
  /** Activity dependencies other than `db` (rules loader, clock, hand-off target, test delay). */
  activities?: Omit<ActivityDeps, 'db'>;
  /** Passed through to `Worker.create` (concurrency, cache size, identity…). */
  worker?: Partial<
    Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities' | 'workflowBundle' | 'workflowsPath'>
  >;
  env?: NodeJS.ProcessEnv;
  /**
   * Run the catch-up beside the worker (at start, then periodically): accounts whose workflows
   * missed a publish or an edit are told again. `npm run worker` and `npm start` turn it on.
   */
  catchUp?: Omit<CatchUpOptions, 'env'>;
}

export interface WorkerHandle {
  worker: Worker;
  taskQueue: string;
  namespace: string;
  /** Settles when the worker has stopped (rejects if it crashed). */
  running: Promise<void>;
  /** Stops polling, lets running tasks finish, then closes what this call opened. */
  shutdown(): Promise<void>;
}

export function activityDepsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<ActivityDeps, 'db'> {
  const url = env['ESP_HANDOFF_URL'];
  const delay = Number(env['ESP_ACTIVITY_DELAY_MS'] ?? 0);
  return {
    handoff: url ? { url } : null,
    ...(Number.isFinite(delay) && delay > 0 ? { delayMs: delay } : {}),
  };
}

export async function startWorker(opts: StartWorkerOptions = {}): Promise<WorkerHandle> {
  const env = opts.env ?? process.env;
  const settings = temporalSettings(env);
  const closers: (() => Promise<void>)[] = [];
  try {
    let connection = opts.connection;
    if (!connection) {
      connection = await NativeConnection.connect({
        address: opts.address ?? settings.address,
        tls: settings.tls,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      });
      const opened = connection;
      closers.push(() => opened.close());
    }
    let db = opts.db;
    if (!db) {
      const database = await openDatabase();
      db = database.db;
      closers.push(() => database.close());
    }
    const taskQueue = opts.taskQueue ?? settings.taskQueue;
    const namespace = opts.namespace ?? settings.namespace;
    const worker = await Worker.create({
      ...opts.worker,
      connection,
      namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ ...activityDepsFromEnv(env), ...opts.activities, db }),
    });
    const running = worker.run();
    if (opts.catchUp) {
      const catchUp = startCatchUp(db, { ...opts.catchUp, env });
      closers.push(() => catchUp.stop());
    }
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    let stopping: Promise<void> | undefined;
    const shutdown = (): Promise<void> =>
      (stopping ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await settled;
        for (const close of closers.reverse()) await close().catch(() => undefined);
      })());
    return { worker, taskQueue, namespace, running, shutdown };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function main(): Promise<void> {
  const every = Number(process.env['ESP_RULES_CATCH_UP_MS']);
  const handle = await startWorker({
    catchUp: {
      ...(Number.isFinite(every) && every > 0 ? { everyMs: every } : {}),
      onReport: (kind, r) => console.log(catchUpLine(kind, r)),
    },
  });
  const settings = temporalSettings();
  console.log(`ESP+ worker polling task queue "${handle.taskQueue}" in namespace "${handle.namespace}" at ${settings.address}`);
  const stop = (signal: string): void => {
    console.log(`${signal}: finishing running tasks, then stopping`);
    void handle.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await handle.running;
  await handle.shutdown();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
