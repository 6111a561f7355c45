/**
 * The rule set lifecycle: draft → validate → publish (→ archived), and rollback as a new version.
 *
 * Invariants (also enforced by the database: partial unique indexes and a trigger, see migrations):
 * at most one draft and exactly one published version per industry once seeded; published and
 * archived versions never change, so a stage result that names `finance@3` can always be replayed.
 *
 * The fallback `*` stores a complete rule set; every other industry stores an override of it. A
 * change to `*` therefore changes every industry's effective set: validation of a `*` draft checks
 * every published override against it, and publishing reports the industries affected.
 */
import { basename } from 'node:path';
import { and, asc, desc, eq, getTableColumns, inArray, ne, sql } from 'drizzle-orm';
import { compileRuleSet, type EspRules } from '../../engine/index.js';
import { diffRuleSets, type RuleSetChange } from '../../engine/ruleset-format/diff.js';
import { issue, type Issue } from '../../engine/ruleset-format/issues.js';
import { FALLBACK_INDUSTRY } from '../../engine/ruleset-format/schema.js';
import { resolveRuleSet, type ValidRuleSet } from '../../engine/ruleset-format/validate.js';
import { DEFAULT_RULES_DIR, readRuleSetFile, ruleSetFiles } from '../../rules/load.js';
import type { Db } from '../client.js';
import { ruleSets, type RuleSetRow } from '../schema.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from './errors.js';

export type RuleSetSummary = Omit<RuleSetRow, 'document'>;
const { document: _document, ...summaryColumns } = getTableColumns(ruleSets);

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : 'an unknown time');
const who = (s: string | null | undefined) => s ?? 'someone';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- reading -----------------------------------------------------------------------------------

export async function getPublished(db: Db, industry: string): Promise<RuleSetRow | undefined> {
  const [row] = await db
    .select()
    .from(ruleSets)
    .where(and(eq(ruleSets.industry, industry), eq(ruleSets.status, 'published')));
  return row;
}

export async function getDraft(db: Db, industry: string): Promise<RuleSetRow | undefined> {
  const [row] = await db
    .select()
    .from(ruleSets)
    .where(and(eq(ruleSets.industry, industry), eq(ruleSets.status, 'draft')));
  return row;
}

export async function getVersion(db: Db, industry: string, version: number): Promise<RuleSetRow | undefined> {
  const [row] = await db
    .select()
    .from(ruleSets)
    .where(and(eq(ruleSets.industry, industry), eq(ruleSets.version, version)));
  return row;
}

/** Every version (draft first, then newest first), without documents; all industries when omitted. */
export async function listVersions(db: Db, industry?: string): Promise<RuleSetSummary[]> {
  return db
    .select(summaryColumns)
    .from(ruleSets)
    .where(industry === undefined ? undefined : eq(ruleSets.industry, industry))
    .orderBy(asc(ruleSets.industry), sql`${ruleSets.version} desc nulls first`);
}

export interface IndustryRuleSets {
  industry: string;
  published?: RuleSetSummary;
  draft?: RuleSetSummary;
  versions: number;
}

/** One line per industry, `*` first: what `esp rules list` and the studio's rule set index show. */
export async function listIndustries(db: Db): Promise<IndustryRuleSets[]> {
  const rows = await listVersions(db);
  const byIndustry = new Map<string, IndustryRuleSets>();
  for (const row of rows) {
    const entry = byIndustry.get(row.industry) ?? { industry: row.industry, versions: 0 };
    if (row.status === 'published') entry.published = row;
    if (row.status === 'draft') entry.draft = row;
    else entry.versions++;
    byIndustry.set(row.industry, entry);
  }
  return [...byIndustry.values()].sort((a, b) =>
    a.industry === FALLBACK_INDUSTRY ? -1 : b.industry === FALLBACK_INDUSTRY ? 1 : a.industry.localeCompare(b.industry),
  );
}

// ---- seeding -----------------------------------------------------------------------------------

/**
 * Publishes version 1 of every `*.json` in `dir` whose industry has no published version yet, `*`
 * first (the overrides are validated against it). Returns the industries seeded. Idempotent.
 */
