/**
 * `npm start` (after scripts/ensure-setup.mjs has installed what was missing): the Temporal dev
 * server as a child process, and in this one process the database (migrated, rule sets published,
 * the demo seeded on first run), the worker, a workflow for every account, the review schedule and
 * the studio. Ctrl-C (SIGINT/SIGTERM) stops it all; the next `npm start` resumes every workflow.
 * See scripts/start/run.ts for the steps and scripts/start/config.ts for the environment.
 */
import { ConfigError } from './start/config.js';
import { createLog } from './start/progress.js';
import { banner, start, StartError, Stopped, type Running } from './start/run.js';

const log = createLog();
let stopRequested: string | undefined;
let running: Running | undefined;
let stopping: Promise<void> | undefined;

async function shutdown(reason: string, code: number): Promise<never> {
  stopping ??= (async () => {
    log.step(`${reason}: stopping the studio, the worker (running tasks finish), the database and the Temporal dev server…`);
    const started = Date.now();
    await running?.stop();
    log.step(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  })();
  await stopping;
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  if (stopRequested) {
    // A second Ctrl-C: do not wait any longer (the dev server child is killed on exit).
    log.warn(`${signal} again: exiting without waiting (the data is not lost; PGlite recovers on the next start)`);
    process.exit(code);
  }
  stopRequested = signal;
  if (running) void shutdown(signal, code);
  else log.step(`${signal}: stopping once the current step is done (Ctrl-C again to exit at once)…`);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  running = await start({ log, stopRequested: () => stopRequested !== undefined });
  if (stopRequested) await shutdown(stopRequested, stopRequested === 'SIGINT' ? 130 : 143);
  process.stdout.write(await banner(running));
  // The worker ending by itself (not through stop()) is a crash: stop the rest too.
  void running.workerDone.then(() => {
    if (!stopping) void shutdown('the worker stopped', 1);
  });
} catch (error) {
  if (error instanceof Stopped) {
    log.step('stopped');
    process.exit(stopRequested === 'SIGTERM' ? 143 : 130);
  }
  const known = error instanceof StartError || error instanceof ConfigError;
  process.stderr.write(`\nnpm start failed: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
}
