/**
 * `esp import accounts <file.csv|file.json>`: reading and validating the file (pure) and writing
 * it all-or-nothing (`importAccounts`). The formats are documented in docs/import.md; the column
 * list below is that documentation's source of truth.
 *
 * The two formats update differently, on purpose. A CSV is what an admin maintains in a spreadsheet
 * for some columns: only the columns present are written, so it never wipes what it does not carry.
 * A JSON file is the `esp evaluate` input, a complete description of each account: the stored
 * account (with its contacts, competitors and influence links) becomes exactly what the file says.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  accountSchema,
  competitorSchema,
  contactSchema,
  influenceLinkSchema,
  type Account,
  type Competitor,
} from '../../engine/model.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { listIndustries } from '../repositories/rule-sets.js';
import { EXPORT_COMPUTED_COLUMNS } from '../export/accounts.js';
import { accounts, competitors, contacts, influenceLinks } from '../schema.js';
import { fastAccountRow, type FastRow } from './account-fast.js';
import * as cell from './cells.js';
import { checkWidth, isBlankRow, parseCompetitorsCell, resolveHeader, type Cell, type ColumnSpec, type Table } from './cells.js';
import { CsvParser, syntaxProblem, type CsvError, type CsvOptions, type CsvRow } from './csv.js';
import { readAccountArray, type ParsedRecords, type RecordIssue } from './account-array.js';
import { accountIssues, validateAccount } from './account-validation.js';
import { formatJsonPath } from './json.js';
import { ImportError, msg, problem, Problems, type ImportMessage, type ProblemLocation } from './problems.js';
import { check, type PathIssue } from './validate.js';
import { PROFILE_FIELDS, type ProfileField } from '../profile-fields.js';
import { upsertAccountProfiles, replaceAccounts } from '../repositories/account-profiles.js';
import { accountsBeforeWrite, recordWrittenChanges } from '../repositories/account-changes.js';
import { bumpAccountVersions } from '../repositories/accounts.js';
import { replaceCompetitors } from '../repositories/competitors.js';
import { worthBulkLoading, withBulkLoad } from './bulk-load.js';

export const ACCOUNT_LISTS = ['contacts', 'competitors', 'influenceLinks'] as const;
export type AccountList = (typeof ACCOUNT_LISTS)[number];

/**
 * One account as the file states it. `fields` and `lists` say what the file carries: updating an
 * existing account changes only those (all of them for JSON). A list replaces the stored list.
 */
export interface AccountRecord {
  account: Account;
  fields: ReadonlySet<ProfileField>;
  lists: ReadonlySet<AccountList>;
  /** The CSV line where the account is (undefined for JSON). */
  line: number | undefined;
}

export type ParsedAccounts = ParsedRecords<AccountRecord>;

export const ACCOUNT_CSV_COLUMNS: readonly (ColumnSpec & { type: string; example: string; description: string })[] = [
  {
    name: 'id',
    required: true,
    type: 'text',
    example: 'ACME-001',
    description: 'Stable external id (e.g. the CRM id). Unique in the file; an existing id is updated.',
  },
  { name: 'name', required: true, type: 'text', example: 'Acme Corporation', description: 'Company name.' },
  {
    name: 'industry',
    type: 'text (lower-cased)',
    example: 'finance',
    description: 'Selects the rule set; an industry without its own rule set uses the fallback `*` (not an error).',
  },
  {
    name: 'region',
    type: 'text',
    example: 'East',
    description: 'Sales region; the regional coverage team is `region:<region>`.',
  },
  {
    name: 'status',
    type: 'prospect | active | declining | lost',
    example: 'active',
    description: 'Relationship status (case-insensitive).',
  },
  { name: 'ownerId', type: 'text', example: 'manager1@example.com', description: 'The account owner (a user id or e-mail).' },
  {
    name: 'parentId',
    type: 'text',
    example: 'ACME-HOLDING',
    description: 'Parent account id (a group); it need not be in the file.',
  },
  { name: 'employees', type: 'whole number ≥ 0', example: '2822', description: 'Head count.' },
  { name: 'companyRevenue', type: 'number ≥ 0', example: '1100040000', description: "The customer's own annual revenue." },
  {
    name: 'revenueWithUs',
    type: 'number ≥ 0',
    example: '2500000',
    description: 'Our sales to it over the last 12 months (contribution).',
  },
  {
    name: 'potential',
    type: 'number ≥ 0',
    example: '30000000',
    description: 'What it could spend with us over the next 3 years (wallet).',
  },
  { name: 'demonstration', type: 'number 0–100', example: '60', description: 'Reference / showcase value.' },
  { name: 'winnability', type: 'number 0–100', example: '75', description: '"We can win it and can deliver it".' },
  {
    name: 'competitors',
    type: 'list `id:name:share; …` (or a JSON array)',
    example: 'oracle:Oracle:30%; sap:SAP:0.1',
    description:
      'The competitors at the account, replacing the stored list. Share 0–1 or a percentage; the name may be omitted (`oracle`) and then defaults to the id.',
  },
  {
    name: 'competitorsNoneKnown',
    type: 'yes/no',
    example: 'no',
    description: 'Yes = "no competitor known": an empty competitor list then counts as recorded.',
  },
  {
    name: 'previousCloseness',
    type: 'number 0–100',
    example: '55',
    description: 'Closeness at the last evaluation (used by the win-back rule).',
  },
  {
    name: 'solution',
    type: 'text',
    example: 'Core banking migration',
    description: 'Value proposition: our solution for the account.',
  },
  {
    name: 'businessValue',
    type: 'text',
    example: 'Batch window cut from 6 h to 1 h',
    description: 'Value proposition: the business value the solution creates for the customer.',
  },
];

