import { beforeEach, describe, expect, it } from 'vitest';
import { diffRuleSets } from '../engine/ruleset-format/diff.js';
import { ruleSets } from '../db/schema.js';
import { and, eq, sql } from 'drizzle-orm';
import {
  createDraft,
  diffVersions,
  discardDraft,
  editDraft,
  getDraft,
  getEffective,
  getEffectiveRules,
  getPublished,
  listIndustries,
  listVersions,
  publish,
  publishDocument,
  rollback,
  seedDefaultRuleSets,
  validateDraft,
} from '../db/repositories/rule-sets.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from '../db/repositories/errors.js';
import { DRIVERS, openTestDatabase, useTestDatabase, type TestDatabase } from './helpers/databases.js';

describe('diffRuleSets', () => {
  it('reports changed, added and removed leaves at JSON paths', () => {
    const a = {
      industry: 'x',
      grade: { weights: { revenue: 0.35, potential: 0.3 }, bands: [{ min: 1, score: 10 }] },
      gone: true,
    };
    const b = {
      industry: 'x',
      grade: {
        weights: { revenue: 0.4, potential: 0.3 },
        bands: [
          { min: 1, score: 10 },
          { min: 5, score: 20 },
        ],
      },
      'odd key': 1,
    };
    expect(diffRuleSets(a, b)).toEqual([
      { path: '$.grade.weights.revenue', kind: 'changed', before: 0.35, after: 0.4 },
      { path: '$.grade.bands[1]', kind: 'added', after: { min: 5, score: 20 } },
      { path: '$.gone', kind: 'removed', before: true },
      { path: '$["odd key"]', kind: 'added', after: 1 },
    ]);
    expect(diffRuleSets(a, structuredClone(a))).toEqual([]);
  });

  it('reports a value whose type changes whole', () => {
    expect(diffRuleSets({ a: [1] }, { a: { 0: 1 } })).toEqual([{ path: '$.a', kind: 'changed', before: [1], after: { 0: 1 } }]);
  });
});

