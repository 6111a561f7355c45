import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, NO_PASSWORD, verifyPassword } from '../db/auth/password.js';
import type { Db } from '../db/client.js';
import { DEMO_ADMIN_EMAIL, DEMO_PASSWORD, generateDemo } from '../db/demo/generate.js';
import { hasNoAccounts, seedDemo } from '../db/demo/seed.js';
import { getAccount } from '../db/repositories/accounts.js';
import { teamNames, upsertTeams } from '../db/repositories/teams.js';
import { getUserByEmail, updateUser } from '../db/repositories/users.js';
import {
  accounts,
  competitors,
  contacts,
  influenceLinks,
  opportunities,
  teamMembers,
  teams,
  users,
  visits,
} from '../db/schema.js';
import { teamName } from '../studio/src/lib/components/terms.js';
import { createI18n } from '../studio/src/lib/i18n/index.js';
import { DRIVERS, openTestDatabase, type TestDatabase } from './helpers/databases.js';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, in a self-describing format', { timeout: 60_000 }, async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret', b)).toBe(true);
    expect(await verifyPassword('S3cret', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('keeps its parameters in the hash and refuses malformed or unusable ones', async () => {
    const cheap = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('pw', cheap)).toBe(true);
    expect(await verifyPassword('pw', NO_PASSWORD)).toBe(false);
    expect(await verifyPassword('pw', cheap.replace('$1024$', '$1000$'))).toBe(false);
    expect(await verifyPassword('pw', cheap.replace('$1024$', `$${2 ** 30}$`))).toBe(false);
    expect(await verifyPassword('pw', 'bcrypt$whatever')).toBe(false);
  });
});

async function counts(db: Db) {
  const tables = { accounts, contacts, competitors, influenceLinks, visits, opportunities, users, teams, teamMembers };
  const out: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) out[name] = (await db.select({ n: count() }).from(table))[0]!.n;
  return out;
}

describe.each(DRIVERS)('demo seed on %s', { timeout: 120_000 }, (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await t?.close();
  });

  const options = { accounts: 60, seed: 5, today: '2025-03-31' };

  it('writes the generated data, and re-seeding the same seed changes nothing', async () => {
    expect(await hasNoAccounts(t.db)).toBe(true);
    const progress: number[] = [];
    const r = await seedDemo(t.db, { ...options, batchSize: 25, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([25, 50, 60]);
    const demo = generateDemo(options);
    const expected = {
      accounts: 60,
      contacts: demo.accounts.reduce((s, a) => s + a.contacts.length, 0),
      competitors: demo.accounts.reduce((s, a) => s + a.competitors.length, 0),
      influenceLinks: demo.accounts.reduce((s, a) => s + a.influenceLinks.length, 0),
      visits: demo.visits.length,
      opportunities: demo.opportunities.length,
      users: 9,
      teams: 12,
      teamMembers: demo.teams.reduce((s, x) => s + x.members.length, 0),
    };
    expect(await counts(t.db)).toEqual(expected);
    expect(r).toMatchObject({ accounts: 60, usersCreated: 9, visits: expected.visits });
    expect(await hasNoAccounts(t.db)).toBe(false);
    expect(await getAccount(t.db, demo.accounts[7]!.id)).toEqual(demo.accounts[7]);

    // An admin changed their password since: re-seeding keeps it.
    const admin = (await getUserByEmail(t.db, DEMO_ADMIN_EMAIL))!;
    expect(await verifyPassword(DEMO_PASSWORD, admin.passwordHash)).toBe(true);
    await updateUser(t.db, admin.id, { passwordHash: await hashPassword('changed', { N: 1024, r: 8, p: 1 }) });

    const again = await seedDemo(t.db, options);
    expect(again.usersCreated).toBe(0);
    expect(await counts(t.db)).toEqual(expected);
    expect(await getAccount(t.db, demo.accounts[7]!.id)).toEqual(demo.accounts[7]);
    const [adminAfter] = await t.db.select().from(users).where(eq(users.id, admin.id));
    expect(await verifyPassword('changed', adminAfter!.passwordHash)).toBe(true);
  });

  it("stores no made-up team names: the studio words the teams in the reader's language", async () => {
    const ids = ['industry:retail', 'region:East'];
    const names = Object.fromEntries(await teamNames(t.db, ids));
    expect(names).toEqual({});
    const [en, zh] = (['en', 'zh-CN'] as const).map((locale) => createI18n(() => ({ locale, currency: 'CNY', timeZone: 'UTC' })));
    expect(teamName(zh!, 'industry:retail', names)).toBe('零售行业团队');
    expect(teamName(en!, 'industry:retail', names)).toBe('Retail industry team');
    expect(teamName(zh!, 'region:East', names)).toBe('East区域团队');

    // A name the organisation gave a team survives re-seeding.
    await upsertTeams(t.db, [{ id: 'industry:retail', name: '零售一部', line: 'industry' }]);
    await seedDemo(t.db, options);
    expect(Object.fromEntries(await teamNames(t.db, ids))).toEqual({ 'industry:retail': '零售一部' });
  });

  it('seeding another seed on top upserts the same ids', async () => {
    await seedDemo(t.db, { ...options, seed: 6 });
    const c = await counts(t.db);
    expect(c['accounts']).toBe(60);
    expect(c['visits']).toBe(generateDemo({ ...options, seed: 6 }).visits.length);
  });
});
