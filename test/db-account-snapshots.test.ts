/**
 * Account snapshots (db/repositories/account-snapshots.ts) on both drivers: kept while no account
 * input changes, read afresh after any write of one (account fields, contacts, competitors,
 * influence links, inserts and deletes, from this handle or another connection), not after the
 * workflows' computed columns or a rolled-back write; and the what-if follows: an edit or a
 * publish shows in its next run.
 */
import { sql } from 'drizzle-orm';
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
import { runWhatIf } from '../studio/src/routes/rules/[industry]/whatif/what-if.server.js';
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
    ['an account field', (t) => t.db.execute(sql`update accounts set revenue_with_us = 4242 where id = ${a.id}`), (xs) => xs.find((x) => x.id === a.id)?.revenueWithUs],
    [
      'a contact',
      (t) => upsertContacts(t.db, [{ accountId: a.id, id: 'snap-c', name: 'New', influence: 4, stance: 2, competitorStances: {}, interactions90d: 1 }]),
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