export async function seedDefaultRuleSets(db: Db, dir: string = DEFAULT_RULES_DIR, by = 'system'): Promise<string[]> {
  const docs = ruleSetFiles(dir).map((file) => {
    const { industry, document } = readRuleSetFile(file);
    // `$schema` is a path relative to the file, meaningless once stored.
    const { $schema: _s, ...stored } = document as Record<string, unknown>;
    return { file, industry, document: stored };
  });
  docs.sort((a, b) => Number(b.industry === FALLBACK_INDUSTRY) - Number(a.industry === FALLBACK_INDUSTRY));

  return db.transaction(async (tx) => {
    const seeded: string[] = [];
    for (const { file, industry, document } of docs) {
      if (await getPublished(tx, industry)) continue;
      const check = await validateDocument(tx, industry, document);
      if (!check.ok) throw new InvalidRuleSetError(`${file}: invalid rule set`, check.issues, check.affected);
      const next = await nextVersion(tx, industry);
      const inserted = await tx
        .insert(ruleSets)
        .values({
          industry,
          version: next,
          status: 'published',
          document,
          comment: `default rule set from ${basename(file)}`,
          createdBy: by,
          publishedBy: by,
          publishedAt: sql`now()`,
        })
        // Another process seeding at the same moment wins; its row is the same file.
        .onConflictDoNothing()
        .returning({ id: ruleSets.id });
      if (inserted.length > 0) seeded.push(industry);
    }
    return seeded;
  });
}

// ---- validation --------------------------------------------------------------------------------

export interface AffectedIndustry {
  industry: string;
  version: number;
  ok: boolean;
  issues: Issue[];
}

export interface DocumentValidation {
  ok: boolean;
  issues: Issue[];
  /** For `*`: every published industry override, resolved against the candidate. */
  affected: AffectedIndustry[];
  ruleSet?: ValidRuleSet;
}

/**
 * Validates a stored document for `industry`: a `*` document as a complete set (and every published
 * override against it), an industry's document as an override of the published `*`.
 */
export async function validateDocument(db: Db, industry: string, document: unknown): Promise<DocumentValidation> {
  const mismatch: Issue[] =
    isPlainObject(document) && document['industry'] !== industry
      ? [
          issue(
            ['industry'],
            'ruleset.industryMismatch',
            `the document is for industry ${JSON.stringify(document['industry'])}, not "${industry}"`,
            {
              expected: industry,
            },
          ),
        ]
      : [];
  if (industry === FALLBACK_INDUSTRY) {
    const v = resolveRuleSet(document);
    const overrides = await db
      .select({ industry: ruleSets.industry, version: ruleSets.version, document: ruleSets.document })
      .from(ruleSets)
      .where(and(eq(ruleSets.status, 'published'), ne(ruleSets.industry, FALLBACK_INDUSTRY)))
      .orderBy(asc(ruleSets.industry));
    const affected = overrides.map((o) => {
      const r = v.ok ? resolveRuleSet(document, o.document) : { ok: true as const, issues: [] };
      return { industry: o.industry, version: o.version!, ok: r.ok, issues: r.ok ? [] : r.issues };
    });
    const issues = [...mismatch, ...v.issues];
    const ok = v.ok && issues.length === 0 && affected.every((a) => a.ok);
    return v.ok && ok ? { ok, issues, affected, ruleSet: v.ruleSet } : { ok: false, issues, affected };
  }
  const base = await getPublished(db, FALLBACK_INDUSTRY);
  if (!base) throw new NotFoundError('no published fallback rule set "*": run `esp db migrate` to seed the defaults');
  const v = resolveRuleSet(base.document, document);
  const issues = [...mismatch, ...v.issues];
  return v.ok && issues.length === 0
    ? { ok: true, issues, affected: [], ruleSet: v.ruleSet }
    : { ok: false, issues, affected: [] };
}

/** Validates the industry's draft (against the published `*`, or itself when it is `*`'s draft). */
export async function validateDraft(db: Db, industry: string): Promise<DocumentValidation & { draft: RuleSetRow }> {
  const draft = await getDraft(db, industry);
  if (!draft) throw new NotFoundError(`industry "${industry}" has no draft`);
  return { ...(await validateDocument(db, industry, draft.document)), draft };
}

