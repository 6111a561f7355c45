/**
 * The one database handle of a process, opened and migrated once and shared by everything in it:
 * `npm start` runs the worker, the seed and the studio's HTTP handler in one Node process, and
 * PGlite (the default database) can only be opened by one process, and must only be opened once.
 *
 * The promise lives on `globalThis[Symbol.for('esp-plus.database')]`, not in a module variable:
 * the studio's production build bundles its own copy of this file (and of db/client.ts), so a
 * module variable would give the studio a second handle on the same PGlite directory.
 *
 * With PGlite, the process also takes a lock file beside the data directory (`<dir>.lock`, e.g.
 * `.data/pglite.lock`, holding the pid): a second process that opens the directory through
 * `sharedDatabase()` fails with `DatabaseLockedError` instead of corrupting it. PGlite has no lock
 * of its own (a second `PGlite.create` on the same directory succeeds and both write).
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { DEFAULT_PGLITE_DIR, openDatabase, type Database } from './client.js';
import { migrate } from './migrate.js';

const KEY = Symbol.for('esp-plus.database');

type Holder = { [KEY]?: Promise<Database> };
const holder = globalThis as unknown as Holder;

export class DatabaseLockedError extends Error {
  override readonly name = 'DatabaseLockedError';
  constructor(
    /** What is locked, for the message: e.g. `the database .data/pglite`. */
    readonly what: string,
    readonly lockFile: string,
    readonly pid: number,
    hint = 'PGlite can be opened by one process only: stop that process first, or set DATABASE_URL to use a PostgreSQL server that any number of processes can share.',
  ) {
    super(
      `${what} is in use by another process (pid ${pid}, e.g. another \`npm start\` or \`node studio/build\`). ${hint} ` +
        `If no such process is running, delete ${display(lockFile)}.`,
    );
  }
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PGlite directory `openDatabase()` will use, or undefined when it will use PostgreSQL. */
export function pgliteDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['DATABASE_URL']) return undefined;
  const dir = env['PGLITE_DATA_DIR'] ?? DEFAULT_PGLITE_DIR;
  return dir.startsWith('memory://') ? undefined : dir;
}

/**
 * Takes `<path>.lock` for this process; returns its release. A lock left by a process that no
 * longer exists (killed) is taken over. Throws `DatabaseLockedError` when a live process holds it.
 */
export function lockPath(path: string, what = `the database ${display(path)}`, hint?: string): () => void {
  const lockFile = `${path.replace(/[\\/]+$/, '')}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let pid = NaN;
      try {
        pid = Number(JSON.parse(readFileSync(lockFile, 'utf8')).pid);
      } catch {
        // Half-written or foreign content: treated as stale below.
      }
      if (pid === process.pid) throw new Error(`${display(lockFile)}: this process already holds the lock`);
      if (isAlive(pid)) throw new DatabaseLockedError(what, lockFile, pid, hint);
      try {
        unlinkSync(lockFile);
      } catch {
        // Someone else removed it first; try again.
      }
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    closeSync(fd);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      try {
        const owner = Number(JSON.parse(readFileSync(lockFile, 'utf8')).pid);
        if (owner === process.pid) unlinkSync(lockFile);
      } catch {
        // Already gone.
      }
    };
    // A crash or process.exit() still removes it; only SIGKILL leaves it (then taken over above).
    process.once('exit', release);
    return release;
  }
  throw new Error(`${display(lockFile)}: could not take the lock`);
}

/** `lockPath` for a PGlite data directory (`<dir>.lock`, e.g. `.data/pglite.lock`). */
export function lockPgliteDirectory(dataDir: string): () => void {
  return lockPath(dataDir);
}

async function open(): Promise<Database> {
  const dir = pgliteDirectory();
  const release = dir ? lockPgliteDirectory(dir) : () => undefined;
  let database: Database;
  try {
    database = await openDatabase();
  } catch (error) {
    release();
    throw error;
  }
  try {
    await migrate(database.db);
  } catch (error) {
    await database.close().catch(() => undefined);
    release();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    ...database,
    close: () =>
      (closing ??= (async () => {
        try {
          await database.close();
        } finally {
          release();
        }
      })()),
  };
}

/**
 * The process's database (DATABASE_URL, else PGlite under PGLITE_DATA_DIR or .data/pglite),
 * opened and migrated on first use. `close()` on it closes it for everyone in the process; the
 * next call opens it again.
 */
export function sharedDatabase(): Promise<Database> {
  const existing = holder[KEY];
  if (existing) return existing;
  const opening: Promise<Database> = open().then((database) => ({
    ...database,
    close: async () => {
      if (holder[KEY] === opening) delete holder[KEY];
      await database.close();
    },
  }));
  holder[KEY] = opening;
  // A failed open (the database is down, locked) is retried by the next call instead of sticking.
  opening.catch(() => {
    if (holder[KEY] === opening) delete holder[KEY];
  });
  return opening;
}

/** Closes the shared database if it is open (or opening). */
export async function closeSharedDatabase(): Promise<void> {
  const pending = holder[KEY];
  if (!pending) return;
  delete holder[KEY];
  const database = await pending.catch(() => undefined);
  await database?.close();
}