/** A rule set document edited freely in a test, as an admin would in the studio's JSON editor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately untyped JSON
type Doc = Record<string, any>;

describe.each(DRIVERS)('rule set lifecycle on %s', (driver) => {
  const suite = useTestDatabase(driver);
  let t: TestDatabase;
  beforeEach(() => {
    t = suite.t;
  });

  it('seeds version 1 of every default, once', async () => {
    const list = await listIndustries(t.db);
    expect(list.map((l) => l.industry)).toEqual([
      '*',
      'energy',
      'finance',
      'government',
      'healthcare',
      'manufacturing',
      'retail',
    ]);
    expect(list.every((l) => l.published?.version === 1 && !l.draft)).toBe(true);
    expect(await seedDefaultRuleSets(t.db)).toEqual([]);
    expect(await listVersions(t.db, 'finance')).toHaveLength(1);
  });

  it('stores documents as JSON objects with their key order kept', async () => {
    const [row] = await t.db
      .select({ type: sql<string>`json_typeof(${ruleSets.document})` })
      .from(ruleSets)
      .where(eq(ruleSets.industry, 'finance'));
    expect(row!.type).toBe('object');
    const published = await getPublished(t.db, 'finance');
    expect(Object.keys(published!.document as object)).toEqual(['industry', 'extends', 'description', 'grade']);
  });

  it('resolves the effective set, falling back to * for an unknown industry', async () => {
    const finance = await getEffective(t.db, 'finance');
    expect(finance).toMatchObject({ industry: 'finance', version: 1, baseVersion: 1, key: 'finance@1+*@1' });
    expect(finance.ruleSet.grade.bandScale.revenue).toBe(2);
    const unknown = await getEffective(t.db, 'aerospace');
    expect(unknown).toMatchObject({ industry: '*', requestedIndustry: 'aerospace', version: 1, baseVersion: 1, key: '*@1' });
    expect(unknown.ruleSet.industry).toBe('*');
  });

  it('creates one draft from the published version and returns it again', async () => {
    const d1 = await createDraft(t.db, 'energy', 'alice');
    const d2 = await createDraft(t.db, 'energy', 'bob');
    expect(d2.id).toBe(d1.id);
    expect(d1).toMatchObject({ status: 'draft', version: null, basedOnVersion: 1, revision: 0, createdBy: 'alice' });
    const concurrent = await Promise.all([
      createDraft(t.db, 'retail', 'a'),
      createDraft(t.db, 'retail', 'b'),
      createDraft(t.db, 'retail', 'c'),
    ]);
    expect(new Set(concurrent.map((d) => d.id)).size).toBe(1);
    await discardDraft(t.db, 'retail');
    await discardDraft(t.db, 'energy');
  });

  it('rejects a stale edit with a conflict naming who changed the draft and when', async () => {
    const draft = await createDraft(t.db, 'manufacturing', 'alice');
    const doc = structuredClone(draft.document) as Doc;
    doc.grade = { ...doc.grade, tierPolicy: { thresholds: { T1: 85, T2: 65, T3: 45 } } };
    const saved = await editDraft(t.db, 'manufacturing', { document: doc, baseRevision: draft.revision, by: 'bob' });
    expect(saved.revision).toBe(draft.revision + 1);
    const error = await editDraft(t.db, 'manufacturing', { document: doc, baseRevision: draft.revision, by: 'carol' }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('changed by bob at ');
    expect(error.message).toContain(saved.editedAt!.toISOString());
    expect(error.details).toMatchObject({ by: 'bob', revision: saved.revision });
    // Two edits racing on the same revision: exactly one wins.
    const race = await Promise.allSettled([
      editDraft(t.db, 'manufacturing', { document: doc, baseRevision: saved.revision, by: 'x' }),
      editDraft(t.db, 'manufacturing', { document: doc, baseRevision: saved.revision, by: 'y' }),
    ]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(race.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(1);
  });

  it('publishes a valid draft as the next version and archives the old one, with a required comment', async () => {
    const draft = await getDraft(t.db, 'manufacturing');
    await expect(publish(t.db, 'manufacturing', { comment: '  ', by: 'bob' })).rejects.toBeInstanceOf(BadRequestError);
    expect((await validateDraft(t.db, 'manufacturing')).ok).toBe(true);
    const result = await publish(t.db, 'manufacturing', { comment: 'stricter T1', by: 'bob', revision: draft!.revision });
    expect(result.published).toMatchObject({ status: 'published', version: 2, comment: 'stricter T1', publishedBy: 'bob' });
    expect(result.archived).toMatchObject({ version: 1, status: 'archived' });
    expect(result.affectedIndustries).toEqual(['manufacturing']);
    expect(await getDraft(t.db, 'manufacturing')).toBeUndefined();
    const effective = await getEffective(t.db, 'manufacturing');
    expect(effective).toMatchObject({ version: 2, key: 'manufacturing@2+*@1' });
    expect(effective.ruleSet.grade.tierPolicy.thresholds.T1).toBe(85);
    await expectOnePublishedPerIndustry(t);
  });

  it('refuses an invalid draft and changes nothing', async () => {
    const before = await listVersions(t.db, 'finance');
    const draft = await createDraft(t.db, 'finance', 'alice');
    const doc = structuredClone(draft.document) as Doc;
    doc.grade = { ...doc.grade, weights: { revenue: 0.9 } };
    const saved = await editDraft(t.db, 'finance', { document: doc, baseRevision: 0, by: 'alice' });
    const validation = await validateDraft(t.db, 'finance');
    expect(validation.ok).toBe(false);
    expect(validation.issues.map((i) => i.path)).toContain('$.grade.weights');
    const error = await publish(t.db, 'finance', { comment: 'oops', by: 'alice' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error.issues.some((i: { path: string }) => i.path === '$.grade.weights')).toBe(true);
    expect((await listVersions(t.db, 'finance')).filter((v) => v.status !== 'draft')).toEqual(before);
    expect((await getPublished(t.db, 'finance'))?.version).toBe(1);
    expect((await getDraft(t.db, 'finance'))?.revision).toBe(saved.revision);
    await discardDraft(t.db, 'finance');
  });

  it('publishDocument rolls the whole thing back when the document is invalid', async () => {
    const before = await listVersions(t.db, 'government');
    const bad = { industry: 'government', extends: '*', grade: { weights: { revenue: 'lots' } } };
    await expect(publishDocument(t.db, 'government', bad, { comment: 'bad', by: 'cli' })).rejects.toBeInstanceOf(
      InvalidRuleSetError,
    );
    expect(await listVersions(t.db, 'government')).toEqual(before);
    const wrongIndustry = { industry: 'energy', extends: '*' };
    const error = await publishDocument(t.db, 'government', wrongIndustry, { comment: 'x', by: 'cli' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error.issues[0].path).toBe('$.industry');
    const ok = await publishDocument(
      t.db,
      'government',
      { industry: 'government', extends: '*' },
      { comment: 'inherit everything', by: 'cli' },
    );
    expect(ok.published.version).toBe(2);
  });

  it('refuses to overwrite studio edits from the CLI', async () => {
    const draft = await createDraft(t.db, 'healthcare', 'alice');
    await editDraft(t.db, 'healthcare', { document: draft.document, baseRevision: 0, by: 'alice' });
    const error = await publishDocument(t.db, 'healthcare', draft.document, { comment: 'x', by: 'cli' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('edited by alice');
    await discardDraft(t.db, 'healthcare');
  });

  it('never lets a published or archived version change', async () => {
    const published = (await getPublished(t.db, 'energy'))!;
    expect(
      await failure(
        t.db
          .update(ruleSets)
          .set({ document: { industry: 'energy', extends: '*' } })
          .where(eq(ruleSets.id, published.id)),
      ),
    ).toMatch(/published versions never change/);
    expect(await failure(t.db.update(ruleSets).set({ comment: 'rewritten' }).where(eq(ruleSets.id, published.id)))).toMatch(
      /published versions never change/,
    );
    expect(await failure(t.db.delete(ruleSets).where(eq(ruleSets.id, published.id)))).toMatch(/cannot be deleted/);
    const archived = (await listVersions(t.db, 'manufacturing')).find((v) => v.status === 'archived')!;
    expect(await failure(t.db.update(ruleSets).set({ status: 'published' }).where(eq(ruleSets.id, archived.id)))).toMatch(
      /never change|rule_sets_one_published/,
    );
    // A second published version (or draft) for an industry violates a partial unique index.
    expect(
      await failure(t.db.insert(ruleSets).values({ industry: 'energy', version: 99, status: 'published', document: {} })),
    ).toMatch(/rule_sets_one_published/);
    await t.db.insert(ruleSets).values({ industry: 'energy', version: null, status: 'draft', document: {} });
    expect(
      await failure(t.db.insert(ruleSets).values({ industry: 'energy', version: null, status: 'draft', document: {} })),
    ).toMatch(/rule_sets_one_draft/);
    await discardDraft(t.db, 'energy');
    expect((await getPublished(t.db, 'energy'))?.document).toEqual(published.document);
  });

  it('rolls back by re-publishing an older version as a new one', async () => {
    const v1 = (await listVersions(t.db, 'manufacturing')).find((v) => v.version === 1)!;
    await expect(rollback(t.db, 'manufacturing', 2, { comment: 'x', by: 'bob' })).rejects.toBeInstanceOf(BadRequestError);
    await expect(rollback(t.db, 'manufacturing', 9, { comment: 'x', by: 'bob' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(rollback(t.db, 'manufacturing', 1, { comment: '', by: 'bob' })).rejects.toBeInstanceOf(BadRequestError);
    const result = await rollback(t.db, 'manufacturing', 1, { comment: 'T1 at 85 was too strict', by: 'bob' });
    expect(result.published).toMatchObject({ version: 3, basedOnVersion: 1, status: 'published' });
    const versions = await listVersions(t.db, 'manufacturing');
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      [3, 'published'],
      [2, 'archived'],
      [1, 'archived'],
    ]);
    expect(await diffVersions(t.db, 'manufacturing', 1, 3)).toEqual([]);
    expect(v1.status).toBe('archived');
    expect((await getEffective(t.db, 'manufacturing')).ruleSet.grade.tierPolicy.thresholds.T1).toBe(80);
    await expectOnePublishedPerIndustry(t);
  });

  it('diffs two versions structurally', async () => {
    expect(await diffVersions(t.db, 'manufacturing', 1, 2)).toEqual([
      { path: '$.grade.tierPolicy', kind: 'added', after: { thresholds: { T1: 85, T2: 65, T3: 45 } } },
    ]);
    expect(await diffVersions(t.db, 'manufacturing', 2, 'published')).toEqual([
      { path: '$.grade.tierPolicy', kind: 'removed', before: { thresholds: { T1: 85, T2: 65, T3: 45 } } },
    ]);
    await expect(diffVersions(t.db, 'manufacturing', 1, 7)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects publishing a draft made stale by another publish', async () => {
    const draft = await createDraft(t.db, 'retail', 'alice');
    await rollback(t.db, 'retail', 1, { comment: 'same again', by: 'bob' }).catch(() => undefined);
    // version 1 is the published one; publish a change over it first through the CLI path.
    await discardDraft(t.db, 'retail');
    await publishDocument(t.db, 'retail', { ...(draft.document as object), description: 'v2' }, { comment: 'v2', by: 'bob' });
    const stale = await t.db
      .insert(ruleSets)
      .values({
        industry: 'retail',
        version: null,
        status: 'draft',
        document: draft.document,
        basedOnVersion: 1,
        createdBy: 'alice',
      })
      .returning();
    expect(stale).toHaveLength(1);
    const error = await publish(t.db, 'retail', { comment: 'mine', by: 'alice' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/based on version 1, but version 2 was published by bob at \d{4}-/);
    await discardDraft(t.db, 'retail');
  });

  it('validates a * draft against every published override and reports the industries it affects', async () => {
    // energy overrides T1 alone (90): a * raising T2 above 90 breaks energy but not itself.
    await publishDocument(
      t.db,
      'energy',
      {
        industry: 'energy',
        extends: '*',
        grade: { bandScale: { revenue: 1.5, potential: 1.5 }, tierPolicy: { thresholds: { T1: 90 } } },
      },
      { comment: 'T1 at 90', by: 'admin' },
    );
    const draft = await createDraft(t.db, '*', 'admin');
    const doc = structuredClone(draft.document) as Doc;
    doc.grade.tierPolicy.thresholds.T1 = 98;
    doc.grade.tierPolicy.thresholds.T2 = 95;
    await editDraft(t.db, '*', { document: doc, baseRevision: 0, by: 'admin' });
    const validation = await validateDraft(t.db, '*');
    expect(validation.ok).toBe(false);
    expect(validation.issues).toEqual([]);
    const broken = validation.affected.filter((a) => !a.ok);
    expect(broken.map((b) => b.industry)).toEqual(['energy']);
    expect(broken[0]!.issues.map((i) => i.path)).toEqual(['$.grade.tierPolicy.thresholds.T2']);
    const error = await publish(t.db, '*', { comment: 'raise T2', by: 'admin' }).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error.message).toContain('"energy"');
    expect((await getPublished(t.db, '*'))?.version).toBe(1);

    doc.grade.tierPolicy.thresholds.T1 = 80;
    doc.grade.tierPolicy.thresholds.T2 = 65;
    doc.grade.tierPolicy.thresholds.T3 = 50;
    const current = (await getDraft(t.db, '*'))!;
    await editDraft(t.db, '*', { document: doc, baseRevision: current.revision, by: 'admin' });
    const result = await publish(t.db, '*', { comment: 'raise T3 to 50', by: 'admin' });
    expect(result.published.version).toBe(2);
    expect(result.affectedIndustries).toEqual(expect.arrayContaining(['*', 'finance', 'healthcare', 'retail']));
    const finance = await getEffective(t.db, 'finance');
    expect(finance).toMatchObject({ version: 1, baseVersion: 2, key: 'finance@1+*@2' });
    expect((await getEffective(t.db, 'energy')).ruleSet.grade.tierPolicy.thresholds).toEqual({ T1: 90, T2: 65, T3: 50 });
    expect(finance.ruleSet.grade.tierPolicy.thresholds.T3).toBe(50);
    expect((await getEffective(t.db, 'aerospace')).key).toBe('*@2');
  });
});

describe.each(DRIVERS)('compiled rules on %s', (driver) => {
  it('are kept per database, reused while published, and compiled anew after a publish or rollback', async () => {
    const [a, b] = [await openTestDatabase(driver), await openTestDatabase(driver)];
    try {
      const finance = (revenue: number) => ({ industry: 'finance', extends: '*', grade: { bandScale: { revenue, potential: 2 } } });
      // The same versions (finance@2+*@1) hold different documents in the two databases.
      await publishDocument(a.db, 'finance', finance(2.5), { comment: 'a', by: 'admin' });
      await publishDocument(b.db, 'finance', finance(3), { comment: 'b', by: 'admin' });
      const inA = await getEffectiveRules(a.db, 'finance');
      const inB = await getEffectiveRules(b.db, 'finance');
      expect(inA.ref).toMatchObject({ industry: 'finance', version: 2, baseVersion: 1 });
      expect(inB.ref).toEqual(inA.ref);
      expect(inA.ruleSet.grade.bandScale.revenue).toBe(2.5);
      expect(inB.ruleSet.grade.bandScale.revenue).toBe(3);
      expect(await getEffectiveRules(a.db, 'finance')).toBe(inA);
      expect((await getEffectiveRules(a.db, null)).ref).toMatchObject({ industry: '*', version: 1 });

      await rollback(a.db, 'finance', 1, { comment: 'back', by: 'admin' });
      const rolledBack = await getEffectiveRules(a.db, 'finance');
      expect(rolledBack.ref).toMatchObject({ version: 3, baseVersion: 1 });
      expect(rolledBack.ruleSet.grade.bandScale.revenue).toBe(2);
      expect(await getEffectiveRules(b.db, 'finance')).toBe(inB);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

async function expectOnePublishedPerIndustry(t: TestDatabase) {
  const rows = await t.db
    .select({ industry: ruleSets.industry, n: sql<number>`count(*)`.mapWith(Number) })
    .from(ruleSets)
    .where(and(eq(ruleSets.status, 'published')))
    .groupBy(ruleSets.industry);
  expect(rows.length).toBe(7);
  expect(rows.every((r) => r.n === 1)).toBe(true);
}

/** drizzle wraps driver errors in "Failed query: …"; the database's own message is the cause. */
function dbMessage(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string } };
  return `${e.message ?? ''} ${e.cause?.message ?? ''}`;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return dbMessage(error);
  }
  throw new Error('expected the statement to fail');
}
