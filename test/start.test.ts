/**
 * `npm start` as a user runs it, on a temporary data folder, non-default ports and a small demo:
 * it gets ready (studio answers, a workflow per account runs), a Ctrl-C (SIGINT to the whole
 * process group, as a terminal sends it) stops every process it started and closes PGlite
 * cleanly, and a second `npm start` resumes: no re-seed, the same workflow runs, still running.
 * Also: the clear errors for a busy port and a data folder in use by another `npm start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../db/demo/generate.js';
import { PROJECT_ROOT } from '../scripts/temporal/binaries.js';
import { ensureStudioBuild, studioBuildExists } from '../scripts/start/studio.js';
import type { AccountState } from '../workflows/types.js';
import { freePort } from './helpers/ports.js';

const ACCOUNTS = 30;
const READY = /ESP\+ Studio is ready: (\S+)/;

let scratch: string;
let ports: { studio: number; temporal: number; ui: number };
const launched: Launched[] = [];

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ESP_DATA_DIR: scratch,
    PORT: String(ports.studio),
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    ESP_DEMO_ACCOUNTS: String(ACCOUNTS),
    // Built (or found unbuildable) once in beforeAll; the start should not spend its time on it.
    ESP_SKIP_STUDIO_BUILD: '1',
    ...extra,
  };
  for (const k of ['DATABASE_URL', 'PGLITE_DATA_DIR', 'TEMPORAL_ADDRESS', 'ORIGIN', 'HOST', 'NODE_OPTIONS'])
    if (!(k in extra)) delete env[k];
  return env;
}

/** `npm start` in its own process group, like a shell job, so a test can Ctrl-C the whole group. */
function npmStart(env: NodeJS.ProcessEnv): Launched {
  const child = spawn('npm', ['start'], { cwd: PROJECT_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const l = { child, output: () => out, exited };
  launched.push(l);
  return l;
}

async function waitForReady(l: Launched, timeoutMs = 240_000): Promise<string> {
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
function descendants(root: number): Map<number, string> {
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
async function ctrlC(l: Launched): Promise<{ code: number | null; left: string[]; tree: string[] }> {
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

async function connect(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

async function runningAccountWorkflows(client: Client): Promise<Map<string, string>> {
  const runs = new Map<string, string>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'accountWorkflow' AND ExecutionStatus = 'Running'` }))
    runs.set(wf.workflowId, wf.runId);
  return runs;
}

async function signIn(base: string): Promise<string> {
  const response = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: DEMO_ADMIN_EMAIL, password: DEMO_PASSWORD }).toString(),
  });
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie, `sign-in answered ${response.status}: ${await response.text()}`).toMatch(/esp_session=/);
  // Plain http: the session cookie must not be `secure` (ORIGIN is http://localhost:<PORT>).
  expect(cookie.toLowerCase()).not.toContain('secure');
  return cookie.split(';')[0]!;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'esp-start-'));
  ports = { studio: await freePort(), temporal: await freePort(), ui: await freePort() };
  try {
    await ensureStudioBuild();
  } catch (error) {
    // Sources mid-edit elsewhere must not fail this test when a previous build exists; npm start
    // itself does the same (warns and serves the previous build).
    if (!studioBuildExists()) throw error;
  }
}, 600_000);

afterAll(async () => {
  for (const l of launched) {
    try {
      process.kill(-l.child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts everything, stops every process on Ctrl-C, and resumes on the next start', { timeout: 600_000 }, async () => {
    // ---- first start: seeds, starts the workflows, serves the studio --------------------------
    const first = npmStart(startEnv());
    const url = await waitForReady(first);
    expect(url).toBe(`http://localhost:${ports.studio}`);
    const out1 = first.output();
    expect(out1).toMatch(new RegExp(`seeded the demo: ${ACCOUNTS} accounts`));
    expect(out1).toMatch(new RegExp(`account workflows: ${ACCOUNTS} started`));
    expect(out1).toContain(`${DEMO_ADMIN_EMAIL}`);
    expect(out1).toContain(`password "${DEMO_PASSWORD}"`);
    expect(out1).toContain(`http://127.0.0.1:${ports.ui}`);
    expect(out1).toMatch(/temporal workflow list --address 127\.0\.0\.1:\d+ --query 'EspStage="plan" AND EspTier="T1"'/);

    // The studio answers (sign-in page, a signed-in page).
    const page = await fetch(`${url}/signin`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<title>[^<]*Sign in/i);
    const cookie = await signIn(url);
    const portfolio = await fetch(`${url}/portfolio`, { headers: { cookie }, redirect: 'manual' });
    expect(portfolio.status).toBe(200);
    // Signed-in pages are no-store; static assets, served before the studio's hooks, say nosniff too.
    expect(portfolio.headers.get('cache-control')).toBe('private, no-store');
    const asset = /\/_app\/immutable\/[^"']+\.js/.exec(await portfolio.text())?.[0];
    expect(asset).toBeDefined();
    const assetResponse = await fetch(`${url}${asset}`);
    expect(assetResponse.status).toBe(200);
    expect(assetResponse.headers.get('x-content-type-options')).toBe('nosniff');

    // A workflow per account, and they make progress (the in-process worker runs them).
    const t = await connect();
    let before: Map<string, string>;
    const states = new Map<string, AccountState>();
    try {
      const deadline = Date.now() + 60_000;
      do {
        before = await runningAccountWorkflows(t.client);
        if (before.size === ACCOUNTS) break;
        await sleep(500);
      } while (Date.now() < deadline);
      expect(before.size).toBe(ACCOUNTS);
      // Wait until every account has left the first stages (settled in a wait or still running).
      const ids = [...before.keys()];
      const settleBy = Date.now() + 120_000;
      for (;;) {
        const all = await Promise.all(ids.map((id) => t.client.workflow.getHandle(id).query<AccountState>('state')));
        all.forEach((s) => states.set(s.accountId, s));
        if (all.every((s) => s.waitingFor !== null) || Date.now() > settleBy) break;
        await sleep(1000);
      }
      const waiting = [...states.values()].filter((s) => s.waitingFor !== null).length;
      expect(waiting, 'accounts settled in a durable wait before the stop').toBeGreaterThan(ACCOUNTS / 2);
    } finally {
      await t.close();
    }

    // ---- a second npm start on the same data folder is refused while this one runs -------------
    const second = npmStart(
      startEnv({
        PORT: String(await freePort()),
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
      }),
    );
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/is in use by another process \(pid \d+/);

    // ---- Ctrl-C: every process stops, PGlite is closed cleanly --------------------------------
    const stop1 = await ctrlC(first);
    expect(stop1.left, `still running after Ctrl-C:\n${stop1.left.join('\n')}\n${first.output()}`).toEqual([]);
    expect(
      stop1.tree.some((cmd) => /temporal server start-dev/.test(cmd)),
      'the dev server was a child',
    ).toBe(true);
    expect(first.output()).toMatch(/stopped in [\d.]+ s/);
    expect(existsSync(path.join(scratch, 'pglite', 'postmaster.pid')), 'PGlite closed cleanly').toBe(false);
    expect(existsSync(path.join(scratch, 'pglite.lock'))).toBe(false);
    expect(existsSync(path.join(scratch, 'temporal.db.lock'))).toBe(false);

    // ---- second start: no re-seed, the same runs go on ------------------------------------------
    const again = npmStart(startEnv());
    await waitForReady(again);
    const out2 = again.output();
    expect(out2).not.toMatch(/seeding the demo|seeded the demo/);
    expect(out2).toContain(`account workflows: all ${ACCOUNTS} already running`);
    expect(out2).toMatch(new RegExp(`${ACCOUNTS} accounts, ${ACCOUNTS} workflows running`));
    const t2 = await connect();
    try {
      const after = await runningAccountWorkflows(t2.client);
      expect(after).toEqual(before!);
      for (const [id] of after) {
        const s = await t2.client.workflow.getHandle(id).query<AccountState>('state');
        const was = states.get(s.accountId)!;
        // Where it was (or further): the stage history is kept, nothing started over.
        expect(s.history.length).toBeGreaterThanOrEqual(was.history.length);
        expect(s.history.slice(0, was.history.length).map((h) => h.stage)).toEqual(was.history.map((h) => h.stage));
        expect(s.run).toBe(was.run);
      }
    } finally {
      await t2.close();
    }
    const stop2 = await ctrlC(again);
    expect(stop2.left, `still running after Ctrl-C:\n${stop2.left.join('\n')}\n${again.output()}`).toEqual([]);
    expect(existsSync(path.join(scratch, 'pglite', 'postmaster.pid'))).toBe(false);
  });

  it('says which port is busy', { timeout: 120_000 }, async () => {
    const busy = net.createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as net.AddressInfo).port)),
    );
    try {
      const l = npmStart(startEnv({ PORT: String(port), ESP_DATA_DIR: path.join(scratch, 'busy') }));
      expect(await l.exited).toBe(1);
      expect(l.output()).toContain(`port ${port} (the studio) is already in use`);
      expect(l.output()).toContain('set PORT to a free port');
      expect(l.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      busy.close();
    }
  });
});
