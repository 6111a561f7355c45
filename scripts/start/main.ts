/**
 * The `npm start` process itself (scripts/start.ts launches it in its own process group): the
 * Temporal dev server as a child process, and in this one process the database (migrated, rule
 * sets published, the demo seeded on first run), the worker, a workflow for every account, the
 * review schedule and the studio. SIGINT/SIGTERM (forwarded once by scripts/start.ts) stops it
 * all in order; the next `npm start` resumes every workflow. Runs on its own too:
 * `node dist/scripts/start/main.js`, or from the sources `node --import tsx scripts/start/main.ts`.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError } from './config.js';
import { createLog } from './progress.js';
import { banner, start, StartError, Stopped, type Running } from './run.js';

const log = createLog();
let stopRequested: string | undefined;
let firstSignalAt = 0;
let running: Running | undefined;
let stopping: Promise<void> | undefined;

// The SDK's INFO lines (worker state changes) are noise here; warnings and errors still show.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
});

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
    // Wrappers (npm, tsx) may deliver one Ctrl-C twice: only a later one means "do not wait".
    if (Date.now() - firstSignalAt < 3000) return;
    log.warn(
      `${signal} again: exiting without waiting (nothing is lost: the workflows resume and PGlite recovers on the next start)`,
    );
    process.exit(code);
  }
  stopRequested = signal;
  firstSignalAt = Date.now();
  if (running) void shutdown(signal, code);
  else log.step(`${signal}: stopping once the current step is done (Ctrl-C again to exit at once)…`);
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
// Launched by scripts/start.ts with an IPC channel: if that process goes away, so do we.
if (process.send) {
  process.on('disconnect', () => {
    if (!stopRequested) onSignal('SIGTERM');
  });
}

try {
  running = await start({ log, stopRequested: () => stopRequested !== undefined });
  if (stopRequested) await shutdown(stopRequested, stopRequested === 'SIGINT' ? 130 : 143);
  process.stdout.write(await banner(running));
  process.send?.({ type: 'ready', url: running.studioUrl });
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
