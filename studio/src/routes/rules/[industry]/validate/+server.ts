/** The editor's live validation of a document it has not saved (admins only). */
import { validateDocument } from '$db/repositories/rule-sets.js';
import { overriddenPaths } from '$engine/ruleset-format/override.js';
import { FALLBACK_INDUSTRY } from '$engine/ruleset-format/schema.js';
import { jsonPath } from '$lib/components/rules/paths.js';
import { requireRole } from '$lib/server/guards.js';
import {
  type RulesEvent,
  type GetDb,
  MAX_DOCUMENT_BYTES,
  industryParam,
  issueViews,
  affectedViews,
} from '$lib/server/rule-set-pages.js';
import { db } from '$lib/server/db.js';
import type { RequestHandler } from './$types.js';

/** Live validation as the admin types: the same checks as saving, without saving. */
export function _validateHandler(getDb: GetDb) {
  return async ({ locals, params, request }: RulesEvent): Promise<Response> => {
    requireRole(locals, 'admin');
    const industry = industryParam(params);
    const body = await request.text();
    if (body.length > MAX_DOCUMENT_BYTES) return Response.json({ error: 'too large' }, { status: 413 });
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return Response.json({ error: 'not JSON' }, { status: 400 });
    }
    const database = await getDb();
    const check = await validateDocument(database, industry, document);
    return Response.json({
      valid: check.ok,
      issues: issueViews(check.issues),
      affected: affectedViews(check.affected),
      overridden: industry === FALLBACK_INDUSTRY ? [] : overriddenPaths(document).map((p) => jsonPath(p)),
    });
  };
}

export const POST: RequestHandler = _validateHandler(db);
