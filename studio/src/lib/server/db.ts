/**
 * The one database handle of the studio's server process, opened and migrated once (the `init`
 * hook awaits it before the first request) and shared by every request. PGlite is a single
 * connection and must not be opened twice on the same data directory, which is another reason to
 * never open it per request.
 *
 * Project modules are imported by relative path (not a Vite alias) so that vitest, tsx scripts and
 * the studio build all resolve them the same way without extra configuration.
 */
import { openDatabase, type Database, type Db } from '../../../../db/client.js';
import { migrate } from '../../../../db/migrate.js';

let opening: Promise<Database> | undefined;

export function database(): Promise<Database> {
  opening ??= (async () => {
    const database = await openDatabase();
    try {
      await migrate(database.db);
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  })().catch((error: unknown) => {
    // A failed start (e.g. the database is down) is retried by the next request instead of sticking.
    opening = undefined;
    throw error;
  });
  return opening;
}

export async function db(): Promise<Db> {
  return (await database()).db;
}

export async function closeDatabase(): Promise<void> {
  const pending = opening;
  opening = undefined;
  if (pending) await (await pending).close();
}