// ---- drafts ------------------------------------------------------------------------------------

/**
 * The industry's draft: the existing one, or a new copy of the published version. A new industry
 * starts from an empty override (it inherits everything from `*`).
 */
export async function createDraft(
  db: Db,
  industry: string,
  by: string,
  /** The published version the caller's edit started from: another one is a conflict, and no draft is made. */
  expect?: { basedOn: number | null },
): Promise<RuleSetRow> {
  return db.transaction(async (tx) => {
    const existing = await getDraft(tx, industry);
    if (existing) return existing;
    const published = await getPublished(tx, industry);
    if (expect && (published?.version ?? null) !== expect.basedOn)
      throw new ConflictError(
        `version ${published?.version ?? 'none'} of "${industry}" was published by ${who(published?.publishedBy)} at ${iso(published?.publishedAt)} ` +
          `after the edit started from version ${expect.basedOn ?? 'none'}`,
        { by: published?.publishedBy ?? null, at: published?.publishedAt ?? null, version: published?.version ?? null },
      );
    if (!published && industry === FALLBACK_INDUSTRY)
      throw new NotFoundError('no published fallback rule set "*": run `esp db migrate` to seed the defaults');
    const document = published?.document ?? { industry, extends: FALLBACK_INDUSTRY };
    const [row] = await tx
      .insert(ruleSets)
      .values({ industry, version: null, status: 'draft', document, createdBy: by, basedOnVersion: published?.version ?? null })
      // Two admins opening the editor at once share one draft (the partial unique index).
      .onConflictDoNothing()
      .returning();
    return row ?? (await getDraft(tx, industry))!;
  });
}

export interface DraftEdit {
  document: unknown;
  /** The draft revision the edit was made on; a newer revision means someone else saved first. */
  baseRevision: number;
  by: string;
}

/** Saves a draft edit unless someone saved since `baseRevision` (then a `ConflictError`). */
export async function editDraft(db: Db, industry: string, edit: DraftEdit): Promise<RuleSetRow> {
  if (!isPlainObject(edit.document)) throw new BadRequestError('$: a rule set document must be a JSON object');
  const [row] = await db
    .update(ruleSets)
    .set({
      document: edit.document,
      revision: sql`${ruleSets.revision} + 1`,
      editedBy: edit.by,
      editedAt: sql`now()`,
    })
    .where(and(eq(ruleSets.industry, industry), eq(ruleSets.status, 'draft'), eq(ruleSets.revision, edit.baseRevision)))
    .returning();
  if (row) return row;
  const draft = await getDraft(db, industry);
  if (!draft) throw new NotFoundError(`industry "${industry}" has no draft to edit (it may have been published or discarded)`);
  throw staleDraft(industry, draft, edit.baseRevision);
}

function staleDraft(industry: string, draft: RuleSetRow, baseRevision: number): ConflictError {
  const by = draft.editedBy ?? draft.createdBy;
  const at = draft.editedAt ?? draft.createdAt;
  return new ConflictError(
    `the draft of "${industry}" was changed by ${who(by)} at ${iso(at)} (it is now at revision ${draft.revision}; ` +
      `your edit was based on revision ${baseRevision}): reload it and apply your change again`,
    { by, at, revision: draft.revision },
  );
}

export async function discardDraft(db: Db, industry: string): Promise<boolean> {
  const deleted = await db
    .delete(ruleSets)
    .where(and(eq(ruleSets.industry, industry), eq(ruleSets.status, 'draft')))
    .returning({ id: ruleSets.id });
  return deleted.length > 0;
}

// ---- publishing --------------------------------------------------------------------------------

export interface PublishOptions {
  /** Why: required, shown in the version history. */
  comment: string;
  by: string;
  /** Publish only if the draft is still at this revision (what the admin validated). */
  revision?: number;
}

export interface PublishResult {
  published: RuleSetRow;
  archived?: RuleSetSummary;
  /**
   * Industries whose effective rule set changed: the industry itself, or for `*` every industry
   * with a published override (and, implicitly, every industry without one).
   */
  affectedIndustries: string[];
}