const ACCOUNT_STATUS_WORDS = new Set(['prospect', 'active', 'declining', 'lost']);

type Reader = (raw: string) => Cell<unknown>;

const lower: Reader = (raw) => {
  const t = cell.text(raw);
  return t.ok && t.value != null ? { ok: true, value: t.value.toLowerCase() } : t;
};

const READERS: Record<string, Reader> = {
  id: cell.text,
  name: cell.text,
  industry: lower,
  region: cell.text,
  status: (raw) => {
    const t = lower(raw);
    // Unknown words pass through as they are: the schema rejects them with the list of valid ones.
    return t.ok && typeof t.value === 'string' && !ACCOUNT_STATUS_WORDS.has(t.value) ? cell.text(raw) : t;
  },
  ownerId: cell.text,
  parentId: cell.text,
  employees: cell.integer,
  companyRevenue: cell.number,
  revenueWithUs: cell.number,
  potential: cell.number,
  demonstration: cell.number,
  winnability: cell.number,
  competitors: (raw) => parseCompetitorsCell(raw),
  competitorsNoneKnown: cell.boolean,
  previousCloseness: cell.number,
  solution: cell.text,
  businessValue: cell.text,
};

export { parseCompetitorsCell };

/** Which CSV column a model path belongs to: nested competitor paths point at the `competitors` cell. */
function columnOf(path: readonly (string | number)[]): string {
  return String(path[0] ?? 'id');
}

export interface ParseOptions {
  file?: string;
  problemLimit?: number;
  csv?: CsvOptions;
  /**
   * CSV: check rows with the hand-written fast path first (default), zod only for rows it is not
   * sure about. Off sends every row through zod: the reference the tests compare the fast path with.
   */
  fastPath?: boolean;
}

/** Reads the accounts CSV: every bad cell becomes a problem; valid rows become records. */
export function parseAccountsCsv(input: string | CsvRow[], options: ParseOptions = {}): ParsedAccounts {
  const reader = accountsCsvReader(options);
  if (typeof input !== 'string') {
    for (const row of input) reader.row(row);
    return reader.finish([], 0);
  }
  // Each row is checked as the parser completes it and then dropped: 100,000 parsed rows kept
  // until the end would only be garbage the collector copies around.
  const parser = new CsvParser(reader.row, options.csv);
  parser.push(input);
  parser.end();
  return reader.finish(parser.errors, parser.errorCount);
}

