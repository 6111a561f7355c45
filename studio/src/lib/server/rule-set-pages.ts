/**
 * What the rule-set pages (admins only) share: the event their handlers take, the industry of the
 * URL, issue and conflict views, users' display names, and publishing a draft, which the editor and
 * the what-if both do. Each page's load and actions live beside its route; every one of them starts
 * with `requireRole(locals, 'admin')`, before it reads anything.
 *
 * Handlers are made from a `getDb` function so that tests can run them on their own database.
 */
import { error, fail, redirect, type ActionFailure } from '@sveltejs/kit';
import { inArray, or, sql } from 'drizzle-orm';
import type { Db } from '$db/client.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from '$db/repositories/errors.js';
import { publish, type AffectedIndustry, type PublishResult } from '$db/repositories/rule-sets.js';
import { users } from '$db/schema.js';
import type { Issue } from '$engine/ruleset-format/issues.js';
import { fieldFor } from '$lib/components/rules/paths.js';
import type { AffectedView, ConflictView, IssueView } from '$lib/components/rules/types.js';
import type { SessionUser } from '$lib/user.js';
import { requireRole } from '$lib/server/guards.js';
import { signalRulesPublished } from '$workflows/rules-published.js';
import type { SignalReport } from '$workflows/signal-accounts.js';

/** What the handlers use of SvelteKit's `RequestEvent`. */
export interface RulesEvent {
  locals: { user: SessionUser | null };
  params: Partial<Record<string, string>>;
  request: Request;
  url: URL;
}

export type GetDb = () => Promise<Db>;

/** How a publish tells the workflows; tests replace it. */
export type Signaller = (db: Db, published: { industry: string; version: number }) => Promise<SignalReport>;

export interface HandlerOptions {
  signal?: Signaller;
}

export const MAX_DOCUMENT_BYTES = 1_000_000;

/** The industry of the URL: `*` or a name as accounts carry it; anything else is not a page. */
export function industryParam(params: RulesEvent['params']): string {
  const industry = params['industry'] ?? '';
  if (industry.length === 0 || industry.length > 100 || /[\u0000-\u001f\u007f/]/.test(industry) || industry !== industry.trim())
    error(404, 'Not found');
  return industry;
}

export function rulesPath(industry: string, sub = ''): string {
  return `/rules/${encodeURIComponent(industry)}${sub}`;
}

export function issueViews(issues: readonly Issue[]): IssueView[] {
  return issues.map((i) => ({ path: i.path, code: i.code, params: i.params, message: i.message, field: fieldFor(i.path) }));
}

export function affectedViews(affected: readonly Pick<AffectedIndustry, 'industry' | 'version' | 'issues'>[]): AffectedView[] {
  return affected
    .filter((a) => a.issues.length > 0)
    .map((a) => ({ industry: a.industry, version: a.version, issues: issueViews(a.issues) }));
}

