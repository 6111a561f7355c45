/**
 * `esp export accounts`: every account's profile and what the workflows computed for it (score,
 * tier, class, strategy, stage…), as CSV or JSON. Read in keyset pages of `id` so 100,000 accounts
 * stream out in constant memory.
 *
 * The profile columns are named and formatted like the accounts import's, and the import ignores
 * the computed ones, so an exported CSV can be edited in a spreadsheet and imported back.
 */
import { and, asc, gt, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { accountWhere, type AccountFilter } from '../repositories/accounts.js';
import { accounts, type AccountRow } from '../schema.js';
import { csvLine } from '../import/csv.js';
import { PROFILE_FIELDS } from '../profile-fields.js';

export const EXPORT_PROFILE_COLUMNS = ['id', ...PROFILE_FIELDS] as const;

/** Computed by the workflows; the accounts import skips these columns. */
export const EXPORT_COMPUTED_COLUMNS = [
  'stage',
  'waitingFor',
  'score',
  'tier',
  'class',
  'strategy',
  'investment',
  'health',
  'closeness',
  'advantage',
  'coverageLine',
  'coverageTeam',
  'coverageTrack',
  'presalesTier',
  'cycleYear',
  'ruleSetIndustry',
  'ruleSetVersion',
  'updatedAt',
] as const;

export const EXPORT_COLUMNS = [...EXPORT_PROFILE_COLUMNS, ...EXPORT_COMPUTED_COLUMNS] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
export type ExportRow = { [K in ExportColumn]: K extends 'updatedAt' ? string : AccountRow[K] };

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const PAGE = 5000;

const selection = Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, accounts[c]])) as {
  [K in ExportColumn]: (typeof accounts)[K];
};

/** The accounts matching `where` (a filter's condition, or a caller's access scope), in id order, a page at a time. */
async function* exportRows(db: Db, where: SQL | undefined, pageSize = PAGE): AsyncGenerator<ExportRow[]> {
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select(selection)
      .from(accounts)
      .where(and(where, after === undefined ? undefined : gt(accounts.id, after)))
      .orderBy(asc(accounts.id))
      .limit(pageSize);
    if (rows.length === 0) return;
    yield rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() }));
    after = rows[rows.length - 1]!.id;
    if (rows.length < pageSize) return;
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/**
 * Writes the export through `write` (a file or stdout); returns the number of accounts. CSV is
 * RFC 4180 with CRLF line ends, what spreadsheets expect; JSON is an array of flat objects.
 */
export async function exportAccounts(
  db: Db,
  format: ExportFormat,
  write: (chunk: string) => Promise<void> | void,
  filter: AccountFilter = {},
): Promise<number> {
  let n = 0;
  if (format === 'csv') await write(csvLine(EXPORT_COLUMNS));
  else await write('[');
  for await (const page of exportRows(db, accountWhere(filter))) {
    let out = '';
    for (const row of page) {
      if (format === 'csv') out += csvLine(EXPORT_COLUMNS.map((c) => cellText(row[c])));
      else out += `${n === 0 ? '\n' : ',\n'}  ${JSON.stringify(row)}`;
      n++;
    }
    await write(out);
  }
  if (format === 'json') await write(n === 0 ? ']\n' : '\n]\n');
  return n;
}

/**
 * The accounts matching `where` as CSV in the columns and format of `esp export accounts` (so the
 * file imports back), a page at a time: the studio's download of what a user may see.
 */
export async function* exportCsvWhere(db: Db, where: SQL | undefined, pageSize = 2000): AsyncGenerator<string> {
  yield csvLine(EXPORT_COLUMNS);
  for await (const page of exportRows(db, where, pageSize))
    yield page.map((row) => csvLine(EXPORT_COLUMNS.map((c) => cellText(row[c])))).join('');
}
