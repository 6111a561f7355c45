/**
 * Large imports with the tables' indexes and foreign keys dropped and rebuilt: the importer's
 * half of populating a database.
 */
import { getTableName, sql } from 'drizzle-orm';
import { accounts } from '../schema.js';
import { resultRows } from '../repositories/batched-writes.js';
import type { Db } from '../client.js';
import type { PgTable } from 'drizzle-orm/pg-core';

/** Below this many rows an import keeps the indexes: maintaining them row by row is cheap enough. */
export const BULK_LOAD_MIN_ROWS = 10_000;

/**
 * Whether a write of `rows` accounts should go through `withBulkLoad`: when it is large and at
 * least twice what is stored. Rebuilding an index over the whole table costs about 0.4 of adding
 * the same number of entries one by one, so it pays when most of the table is new; a re-import of
 * stored accounts mostly changes nothing (unchanged rows are skipped) and keeps the indexes.
 */
export async function worthBulkLoading(db: Db, rows: number): Promise<boolean> {
  if (rows < BULK_LOAD_MIN_ROWS) return false;
  const [row] = resultRows(await db.execute(sql`select count(*)::integer as n from ${accounts}`));
  return Number(row?.['n'] ?? 0) * 2 <= rows;
}

/**
 * Runs `write` with the tables' secondary indexes and foreign keys dropped, then recreates them
 * exactly as they were (definitions read from the catalog, same names): PostgreSQL's advice for
 * populating a database. A 100,000-account import spends most of its server time adding index
 * entries one row at a time (13 on accounts) and checking each competitor's foreign key with a
 * query of its own; a rebuild sorts once and re-validating a foreign key is one join.
 *
 * Must run inside a transaction, which makes it all or nothing: a failed write or a rebuild that
 * finds bad data rolls the drops back too. The price is an exclusive lock on the tables until
 * that transaction ends: readers wait for the import instead of seeing it half done. Primary keys
 * and unique indexes stay (upserts and uniqueness need them). Tables are locked in the order
 * given; pass `accounts` first, as every reader reads accounts before its children.
 */
export async function withBulkLoad<T>(db: Db, tables: readonly PgTable[], write: () => Promise<T>): Promise<T> {
  const indexes: string[] = [];
  const foreignKeys: string[] = [];
  for (const table of tables) {
    const name = getTableName(table);
    for (const r of resultRows(
      await db.execute(sql`
        select quote_ident(c.relname) as name, pg_get_indexdef(i.indexrelid) as def
        from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = ${name}::regclass and not i.indisprimary and not i.indisunique
          and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
        order by c.relname`),
    )) {
      await db.execute(sql.raw(`drop index ${String(r['name'])}`));
      indexes.push(String(r['def']));
    }
    for (const r of resultRows(
      await db.execute(sql`
        select quote_ident(conname) as name, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid = ${name}::regclass and contype = 'f' order by conname`),
    )) {
      await db.execute(sql.raw(`alter table "${name}" drop constraint ${String(r['name'])}`));
      foreignKeys.push(`alter table "${name}" add constraint ${String(r['name'])} ${String(r['def'])}`);
    }
  }
  const result = await write();
  for (const statement of [...indexes, ...foreignKeys]) await db.execute(sql.raw(statement));
  return result;
}
