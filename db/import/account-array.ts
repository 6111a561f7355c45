/**
 * The `esp evaluate` file as an import reads it: a JSON array of accounts, or `{"accounts": [...]}`.
 * The accounts and the contacts import each take their part of every item; this reads the file,
 * reports its syntax and shape, and puts lines on the problems found at JSON paths, then or later.
 */
import { parseJson, withJsonLines, type JsonPath } from './json.js';
import { Problems, type ImportMessage, type ImportProblem } from './problems.js';
import type { PathIssue } from './validate.js';

/** A problem found after parsing (e.g. against the database), at a path inside one record. */
export interface RecordIssue<R> extends ImportMessage {
  record: R;
  path: (string | number)[];
}

export interface ParsedRecords<R> {
  records: R[];
  problems: Problems;
  /** Puts file, line and column on problems found later, the way the parser would have. */
  locate(issues: readonly RecordIssue<R>[]): ImportProblem[];
}

/** What an import does with one item of the array: report issues (at paths from the file's root), keep records. */
export interface ItemReader<R> {
  issue(issue: PathIssue): void;
  record(record: R, at: JsonPath): void;
}

export function readAccountArray<R extends object>(
  text: string,
  options: { file?: string | undefined; problemLimit?: number | undefined },
  notAnArray: ImportMessage,
  readItem: (item: unknown, at: (string | number)[], out: ItemReader<R>) => void,
): ParsedRecords<R> {
  const { file } = options;
  const problems = new Problems(options.problemLimit);
  const records: R[] = [];
  const paths = new Map<R, JsonPath>();
  const locate = (issues: readonly RecordIssue<R>[]) =>
    withJsonLines(
      text,
      issues.map((i) => ({ path: [...(paths.get(i.record) ?? []), ...i.path], code: i.code, params: i.params })),
      file,
    );
  const parsed = parseJson(text, file);
  if (!parsed.ok) {
    problems.add(parsed.problem);
    return { records, problems, locate };
  }
  const value = parsed.value;
  const items = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && Array.isArray((value as { accounts?: unknown }).accounts)
      ? (value as { accounts: unknown[] }).accounts
      : undefined;
  if (!items) {
    problems.report({ file, line: 1, column: '$' }, notAnArray);
    return { records, problems, locate };
  }
  const prefix: (string | number)[] = Array.isArray(value) ? [] : ['accounts'];
  const pending: PathIssue[] = [];
  const out: ItemReader<R> = {
    issue: (issue) => pending.push(issue),
    record: (record, at) => {
      paths.set(record, at);
      records.push(record);
    },
  };
  items.forEach((item, i) => readItem(item, [...prefix, i], out));
  if (pending.length > 0) {
    // Locating lines costs a second scan of the text: only the reported problems pay for it.
    const shown = pending.slice(0, problems.limit);
    for (const p of withJsonLines(text, shown, file)) problems.add(p);
    problems.count += pending.length - shown.length;
  }
  return { records, problems, locate };
}