function requireComment(comment: string | undefined): string {
  const c = comment?.trim();
  if (!c) throw new BadRequestError('a comment is required: say why the rule set changes');
  return c;
}

async function nextVersion(db: Db, industry: string): Promise<number> {
  const [row] = await db
    .select({ next: sql<number>`coalesce(max(${ruleSets.version}), 0) + 1`.mapWith(Number) })
    .from(ruleSets)
    .where(eq(ruleSets.industry, industry));
  return row!.next;
}

async function affectedBy(db: Db, industry: string): Promise<string[]> {
  if (industry !== FALLBACK_INDUSTRY) return [industry];
  const rows = await db
    .selectDistinct({ industry: ruleSets.industry })
    .from(ruleSets)
    .where(eq(ruleSets.status, 'published'))
    .orderBy(asc(ruleSets.industry));
  return rows.map((r) => r.industry);
}

function invalid(industry: string, what: string, check: DocumentValidation): InvalidRuleSetError {
  const broken = check.affected.filter((a) => !a.ok);
  const parts = [
    check.issues.length ? `${check.issues.length} problem${check.issues.length === 1 ? '' : 's'}` : '',
    broken.length ? `it breaks the published rule set of ${broken.map((b) => `"${b.industry}"`).join(', ')}` : '',
  ].filter(Boolean);
  return new InvalidRuleSetError(`${what} of "${industry}" is invalid: ${parts.join('; ')}`, check.issues, broken);
}

/**
 * Publishes the industry's draft as the next version, archiving the published one, in one
 * transaction: an invalid or stale draft, or any failure, leaves everything as it was.
 */
export async function publish(db: Db, industry: string, opts: PublishOptions): Promise<PublishResult> {
  const comment = requireComment(opts.comment);
  const result = await db.transaction(async (tx) => {
    const [draft] = await tx
      .select()
      .from(ruleSets)
      .where(and(eq(ruleSets.industry, industry), eq(ruleSets.status, 'draft')))
      .for('update');
    const current = await getPublished(tx, industry);
    // A caller who reviewed a draft (`revision`) and finds none lost a race: another publish of the
    // same draft committed first. That is a conflict naming who published which version.
    if (!draft && opts.revision !== undefined && current)
      throw new ConflictError(
        `the draft of "${industry}" was published as version ${current.version} by ${who(current.publishedBy)} at ${iso(current.publishedAt)}`,
        { by: current.publishedBy, at: current.publishedAt, version: current.version },
      );
    if (!draft) throw new NotFoundError(`industry "${industry}" has no draft to publish`);
    if (opts.revision !== undefined && draft.revision !== opts.revision) throw staleDraft(industry, draft, opts.revision);
    if ((current?.version ?? null) !== draft.basedOnVersion) {
      throw new ConflictError(
        `the draft of "${industry}" is based on version ${draft.basedOnVersion ?? 'none'}, but version ${current?.version} ` +
          `was published by ${who(current?.publishedBy)} at ${iso(current?.publishedAt)} since: discard the draft and start again`,
        { by: current?.publishedBy ?? null, at: current?.publishedAt ?? null, version: current?.version ?? null },
      );
    }
    const check = await validateDocument(tx, industry, draft.document);
    if (!check.ok) throw invalid(industry, 'the draft', check);

    const version = await nextVersion(tx, industry);
    const archived = current ? await archive(tx, current) : undefined;
    const [published] = await tx
      .update(ruleSets)
      .set({ status: 'published', version, comment, publishedAt: sql`now()`, publishedBy: opts.by })
      .where(and(eq(ruleSets.id, draft.id), eq(ruleSets.status, 'draft'), eq(ruleSets.revision, draft.revision)))
      .returning();
    if (!published) throw new ConflictError(`the draft of "${industry}" changed while publishing; try again`);
    return { published, archived, affectedIndustries: await affectedBy(tx, industry) };
  });
  forgetDerived(db);
  return result;
}

