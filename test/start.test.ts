/**
 * `npm start` as a user runs it, on a temporary data folder, non-default ports and a small demo:
 * it gets ready (studio answers, a workflow per account runs), a Ctrl-C (SIGINT to the whole
 * process group, as a terminal sends it) stops every process it started and closes PGlite
 * cleanly, and a second `npm start` resumes: no re-seed, the same workflow runs, still running.
 * Once onboarding settles, every account in `execute` has a health and its `EspHealth` search
 * attribute. A third start on another database (PostgreSQL, a smaller demo) beside the same
 * `temporal.db` says how many workflows have no account there, and those end.
 * Also: the clear errors for a busy port and a data folder in use by another `npm start`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../db/demo/generate.js';
import { ensureStudioBuild, studioBuildExists } from '../scripts/start/studio.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes.js';
import type { AccountState } from '../workflows/types.js';
import { createPostgresDatabase } from './helpers/databases.js';
import { freePort } from './helpers/ports.js';
import {
  ctrlC,
  freeStartPorts,
  killGroup,
  npmStart,
  runningAccountWorkflows,
  startEnv,
  waitForReady,
  type Launched,
  type StartPorts,
} from './helpers/start.js';

const ACCOUNTS = 30;

let scratch: string;
let ports: StartPorts;
const launched: Launched[] = [];

const startAt = (extra: Record<string, string> = {}) => startEnv({ dataDir: scratch, ports, demoAccounts: ACCOUNTS }, extra);

function launch(env: NodeJS.ProcessEnv): Launched {
  const l = npmStart(env);
  launched.push(l);
  return l;
}

async function connect(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
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
  ports = await freeStartPorts();
  try {
    await ensureStudioBuild();
  } catch (error) {
    // Sources mid-edit elsewhere must not fail this test when a previous build exists; npm start
    // itself does the same (warns and serves the previous build).
    if (!studioBuildExists()) throw error;
  }
}, 600_000);

afterAll(async () => {
  launched.forEach(killGroup);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts everything, stops every process on Ctrl-C, and resumes on the next start', { timeout: 600_000 }, async () => {
    // ---- first start: seeds, starts the workflows, serves the studio --------------------------
    const first = launch(startAt());
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

      // Health from day one: every account in execute has been monitored once, and its workflow
      // carries the health as `EspHealth` (the first monitor does not wait for its interval).
      const executing = [...states.values()].filter((s) => s.stage === 'execute');
      expect(executing.length, 'some demo accounts execute without waiting for approval').toBeGreaterThan(0);
      const healthOf = async (s: AccountState) => {
        const handle = t.client.workflow.getHandle(`account:${s.accountId}`);
        const [now, described] = await Promise.all([handle.query<AccountState>('state'), handle.describe()]);
        return {
          id: s.accountId,
          health: now.health,
          attribute: described.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.EspHealth),
        };
      };
      let healths = await Promise.all(executing.map(healthOf));
      // An account that entered execute a moment ago may still be in its first monitor.
      const monitoredBy = Date.now() + 30_000;
      while (healths.some((h) => !h.attribute) && Date.now() < monitoredBy) {
        await sleep(500);
        healths = await Promise.all(executing.map(healthOf));
      }
      expect(healths.filter((h) => !h.health || h.attribute !== h.health)).toEqual([]);
    } finally {
      await t.close();
    }

    // ---- a second npm start on the same data folder is refused while this one runs -------------
    const second = launch(
      startAt({
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
    const again = launch(startAt());
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

    // ---- third start: another database beside the same temporal.db -----------------------------
    // PostgreSQL with a smaller demo: the first KEPT accounts exist there, the others do not. The
    // start counts the workflows without an account; told to look, those end, and only those.
    const KEPT = 20;
    const other = await createPostgresDatabase();
    try {
      const elsewhere = launch(startAt({ DATABASE_URL: other.url, ESP_DEMO_ACCOUNTS: String(KEPT) }));
      await waitForReady(elsewhere);
      const out3 = elsewhere.output();
      expect(out3).toContain(`${ACCOUNTS - KEPT} running account workflow(s) have no account in this database`);
      expect(out3).toContain(`account workflows: all ${KEPT} already running`);
      const t3 = await connect();
      try {
        const ids = [...before!.keys()].sort();
        const expected = ids.map((id, i) => (i < KEPT ? 'RUNNING' : 'FAILED'));
        const endedBy = Date.now() + 60_000;
        let statuses: string[] = [];
        do {
          statuses = await Promise.all(ids.map(async (id) => (await t3.client.workflow.getHandle(id).describe()).status.name));
          if (statuses.every((s, i) => s === expected[i])) break;
          await sleep(500);
        } while (Date.now() < endedBy);
        expect(Object.fromEntries(ids.map((id, i) => [id, statuses[i]]))).toEqual(
          Object.fromEntries(ids.map((id, i) => [id, expected[i]])),
        );
        await expect(t3.client.workflow.getHandle(ids[KEPT]!).result()).rejects.toMatchObject({
          cause: { type: 'AccountNotFound' },
        });
      } finally {
        await t3.close();
      }
      const stop3 = await ctrlC(elsewhere);
      expect(stop3.left, `still running after Ctrl-C:\n${stop3.left.join('\n')}\n${elsewhere.output()}`).toEqual([]);
    } finally {
      await other.drop();
    }
  });

  it('says which port is busy', { timeout: 120_000 }, async () => {
    const busy = net.createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, '127.0.0.1', () => resolve((busy.address() as net.AddressInfo).port)),
    );
    try {
      const l = launch(startAt({ PORT: String(port), ESP_DATA_DIR: path.join(scratch, 'busy') }));
      expect(await l.exited).toBe(1);
      expect(l.output()).toContain(`port ${port} (the studio) is already in use`);
      expect(l.output()).toContain('set PORT to a free port');
      expect(l.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      busy.close();
    }
  });
});
