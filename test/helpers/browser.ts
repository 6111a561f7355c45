/**
 * End-to-end harness: Debian's Chromium driven by playwright-core, and the studio's production
 * build (`node studio/build`, as `npm start` runs it) on a free port over a fresh PGlite database
 * seeded with the default rule sets, the demo data and two users with known passwords.
 *
 * The build is refreshed when any studio, db, engine or workflows source is newer than it, so a
 * test never runs against stale code; set `ESP_E2E_SKIP_BUILD=1` to use the build as it is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { hashPassword } from '../../db/auth/password.js';
import { openDatabase, type Db } from '../../db/client.js';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD } from '../../db/demo/generate.js';
import { seedDemo } from '../../db/demo/seed.js';
import { migrate } from '../../db/migrate.js';
import { seedDefaultRuleSets } from '../../db/repositories/rule-sets.js';
import { upsertUsers } from '../../db/repositories/users.js';
import { catalogs } from '../../studio/src/lib/i18n/catalog.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

// ---- Chromium ----------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `Chromium not found at ${path}. Install Debian's Chromium with \`apt-get install -y chromium\`, ` +
        'or point CHROMIUM_PATH at a Chromium binary.',
    );
  return path;
}

/**
 * Launches Chromium. Playwright gives every launch a fresh temporary profile (user-data dir) and
 * removes it on close; each `newContext()` is isolated from the others (cookies, storage).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
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
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
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

const BUILD_ENTRY = join(ROOT, 'studio', 'build', 'handler.js');
const SOURCES = [
  'studio/src',
  'studio/static',
  'studio/svelte.config.js',
  'studio/vite.config.ts',
  'studio/aliases.js',
  'studio/vite-plugins',
  'db',
  'engine',
  'workflows',
  'package.json',
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function buildIsStale(): boolean {
  if (!existsSync(BUILD_ENTRY)) return true;
  const built = statSync(BUILD_ENTRY).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(ROOT, s)) > built);
}

/**
 * Builds the studio when it is missing or older than its sources. Test files run in parallel
 * workers, so a lock directory makes sure only one of them builds while the others wait.
 */
export async function ensureStudioBuild(): Promise<void> {
  if (process.env['ESP_E2E_SKIP_BUILD'] === '1' && existsSync(BUILD_ENTRY)) return;
  const lock = join(tmpdir(), `esp-studio-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (!buildIsStale()) return;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run must not block forever.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another studio build (lock ${lock})`);
      await sleep(1000);
    }
  }
  try {
    if (!buildIsStale()) return;
    const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: join(ROOT, 'studio'),
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (result.status !== 0) throw new Error(`studio build failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Users every e2e database has, besides the demo's. */
export const E2E_PASSWORD = 'e2e-Passw0rd!';
export const E2E_USERS = {
  admin: { id: 'e2e-admin', email: 'e2e-admin@example.test', name: 'Erin Admin', role: 'admin' as const },
  manager: { id: 'e2e-manager', email: 'e2e-manager@example.test', name: 'Mika Manager', role: 'manager' as const },
};
export const DEMO_CREDENTIALS = { email: DEMO_ADMIN_EMAIL, password: DEMO_PASSWORD };

export interface StartOptions {
  /** Demo accounts to seed (default 60: enough for every page, quick to write). 0 seeds none. */
  demoAccounts?: number;
  /** More seeding, after the defaults, with the database the server will use. */
  seed?: (db: Db) => Promise<void>;
  /** Extra environment for the server (e.g. `ESP_CURRENCY`). */
  env?: Record<string, string>;
}

export interface StudioServer {
  url: string;
  dataDir: string;
  /** The server's stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function seedDatabase(dataDir: string, opts: StartOptions): Promise<void> {
  // PGlite allows one process per data directory: seed, close, then hand it to the server.
  const database = await openDatabase({ dataDir, url: '' });
  try {
    await migrate(database.db);
    await seedDefaultRuleSets(database.db);
    if ((opts.demoAccounts ?? 60) > 0) await seedDemo(database.db, { accounts: opts.demoAccounts ?? 60 });
    const passwordHash = await hashPassword(E2E_PASSWORD);
    await upsertUsers(
      database.db,
      Object.values(E2E_USERS).map((u) => ({ ...u, passwordHash, locale: 'en' as const })),
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

export async function startStudio(opts: StartOptions = {}): Promise<StudioServer> {
  await ensureStudioBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'esp-e2e-'));
  await seedDatabase(dataDir, opts);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...opts.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // adapter-node assumes https without ORIGIN, which would refuse the form posts of plain http.
    ORIGIN: url,
    PGLITE_DATA_DIR: dataDir,
    // Browsers keep connections alive; do not wait the default 30 s for them when stopping.
    SHUTDOWN_TIMEOUT: '1',
  };
  delete env['DATABASE_URL'];

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
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir, output, stop };
}

/** Signs in through the form, as a user would, and waits for the page after sign-in. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/signin')) await page.goto('/signin');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/signin')),
    page.locator('main form button[type="submit"]').click(),
  ]);
}