async function archive(db: Db, row: RuleSetRow): Promise<RuleSetSummary> {
  const [archived] = await db
    .update(ruleSets)
    .set({ status: 'archived' })
    .where(and(eq(ruleSets.id, row.id), eq(ruleSets.status, 'published')))
    .returning(summaryColumns);
  if (!archived)
    throw new ConflictError(`version ${row.version} of "${row.industry}" is no longer the published version; try again`);
  return archived;
}

/**
 * Publishes `document` as the industry's next version in one step (the CLI's `rules publish`): a
 * draft is created, replaced and published in one transaction, so a failure leaves no draft
 * behind. Refuses when an admin has unpublished edits in the studio, rather than losing them.
 */
export async function publishDocument(
  db: Db,
  industry: string,
  document: unknown,
  opts: Omit<PublishOptions, 'revision'>,
): Promise<PublishResult> {
  requireComment(opts.comment);
  const result = await db.transaction(async (tx) => {
    const existing = await getDraft(tx, industry);
    if (existing && existing.revision > 0)
      throw new ConflictError(
        `"${industry}" has an unpublished draft edited by ${who(existing.editedBy)} at ${iso(existing.editedAt)}: ` +
          'publish or discard it in the studio first',
        { by: existing.editedBy, at: existing.editedAt, revision: existing.revision },
      );
    if (existing) await discardDraft(tx, industry);
    const draft = await createDraft(tx, industry, opts.by);
    const edited = await editDraft(tx, industry, { document, baseRevision: draft.revision, by: opts.by });
    return publish(tx, industry, { ...opts, revision: edited.revision });
  });
  forgetDerived(db);
  return result;
}

/** Re-publishes an older version's document as a new version (history is never rewritten). */
export async function rollback(
  db: Db,
  industry: string,
  toVersion: number,
  opts: { comment: string; by: string },
): Promise<PublishResult> {
  const comment = requireComment(opts.comment);
  const result = await db.transaction(async (tx) => {
    const target = await getVersion(tx, industry, toVersion);
    if (!target) throw new NotFoundError(`industry "${industry}" has no version ${toVersion}`);
    const current = await getPublished(tx, industry);
    if (current?.version === toVersion)
      throw new BadRequestError(`version ${toVersion} of "${industry}" is already the published version`);
    const check = await validateDocument(tx, industry, target.document);
    if (!check.ok) throw invalid(industry, `version ${toVersion}`, check);
    const version = await nextVersion(tx, industry);
    const archived = current ? await archive(tx, current) : undefined;
    const [published] = await tx
      .insert(ruleSets)
      .values({
        industry,
        version,
        status: 'published',
        document: target.document,
        comment,
        createdBy: opts.by,
        publishedBy: opts.by,
        publishedAt: sql`now()`,
        basedOnVersion: toVersion,
      })
      .returning();
    return { published: published!, archived, affectedIndustries: await affectedBy(tx, industry) };
  });
  forgetDerived(db);
  return result;
}

// ---- comparing and resolving -------------------------------------------------------------------

/** A version number, or the current `draft` / `published` document. */
export type VersionRef = number | 'draft' | 'published';

export async function getDocument(db: Db, industry: string, ref: VersionRef): Promise<RuleSetRow> {
  const row =
    ref === 'draft'
      ? await getDraft(db, industry)
      : ref === 'published'
        ? await getPublished(db, industry)
        : await getVersion(db, industry, ref);
  if (!row)
    throw new NotFoundError(`industry "${industry}" has no ${typeof ref === 'number' ? `version ${ref}` : `${ref} version`}`);
  return row;
}

/** What changed from version `a` to version `b` of the industry's stored document. */
export async function diffVersions(db: Db, industry: string, a: VersionRef, b: VersionRef): Promise<RuleSetChange[]> {
  const [before, after] = await Promise.all([getDocument(db, industry, a), getDocument(db, industry, b)]);
  return diffRuleSets(before.document, after.document);
}

export interface EffectiveRuleSet {
  ruleSet: ValidRuleSet;
  /** The rule set used: the industry asked for, or `*` when it has none. */
  industry: string;
  requestedIndustry: string;
  /** Version of `industry` (of `*` on fallback). */
  version: number;
  /** Version of `*` the override was applied to. */
  baseVersion: number;
  /** Changes whenever the effective set does (an override or `*` republished): a cache key. */
  key: string;
}

