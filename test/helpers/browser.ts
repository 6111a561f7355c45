/**
 * End-to-end harness: the Chromium the run chose (helpers/components.ts) driven by playwright-core,
 * and the studio's production build (`node studio/build`, as `npm start` runs it) on a free port
 * over a fresh PGlite database seeded with the default rule sets, the demo data and two users with
 * known passwords.
 *
 * The build is refreshed when any studio, db, engine or workflows source is newer than it, so a
 * test never runs against stale code; set `ESP_E2E_SKIP_BUILD=1` to use the build as it is.
 *
 * With `temporal: true` the studio also gets what `npm start` runs beside it: a Temporal dev server
 * and a worker (in the test's process). They share the database with the studio, which PGlite
 * cannot do across processes, so such a studio runs on a fresh PostgreSQL database instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { hashPassword } from '../../db/auth/password.js';
import { openDatabase, type Database, type Db } from '../../db/client.js';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../../db/demo/generate.js';
import { seedDemo } from '../../db/demo/seed.js';
import type { createPlan } from '../../db/repositories/plans.js';
import { migrate } from '../../db/migrate.js';
import { seedDefaultRuleSets } from '../../db/repositories/rule-sets.js';
import { upsertUsers, type UserInput } from '../../db/repositories/users.js';
import { ensureStudioBuild as buildStudio, studioBuildExists } from '../../scripts/start/studio.js';
import { startDevServer, type DevServer } from '../../scripts/temporal/dev-server.js';
import { catalogs } from '../../i18n/catalog.js';
import { connectClient, startAccountWorkflows, type EspClient } from '../../workflows/client.js';
import { startWorker, type WorkerHandle } from '../../workflows/worker.js';
import { createPostgresDatabase } from './databases.js';
import { deadAddress, freePort } from './ports.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

// ---- Chromium ----------------------------------------------------------------------------------

/**
 * Launches the Chromium the run chose (helpers/components.ts). Playwright gives every launch a
 * fresh temporary profile (user-data dir) and removes it on close; each `newContext()` is isolated
 * from the others (cookies, storage).
 */
export async function launchBrowser(): Promise<Browser> {
  const { executablePath, args, env } = inject('chromium');
  return chromium.launch({ executablePath, headless: true, args, env: { ...process.env, ...env }, timeout: 60_000 });
}

export interface ContextOptions {
  locale?: string;
  width?: number;
  height?: number;
}

export async function newContext(browser: Browser, baseURL: string, opts: ContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    locale: opts.locale ?? 'en-US',
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
  });
  // Generous: in CI these run beside other test files on two cores.
  context.setDefaultTimeout(45_000);
  context.setDefaultNavigationTimeout(60_000);
  return context;
}

/**
 * Collects console errors, uncaught page errors and failed same-origin requests of a page. Call
 * `assertNone()` at the end of a test; `allow` patterns exempt errors a test expects (such as the
 * 403 of a page a manager may not open).
 */
