/**
 * The database tests run every case on both drivers. PGlite: a fresh in-memory database per
 * suite. PostgreSQL: a fresh `esp_test_<random>` database on the server the run chose (named by
 * TEST_DATABASE_URL, the system's at 127.0.0.1:5432, or an embedded one started for the run: see
 * helpers/components.ts), dropped afterwards. An unreachable server FAILS the PostgreSQL suites
 * with a message saying so: a missing server must never look like a pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { openDatabase, redactUrl, type Database, type Driver } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { seedDefaultRuleSets } from '../../db/repositories/rule-sets.js';

export const DRIVERS: readonly Driver[] = ['pglite', 'postgres'];

const CHOSEN = inject('postgres');
const ADMIN_URL = CHOSEN.adminUrl;

export interface TestDatabase extends Database {
  /** For code that opens its own connection (the CLI): a URL, or a PGlite data directory. */
  url?: string;
  dataDir?: string;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database; `drop()` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const name = `esp_test_${randomBytes(6).toString('hex')}`;
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(ADMIN_URL)} (${(error as Error).message}). ` +
        `The database tests run on PostgreSQL as well as PGlite; this run chose the ${CHOSEN.description}.`,
    );
  }
  return {
    url: withDatabase(ADMIN_URL, name),
    drop: async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export interface OpenTestOptions {
  /** Apply the migrations (default true). */
  migrate?: boolean;
  /** Publish the default rule sets (default true; needs migrate). */
  seed?: boolean;
  /** PGlite: a directory on disk instead of memory (for code that reopens it). */
  onDisk?: boolean;
}

export async function openTestDatabase(driver: Driver, opts: OpenTestOptions = {}): Promise<TestDatabase> {
  let handle: TestDatabase;
  if (driver === 'postgres') {
    const created = await createPostgresDatabase();
    const opened = await openDatabase({ url: created.url, max: 5 });
    handle = {
      ...opened,
      url: created.url,
      close: async () => {
        await opened.close();
        await created.drop();
      },
    };
  } else {
    const dataDir = opts.onDisk ? mkdtempSync(join(tmpdir(), 'esp-pglite-')) : 'memory://';
    const opened = await openDatabase({ driver: 'pglite', dataDir });
    handle = {
      ...opened,
      ...(opts.onDisk ? { dataDir } : {}),
      close: async () => {
        await opened.close();
        if (opts.onDisk) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (opts.migrate ?? true) {
    await migrate(handle.db);
    if (opts.seed ?? true) await seedDefaultRuleSets(handle.db);
  }
  return handle;
}

/**
 * Registers the hooks of a suite that uses one test database: opened (and `setup` run) before the
 * suite, closed after. A setup failure (e.g. no PostgreSQL server) is re-thrown by every test, so
 * each one FAILS with the reason instead of being reported as skipped.
 */
export function useTestDatabase(
  driver: Driver,
  opts: OpenTestOptions & { setup?: (t: TestDatabase) => Promise<void> } = {},
): { readonly t: TestDatabase } {
  let handle: TestDatabase | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      handle = await openTestDatabase(driver, opts);
      await opts.setup?.(handle);
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
  afterAll(async () => {
    await handle?.close();
  });
  return {
    get t() {
      if (!handle) throw new Error(`the ${driver} test database is not open`);
      return handle;
    },
  };
}
