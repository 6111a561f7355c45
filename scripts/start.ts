/**
 * `npm start` (after scripts/ensure-setup.mjs): a thin supervisor around scripts/start/main.ts,
 * which does the work (Temporal dev server, database, worker, workflows, studio; see
 * scripts/start/run.ts).
 *
 * Why two processes: a terminal's Ctrl-C signals the whole foreground process group, and the
 * wrappers in between (npm, and tsx from the sources) relay it again, so the real process would get SIGINT twice and
 * the Temporal dev server would get it directly, stopping under the worker while the worker is
 * still finishing its tasks. So main.ts runs in its own process group (with the dev server, its
 * child), and this process, which never blocks, forwards ONE signal to it and exits with its
 * exit code. main.ts stops when this process disappears (IPC disconnect); anything left in its
 * process group when it ends (a dev server of a main.ts that was killed) is stopped here.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { ENV_DOC } from './start/config.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const width = Math.max(...ENV_DOC.map(([name]) => name.length));
  process.stdout.write(
    'npm start: the Temporal dev server, the worker, a workflow per account and the studio, in one go.\n\n' +
      'Environment (all optional):\n' +
      ENV_DOC.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`).join('\n') +
      '\n',
  );
  process.exit(0);
}

// Compiled (dist/scripts/start.js, what `npm start` runs) it starts the compiled main.js; from the
// sources (tsx) the main.ts beside it, through tsx again.
const fromSources = import.meta.url.endsWith('.ts');
const main = fileURLToPath(new URL(fromSources ? './start/main.ts' : './start/main.js', import.meta.url));
const child = spawn(process.execPath, fromSources ? ['--import', 'tsx', main] : [main], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  detached: true,
  env: process.env,
});

let forwardedAt = 0;
function forward(signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const now = Date.now();
  // One Ctrl-C may reach us more than once (npm and tsx relay it): forward it once; a second
  // Ctrl-C later tells main.ts not to wait.
  if (forwardedAt && now - forwardedAt < 3000) return;
  forwardedAt = now;
  child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => forward(signal));

child.on('message', () => {
  // main.ts reports "ready"; nothing to do (tests read the same line from stdout).
});
child.once('error', (error) => {
  process.stderr.write(`npm start: cannot run ${main}: ${error.message}\n`);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  // Leftovers in main.ts's process group (its dev server, if main.ts was killed): stop them.
  if (child.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Nothing left: the usual case.
    }
  }
  process.exit(code ?? (signal === 'SIGINT' ? 130 : signal ? 128 + 15 : 1));
});
