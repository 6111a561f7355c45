/** `esp db migrate`: apply the committed migrations and publish the default rule sets. */
import { openDatabase, type Database, type Db } from '../../db/client.js';
import { migrate } from '../../db/migrate.js';
import { seedDefaultRuleSets } from '../../db/repositories/rule-sets.js';
import { CliError, parseOptions } from '../io.js';
import type { CommandRunner } from './index.js';

/**
 * Opens the configured database (DATABASE_URL, else PGlite under .data/), makes sure it is
 * migrated and seeded, runs `fn` and closes it. Commands that read rule sets use it so a fresh
 * checkout works without a separate `esp db migrate`.
 */
export async function withDatabase<T>(
  fn: (db: Db, database: Database) => Promise<T>,
  opts: { prepare?: boolean } = {},
): Promise<T> {
  let database: Database;
  try {
    database = await openDatabase();
  } catch (error) {
    throw new CliError(`cannot open the database: ${(error as Error).message}`, 1);
  }
  try {
    if (opts.prepare ?? true) await prepare(database);
    return await fn(database.db, database);
  } finally {
    await database.close();
  }
}

async function prepare(database: Database): Promise<string[]> {
  try {
    await migrate(database.db);
    return await seedDefaultRuleSets(database.db);
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw new CliError(`${database.location}: migration failed: ${cause?.message ?? (error as Error).message}`, 1);
  }
}

export const dbMigrateCommand: CommandRunner = {
  async run(args) {
    parseOptions(args, {}, false);
    return withDatabase(
      async (_db, database) => {
        const seeded = await prepare(database);
        process.stdout.write(`${database.driver} ${database.location}: migrations applied\n`);
        if (seeded.length > 0) process.stdout.write(`published the default rule sets of ${seeded.join(', ')}\n`);
        return 0;
      },
      { prepare: false },
    );
  },
};
