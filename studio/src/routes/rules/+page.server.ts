/** The rule sets' index (admins only): each industry's published version and draft, and the industries without a set of their own. */
import { accountFacets } from '$db/repositories/accounts.js';
import { getDraft, listIndustries, validateDocument } from '$db/repositories/rule-sets.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { requireRole } from '$lib/server/guards.js';
import { type RulesEvent, type GetDb, userNames } from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { PageServerLoad } from './$types.js';

interface IndexRow {
  industry: string;
  hasOwnSet: boolean;
  accounts: number;
  published: { version: number; comment: string | null; by: string | null; at: Date | null } | null;
  draft: { revision: number; by: string | null; at: Date; valid: boolean; stale: boolean } | null;
}

export function _indexLoad(getDb: GetDb) {
  return async ({ locals }: Pick<RulesEvent, 'locals'>) => {
    requireRole(locals, 'admin');
    const database = await getDb();
    const [sets, facets] = await Promise.all([listIndustries(database), accountFacets(database, 'industry')]);
    const counts = new Map(facets.map((f) => [f.value, f.count]));
    const drafts = await Promise.all(sets.map(async (s) => (s.draft ? await getDraft(database, s.industry) : undefined)));
    const rows: IndexRow[] = [];
    for (const [i, s] of sets.entries()) {
      const draft = drafts[i];
      const valid = draft ? (await validateDocument(database, s.industry, draft.document)).ok : false;
      rows.push({
        industry: s.industry,
        hasOwnSet: Boolean(s.published),
        accounts:
          s.industry === FALLBACK_INDUSTRY
            ? facets
                .filter((f) => f.value === null || !sets.some((x) => x.industry === f.value && x.published))
                .reduce((n, f) => n + f.count, 0)
            : (counts.get(s.industry) ?? 0),
        published: s.published
          ? {
              version: s.published.version!,
              comment: s.published.comment,
              by: s.published.publishedBy,
              at: s.published.publishedAt,
            }
          : null,
        draft: draft
          ? {
              revision: draft.revision,
              by: draft.editedBy ?? draft.createdBy,
              at: draft.editedAt ?? draft.createdAt,
              valid,
              stale: (s.published?.version ?? null) !== draft.basedOnVersion,
            }
          : null,
      });
    }
    // Industries that accounts carry but no rule set names: graded by `*` until an admin gives them one.
    const withoutSet = facets
      .filter((f): f is { value: string; count: number } => f.value !== null && !sets.some((s) => s.industry === f.value))
      .map((f) => ({ industry: f.value, accounts: f.count }))
      .sort((a, b) => a.industry.localeCompare(b.industry));
    const names = await userNames(
      database,
      rows.flatMap((r) => [r.published?.by, r.draft?.by]),
    );
    return { industries: rows, withoutSet, names };
  };
}

export const load: PageServerLoad = _indexLoad(db);