/** Display names for the users named in `by` columns (stored as e-mail addresses, or older ids). */
export async function userNames(database: Db, values: readonly (string | null | undefined)[]): Promise<Record<string, string>> {
  const wanted = [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
  if (wanted.length === 0) return {};
  const rows = await database
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(
      or(
        inArray(users.id, wanted),
        inArray(
          sql`lower(${users.email})`,
          wanted.map((w) => w.toLowerCase()),
        ),
      ),
    );
  const out: Record<string, string> = {};
  for (const w of wanted) {
    const row = rows.find((r) => r.id === w || r.email.toLowerCase() === w.toLowerCase());
    if (row) out[w] = row.name;
  }
  return out;
}

/** Adds the display name of who changed it first, so the message names a person, not an address. */
export async function named<T extends { conflict: ConflictView }>(database: Db, data: T): Promise<T> {
  const by = data.conflict.by;
  if (!by) return data;
  return { ...data, conflict: { ...data.conflict, name: (await userNames(database, [by]))[by] ?? null } };
}

export function conflictView(e: ConflictError, base: number | null): ConflictView {
  const at = e.details.at;
  return {
    kind: e.details.revision === undefined ? 'published' : 'draft',
    by: e.details.by ?? null,
    at: at instanceof Date ? at.toISOString() : at ? String(at) : null,
    revision: e.details.revision ?? null,
    base,
    version: e.details.version ?? null,
  };
}

export function intOrNull(v: unknown): number | null {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export const who = (user: SessionUser) => user.email;

export type PublishFailure = {
  action: 'publish';
  comment: string;
  missingComment?: boolean;
  noDraft?: boolean;
  conflict?: ConflictView;
  issues?: IssueView[];
  affected?: AffectedView[];
};

export function publishedRedirect(industry: string, result: PublishResult, report: SignalReport): never {
  const q = new URLSearchParams({
    published: String(result.published.version),
    signalled: String(report.signalled),
    targets: String(report.targets),
    failed: String(report.failed),
  });
  if (!report.reachable) q.set('temporal', 'down');
  redirect(303, `${rulesPath(industry, '/history')}?${q}`);
}

/**
 * How long a publish or rollback may spend telling the workflows before it answers: the admin's
 * navigation waits for it. Whatever is not told by then the catch-up beside the workers tells.
 */
export const PUBLISH_SIGNAL_DEADLINE_MS = 8_000;

const signalWithinDeadline: Signaller = (database, published) =>
  signalRulesPublished(database, published, { deadlineMs: PUBLISH_SIGNAL_DEADLINE_MS });

export async function afterPublish(
  database: Db,
  industry: string,
  result: PublishResult,
  signal: Signaller = signalWithinDeadline,
): Promise<SignalReport> {
  const report = await signal(database, { industry, version: result.published.version! });
  if (!report.reachable || report.failed > 0)
    console.warn(
      `rules: ${industry} v${result.published.version} published; rulesPublished not delivered to every workflow ` +
        `(${report.signalled}/${report.targets} signalled, ${report.failed} failed): ${report.errors.join('; ')}`,
    );
  return report;
}

/** Publishes the draft the admin reviewed (at `revision`) with a comment, then tells the workflows. */
export async function publishDraft(
  database: Db,
  user: SessionUser,
  industry: string,
  form: { comment: string; revision: number | null },
  signal?: Signaller,
): Promise<ActionFailure<PublishFailure>> {
  const comment = form.comment.trim();
  if (!comment) return fail(400, { action: 'publish' as const, comment: form.comment, missingComment: true });
  let result: PublishResult;
  try {
    result = await publish(database, industry, {
      comment,
      by: who(user),
      ...(form.revision !== null ? { revision: form.revision } : {}),
    });
  } catch (e) {
    if (e instanceof ConflictError)
      return fail(
        409,
        await named(database, { action: 'publish' as const, comment: form.comment, conflict: conflictView(e, form.revision) }),
      );
    if (e instanceof InvalidRuleSetError)
      return fail(400, {
        action: 'publish' as const,
        comment: form.comment,
        issues: issueViews(e.issues),
        affected: affectedViews(e.affected),
      });
    if (e instanceof NotFoundError) return fail(400, { action: 'publish' as const, comment: form.comment, noDraft: true });
    if (e instanceof BadRequestError)
      return fail(400, { action: 'publish' as const, comment: form.comment, missingComment: true });
    throw e;
  }
  publishedRedirect(industry, result, await afterPublish(database, industry, result, signal));
}

export async function formOf(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    error(400, 'Bad request');
  }
}

export const text = (form: FormData, key: string) => {
  const v = form.get(key);
  return typeof v === 'string' ? v : '';
};

export function oneOf<T extends string>(values: readonly T[], v: string | null): T | undefined {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** The publish form action, on the editor and on the what-if page. */
export function publishAction(getDb: GetDb, opts: HandlerOptions = {}) {
  return async ({ locals, params, request }: RulesEvent) => {
    const user = requireRole(locals, 'admin');
    const industry = industryParam(params);
    const form = await formOf(request);
    return publishDraft(
      await getDb(),
      user,
      industry,
      { comment: text(form, 'comment'), revision: intOrNull(form.get('revision')) },
      opts.signal,
    );
  };
}
