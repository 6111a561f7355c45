import type { Db } from '$db/client.js';
import { exportCsvWhere } from '$db/export/accounts.js';
import type { SessionUser } from '$lib/user.js';
import { accountScope } from '$lib/server/scope.js';
import { db } from '$lib/server/db.js';
import { requireUser } from '$lib/server/guards.js';
import type { RequestHandler } from './$types.js';
import { parseAccountQuery, accountQueryWhere } from '$lib/server/account-query.js';

/** The filtered list (all pages) as a CSV stream, for `/accounts/export.csv`. */
export async function _exportAccountsCsv(
  db: Db,
  user: SessionUser,
  params: URLSearchParams,
): Promise<ReadableStream<Uint8Array>> {
  const scope = await accountScope(db, user);
  const where = await accountQueryWhere(db, scope, parseAccountQuery(params));
  const chunks = exportCsvWhere(db, where);
  const encoder = new TextEncoder();
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          controller.close();
          return;
        }
        // A BOM so spreadsheet programs read UTF-8 (Chinese names); the importer drops it.
        controller.enqueue(encoder.encode(first ? `\uFEFF${next.value}` : next.value));
        first = false;
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** The accounts list's current filters (every page, not just the one shown) as CSV. */
export const GET: RequestHandler = async ({ locals, url }) => {
  const user = requireUser(locals);
  const body = await _exportAccountsCsv(await db(), user, url.searchParams);
  const stamp = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="accounts-${stamp}.csv"`,
      'cache-control': 'no-store',
    },
  });
};
