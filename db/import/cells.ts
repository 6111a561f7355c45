/**
 * Typed reading of CSV cells as a spreadsheet user writes them: trimmed, empty = unknown, numbers
 * without thousands separators, percentages for shares, words or numbers for stances. Each reader
 * returns the value or a reason, never throws, so a row reports all of its bad cells at once.
 */
import type { Competitor } from '../../engine/model.js';
import type { CsvRow } from './csv.js';
import { restoreFormula } from './formula-cells.js';
import { msg, rawText, type ImportMessage, type ProblemLocation, type Problems } from './problems.js';

/** A cell's value, or why it cannot be read (an import problem code with its parameters). */
export type Cell<T> = { ok: true; value: T } | { ok: false; reason: ImportMessage };

const ok = <T>(value: T): Cell<T> => ({ ok: true, value });
const bad = <T>(reason: ImportMessage): Cell<T> => ({ ok: false, reason });

/** Plain decimal numbers only: `1e6` and `0x10` are not what an admin means, `1,000` is ambiguous. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;
/** The database stores whole numbers as 32-bit integers. */
export const INT32_MAX = 2_147_483_647;

/** A text cell; a formula our exports neutralised (`'=…`) reads back as the original text. */
export function text(raw: string): Cell<string | null> {
  const v = raw.trim();
  return ok(v === '' ? null : restoreFormula(v));
}

export function number(raw: string): Cell<number | null> {
  const v = raw.trim();
  if (v === '') return ok(null);
  if (!NUMBER.test(v)) return bad(msg('cell.notNumber', { value: clip(v) }));
  return ok(Number(v));
}

export function integer(raw: string): Cell<number | null> {
  const v = raw.trim();
  if (v === '') return ok(null);
  if (!INTEGER.test(v)) return bad(msg('cell.notWholeNumber', { value: clip(v) }));
  const n = Number(v);
  if (Math.abs(n) > INT32_MAX) return bad(msg('cell.tooLarge', { value: clip(v), max: INT32_MAX }));
  return ok(n);
}

/** A share of spend: `0.3`, `30%`. */
export function share(raw: string): Cell<number | null> {
  const v = raw.trim();
  if (v.endsWith('%')) {
    const n = number(v.slice(0, -1));
    if (!n.ok) return bad(msg('cell.notPercentage', { value: clip(v) }));
    return ok(n.value == null ? null : n.value / 100);
  }
  return number(v);
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'x']);
const FALSE = new Set(['false', 'no', 'n', '0']);

export function boolean(raw: string): Cell<boolean | null> {
  const v = raw.trim().toLowerCase();
  if (v === '') return ok(null);
  if (TRUE.has(v)) return ok(true);
  if (FALSE.has(v)) return ok(false);
  return bad(msg('cell.notBoolean', { value: clip(raw.trim()) }));
}

export const STANCE_WORDS: Record<string, number> = {
  opponent: -2,
  skeptic: -1,
  neutral: 0,
  supporter: 1,
  champion: 2,
};

/** `-2`…`2` or the method's words (`champion`, `supporter`, `neutral`, `skeptic`, `opponent`). */
export function stance(raw: string): Cell<number | null> {
  const v = raw.trim().toLowerCase();
  if (v === '') return ok(null);
  if (v in STANCE_WORDS) return ok(STANCE_WORDS[v]!);
  const n = integer(v);
  if (!n.ok) return bad(msg('cell.notStance', { value: clip(raw.trim()) }));
  return n;
}

export function clip(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * The `competitors` cell: `id:name:share` entries separated by `;` (or line breaks, which is what
 * Alt+Enter in an Excel cell gives). The first part is the id, the last one the share when there
 * are three or more, and the name is what lies between (so it may itself contain a colon). A cell
 * that starts with `[` is a JSON array of competitor objects, for the value-proposition texts.
 */
export function parseCompetitorsCell(raw: string): Cell<Partial<Competitor>[] | null> {
  const v = raw.trim();
  if (v === '') return { ok: true, value: null };
  if (v.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (!Array.isArray(parsed)) return bad(msg('cell.competitorsNotArray'));
      return { ok: true, value: parsed as Partial<Competitor>[] };
    } catch (error) {
      return bad(msg('cell.competitorsInvalidJson', { error: rawText((error as Error).message) }));
    }
  }
  const out: Partial<Competitor>[] = [];
  for (const entry of v.split(/[;\r\n]+/)) {
    const e = entry.trim();
    if (e === '') continue;
    const first = e.indexOf(':');
    const last = e.lastIndexOf(':');
    const id = (first === -1 ? e : e.slice(0, first)).trim();
    if (id === '') return bad(msg('cell.competitorNoId', { entry: clip(e) }));
    if (first === -1) {
      out.push({ id, name: id });
    } else if (first === last) {
      out.push({ id, name: e.slice(first + 1).trim() || id });
    } else {
      const given = share(e.slice(last + 1));
      if (!given.ok) return bad(msg('cell.competitorShare', { id, reason: given.reason }));
      const name = e.slice(first + 1, last).trim() || id;
      out.push(given.value == null ? { id, name } : { id, name, share: given.value });
    }
  }
  return { ok: true, value: out };
}

