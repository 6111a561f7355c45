/**
 * The one database handle of the studio's server process, opened and migrated once (the `init`
 * hook awaits it before the first request) and shared by every request. PGlite is a single
 * connection and must not be opened twice on the same data directory, which is another reason to
 * never open it per request.
 *
 * The handle is the process's shared one (db/shared.ts, kept on `globalThis`): when `npm start`
 * serves this build in its own process, the studio, the worker and the seed use the same handle.
 */
import type { Database, Db } from '$db/client.js';
import { closeSharedDatabase, sharedDatabase } from '$db/shared.js';

export function database(): Promise<Database> {
  return sharedDatabase();
}

export async function db(): Promise<Db> {
  return (await database()).db;
}

export async function closeDatabase(): Promise<void> {
  await closeSharedDatabase();
}
