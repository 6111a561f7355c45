/**
 * Account snapshots (db/repositories/account-snapshots.ts) on both drivers: kept while no account
 * input changes, brought up to date after any write of one (account fields, contacts, competitors,
 * influence links, inserts and deletes, from this handle or another connection) by re-reading only
 * the accounts written since, equal to a full read; not after the workflows' computed columns or a
 * rolled-back write; and the what-if follows: an edit or a publish shows in its next run.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { accountSnapshot } from '../db/repositories/account-snapshots.js';
import { loadAccountsBulk } from '../db/repositories/accounts-bulk.js';
import {
  deleteAccount,
  updateComputed,
  upsertAccounts,
  upsertCompetitors,
  upsertContacts,
  upsertInfluenceLinks,
} from '../db/repositories/accounts.js';
import { getPublished, publishDocument } from '../db/repositories/rule-sets.js';
import { generateAccounts } from '../db/demo/generate.js';
import { importAccountsCsvText } from '../db/import/accounts.js';
import { runWhatIf } from '../studio/src/routes/rules/[industry]/whatif/what-if.server.js';
import type { Db } from '../db/client.js';
import { DRIVERS, useTestDatabase, type TestDatabase } from './helpers/databases.js';

const ACCOUNTS = generateAccounts(60, 3);

describe.each(DRIVERS)('account snapshots on %s', (driver) => {
  const suite = useTestDatabase(driver, { setup: (t) => upsertAccounts(t.db, ACCOUNTS).then(() => undefined) });
  let t: TestDatabase;
  beforeEach(() => {
    t = suite.t;
  });
  const all = { all: true } as const;

  it('is kept while nothing changes, and holds what a bulk read returns', async () => {
    const first = await accountSnapshot(t.db, all);
    expect(await accountSnapshot(t.db, all)).toBe(first);
    expect(first.accounts).toEqual(await loadAccountsBulk(t.db, all));
    expect(first.accounts).toHaveLength(ACCOUNTS.length);
  });

  it('is read once for calls made while a read is under way', async () => {
    await t.db.execute(sql`update accounts set revenue_with_us = 4343 where id = ${ACCOUNTS[3]!.id}`);
    const [x, y, z] = await Promise.all([accountSnapshot(t.db, all), accountSnapshot(t.db, all), accountSnapshot(t.db, all)]);
    expect(y).toBe(x);
    expect(z).toBe(x);
    expect(x.accounts.find((a) => a.id === ACCOUNTS[3]!.id)?.revenueWithUs).toBe(4343);
  });

  it('is kept after the computed columns the workflows write, and after a rolled-back write', async () => {
    const first = await accountSnapshot(t.db, all);
    await updateComputed(t.db, ACCOUNTS[0]!.id, { tier: 'T1', score: 99, stage: 'plan', closeness: 12 });
    await t.db
      .transaction(async (tx) => {
        await tx.execute(sql`update accounts set revenue_with_us = 1 where id = ${ACCOUNTS[0]!.id}`);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await accountSnapshot(t.db, all)).toBe(first);
  });

  const a = ACCOUNTS[1]!;
  const writes: [string, (t: TestDatabase) => Promise<unknown>, (accounts: readonly (typeof a)[]) => unknown][] = [
    [
      'an account field',
      (t) => t.db.execute(sql`update accounts set revenue_with_us = 4242 where id = ${a.id}`),
      (xs) => xs.find((x) => x.id === a.id)?.revenueWithUs,
    ],
    [
      'a contact',
      (t) =>
        upsertContacts(t.db, [
          { accountId: a.id, id: 'snap-c', name: 'New', influence: 4, stance: 2, competitorStances: {}, interactions90d: 1 },
        ]),
      (xs) => xs.find((x) => x.id === a.id)?.contacts.some((c) => c.id === 'snap-c'),
    ],
    [
      'a competitor',
      (t) => upsertCompetitors(t.db, [{ accountId: a.id, id: 'snap-k', name: 'Rival', share: 0.1 }]),
      (xs) => xs.find((x) => x.id === a.id)?.competitors.some((k) => k.id === 'snap-k'),
    ],
    [
      'an influence link',
      (t) => upsertInfluenceLinks(t.db, [{ accountId: a.id, from: 'snap-c', to: a.contacts[0]!.id, weight: 2 }]),
      (xs) => xs.find((x) => x.id === a.id)?.influenceLinks.some((l) => l.from === 'snap-c'),
    ],
    ['a new account', (t) => upsertAccounts(t.db, [{ ...a, id: 'snap-new' }]), (xs) => xs.some((x) => x.id === 'snap-new')],
    ['a deleted account', (t) => deleteAccount(t.db, 'snap-new'), (xs) => xs.some((x) => x.id === 'snap-new')],
  ];
  for (const [what, write, read] of writes) {
    it(`is read afresh after a write of ${what}`, async () => {
      const before = await accountSnapshot(t.db, all);
      const was = read(before.accounts);
      await write(t);
      const after = await accountSnapshot(t.db, all);
      expect(after).not.toBe(before);
      expect(after.version).toBeGreaterThan(before.version);
      expect(read(after.accounts)).not.toEqual(was);
      expect(after.accounts).toEqual(await loadAccountsBulk(t.db, all));
    });
  }

  // PGlite is one process with one handle; PostgreSQL has other writers (CLI, workers).
  it.each(driver === 'postgres' ? ['postgres'] : [])('sees a write made through another connection (%s)', async () => {
    const before = await accountSnapshot(t.db, all);
    const other = await openDatabase({ url: t.url!, max: 1 });
    try {
      await other.db.execute(sql`update accounts set name = 'Renamed elsewhere' where id = ${a.id}`);
    } finally {
      await other.close();
    }
    const after = await accountSnapshot(t.db, all);
    expect(after).not.toBe(before);
    expect(after.accounts.find((x) => x.id === a.id)?.name).toBe('Renamed elsewhere');
  });

  /** `write` in a transaction of its own: through another connection where there can be one. */
  const elsewhere = async (write: (db: Db) => Promise<unknown>) => {
    if (driver !== 'postgres') return t.db.transaction((tx) => write(tx as unknown as Db));
    const other = await openDatabase({ url: t.url!, max: 1 });
    try {
      return await write(other.db);
    } finally {
      await other.close();
    }
  };

  it('re-reads only the accounts written since, and then equals a full read (edit, insert, delete, import)', async () => {
    const b = ACCOUNTS[7]!;
    const imported = ACCOUNTS[9]!;
    const csv = [
      'id,name,industry,region,status,employees,revenueWithUs,potential,demonstration,winnability',
      `${imported.id},Imported again,${imported.industry},East,active,12,34,56,7,8`,
      `delta-imported,Imported new,${imported.industry},West,active,1,2,3,4,5`,
    ].join('\n');
    const rival = ACCOUNTS.find((x) => x.competitors.length > 0 && x.id !== b.id && x.id !== imported.id)!;
    const steps: [string, () => Promise<unknown>, string[] | 'all'][] = [
      [
        'a contact edit',
        () =>
          t.db.execute(
            sql`update contacts set stance = case when stance = 1 then 2 else 1 end where account_id = ${b.id} and id = ${b.contacts[0]!.id}`,
          ),
        [b.id],
      ],
      [
        'a competitor removed',
        () => t.db.execute(sql`delete from competitors where account_id = ${rival.id} and id = ${rival.competitors[0]!.id}`),
        [rival.id],
      ],
      ['an insert', () => upsertAccounts(t.db, [{ ...b, id: 'delta-new', name: 'Delta new' }]), ['delta-new']],
      ['a delete', () => deleteAccount(t.db, ACCOUNTS[5]!.id), []],
      [
        'a delete and an insert (as many accounts as before)',
        () =>
          t.db.transaction(async (tx) => {
            await deleteAccount(tx as unknown as Db, 'delta-new');
            await upsertAccounts(tx as unknown as Db, [{ ...b, id: 'delta-swapped', name: 'Delta swapped' }]);
          }),
        ['delta-swapped'],
      ],
      [
        'an import in another transaction',
        () => elsewhere((db) => importAccountsCsvText(db, csv)),
        [imported.id, 'delta-imported'],
      ],
      ['influence links truncated', () => t.db.execute(sql`truncate influence_links`), 'all'],
    ];
    for (const [what, write, written] of steps) {
      const before = await accountSnapshot(t.db, all);
      const copy = structuredClone(before.accounts);
      await write();
      const after = await accountSnapshot(t.db, all);
      expect(after.version, what).toBeGreaterThan(before.version);
      expect(after.accounts, what).toEqual(await loadAccountsBulk(t.db, all));
      // The others are the very objects kept; the kept snapshot is left as it was.
      const reread = after.accounts.filter((x) => !before.accounts.includes(x)).map((x) => x.id);
      expect(reread.sort(), what).toEqual(written === 'all' ? after.accounts.map((x) => x.id).sort() : [...written].sort());
      expect(before.accounts, what).toEqual(copy);
    }
    const last = (await accountSnapshot(t.db, all)).accounts.map((x) => x.id);
    expect(last).not.toContain(ACCOUNTS[5]!.id);
    expect(last).not.toContain('delta-new');
  });

  it('drops an account that leaves an industry, and keeps its memos only while none of its accounts changed', async () => {
    const industry = ACCOUNTS[0]!.industry!;
    const filter = { industries: [industry] };
    const leaving = ACCOUNTS.find((x) => x.industry === industry && x.id !== ACCOUNTS[0]!.id)!;
    const other = ACCOUNTS.find((x) => x.industry !== industry)!;
    const first = await accountSnapshot(t.db, filter);
    expect(first.memo('n', 'k', () => 1)).toBe(1);

    await t.db.execute(sql`update accounts set potential = 77 where id = ${other.id}`);
    const unchanged = await accountSnapshot(t.db, filter);
    expect(unchanged.version).toBeGreaterThan(first.version);
    expect(unchanged.accounts).toBe(first.accounts);
    expect(unchanged.memo('n', 'k', () => 2)).toBe(1);

    await t.db.execute(sql`update accounts set industry = ${`${industry}-moved`} where id = ${leaving.id}`);
    const left = await accountSnapshot(t.db, filter);
    expect(left.accounts.some((x) => x.id === leaving.id)).toBe(false);
    expect(left.accounts).toEqual(await loadAccountsBulk(t.db, filter));
    expect(left.memo('n', 'k', () => 3)).toBe(3);
  });

  it('what-if: an account edit and a publish show in the next run', async () => {
    // A realistic draft of the fallback: revenue weighed less, potential more.
    const draft = structuredClone((await getPublished(t.db, '*'))!.document) as { grade: { weights: Record<string, number> } };
    draft.grade.weights = { ...draft.grade.weights, revenue: 0.25, potential: 0.4 };
    const run = async () => {
      const r = await runWhatIf(t.db, '*', draft);
      if (!r.ok) throw new Error(`invalid draft: ${JSON.stringify(r.issues)}`);
      return r;
    };
    const first = await run();
    expect(first.counts.tier).toBeGreaterThan(0);
    // A moving account made a top account is T1 under both: one fewer moves.
    const mover = first.changed.rows.find((r) => r.changes.tier)!;
    await t.db.execute(
      sql`update accounts set revenue_with_us = 1e10, potential = 1e11, demonstration = 100, winnability = 100 where id = ${mover.id}`,
    );
    const second = await run();
    expect(second.counts.tier).toBe(first.counts.tier - 1);
    expect(second.changed.rows.some((r) => r.id === mover.id && r.changes.tier)).toBe(false);
    // Publishing the draft itself: nothing moves any more.
    await publishDocument(t.db, '*', draft, { by: 'test', comment: 'weights' });
    expect((await run()).counts.changed).toBe(0);
  });
});

