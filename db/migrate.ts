/** Applies the committed drizzle-kit migrations in `db/migrations` with the driver's migrator. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { is } from 'drizzle-orm';
import { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { Db } from './client.js';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** `migrationsFolder`: another folder in drizzle-kit's layout (a test's copy of the first few). */
export async function migrate(db: Db, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  const config = { migrationsFolder };
  if (is(db, PgliteDatabase)) return migratePglite(db as unknown as PgliteDatabase, config);
  if (is(db, PostgresJsDatabase)) return migratePostgres(db as unknown as PostgresJsDatabase, config);
  throw new Error('migrate: expected a database opened by openDatabase(), not a transaction');
}
