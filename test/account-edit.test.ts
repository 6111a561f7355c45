import { describe, expect, it } from 'vitest';
import { accountSchema, type Account } from '../engine/model.js';
import { validateAccount } from '../db/import/account-validation.js';
import { importAccounts, parseAccountsCsv, parseAccountsJson } from '../db/import/accounts.js';
import { importContacts, parseContactsCsv } from '../db/import/contacts.js';
import { accountVersion, diffAccounts, listAccountChanges, saveAccountEdit } from '../db/repositories/account-changes.js';
import { getAccount, upsertAccounts } from '../db/repositories/accounts.js';
import { editAccount } from '../studio/src/routes/accounts/[id]/edit/account-edit.server.js';
import type { SessionUser } from '../studio/src/lib/user.js';
import { DRIVERS, useTestDatabase } from './helpers/databases.js';

const manager = (id: string): SessionUser => ({ id, email: `${id}@example.test`, name: id, role: 'manager', locale: 'en' });

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
}

const base: Account = accountSchema.parse({
  id: 'ACME',
  name: 'Acme',
  industry: 'finance',
  status: 'active',
  ownerId: 'm-1',
  revenueWithUs: 1_000_000,
  contacts: [
    { id: 'c1', name: 'Li Wei', influence: 5, stance: 1 },
    { id: 'c2', name: 'Wang Fang', influence: 3, stance: 0, reportsTo: 'c1' },
    { id: 'c3', name: 'Zhao Lei', influence: 2, stance: -1, reportsTo: 'c2' },
  ],
  competitors: [{ id: 'oracle', name: 'Oracle', share: 0.3 }],
});

/** c1 now reports to c3, who reports to c2, who reports to c1. */
const looping = { ...base, contacts: base.contacts.map((c) => (c.id === 'c1' ? { ...c, reportsTo: 'c3' } : c)) };

describe('the shared account validator', () => {
  it('refuses a reporting loop at the reportsTo of the contact that closes it, naming the loop', () => {
    const result = validateAccount(looping);
    expect(result).toEqual({
      ok: false,
      issues: [{ path: ['contacts', 0, 'reportsTo'], code: 'ref.reportingLoop', params: { chain: 'c1 → c3 → c2 → c1' } }],
    });
  });

  it('the JSON import refuses the same loop with the same code (it accepted loops before)', () => {
    const parsed = parseAccountsJson(JSON.stringify([looping], null, 2), { file: 'a.json' });
    expect(parsed.problems.list).toEqual([
      expect.objectContaining({
        file: 'a.json',
        column: '$[0].contacts[0].reportsTo',
        code: 'ref.reportingLoop',
        message: 'the reporting line loops: c1 → c3 → c2 → c1',
      }),
    ]);
  });

  it('refuses field errors at their path, and passes a valid account', () => {
    const bad = validateAccount({ ...base, winnability: 140, contacts: [{ ...base.contacts[0]!, influence: 9 }] });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => [i.path.join('.'), i.code])).toEqual([
        ['winnability', 'value.atMost'],
        ['contacts.0.influence', 'value.atMost'],
      ]);
    expect(validateAccount(base)).toEqual({ ok: true, value: base });
  });

  it('diffs field by field, and lists added and removed items whole', () => {
    const after: Account = {
      ...base,
      potential: 5_000_000,
      contacts: [{ ...base.contacts[0]!, title: 'CIO' }, base.contacts[1]!],
      competitors: [...base.competitors, { id: 'sap', name: 'SAP', share: 0.1, strengths: 'Installed base' }],
    };
    expect(diffAccounts(base, after)).toEqual([
      { field: 'potential', before: null, after: 5_000_000 },
      { field: 'contacts.c3', before: base.contacts[2], after: null },
      { field: 'contacts.c1.title', before: null, after: 'CIO' },
      { field: 'competitors.sap', before: null, after: after.competitors[1] },
    ]);
  });
});