/**
 * Migration 0010's lock order on a real server (PGlite has one connection): every writer of inputs
 * takes the inputs version before any account row, so an import-style transaction and a plain
 * edit of another account wait for each other instead of deadlocking.
 */
describe('the inputs version and account row locks (postgres)', () => {
  const suite = useTestDatabase('postgres', { setup: (t) => upsertAccounts(t.db, ACCOUNTS).then(() => undefined) });
  const [a, x] = [ACCOUNTS[0]!.id, ACCOUNTS[1]!.id];

  async function twoSessions(run: (s1: postgres.Sql, s2: postgres.Sql) => Promise<void>): Promise<void> {
    const [s1, s2] = [
      postgres(suite.t.url!, { max: 1, onnotice: () => {} }),
      postgres(suite.t.url!, { max: 1, onnotice: () => {} }),
    ];
    try {
      await run(s1, s2);
    } finally {
      await Promise.all([s1.end({ timeout: 5 }), s2.end({ timeout: 5 })]);
    }
  }

  it('an import writing an account then another account’s contacts, beside an edit of that other account', async () => {
    await twoSessions(async (s1, s2) => {
      let edit: Promise<unknown> | undefined;
      await s2.begin(async (tx) => {
        await tx`update accounts set name = 'renamed' where id = ${x}`;
        edit = s1`update accounts set potential = 1 where id = ${a}`.execute();
        edit.catch(() => {});
        await new Promise((r) => setTimeout(r, 300));
        await tx`insert into contacts (account_id, id, name, influence, stance) values (${a}, 'lock-order', 'Lock Order', 3, 0)`;
      });
      await edit;
    });
  });
});
