/**
 * `npm start` as a user runs it, for the tests about the whole stack: the compiled start script
 * (dist/), the Temporal dev server it starts, its in-process worker and the studio's node server,
 * on a temporary data folder and free ports. Each start runs in its own process group, like a
 * shell job, so a test can Ctrl-C the whole group or kill what is left of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { PROJECT_ROOT } from '../../scripts/temporal/binaries.js';
import { freePort } from './ports.js';

const READY = /ESP\+ Studio is ready: (\S+)/;

export interface StartPorts {
  studio: number;
  temporal: number;
  ui: number;
}

export interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function freeStartPorts(): Promise<StartPorts> {
  return { studio: await freePort(), temporal: await freePort(), ui: await freePort() };
}

/**
 * The environment of an `npm start` on `dataDir` and `ports` with a small demo; `extra` overrides.
 * The caller's database, Temporal and studio settings are dropped, so the start uses its defaults
 * (PGlite under the data folder, its own dev server).
 */
export function startEnv(
  at: { dataDir: string; ports: StartPorts; demoAccounts: number },
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ESP_DATA_DIR: at.dataDir,
    PORT: String(at.ports.studio),
    TEMPORAL_PORT: String(at.ports.temporal),
    TEMPORAL_UI_PORT: String(at.ports.ui),
    ESP_DEMO_ACCOUNTS: String(at.demoAccounts),
    // Built (or found unbuildable) by the test before; the start should not spend its time on it.
    ESP_SKIP_STUDIO_BUILD: '1',
    ...extra,
  };
  for (const k of ['DATABASE_URL', 'PGLITE_DATA_DIR', 'TEMPORAL_ADDRESS', 'ORIGIN', 'HOST', 'NODE_OPTIONS'])
    if (!(k in extra)) delete env[k];
  return env;
}

/** `npm start` in its own process group. */
export function npmStart(env: NodeJS.ProcessEnv): Launched {
  const child = spawn('npm', ['start'], { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** The studio's URL, once the start prints its banner. */
export async function waitForReady(l: Launched, timeoutMs = 240_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void l.exited.then(() => (done = true));
  while (Date.now() < deadline) {
    const m = READY.exec(l.output());
    // The banner is printed in one write; give its tail a moment.
    if (m) {
      await sleep(300);
      return m[1]!;
    }
    if (done) throw new Error(`npm start exited before it was ready:\n${l.output()}`);
    await sleep(250);
  }
  throw new Error(`npm start was not ready within ${timeoutMs / 1000} s:\n${l.output()}`);
}

/** Every process below `root` (Linux /proc), with their command lines. */
export function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may contain spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const out = new Map<number, string>();
  const walk = (pid: number): void => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid || out.has(child)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        // Gone meanwhile.
      }
      out.set(child, cmd);
      walk(child);
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purposes.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Ctrl-C: SIGINT to the process group; resolves with the processes still alive after 60 s. */
export async function ctrlC(l: Launched): Promise<{ code: number | null; left: string[]; tree: string[] }> {
  const pid = l.child.pid!;
  const tree = descendants(pid);
  tree.set(pid, 'npm start');
  process.kill(-pid, 'SIGINT');
  const code = await Promise.race([l.exited, sleep(60_000).then(() => null)]);
  const deadline = Date.now() + 60_000;
  let left = [...tree].filter(([p]) => alive(p));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(250);
    left = [...tree].filter(([p]) => alive(p));
  }
  return { code, left: left.map(([p, cmd]) => `${p} ${cmd}`), tree: [...tree.values()] };
}

/** Whatever is left of a start's process group, killed (a failed test's cleanup). */
export function killGroup(l: Launched): void {
  try {
    process.kill(-l.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The running account workflows: workflow id → run id. */
export async function runningAccountWorkflows(client: Client): Promise<Map<string, string>> {
  const runs = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'accountWorkflow' AND ExecutionStatus = 'Running'` }))
    runs.set(wf.workflowId, wf.runId);
  return runs;
}