describe.each(DRIVERS)('account edits on %s', (driver) => {
  const suite = useTestDatabase(driver, { seed: false, setup: (t) => upsertAccounts(t.db, [base]).then(() => undefined) });

  it('saves an edit with its audit entry, and refuses a stale one with who changed what, when, and the current values', async () => {
    const { db } = suite.t;
    expect(await accountVersion(db, 'ACME')).toBe(0);
    const first = await saveAccountEdit(db, {
      account: { ...base, potential: 5_000_000, solution: 'Core banking on our cloud' },
      baseVersion: 0,
      by: 'manager-1',
    });
    expect(first).toEqual({
      kind: 'saved',
      version: 1,
      changes: [
        { field: 'potential', before: null, after: 5_000_000 },
        { field: 'solution', before: null, after: 'Core banking on our cloud' },
      ],
    });
    expect((await getAccount(db, 'ACME'))!.solution).toBe('Core banking on our cloud');

    // A second editor who loaded version 0 too.
    const stale = await saveAccountEdit(db, { account: { ...base, potential: 7_000_000 }, baseVersion: 0, by: 'manager-2' });
    expect(stale.kind).toBe('conflict');
    if (stale.kind !== 'conflict') return;
    expect(stale.conflict.version).toBe(1);
    expect(stale.conflict.current.potential).toBe(5_000_000);
    expect(stale.conflict.since).toEqual([
      expect.objectContaining({
        version: 1,
        changedBy: 'manager-1',
        changedAt: expect.any(Date),
        changes: first.kind === 'saved' ? first.changes : [],
      }),
    ]);
    // Nothing of the stale edit was written.
    expect((await getAccount(db, 'ACME'))!.potential).toBe(5_000_000);
    expect(await accountVersion(db, 'ACME')).toBe(1);

    // Based on the current version it goes through; an edit that changes nothing writes nothing.
    expect(
      (
        await saveAccountEdit(db, {
          account: { ...base, potential: 7_000_000, solution: 'Core banking on our cloud' },
          baseVersion: 1,
          by: 'manager-2',
        })
      ).kind,
    ).toBe('saved');
    const unchanged = await saveAccountEdit(db, { account: (await getAccount(db, 'ACME'))!, baseVersion: 2, by: 'manager-2' });
    expect(unchanged).toEqual({ kind: 'saved', version: 2, changes: [] });

    const trail = await listAccountChanges(db, 'ACME');
    expect(trail.map((c) => [c.version, c.changedBy, c.changes.map((x) => x.field)])).toEqual([
      [2, 'manager-2', ['potential']],
      [1, 'manager-1', ['potential', 'solution']],
    ]);
  });

  it('replaces contacts, competitors and links with the edited lists, and knows no missing account', async () => {
    const { db } = suite.t;
    const version = (await accountVersion(db, 'ACME'))!;
    const current = (await getAccount(db, 'ACME'))!;
    const next: Account = {
      ...current,
      contacts: current.contacts.filter((c) => c.id !== 'c3'),
      competitors: [{ id: 'sap', name: 'SAP', share: 0.2, theirOffer: 'ERP suite', strengths: 'Installed base', ourEdge: null }],
      influenceLinks: [{ from: 'c2', to: 'c1', weight: 2 }],
    };
    const saved = await saveAccountEdit(db, { account: next, baseVersion: version, by: 'admin' });
    expect(saved.kind).toBe('saved');
    const stored = (await getAccount(db, 'ACME'))!;
    expect(stored.contacts.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(stored.competitors).toEqual([
      { id: 'sap', name: 'SAP', share: 0.2, theirOffer: 'ERP suite', ourEdge: null, strengths: 'Installed base' },
    ]);
    expect(stored.influenceLinks).toEqual([{ from: 'c2', to: 'c1', weight: 2 }]);
    expect(await saveAccountEdit(db, { account: { ...next, id: 'NOPE' }, baseVersion: 0, by: 'admin' })).toEqual({
      kind: 'notFound',
    });
  });

  it('an import that rewrote the account makes an open form stale; re-importing the same values does not', async () => {
    const { db } = suite.t;
    const opened = (await accountVersion(db, 'ACME'))!;
    const csv = 'id,name,potential,solution,businessValue\nACME,Acme,9000000,Core banking,Batch window cut to 1 h\n';
    await importAccounts(db, parseAccountsCsv(csv), 'csv', { by: 'cli:ops' });
    const imported = (await accountVersion(db, 'ACME'))!;
    expect(imported).toBeGreaterThan(opened);
    expect(await getAccount(db, 'ACME')).toMatchObject({ solution: 'Core banking', businessValue: 'Batch window cut to 1 h' });
    await importAccounts(db, parseAccountsCsv(csv), 'csv', { by: 'cli:ops' });
    expect(await accountVersion(db, 'ACME')).toBe(imported);
    // The import's audit row, field by field; the unchanged re-import wrote none.
    const importRow = {
      version: imported,
      changedBy: 'cli:ops',
      changedAt: expect.any(Date),
      changes: [
        { field: 'potential', before: 7_000_000, after: 9_000_000 },
        { field: 'solution', before: 'Core banking on our cloud', after: 'Core banking' },
        { field: 'businessValue', before: null, after: 'Batch window cut to 1 h' },
      ],
    };
    expect((await listAccountChanges(db, 'ACME')).filter((c) => c.changedBy === 'cli:ops')).toEqual([
      expect.objectContaining(importRow),
    ]);

    const current = (await getAccount(db, 'ACME'))!;
    const stale = await saveAccountEdit(db, { account: { ...current, potential: 1 }, baseVersion: opened, by: 'manager-1' });
    // The conflict names who (the import) and when.
    expect(stale).toMatchObject({ kind: 'conflict', conflict: { version: imported, since: [importRow] } });
    expect((await getAccount(db, 'ACME'))!.potential).toBe(9_000_000);

    await importContacts(db, parseContactsCsv('accountId,id,name,influence,stance\nACME,c9,Sun Li,2,0\n'), 'csv');
    expect(await accountVersion(db, 'ACME')).toBe(imported + 1);
    const [contactRow] = await listAccountChanges(db, 'ACME', 1);
    expect(contactRow).toMatchObject({
      version: imported + 1,
      changedBy: 'import',
      changes: [{ field: 'contacts.c9', before: null, after: expect.objectContaining({ id: 'c9', name: 'Sun Li' }) }],
    });

    // A JSON import replaces the whole account: what it dropped shows as removed.
    const whole = { ...(await getAccount(db, 'ACME'))!, competitors: [], competitorsNoneKnown: true };
    await importAccounts(db, parseAccountsJson(JSON.stringify([whole])), 'json', { by: 'cli:ops' });
    const [jsonRow] = await listAccountChanges(db, 'ACME', 1);
    expect(jsonRow).toMatchObject({ version: (await accountVersion(db, 'ACME'))!, changedBy: 'cli:ops' });
    expect(jsonRow!.changes.map((c) => [c.field, c.after])).toEqual(
      expect.arrayContaining([
        ['competitorsNoneKnown', true],
        ['competitors.sap', null],
      ]),
    );
  });

  it('the studio: another manager is refused with a 404 and nothing written; a loop of the owner is refused at the field', async () => {
    const { db } = suite.t;
    const version = (await accountVersion(db, 'ACME'))!;
    const attack = editAccount(db, manager('m-2'), 'ACME', 'profile', form({ version: String(version), name: 'Mine now' }), null);
    await expect(attack).rejects.toMatchObject({ status: 404 });
    expect((await getAccount(db, 'ACME'))!.name).toBe('Acme');

    const loop = await editAccount(
      db,
      manager('m-1'),
      'ACME',
      'contact',
      form({
        version: String(version),
        originalId: 'c1',
        id: 'c1',
        name: 'Li Wei',
        influence: '5',
        stance: '1',
        reportsTo: 'c2',
      }),
      null,
    );
    expect(loop).toMatchObject({
      ok: false,
      kind: 'invalid',
      errors: { reportsTo: { code: 'ref.reportingLoop', params: { chain: 'c1 → c2 → c1' } } },
    });
    expect(await accountVersion(db, 'ACME')).toBe(version);

    const saved = await editAccount(
      db,
      manager('m-1'),
      'ACME',
      'value',
      form({ version: String(version), solution: 'Ours', businessValue: 'Saves 10%' }),
      null,
    );
    expect(saved).toMatchObject({ ok: true, version: version + 1, fields: ['solution', 'businessValue'], notified: false });
    // A stale form (the version before) is a conflict naming the edit that beat it.
    const stale = await editAccount(
      db,
      manager('m-1'),
      'ACME',
      'value',
      form({ version: String(version), solution: 'Theirs' }),
      null,
    );
    expect(stale).toMatchObject({
      ok: false,
      kind: 'conflict',
      conflict: {
        version: version + 1,
        since: [{ by: 'm-1', fields: ['solution', 'businessValue'] }],
        current: { solution: 'Ours' },
      },
    });
  });
});