export function trackErrors(page: Page, allow: RegExp[] = []) {
  const errors: string[] = [];
  const allowed = (text: string) => allow.some((re) => re.test(text));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error' && !allowed(msg.text())) errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (error) => {
    if (!allowed(error.message)) errors.push(`page error: ${error.message}`);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    // A navigation that supersedes a pending one aborts it: not an error of the page.
    if (failure === 'net::ERR_ABORTED') return;
    const text = `request failed: ${request.method()} ${request.url()} ${failure}`;
    if (!allowed(text)) errors.push(text);
  });
  return {
    errors,
    assertNone() {
      if (errors.length) throw new Error(`The page reported errors:\n  ${errors.join('\n  ')}`);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const NAMESPACES = [...new Set(Object.keys(catalogs.en).map((k) => k.split('.')[0]!))];
const KEY_LIKE = new RegExp(`(?<![\\w@.-])(?:${NAMESPACES.join('|')})\\.[A-Za-z][\\w-]*(?:\\.[\\w-]+)*`, 'g');

/** Text on the page that looks like a message key (`nav.portfolio`): a missing or misspelt key. */
export async function rawKeysOn(page: Page): Promise<string[]> {
  const text = `${await page.title()}\n${await page.locator('body').innerText()}`;
  return [...new Set(text.match(KEY_LIKE) ?? [])];
}

// ---- the studio server -------------------------------------------------------------------------

/**
 * Builds the studio when it is missing or older than its sources, under the lock `npm start` uses
 * too: test files run in parallel workers, and only one of them builds while the others wait.
 */
export async function ensureStudioBuild(): Promise<void> {
  if (process.env['ESP_E2E_SKIP_BUILD'] === '1' && studioBuildExists()) return;
  await buildStudio({ timeoutMs: 300_000 });
}

/** Users every e2e database has, besides the demo's. */
export const E2E_PASSWORD = 'e2e-Passw0rd!';
export const E2E_USERS = {
  admin: { id: 'e2e-admin', email: 'e2e-admin@example.test', name: 'Erin Admin', role: 'admin' as const },
  manager: { id: 'e2e-manager', email: 'e2e-manager@example.test', name: 'Mika Manager', role: 'manager' as const },
};
export const DEMO_CREDENTIALS = { email: DEMO_ADMIN_EMAIL, password: DEMO_PASSWORD };

/** A retain plan waiting for approval, owned and acted on by the e2e manager (one review due 1 March). */
export function pendingRetainPlan(accountId: string, cycleYear: number, goal: string): Parameters<typeof createPlan>[1] {
  return {
    accountId,
    cycleYear,
    goal,
    objectives: {
      revenue: { baseline: 12_000_000, target: 12_600_000, growth: 0.05, firstDealShare: null },
      closenessTarget: 80,
    },
    strategy: 'retain',
    actions: [{ title: 'Quarterly business review', role: 'owner', owner: E2E_USERS.manager.id, dueDate: `${cycleYear}-03-01` }],
    resources: { owner: E2E_USERS.manager.id, presalesTier: 'dedicated', investment: 'medium' },
    tests: [],
    needsApproval: true,
    createdBy: 'workflow',
  };
}

export interface StartOptions {
  /** Demo accounts to seed (default 60: enough for every page, quick to write). 0 seeds none. */
  demoAccounts?: number;
  /** More users who sign in with the e2e password (such as a Chinese-speaking one), besides the two. */
  users?: (Omit<UserInput, 'passwordHash'> & { id: string })[];
  /** More seeding, after the defaults, with the database the server will use. */
  seed?: (db: Db) => Promise<void>;
  /** Extra environment for the server (e.g. `ESP_CURRENCY`). */
  env?: Record<string, string>;
  /**
   * Start a Temporal dev server and a worker too (on PostgreSQL, see above). Without it the
   * studio's Temporal address points at a closed port, so "Temporal is down" is what every such
   * test sees, whatever else runs on this machine.
   */
  temporal?: boolean;
}

export interface StudioTemporal {
  /** `host:port` for `connectClient({ address })`. */
  address: string;
  namespace: string;
  taskQueue: string;
}

/** A client of a `temporal: true` studio's workflows, with the accounts' workflows started. */
export async function startStudioWorkflows(server: StudioServer, accountIds: string[]): Promise<EspClient> {
  const where = server.temporal;
  if (!where) throw new Error('startStudioWorkflows needs a studio started with temporal: true');
  const client = await connectClient(where);
  const started = await startAccountWorkflows(client.client, accountIds, { taskQueue: where.taskQueue });
  if (started.failed.length) throw new Error(`account workflows did not start: ${JSON.stringify(started.failed)}`);
  return client;
}

export interface StudioServer {
  url: string;
  /** The PGlite directory; empty when the studio runs on PostgreSQL (`temporal: true`). */
  dataDir: string;
  /** The PostgreSQL database of a `temporal: true` studio. */
  databaseUrl?: string;
  /** Where the workflows run, for a `temporal: true` studio. */
  temporal?: StudioTemporal;
  /** The server's stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

async function seedDatabase(database: Database, opts: StartOptions): Promise<void> {
  // PGlite allows one process per data directory: seed, close, then hand it to the server.
  try {
    await migrate(database.db);
    await seedDefaultRuleSets(database.db);
    if ((opts.demoAccounts ?? 60) > 0) await seedDemo(database.db, { accounts: opts.demoAccounts ?? 60 });
    const passwordHash = await hashPassword(E2E_PASSWORD);
    await upsertUsers(
      database.db,
      [...Object.values(E2E_USERS).map((u) => ({ ...u, locale: 'en' as const })), ...(opts.users ?? [])].map((u) => ({
        ...u,
        passwordHash,
      })),
    );
    await opts.seed?.(database.db);
  } finally {
    await database.close();
  }
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the studio server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/signin`, { redirect: 'manual' });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the studio server did not answer within 60 s:\n${output()}`);
}

/** A Temporal dev server (own ports, own file) and a worker on `databaseUrl`, for one studio. */
async function startTemporal(databaseUrl: string): Promise<{ temporal: StudioTemporal; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'esp-e2e-temporal-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dev: DevServer = await startDevServer({
      dataDir: dir,
      port: await freePort(),
      uiPort: await freePort(),
      reuseExisting: false,
    });
    stops.push(() => dev.stop());
    const workerDb = await openDatabase({ url: databaseUrl, max: 5 });
    stops.push(() => workerDb.close());
    const taskQueue = `e2e-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`;
    const worker: WorkerHandle = await startWorker({
      address: dev.address,
      namespace: dev.namespace,
      taskQueue,
      db: workerDb.db,
      worker: { shutdownGraceTime: '2 seconds' },
    });
    stops.push(() => worker.shutdown());
    return { temporal: { address: dev.address, namespace: dev.namespace, taskQueue }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startStudio(opts: StartOptions = {}): Promise<StudioServer> {
  await ensureStudioBuild();
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  let dataDir = '';
  let databaseUrl: string | undefined;
  let temporal: StudioTemporal | undefined;
  try {
    if (opts.temporal) {
      const pg = await createPostgresDatabase();
      cleanups.push(() => pg.drop());
      databaseUrl = pg.url;
      await seedDatabase(await openDatabase({ url: pg.url, max: 2 }), opts);
      const started = await startTemporal(pg.url);
      cleanups.push(() => started.stop());
      temporal = started.temporal;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'esp-e2e-'));
      const dir = dataDir;
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      await seedDatabase(await openDatabase({ dataDir, url: '' }), opts);
    }
  } catch (error) {
    await cleanup();
    throw error;
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Without Temporal: an address this process holds, so no other test's dev server can take it.
  const heldDeadAddress = async () => {
    const dead = await deadAddress();
    cleanups.push(() => dead.close());
    return dead.address;
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(temporal
      ? { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, ESP_TASK_QUEUE: temporal.taskQueue }
      : { TEMPORAL_ADDRESS: await heldDeadAddress() }),
    ...opts.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // adapter-node assumes https without ORIGIN, which would refuse the form posts of plain http.
    ORIGIN: url,
    // Browsers keep connections alive; do not wait the default 30 s for them when stopping.
    SHUTDOWN_TIMEOUT: '1',
  };
  if (databaseUrl) {
    env['DATABASE_URL'] = databaseUrl;
    delete env['PGLITE_DATA_DIR'];
  } else {
    env['PGLITE_DATA_DIR'] = dataDir;
    delete env['DATABASE_URL'];
  }

  const child = spawn(process.execPath, [join(ROOT, 'studio', 'build', 'index.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const output = () => log;

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanup();
  };

  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir, ...(databaseUrl ? { databaseUrl } : {}), ...(temporal ? { temporal } : {}), output, stop };
}

/**
 * Signs in through the form, as a user would, and waits for the page after sign-in.
 *
 * What is typed before the page has hydrated is lost: hydration puts the inputs back to the
 * component's state (empty), and the form then posts no credentials ("Enter your e-mail and
 * password"). So this waits for the page's scripts first, and types again should hydration still
 * have cleared the fields; any other refusal fails at once with the server's answer.
 */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/signin')) await page.goto('/signin');
  await page.waitForLoadState('networkidle');
  for (let attempt = 1; ; attempt++) {
    await page.locator('input[name="email"]').fill(email);
    await page.locator('input[name="password"]').fill(password);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/signin'),
      page.locator('main form button[type="submit"]').click(),
    ]);
    // A redirect (303 without JavaScript, a `redirect` result with it) has no body to read.
    const body = await response.text().catch(() => '');
    const refused = response.status() >= 400 || body.includes('"type":"failure"');
    if (!refused) {
      await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
      return;
    }
    if (!body.includes('auth.error.missing') || attempt === 3)
      throw new Error(`signing in as ${email} was refused (${response.status()}): ${body.slice(0, 300)}`);
  }
}

/**
 * A new context and page, signed in as `email` (with the e2e password) through the sign-in page
 * that `path` sends a signed-out visitor to; errors are tracked from then on.
 */
export async function signedInPage(
  browser: Browser,
  server: { url: string },
  email: string,
  opts: ContextOptions & { path?: string } = {},
): Promise<{ context: BrowserContext; page: Page; errors: ReturnType<typeof trackErrors> }> {
  const context = await newContext(browser, server.url, opts);
  const page = await context.newPage();
  await page.goto(opts.path ?? '/');
  await signIn(page, email, E2E_PASSWORD);
  return { context, page, errors: trackErrors(page) };
}

/** Switches the context's language as the locale menu does (a form post to `/locale`). */
export async function setLocale(context: BrowserContext, origin: string, locale: string): Promise<void> {
  const response = await context.request.post('/locale', { form: { locale, next: '/' }, headers: { origin }, maxRedirects: 0 });
  if (response.status() !== 303) throw new Error(`switching to ${locale} answered ${response.status()}, not 303`);
}
