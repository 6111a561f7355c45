import { getTableColumns, sql, SQL, getTableName } from 'drizzle-orm';
import type { PgTable, PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';

/**
 * The statements that write many rows at once, shared by the repositories' bulk writes.
 *
 * Bulk writes send each column as ONE bound parameter, a PostgreSQL array literal, and read the
 * rows back with `unnest(...)`: a batch is a handful of parameters instead of rows × columns. drizzle
 * spends about half a second building a 1,000-row multi-row INSERT (an import near 2,000 rows/s);
 * `jsonb_to_recordset` removed that but made the server parse JSON, about 20 µs a row for accounts;
 * an array literal is several times cheaper to parse, and nearly as cheap to build. Same SQL on
 * PostgreSQL and PGlite.
 */
export const BATCH = 1000;
/** Rows per array-literal statement: a few parameters each, so only their size limits it. */
export const ARRAY_BATCH = 10_000;

export type SqlType = 'text' | 'integer' | 'double precision' | 'boolean' | 'jsonb' | 'date' | 'text[]';

/** Quotes an array element: `"…"` with `"` and `\` escaped (every other character is literal). */
function quoted(s: string): string {
  return s.indexOf('"') === -1 && s.indexOf('\\') === -1 ? `"${s}"` : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** How a non-null value of each type is written as an array element. */
const ENCODE: Record<SqlType, (value: unknown) => string> = {
  text: (v) => quoted(String(v)),
  date: (v) => quoted(String(v)),
  // Digits, sign, point, exponent: nothing an array literal needs quoted.
  integer: (v) => String(v),
  'double precision': (v) => String(v),
  boolean: (v) => (v ? 't' : 'f'),
  jsonb: (v) => quoted(JSON.stringify(v)),
  'text[]': (v) => quoted(`{${(v as readonly string[]).map(quoted).join(',')}}`),
};

/** `{e1,e2,NULL,…}`: one column of a batch as a `text[]` literal (`fallback` replaces null). */
function arrayLiteral(values: ArrayLike<unknown>, type: SqlType, fallback: unknown = null): string {
  const n = values.length;
  // join(), not +=: a concatenated string is a rope the driver flattens again to measure it.
  const parts = new Array<string>(n);
  // Text and numbers, nearly every cell, get loops of their own rather than a call per element.
  if (type === 'text') {
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : quoted(typeof v === 'string' ? v : String(v));
    }
  } else if (type === 'integer' || type === 'double precision') {
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : String(v);
    }
  } else {
    const encode = ENCODE[type];
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? fallback;
      parts[i] = v === null ? 'NULL' : encode(v);
    }
  }
  return `{${parts.join(',')}}`;
}

/** A column: the table's TypeScript key, its SQL type, and what to write for a missing value. */
export type Columns<T extends PgTable> = readonly (readonly [keyof T['_']['columns'] & string, SqlType, unknown?])[];

/**
 * `select <columns> from unnest(<one text[] per column>)`: a batch as a relation, each column cast
 * from text to its type. `data` holds each column's values under the table's TypeScript key.
 */
export function unnestColumns<T extends PgTable>(table: T, columns: Columns<T>, data: Record<string, ArrayLike<unknown>>) {
  const defs = getTableColumns(table) as Record<string, PgColumn>;
  const names = columns.map(([k]) => `"${defs[k]!.name}"`);
  const select = columns.map(([, type], i) => (type === 'text' ? `x.${names[i]}` : `x.${names[i]}::${type}`)).join(', ');
  const params = sql.join(
    columns.map(([k, type, fallback]) => sql`${arrayLiteral(data[k]!, type, fallback)}::text[]`),
    sql`, `,
  );
  return {
    list: names.join(', '),
    query: sql`select ${sql.raw(select)} from unnest(${params}) as x(${sql.raw(names.join(', '))})`,
  };
}

/** `unnestColumns` for rows keyed by the table's TypeScript keys. */
export function unnestRows<T extends PgTable>(table: T, columns: Columns<T>, rows: readonly Record<string, unknown>[]) {
  const data: Record<string, unknown[]> = {};
  for (const [k] of columns) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = rows[i]![k];
    data[k] = values;
  }
  return unnestColumns(table, columns, data);
}

export function resultRows(result: unknown): Record<string, unknown>[] {
  const rows = Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows;
  return (rows ?? []) as Record<string, unknown>[];
}

/**
 * Runs one statement per batch of `n` rows, building batch i+1 while the server runs batch i:
 * turning 10,000 rows into array literals takes about as long as the server takes to insert
 * them, so the two overlap instead of taking turns. (PGlite runs in this thread: no overlap there,
 * and the yield costs a tick.) `done` sees each batch's result, in order.
 */
export async function eachBatch(
  db: Db,
  n: number,
  size: number,
  build: (from: number, to: number) => SQL,
  done: (result: unknown, from: number, to: number) => void = () => {},
): Promise<void> {
  let running: { result: Promise<unknown>; from: number; to: number } | undefined;
  for (let i = 0; i < n; i += size) {
    const to = Math.min(n, i + size);
    const query = build(i, to);
    if (running) done(await running.result, running.from, running.to);
    running = { result: Promise.resolve(db.execute(query)), from: i, to };
    // Awaited below; handled now so that a failure during the tick is not an unhandled rejection.
    running.result.catch(() => {});
    // Lets the driver put the statement on the wire before the next batch is built.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (running) done(await running.result, running.from, running.to);
}

/**
 * `insert into <table> (<columns>) select … from unnest(…)`, in batches. `columns` maps the table's
 * TypeScript keys to SQL types; `rows` are keyed the same way. `tail` is appended (ON CONFLICT …,
 * RETURNING …); the returned rows of all batches are concatenated.
 */
export async function insertRows<T extends PgTable>(
  db: Db,
  table: T,
  columns: Columns<T>,
  rows: readonly Record<string, unknown>[],
  tail = '',
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  await eachBatch(
    db,
    rows.length,
    ARRAY_BATCH,
    (from, to) => {
      const { list, query } = unnestRows(table, columns, rows.slice(from, to));
      return sql`insert into ${sql.raw(`"${getTableName(table)}"`)} (${sql.raw(list)}) ${query} ${sql.raw(tail)}`;
    },
    (result) => out.push(...resultRows(result)),
  );
  return out;
}

/** `insertRows` for data already split into columns (`unnestColumns`'s shape). */
export async function insertColumns<T extends PgTable>(
  db: Db,
  table: T,
  columns: Columns<T>,
  data: Record<string, unknown[]>,
  tail = '',
): Promise<void> {
  await eachBatch(db, data[columns[0]![0]]!.length, ARRAY_BATCH, (from, to) => {
    const batch = Object.fromEntries(columns.map(([k]) => [k, data[k]!.slice(from, to)]));
    const { list, query } = unnestColumns(table, columns, batch);
    return sql`insert into ${sql.raw(`"${getTableName(table)}"`)} (${sql.raw(list)}) ${query} ${sql.raw(tail)}`;
  });
}

export function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A `text[]` parameter: `unnest(${textArray(ids)})` is a list of ids as one bound value. */
export function textArray(values: readonly string[]) {
  return sql`${`{${values.map(quoted).join(',')}}`}::text[]`;
}

/** A `text[]` result, which postgres.js and PGlite both hand back as a JS array (NULL for none). */
export function parseTextArray(value: unknown): string[] {
  if (value == null) return [];
  if (Array.isArray(value)) return value as string[];
  throw new Error(`expected a text[] result, got ${typeof value}`);
}