// Published rows never change, so what is derived from a pair of them (the resolved set and, once
// asked for, its compiled rules) is kept by row ids, per database handle: two databases can hold
// different rows under the same id. Publishing and rolling back drop the handle's entries, which
// no longer name the published rows.
interface Derived {
  ruleSet: ValidRuleSet;
  compiled?: EspRules;
}
const derivedCache = new WeakMap<Db, Map<string, Derived>>();

function forgetDerived(db: Db): void {
  derivedCache.delete(db);
}

async function effective(db: Db, industry: string): Promise<{ effective: EffectiveRuleSet; derived: Derived }> {
  // Every stage activity asks; the documents are read only when this pair of versions is new here.
  const rows = await db
    .select({ id: ruleSets.id, industry: ruleSets.industry, version: ruleSets.version })
    .from(ruleSets)
    .where(and(eq(ruleSets.status, 'published'), inArray(ruleSets.industry, [industry, FALLBACK_INDUSTRY])));
  const base = rows.find((r) => r.industry === FALLBACK_INDUSTRY);
  if (!base) throw new NotFoundError('no published fallback rule set "*": run `esp db migrate` to seed the defaults');
  const own = industry === FALLBACK_INDUSTRY ? undefined : rows.find((r) => r.industry === industry);
  const cacheKey = `${own?.id ?? '-'}:${base.id}`;
  let cache = derivedCache.get(db);
  if (!cache) derivedCache.set(db, (cache = new Map()));
  let derived = cache.get(cacheKey);
  if (!derived) {
    const docs = await db
      .select({ id: ruleSets.id, document: ruleSets.document })
      .from(ruleSets)
      .where(inArray(ruleSets.id, own ? [own.id, base.id] : [base.id]));
    const documentOf = (id: number) => docs.find((d) => d.id === id)!.document;
    const v = own ? resolveRuleSet(documentOf(base.id), documentOf(own.id)) : resolveRuleSet(documentOf(base.id));
    // Cannot happen for rows published through this module; a hand-edited database can.
    if (!v.ok)
      throw new InvalidRuleSetError(`the published rule set of "${own?.industry ?? FALLBACK_INDUSTRY}" is invalid`, v.issues);
    derived = { ruleSet: v.ruleSet };
    cache.set(cacheKey, derived);
  }
  const used = own ?? base;
  return {
    derived,
    effective: {
      ruleSet: derived.ruleSet,
      industry: used.industry,
      requestedIndustry: industry,
      version: used.version!,
      baseVersion: base.version!,
      key: own ? `${own.industry}@${own.version}+*@${base.version}` : `*@${base.version}`,
    },
  };
}

/** The industry's effective published rule set (its override on the published `*`). */
export async function getEffective(db: Db, industry: string): Promise<EffectiveRuleSet> {
  return (await effective(db, industry)).effective;
}

/**
 * The industry's effective published rules, compiled (null or undefined: the fallback `*`): what
 * the workflows' stages and the studio evaluate with. Compiled once per database and pair of versions.
 */
export async function getEffectiveRules(db: Db, industry: string | null | undefined): Promise<EspRules> {
  const { effective: e, derived } = await effective(db, industry ?? FALLBACK_INDUSTRY);
  derived.compiled ??= compileRuleSet(e.ruleSet, { industry: e.industry, version: e.version, baseVersion: e.baseVersion });
  return derived.compiled;
}

/** The versions newest first with who/when/why, for an industry's history view. */
export async function history(db: Db, industry: string): Promise<RuleSetSummary[]> {
  return db
    .select(summaryColumns)
    .from(ruleSets)
    .where(and(eq(ruleSets.industry, industry), ne(ruleSets.status, 'draft')))
    .orderBy(desc(ruleSets.version));
}

/** Ids of the published rule sets by industry: a cheap key for caching what is derived from them. */
export async function publishedRuleSetIds(db: Db): Promise<{ id: number; industry: string }[]> {
  return db
    .select({ id: ruleSets.id, industry: ruleSets.industry })
    .from(ruleSets)
    .where(eq(ruleSets.status, 'published'))
    .orderBy(asc(ruleSets.industry));
}
