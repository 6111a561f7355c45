import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../db/client.js';
import { migrate, MIGRATIONS_DIR } from '../db/migrate.js';
import { getAccount, upsertAccounts } from '../db/repositories/accounts.js';
import { getEffective, listIndustries, seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { teams } from '../db/schema.js';
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

  it('0011 clears the team names the demo and the CRM import made up, and keeps the others', async () => {
    // The migrations up to 0010, in drizzle-kit's layout.
    const before = mkdtempSync(join(tmpdir(), 'esp-migrations-'));
    const t = await openTestDatabase(driver, { migrate: false });
    try {
      cpSync(MIGRATIONS_DIR, before, { recursive: true });
      const journalPath = join(before, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
      const upTo = journal.entries.findIndex((e) => e.tag.startsWith('0011_'));
      expect(upTo).toBe(11);
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
      await migrate(t.db, before);
      await t.db.insert(teams).values([
        { id: 'industry:retail', name: 'Retail industry team', line: 'industry' },
        { id: 'industry:finance', name: 'Banking squad', line: 'industry' },
        { id: 'region:East', name: 'East region', line: 'regional' },
        { id: 'region:West', name: 'West Coast', line: 'regional' },
        { id: 'manager:dustin-brinkmann', name: "Dustin Brinkmann's team", line: 'regional' },
        { id: 'support', name: 'retail industry team', line: 'support' },
      ]);
      await migrate(t.db);
      const rows = await t.db.select({ id: teams.id, name: teams.name }).from(teams);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.name]))).toEqual({
        'industry:retail': null,
        'industry:finance': 'Banking squad',
        'region:East': null,
        'region:West': 'West Coast',
        'manager:dustin-brinkmann': 'Dustin Brinkmann',
        support: 'retail industry team',
      });
    } finally {
      await t.close();
      rmSync(before, { recursive: true, force: true });
    }
  });
});
