/**
 * One database handle for both deployments: a real PostgreSQL server through postgres.js when
 * `DATABASE_URL` is set, otherwise the embedded PGlite (Postgres in WASM) persisted under `.data/`.
 * Repositories only see `Db`, so the same queries run on both.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { PACKAGE_ROOT } from './package-root.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The database (or a transaction: a `PgTransaction` is a `PgDatabase`) every repository takes. */
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Driver = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  driver: Driver;
  /** Where the data lives, safe to print: the server URL without password, or the PGlite directory. */
  location: string;
  close(): Promise<void>;
}

/** A database URL safe to print: its password masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql (unparsable DATABASE_URL)';
  }
}

export interface OpenOptions {
  /** A PostgreSQL URL; defaults to `DATABASE_URL`. When neither is set, PGlite serves. */
  url?: string;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  /** postgres.js pool size. */
  max?: number;
  /** Force a driver; by default PostgreSQL when a URL is known, else PGlite. */
  driver?: Driver;
}

export const DEFAULT_PGLITE_DIR = resolve(PACKAGE_ROOT, '.data', 'pglite');

export async function openDatabase(opts: OpenOptions = {}): Promise<Database> {
  const url = opts.driver === 'pglite' ? undefined : (opts.url ?? (process.env['DATABASE_URL'] || undefined));
  if (opts.driver === 'postgres' && !url) throw new Error('openDatabase: the postgres driver needs a url or DATABASE_URL');
  if (url) {
    const client = postgres(url, {
      max: opts.max ?? 10,
      // The migrator's `create schema if not exists` and similar notices are noise for users.
      onnotice: () => {},
    });
    const db = drizzlePostgres({ client, schema }) as unknown as Db;
    return { db, driver: 'postgres', location: redactUrl(url), close: () => client.end({ timeout: 5 }) };
  }

  const dataDir = opts.dataDir ?? process.env['PGLITE_DATA_DIR'] ?? DEFAULT_PGLITE_DIR;
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // PGlite is one connection. It queues plain queries behind an open transaction itself, so
  // concurrent repository calls are safe; what is not safe is a transaction body that uses the
  // outer `db` instead of its `tx` (it would wait for its own transaction): repositories never do.
  const client = await PGlite.create(inMemory ? undefined : dataDir);
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    driver: 'pglite',
    location: inMemory ? 'memory://' : dataDir,
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
