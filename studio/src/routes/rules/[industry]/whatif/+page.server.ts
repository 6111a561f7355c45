/** What publishing the draft would change, account by account (admins only). */
import { error } from '@sveltejs/kit';
import { eq } from 'drizzle-orm';
import { getDraft, getPublished } from '$db/repositories/rule-sets.js';
import { ruleSets } from '$db/schema.js';
import { CLASSES, TIERS } from '$engine/model.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { requireRole } from '$lib/server/guards.js';
import { runWhatIf, type ChangeFilter, type ChangeKind, type WhatIfResult } from './what-if.server.js';
import {
  type RulesEvent,
  type GetDb,
  type HandlerOptions,
  industryParam,
  intOrNull,
  oneOf,
  publishAction,
} from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { Actions, PageServerLoad } from './$types.js';

const CHANGE_KINDS: readonly ChangeKind[] = ['tier', 'class', 'strategy'];

function whatIfFilter(q: URLSearchParams): ChangeFilter {
  return {
    kind: oneOf(CHANGE_KINDS, q.get('change')),
    tierFrom: oneOf(TIERS, q.get('tierFrom')),
    tierTo: oneOf(TIERS, q.get('tierTo')),
    classFrom: oneOf(CLASSES, q.get('classFrom')),
    classTo: oneOf(CLASSES, q.get('classTo')),
  };
}

interface WhatIfData {
  industry: string;
  /** The draft the what-if evaluated; null when the industry has no draft (nothing to compare). */
  draft: { revision: number; valid: boolean } | null;
  publishedVersion: number | null;
  result: WhatIfResult | null;
  filter: ChangeFilter;
}

export function _whatIfLoad(getDb: GetDb) {
  return async ({ locals, params, url }: Pick<RulesEvent, 'locals' | 'params' | 'url'>): Promise<WhatIfData> => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const database = await getDb();
    const [draft, published] = await Promise.all([getDraft(database, industry), getPublished(database, industry)]);
    if (!draft && !published && industry === FALLBACK_INDUSTRY) error(404, 'Not found');
    const filter = whatIfFilter(url.searchParams);
    if (!draft) return { industry, draft: null, publishedVersion: published?.version ?? null, result: null, filter };
    const page = intOrNull(url.searchParams.get('page')) ?? 1;
    const publishedKey = (await database.select({ id: ruleSets.id }).from(ruleSets).where(eq(ruleSets.status, 'published')))
      .map((r) => r.id)
      .sort((x, y) => x - y)
      .join(',');
    const result = await runWhatIf(database, industry, draft.document, {
      page,
      filter,
      cacheKey: `${industry}|${draft.id}|${draft.revision}|${publishedKey}`,
    });
    return {
      industry,
      draft: { revision: draft.revision, valid: result.ok },
      publishedVersion: published?.version ?? null,
      result,
      filter,
    };
  };
}

export function _whatIfActions(getDb: GetDb, opts: HandlerOptions = {}) {
  return {
    publish: publishAction(getDb, opts),
  };
}

export const load: PageServerLoad = _whatIfLoad(db);
export const actions: Actions = _whatIfActions(db);