/** The row-by-row half of `parseAccountsCsv`: `row` for each CSV record, `finish` at the end. */
function accountsCsvReader(options: ParseOptions) {
  const { file } = options;
  const limit = options.problemLimit;
  const headerProblems = new Problems(limit);
  const rowProblems = new Problems(limit);
  const records: AccountRecord[] = [];
  const firstLine = new Map<string, number>();
  let table: Table | undefined;
  let headerSeen = false;
  let fields: ReadonlySet<ProfileField> = new Set();
  let lists: ReadonlySet<AccountList> = new Set();
  let columns: { name: string; index: number; read: Reader }[] = [];
  let fastRow: FastRow | undefined;

  const at = (row: CsvRow, path: (string | number)[]): ProblemLocation => {
    const column = columnOf(path);
    return { file, line: row.lines[table!.index.get(column) ?? 0] ?? row.line, column };
  };

  const header = (row: CsvRow) => {
    table = resolveHeader([row], ACCOUNT_CSV_COLUMNS, headerProblems, file, [], EXPORT_COMPUTED_COLUMNS);
    if (!table) return;
    const t = table;
    const present = ACCOUNT_CSV_COLUMNS.map((c) => c.name).filter((n) => t.index.has(n));
    fields = new Set(present.filter((n): n is ProfileField => (PROFILE_FIELDS as readonly string[]).includes(n)));
    lists = new Set<AccountList>(t.index.has('competitors') ? ['competitors'] : []);
    // Hoisted out of the row loop: 100,000 rows must not mean 100,000 closures and readers looked up by name.
    columns = present.map((name) => ({ name, index: t.index.get(name)!, read: READERS[name]! }));
    fastRow = options.fastPath === false ? undefined : fastAccountRow(t.index);
  };

  const data = (row: CsvRow) => {
    if (isBlankRow(row)) return;
    const problems = rowProblems;
    checkWidth(table!, row, problems);
    const fast = fastRow?.(row.fields);
    if (fast) {
      const first = firstLine.get(fast.id);
      if (first !== undefined) {
        problems.report(at(row, ['id']), msg('accounts.duplicateId', { id: cell.clip(fast.id), first }));
        return;
      }
      firstLine.set(fast.id, row.line);
      records.push({ account: fast, fields, lists, line: row.line });
      return;
    }
    const input: Record<string, unknown> = {};
    // Every bad cell of a row is reported, not just the first: cells that failed to read are left
    // out of the schema check, and its "required" for them is not repeated.
    let failed: Set<string> | undefined;
    for (const { name, index, read } of columns) {
      const value = read(row.fields[index] ?? '');
      if (!value.ok) {
        (failed ??= new Set()).add(name);
        problems.report({ file, line: row.lines[index] ?? row.line, column: name }, value.reason);
      } else if (value.value !== null) {
        input[name] = value.value;
      }
    }

    const id = typeof input['id'] === 'string' ? input['id'] : undefined;
    if (id !== undefined) {
      const first = firstLine.get(id);
      if (first !== undefined) {
        problems.report(at(row, ['id']), msg('accounts.duplicateId', { id: cell.clip(id), first }));
        return;
      }
      firstLine.set(id, row.line);
    }
    const result = check(accountSchema, input);
    if (!result.ok)
      for (const issue of result.issues)
        if (!failed?.has(columnOf(issue.path))) problems.report(at(row, issue.path), competitorMessage(issue, input));
    if (!result.ok || failed) return;
    const account = result.value;
    const refs = accountIssues(account);
    if (refs.length > 0) {
      for (const r of refs) problems.report(at(row, r.path), r);
      return;
    }
    records.push({ account, fields, lists, line: row.line });
  };

  return {
    /** The records read so far (the array grows as rows come). */
    records,
    /** The header is read and nothing is wrong so far: records read so far may be written. */
    get healthy(): boolean {
      return table !== undefined && headerProblems.ok && rowProblems.ok;
    },
    get headerSeen(): boolean {
      return headerSeen;
    },
    get lists(): ReadonlySet<AccountList> {
      return lists;
    },
    row(row: CsvRow): void {
      if (!headerSeen) {
        headerSeen = true;
        header(row);
      } else if (table && headerProblems.ok) {
        data(row);
      }
    },
    /** Syntax errors stop everything else: the rows' cells are not to be trusted then. */
    finish(syntax: readonly CsvError[], syntaxCount: number): ParsedAccounts {
      const problems = new Problems(limit);
      const locate = (issues: readonly RecordIssue<AccountRecord>[]) =>
        issues.map((i) => problem({ file, line: i.record.line, column: columnOf(i.path) }, i));
      problems.addCounted(
        syntax.map((e) => syntaxProblem(file, e)),
        syntaxCount,
      );
      if (!headerSeen) problems.report({ file }, msg('header.empty'));
      problems.addCounted(headerProblems.list, headerProblems.count);
      if (!problems.ok) return { records: [], problems, locate };
      problems.addCounted(rowProblems.list, rowProblems.count);
      return { records, problems, locate };
    },
  };
}

