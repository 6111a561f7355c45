/**
 * A review year as CSV, within the user's scope: the per-account results (`table=records`) or a
 * migration matrix (`table=tiers` | `table=classes`). Headers and words in the user's language;
 * every cell goes through the exports' CSV writer, which neutralises formula-like text.
 */
import { error } from '@sveltejs/kit';
import type { Db } from '$db/client.js';
import { csvLine } from '$db/import/csv.js';
import { reviewAggregateWhere, reviewsPageWhere, reviewYears } from '$db/repositories/reviews.js';
import { CLASSES, TIERS } from '$engine/index.js';
import { translate, type Locale, type MessageKey } from '$i18n/catalog.js';
import type { SessionUser } from '$lib/user.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import { classMatrix, tierMatrix } from '$lib/server/review-matrices.js';
import { accountScope, withinScope } from '$lib/server/scope.js';
import type { RequestHandler } from './$types.js';

const REVIEW_EXPORT_TABLES = ['records', 'tiers', 'classes'] as const;
type ReviewExportTable = (typeof REVIEW_EXPORT_TABLES)[number];

const PAGE = 1000;
const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));

function label(locale: Locale, namespace: string, value: string | null): string {
  if (value === null) return '';
  const key = `${namespace}.${value}`;
  const text = translate(locale, key as MessageKey);
  return text === key ? value : text;
}

/** The CSV text of one table of a review year, or null when the year has no review. */
export async function _reviewCsv(
  db: Db,
  user: SessionUser,
  locale: Locale,
  year: number,
  table: ReviewExportTable,
): Promise<string | null> {
  if (!(await reviewYears(db)).includes(year)) return null;
  const where = withinScope(await accountScope(db, user));
  const t = (key: MessageKey) => translate(locale, key);
  if (table !== 'records') {
    const aggregate = await reviewAggregateWhere(db, year, where);
    const [keys, matrix, namespace] =
      table === 'tiers'
        ? [TIERS, tierMatrix(aggregate) as Record<string, Record<string, number>>, 'tier']
        : [CLASSES, classMatrix(aggregate) as Record<string, Record<string, number>>, 'class'];
    let out = csvLine([t('reviews.matrix.corner'), ...keys.map((k) => label(locale, namespace, k))]);
    for (const from of keys) out += csvLine([label(locale, namespace, from), ...keys.map((to) => cell(matrix[from]?.[to] ?? 0))]);
    return out;
  }
  let out = csvLine([
    t('reviewsCsv.accountId'),
    t('accounts.col.name'),
    t('reviews.col.attainment'),
    t('reviews.col.actions'),
    t('reviews.col.opportunities'),
    t('reviewsCsv.opportunitiesValue'),
    t('reviews.col.closeness'),
    t('reviewsCsv.scoreBefore'),
    t('reviewsCsv.scoreAfter'),
    t('reviewsCsv.tierBefore'),
    t('reviewsCsv.tierAfter'),
    t('reviewsCsv.classBefore'),
    t('reviewsCsv.classAfter'),
    t('reviewsCsv.strategyBefore'),
    t('reviewsCsv.strategyAfter'),
  ]);
  for (let page = 1; ; page++) {
    const { rows } = await reviewsPageWhere(db, year, where, { page, pageSize: PAGE });
    for (const r of rows)
      out += csvLine([
        r.accountId,
        r.accountName,
        cell(r.attainment),
        cell(r.actionsDoneShare),
        cell(r.opportunitiesCount),
        cell(r.opportunitiesValue),
        cell(r.closenessChange),
        cell(r.scoreBefore),
        cell(r.scoreAfter),
        cell(r.tierBefore),
        cell(r.tierAfter),
        cell(r.classBefore),
        cell(r.classAfter),
        label(locale, 'strategy', r.strategyBefore),
        label(locale, 'strategy', r.strategyAfter),
      ]);
    if (rows.length < PAGE) return out;
  }
}

export const GET: RequestHandler = async ({ locals, url }) => {
  const user = requireUser(locals);
  const year = Number(url.searchParams.get('year'));
  const table = url.searchParams.get('table') ?? 'records';
  if (!Number.isInteger(year) || !(REVIEW_EXPORT_TABLES as readonly string[]).includes(table))
    error(400, { message: 'Bad request', key: 'reviewsCsv.badRequest' });
  const csv = await _reviewCsv(await db(), user, locals.locale, year, table as ReviewExportTable);
  if (csv === null) error(404, { message: 'Not found', key: 'reviewsCsv.noYear', params: { year: String(year) } });
  return new Response(`\uFEFF${csv}`, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="review-${year}-${table}.csv"`,
      'cache-control': 'no-store',
    },
  });
};
