/** A rule set's published versions, the difference between two of them, and rolling back (admins only). */
import { fail, redirect } from '@sveltejs/kit';
import { BadRequestError, InvalidRuleSetError, NotFoundError } from '$db/repositories/errors.js';
import { diffVersions, getDraft, history, rollback, type PublishResult, type VersionRef } from '$db/repositories/rule-sets.js';
import type { AffectedView, IssueView } from '$lib/components/rules/types.js';
import { requireRole } from '$lib/server/guards.js';
import {
  type RulesEvent,
  type GetDb,
  type HandlerOptions,
  industryParam,
  rulesPath,
  issueViews,
  affectedViews,
  userNames,
  intOrNull,
  who,
  formOf,
  text,
  afterPublish,
} from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { Actions, PageServerLoad } from './$types.js';

function versionRef(v: string | null): VersionRef | null {
  if (v === 'draft' || v === 'published') return v;
  const n = intOrNull(v);
  return n === null || n < 1 ? null : n;
}

export function _historyLoad(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>) => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const [versions, draft] = await Promise.all([history(database, industry), getDraft(database, industry)]);
    const a = versionRef(url.searchParams.get('a'));
    const b = versionRef(url.searchParams.get('b'));
    let diff: {
      a: VersionRef;
      b: VersionRef;
      changes: { path: string; kind: string; before?: unknown; after?: unknown }[];
    } | null = null;
    let diffMissing = false;
    if (a !== null && b !== null) {
      try {
        diff = { a, b, changes: await diffVersions(database, industry, a, b) };
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        diffMissing = true;
      }
    }
    const q = url.searchParams;
    const notice = q.has('published')
      ? {
          kind: q.has('rolledBack') ? ('rolledBack' as const) : ('published' as const),
          version: intOrNull(q.get('published')),
          signalled: intOrNull(q.get('signalled')) ?? 0,
          targets: intOrNull(q.get('targets')) ?? 0,
          failed: intOrNull(q.get('failed')) ?? 0,
          temporalDown: q.get('temporal') === 'down',
        }
      : null;
    const names = await userNames(database, [
      ...versions.flatMap((v) => [v.publishedBy, v.createdBy]),
      draft?.editedBy,
      draft?.createdBy,
    ]);
    return {
      industry,
      versions: versions.map((v) => ({
        version: v.version!,
        status: v.status,
        comment: v.comment,
        by: v.publishedBy ?? v.createdBy,
        at: v.publishedAt ?? v.createdAt,
        basedOnVersion: v.basedOnVersion,
      })),
      draft: draft
        ? { revision: draft.revision, by: draft.editedBy ?? draft.createdBy, at: draft.editedAt ?? draft.createdAt }
        : null,
      diff,
      diffMissing,
      notice,
      names,
    };
  };
}

type RollbackFailure = {
  action: 'rollback';
  version: number | null;
  comment: string;
  missingComment?: boolean;
  message?: 'current' | 'unknown';
  issues?: IssueView[];
  affected?: AffectedView[];
};

export function _historyActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    rollback: async ({ locals, params, request }: RulesEvent) => {
      const user = requireRole(locals, 'admin');
      const industry = industryParam(params);
      const form = await formOf(request);
      const version = intOrNull(form.get('version'));
      const comment = text(form, 'comment');
      const failure = (status: number, extra: Partial<RollbackFailure>) =>
        fail(status, { action: 'rollback' as const, version, comment, ...extra });
      if (version === null) return failure(400, { message: 'unknown' });
      if (!comment.trim()) return failure(400, { missingComment: true });
      const database = await getDb();
      let result: PublishResult;
      try {
        result = await rollback(database, industry, version, { comment: comment.trim(), by: who(user) });
      } catch (e) {
        if (e instanceof NotFoundError) return failure(404, { message: 'unknown' });
        if (e instanceof BadRequestError) return failure(400, { message: 'current' });
        if (e instanceof InvalidRuleSetError)
          return failure(400, { issues: issueViews(e.issues), affected: affectedViews(e.affected) });
        throw e;
      }
      const report = await afterPublish(database, industry, result, opts.signal);
      const q = new URLSearchParams({
        published: String(result.published.version),
        rolledBack: String(version),
        signalled: String(report.signalled),
        targets: String(report.targets),
        failed: String(report.failed),
      });
      if (!report.reachable) q.set('temporal', 'down');
      redirect(303, `${rulesPath(industry, '/history')}?${q}`);
    },
  };
}

export const load: PageServerLoad = _historyLoad(db);
export const actions: Actions = _historyActions(db);