/** Nested competitor issues name the entry, since the whole list sits in one cell. */
function competitorMessage(issue: PathIssue, input: Record<string, unknown>): ImportMessage {
  const reason: ImportMessage = { code: issue.code, params: issue.params };
  if (issue.path[0] !== 'competitors' || typeof issue.path[1] !== 'number') return reason;
  const entry = (input['competitors'] as Partial<Competitor>[] | undefined)?.[issue.path[1]];
  const field = issue.path.slice(2).join('.');
  const competitor = entry?.id ? `"${entry.id}"` : `#${issue.path[1] + 1}`;
  return field
    ? msg('accounts.competitorField', { competitor, field, reason })
    : msg('accounts.competitor', { competitor, reason });
}

// ---- JSON -------------------------------------------------------------------------------------------

const ALL_FIELDS: ReadonlySet<ProfileField> = new Set(PROFILE_FIELDS);
const ALL_LISTS: ReadonlySet<AccountList> = new Set(ACCOUNT_LISTS);

const KNOWN_KEYS = {
  account: new Set(Object.keys(accountSchema.shape)),
  contacts: new Set(Object.keys(contactSchema.shape)),
  competitors: new Set(Object.keys(competitorSchema.shape)),
  influenceLinks: new Set(Object.keys(influenceLinkSchema.shape)),
};

/** Unknown properties are typos until proven otherwise: `revenuewithus` would otherwise vanish. */
function unknownKeyIssues(input: Record<string, unknown>): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const k of Object.keys(input))
    if (!KNOWN_KEYS.account.has(k)) issues.push({ path: [k], ...msg('value.unknownField', { key: k }) });
  for (const list of ACCOUNT_LISTS) {
    const items = input[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (item && typeof item === 'object' && !Array.isArray(item))
        for (const k of Object.keys(item))
          if (!KNOWN_KEYS[list].has(k)) issues.push({ path: [list, i, k], ...msg('value.unknownField', { key: k }) });
    });
  }
  return issues;
}

/**
 * Reads the `esp evaluate` input format: a JSON array of accounts with nested `contacts`,
 * `competitors`, `influenceLinks` (or `{"accounts": [...]}`). Each account is complete: an absent
 * property means unknown (or an empty list), not "keep the stored value".
 */
export function parseAccountsJson(text: string, options: ParseOptions = {}): ParsedAccounts {
  const firstAt = new Map<string, (string | number)[]>();
  return readAccountArray<AccountRecord>(text, options, msg('accounts.expectedArray'), (item, base, out) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      out.issue({ path: base, ...msg('accounts.notObject') });
      return;
    }
    const input = item as Record<string, unknown>;
    const issues = unknownKeyIssues(input);
    const rawId = typeof input['id'] === 'string' ? input['id'].trim() : undefined;
    if (rawId) {
      const first = firstAt.get(rawId);
      if (first !== undefined)
        issues.push({ path: ['id'], ...msg('accounts.duplicateIdAt', { id: cell.clip(rawId), first: formatJsonPath(first) }) });
      else firstAt.set(rawId, base);
    }
    const result = validateAccount(input);
    if (!result.ok) issues.push(...result.issues);
    if (issues.length > 0) {
      for (const issue of issues) out.issue({ path: [...base, ...issue.path], code: issue.code, params: issue.params });
      return;
    }
    if (!result.ok) return;
    out.record({ account: result.value, fields: ALL_FIELDS, lists: ALL_LISTS, line: undefined }, base);
  });
}

