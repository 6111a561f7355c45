import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.js';
import { migrate, MIGRATIONS_DIR } from '../db/migrate.js';
import { getAccount, upsertAccounts } from '../db/repositories/accounts.js';
import { getEffective, listIndustries, seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { accountSchema } from '../engine/model.js';
import { DRIVERS, openTestDatabase } from './helpers/databases.js';

describe('PGlite on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esp-pglite-persist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps data across close and reopen', async () => {
    const first = await openDatabase({ driver: 'pglite', dataDir: dir });
    expect(first.driver).toBe('pglite');
    await migrate(first.db);
    await seedDefaultRuleSets(first.db);
    await upsertAccounts(first.db, [accountSchema.parse({ id: 'p1', name: 'Persistent Ltd', industry: 'finance' })]);
    await first.close();

    const second = await openDatabase({ driver: 'pglite', dataDir: dir });
    await migrate(second.db);
    expect((await getAccount(second.db, 'p1'))?.name).toBe('Persistent Ltd');
    expect(await seedDefaultRuleSets(second.db)).toEqual([]);
    expect((await getEffective(second.db, 'finance')).key).toBe('finance@1+*@1');
    await second.close();
  });
});

describe.each(DRIVERS)('migrations on %s', (driver) => {
  it('apply to an empty database and again as a no-op', async () => {
    const t = await openTestDatabase(driver, { migrate: false });
    try {
      await migrate(t.db);
      await migrate(t.db);
      const rows = await t.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(sql`drizzle.__drizzle_migrations`);
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(rows[0]!.n).toBe(journal.entries.length);
      expect(await seedDefaultRuleSets(t.db)).toHaveLength(7);
      expect((await listIndustries(t.db)).length).toBe(7);
    } finally {
      await t.close();
    }
  });
});
