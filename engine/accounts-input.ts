/**
 * Validating a batch of accounts (the `esp evaluate` / JSON import format): every problem of every
 * account, each naming the account's index, its id and the field.
 */
import { compileFastReader } from './fast-parse.js';
import { accountReferenceIssues, accountSchema, GRADE_INPUTS, type Account } from './model.js';
import { jsonPath, zodMessage, type PathSegment } from './ruleset-format/issues.js';

export interface AccountIssue {
  index: number;
  id: string | null;
  path: string;
  message: string;
}

/** What evaluation needs beyond the record's own shape: the grade inputs and the status. */
export const EVALUATION_REQUIRED = ['status', ...GRADE_INPUTS] as const;

/**
 * The common valid account read without zod's general walk; anything unusual goes through zod. The
 * accounts may share objects with the JSON given (its contacts, say, when they already are exactly
 * what zod would make of them). Generated at the first read, not when the engine is imported.
 */
let readAccount: ReturnType<typeof compileFastReader<typeof accountSchema>> | undefined;

export function formatAccountIssue(i: AccountIssue): string {
  return `account[${i.index}]${i.id !== null ? ` (id ${JSON.stringify(i.id)})` : ''}: ${i.path}: ${i.message}`;
}

export function parseAccounts(
  json: unknown,
  opts: { required?: readonly string[] } = {},
): { accounts: Account[]; issues: AccountIssue[] } {
  if (!Array.isArray(json)) return { accounts: [], issues: [{ index: -1, id: null, path: '$', message: 'expected a JSON array of accounts' }] };
  const issues: AccountIssue[] = [];
  const accounts: Account[] = [];
  const seen = new Map<string, number>();
  const read = (readAccount ??= compileFastReader(accountSchema));
  json.forEach((raw, index) => {
    const rawId = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === 'string' ? rawId : null;
    const add = (path: PathSegment[], message: string) => issues.push({ index, id, path: jsonPath(path), message });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      add([], 'expected an account object');
      return;
    }
    for (const field of opts.required ?? []) {
      const v = (raw as Record<string, unknown>)[field];
      if (v === undefined || v === null) add([field], 'is required');
    }
    const fast = read(raw);
    const parsed = fast ? { success: true as const, data: fast } : accountSchema.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const isMissingRequired = i.path.length === 1 && (opts.required ?? []).includes(String(i.path[0])) && (raw as Record<string, unknown>)[String(i.path[0])] == null;
        if (!isMissingRequired) add(i.path as PathSegment[], zodMessage(i));
      }
      return;
    }
    for (const i of accountReferenceIssues(parsed.data)) add(i.path, i.message);
    if (id !== null) {
      const first = seen.get(id);
      if (first !== undefined) add(['id'], `duplicate id, first used by account[${first}]`);
      else seen.set(id, index);
    }
    accounts.push(parsed.data);
  });
  return { accounts, issues };
}