/** CSV or JSON by the file's extension (`.json` → JSON, anything else → CSV). */
export async function readAccountsFile(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<ParsedAccounts> {
  const text = await readFile(file, 'utf8');
  return isJsonFile(file, text) ? parseAccountsJson(text, { ...options, file }) : parseAccountsCsv(text, { ...options, file });
}

export function isJsonFile(file: string, text: string): boolean {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return true;
  if (ext === '.csv') return false;
  return /^\uFEFF?\s*[[{]/.test(text);
}

// ---- writing ------------------------------------------------------------------------------------------

export interface AccountImportResult {
  format: 'csv' | 'json';
  accounts: number;
  inserted: number;
  updated: number;
  /** Accounts whose competitor list was replaced. */
  competitorLists: number;
  /** Contacts that lost a stance toward a competitor no longer listed (CSV `competitors` column). */
  stancesCleared: number;
  /** Industries in the file without a rule set of their own: graded by the fallback `*`. */
  fallbackIndustries: { industry: string; accounts: number }[];
  /** The accounts the import created, and the existing ones it wrote: whose workflows to start or tell. */
  createdIds: string[];
  updatedIds: string[];
}

/** Who an import's audit rows name when the caller does not say. */
export const IMPORT_BY = 'import';

export interface AccountImportOptions {
  /**
   * Load with the indexes and foreign keys dropped and rebuilt (`withBulkLoad`): `auto` (default)
   * when the file has at least 10,000 accounts and at least twice as many as are stored. It locks
   * the accounts tables until the import commits.
   */
  bulk?: boolean | 'auto';
  /** Who the audit rows name (`account_changes.changed_by`); default `import`. */
  by?: string;
}

function emptyResult(format: 'csv' | 'json'): AccountImportResult {
  return {
    format,
    accounts: 0,
    inserted: 0,
    updated: 0,
    competitorLists: 0,
    stancesCleared: 0,
    fallbackIndustries: [],
    createdIds: [],
    updatedIds: [],
  };
}

/**
 * The transaction every accounts import writes in: JIT off, and the bulk load when it pays.
 * `rows` is how many accounts the file holds (an estimate is enough).
 */
async function importTransaction(
  db: Db,
  rows: number,
  tables: readonly PgTable[],
  options: AccountImportOptions,
  write: (tx: Db) => Promise<void>,
): Promise<void> {
  await db.transaction(async (tx) => {
    // The planner prices these set-at-a-time statements high enough to JIT-compile them, which
    // costs more than running them (about 0.8 s for the competitor-stance clean-up of 10,000 rows).
    await tx.execute(sql`select set_config('jit', 'off', true)`);
    const bulk = options.bulk ?? 'auto';
    if (bulk === true || (bulk === 'auto' && (await worthBulkLoading(tx, rows)))) await withBulkLoad(tx, tables, () => write(tx));
    else await write(tx);
  });
}

/** CSV records (all of a file, or one chunk of it): only the columns present are written. */
async function writeCsvRecords(
  tx: Db,
  records: readonly AccountRecord[],
  result: AccountImportResult,
  by: string,
): Promise<void> {
  if (records.length === 0) return;
  // Without competitor lists a CSV writes only the accounts' own fields.
  const before = await accountsBeforeWrite(
    tx,
    records.map((r) => r.account.id),
    { lists: records[0]!.lists.has('competitors') },
  );
  const counts = await upsertAccountProfiles(
    tx,
    records.map((r) => r.account),
    { update: [...records[0]!.fields] },
  );
  result.inserted += counts.inserted;
  result.updated += counts.updated;
  for (const r of records) (counts.insertedIds.has(r.account.id) ? result.createdIds : result.updatedIds).push(r.account.id);
  if (records[0]!.lists.has('competitors')) {
    const replaced = await replaceCompetitors(
      tx,
      records.map((r) => ({ accountId: r.account.id, competitors: r.account.competitors })),
      { fresh: counts.insertedIds },
    );
    await bumpAccountVersions(
      tx,
      records.map((r) => r.account.id).filter((id) => !counts.insertedIds.has(id)),
    );
    result.competitorLists += records.length;
    result.stancesCleared += replaced.contactsCleared;
  }
  await recordWrittenChanges(tx, before, by);
}

/**
 * Writes parsed accounts in one transaction, or throws an `ImportError` (and writes nothing) when
 * the file had any problem. Upsert by id.
 */
export async function importAccounts(
  db: Db,
  parsed: ParsedAccounts,
  format: 'csv' | 'json',
  options: AccountImportOptions = {},
): Promise<AccountImportResult> {
  if (!parsed.problems.ok) throw ImportError.from(parsed.problems);
  const records = parsed.records;
  const by = options.by ?? IMPORT_BY;
  const result = emptyResult(format);
  result.accounts = records.length;
  const tables =
    format === 'json'
      ? [accounts, contacts, competitors, influenceLinks]
      : records[0]?.lists.has('competitors')
        ? [accounts, competitors]
        : [accounts];
  await importTransaction(db, records.length, tables, options, async (tx) => {
    if (format === 'json') {
      // A JSON account is complete: its children are replaced by the file's.
      const before = await accountsBeforeWrite(
        tx,
        records.map((r) => r.account.id),
      );
      const counts = await replaceAccounts(
        tx,
        records.map((r) => r.account),
      );
      await recordWrittenChanges(tx, before, by);
      result.inserted = counts.inserted;
      result.updated = counts.updated;
      for (const r of records) (counts.insertedIds.has(r.account.id) ? result.createdIds : result.updatedIds).push(r.account.id);
      result.competitorLists = records.length;
    } else {
      await writeCsvRecords(tx, records, result, by);
    }
    result.fallbackIndustries = await fallbackIndustries(
      tx,
      records.map((r) => r.account.industry),
    );
  });
  return result;
}

export interface CsvStreamOptions extends Omit<ParseOptions, 'file'>, AccountImportOptions {
  /** Accounts per written chunk (default 10,000). */
  chunkRows?: number;
}

/**
 * Reads, checks and writes an accounts CSV in one pass and one transaction: each chunk of valid
 * rows is written while the next is being parsed, so the process and the database work side by
 * side instead of taking turns (for 100,000 rows each takes seconds). All or nothing as
 * `importAccounts`: once any problem is found nothing more is written, parsing goes on to report
 * every problem, and the `ImportError` rolls back what was written.
 */
export async function importAccountsCsvText(
  db: Db,
  text: string,
  options: CsvStreamOptions & { file?: string } = {},
): Promise<AccountImportResult> {
  const chunkRows = options.chunkRows ?? 10_000;
  const reader = accountsCsvReader(options);
  const parser = new CsvParser(reader.row, options.csv);
  const result = emptyResult('csv');
  let parsedTo = 0;
  // About 1,500 rows a slice: between slices the writes in flight get to run their next step.
  const parseSome = () => {
    const end = Math.min(text.length, parsedTo + (1 << 18));
    parser.push(text.slice(parsedTo, end));
    parsedTo = end;
  };
  while (!reader.headerSeen && parsedTo < text.length) parseSome();
  if (!reader.healthy || parser.errorCount > 0) {
    // A bad header (or none): nothing will be written, so no transaction, no locks.
    while (parsedTo < text.length) parseSome();
    parser.end();
    throw ImportError.from(reader.finish(parser.errors, parser.errorCount).problems);
  }
  const tables = reader.lists.has('competitors') ? [accounts, competitors] : [accounts];
  await importTransaction(db, lineCount(text) - 1, tables, options, async (tx) => {
    let writing: Promise<void> = Promise.resolve();
    const industries: (string | null | undefined)[] = [];
    // Written records are let go: 100,000 accounts kept to the end only burden the collector.
    const flush = () => {
      const chunk = reader.records.splice(0);
      result.accounts += chunk.length;
      for (const r of chunk) industries.push(r.account.industry);
      return writeCsvRecords(tx, chunk, result, options.by ?? IMPORT_BY);
    };
    while (parsedTo < text.length) {
      parseSome();
      if (parser.errorCount === 0 && reader.healthy && reader.records.length >= chunkRows) {
        await writing;
        writing = flush();
        // Awaited later; handled now so a failure does not count as unhandled in the meantime.
        writing.catch(() => {});
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    parser.end();
    await writing;
    const parsed = reader.finish(parser.errors, parser.errorCount);
    if (!parsed.problems.ok) throw ImportError.from(parsed.problems);
    await flush();
    result.fallbackIndustries = await fallbackIndustries(tx, industries);
  });
  return result;
}

/** Line breaks in `text`: the row count, give or take quoted line breaks, for the bulk decision. */
function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** The industries among `industries` that have no published rule set, with their account counts. */
export async function fallbackIndustries(
  db: Db,
  industries: readonly (string | null | undefined)[],
): Promise<{ industry: string; accounts: number }[]> {
  const known = new Set((await listIndustries(db)).filter((i) => i.published).map((i) => i.industry));
  const counts = new Map<string, number>();
  for (const i of industries) if (i != null && !known.has(i)) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([industry, accounts]) => ({ industry, accounts }));
}

/** Reads, validates and writes an accounts file: `esp import accounts`. */
export async function importAccountsFile(db: Db, file: string, options: CsvStreamOptions = {}): Promise<AccountImportResult> {
  const text = await readFile(file, 'utf8');
  if (!isJsonFile(file, text)) return importAccountsCsvText(db, text, { ...options, file });
  return importAccounts(db, parseAccountsJson(text, { ...options, file }), 'json', options);
}
