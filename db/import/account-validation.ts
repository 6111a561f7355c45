/**
 * The one validator of a whole account: what the JSON import checks each account with and what the
 * studio checks every edit with, so both refuse the same things with the same coded messages at the
 * same model paths (`contacts[2].reportsTo`). The CSV imports run the same cross-field checks on
 * the rows they read.
 */
import { accountReferenceIssues, accountSchema, type Account } from '../../engine/model.js';
import * as cell from './cells.js';
import { msg, type ImportCode } from './problems.js';
import { check, type PathIssue } from './validate.js';

/** Whole numbers the database keeps in 32 bits; zod's `int()` allows up to 2^53. */
function int32Issues(account: Account): PathIssue[] {
  const issues: PathIssue[] = [];
  if (account.employees != null && account.employees > cell.INT32_MAX)
    issues.push({ path: ['employees'], ...msg('value.atMost', { max: cell.INT32_MAX, got: account.employees }) });
  account.contacts.forEach((c, i) => {
    if (c.interactions90d > cell.INT32_MAX)
      issues.push({
        path: ['contacts', i, 'interactions90d'],
        ...msg('value.atMost', { max: cell.INT32_MAX, got: c.interactions90d }),
      });
  });
  return issues;
}

/**
 * The checks across fields of an account whose fields each passed the schema: the engine's
 * reference and reporting-line checks (as import codes `ref.<code>`), 32-bit whole numbers, and an
 * account that is its own parent.
 */
export function accountIssues(account: Account): PathIssue[] {
  const issues: PathIssue[] = accountReferenceIssues(account).map((i) => ({
    path: i.path,
    code: `ref.${i.code}` satisfies ImportCode,
    params: i.params,
  }));
  issues.push(...int32Issues(account));
  if (account.parentId != null && account.parentId === account.id)
    issues.push({ path: ['parentId'], ...msg('accounts.ownParent') });
  return issues;
}

/** A whole account, from JSON or from a studio form: the valid account, or every problem with its path. */
export function validateAccount(input: unknown): { ok: true; value: Account } | { ok: false; issues: PathIssue[] } {
  const result = check(accountSchema, input);
  if (!result.ok) return result;
  const issues = accountIssues(result.value);
  return issues.length > 0 ? { ok: false, issues } : result;
}