// ---- tables --------------------------------------------------------------------------------------

export interface ColumnSpec {
  name: string;
  /** The header must be present (an empty cell may still be allowed by the field's own rules). */
  required?: boolean;
}

/** A CSV's header resolved against the documented columns. */
export interface Table {
  file: string | undefined;
  headers: string[];
  /** Documented column name → index in the file. */
  index: Map<string, number>;
  /** Extra `prefix:<key>` columns (e.g. `stance:acme`), key → index. */
  prefixed: Map<string, Map<string, number>>;
  rows: CsvRow[];
}

/**
 * Matches the header row against the documented columns: names are case-insensitive and trimmed;
 * an unknown, duplicate or missing required column is a problem (a typo in a header would
 * otherwise drop a whole column silently).
 */
export function resolveHeader(
  rows: CsvRow[],
  columns: readonly ColumnSpec[],
  problems: Problems,
  file: string | undefined,
  prefixes: readonly string[] = [],
  /** Columns accepted and skipped (e.g. the computed columns of an export). */
  ignored: readonly string[] = [],
): Table | undefined {
  const header = rows[0];
  if (!header) {
    problems.report({ file }, msg('header.empty'));
    return undefined;
  }
  const known = new Map(columns.map((c) => [c.name.toLowerCase(), c.name]));
  const skip = new Set(ignored.map((c) => c.toLowerCase()));
  const index = new Map<string, number>();
  const prefixed = new Map<string, Map<string, number>>(prefixes.map((p) => [p, new Map()]));
  const headers: string[] = [];
  header.fields.forEach((raw, i) => {
    const name = raw.trim();
    const at: ProblemLocation = { file, line: header.lines[i], column: name || `#${i + 1}` };
    const prefix = prefixes.find((p) => name.toLowerCase().startsWith(`${p.toLowerCase()}:`));
    if (prefix) {
      const key = name.slice(prefix.length + 1).trim();
      headers.push(`${prefix}:${key}`);
      const map = prefixed.get(prefix)!;
      if (key === '') problems.report(at, msg('header.prefixNeedsKey', { prefix }));
      else if (map.has(key)) problems.report(at, msg('header.duplicateColumn', { name }));
      else map.set(key, i);
      return;
    }
    if (skip.has(name.toLowerCase())) {
      headers.push(name);
      return;
    }
    const canonical = known.get(name.toLowerCase());
    headers.push(canonical ?? name);
    if (name === '') problems.report(at, msg('header.emptyColumn'));
    else if (!canonical)
      problems.report(
        at,
        msg('header.unknownColumn', {
          name: clip(name),
          known: `${columns.map((c) => c.name).join(', ')}${prefixes.map((p) => `, ${p}:<id>`).join('')}`,
        }),
      );
    else if (index.has(canonical)) problems.report(at, msg('header.duplicateColumn', { name }));
    else index.set(canonical, i);
  });
  for (const c of columns)
    if (c.required && !index.has(c.name))
      problems.report({ file, line: header.line, column: c.name }, msg('header.missingColumn', { name: c.name }));
  return { file, headers, index, prefixed, rows: rows.slice(1) };
}

/** A data row whose every cell is empty or blank: spreadsheets leave such rows behind. */
export function isBlankRow(row: CsvRow): boolean {
  return row.fields.every((f) => f.trim() === '');
}

/** Reports cells beyond the header's width (usually an unquoted comma inside a value). */
export function checkWidth(table: Table, row: CsvRow, problems: Problems): void {
  if (row.fields.length > table.headers.length) {
    const i = table.headers.length;
    problems.report(
      { file: table.file, line: row.lines[i], column: `#${i + 1}` },
      msg('row.tooManyCells', { cells: row.fields.length, headers: table.headers.length }),
    );
  }
}
