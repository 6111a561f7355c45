/**
 * What an import reports when its input is bad: each problem says where (file, line, column — a
 * CSV header name or a JSON path) and why, so an admin can fix the file in one round trip. The list
 * is capped (a file with a wrong delimiter would otherwise print a million lines) but the count is
 * not: the report ends with "and N more".
 *
 * The "why" is a stable `code` with `params`, like the engine's rule-set issues, so the CLI (and the
 * studio) can say it in the user's language. The words live in one place, the message catalogues
 * (`import.<code>` in i18n/en.json and zh-CN.json, read through the dependency-free
 * catalog.ts): the English `message` every problem carries is rendered from them, so scripts and
 * tests that read `message` keep working.
 */
import { translateImport, translatePlural, type Locale, type MessageKey } from '../../i18n/catalog.js';

/** The import problem codes: every `import.<code>` key of the English catalogue. */
export type ImportCode = { [K in MessageKey]: K extends `import.${infer Code}` ? Code : never }[MessageKey];

/** A parameter is shown as written, or is itself a message (the reason inside `competitor "x": …`). */
export type ImportParam = string | number | ImportMessage;
export type ImportParams = Record<string, ImportParam>;

/** Why something is wrong, without where: a cell reader's reason, a zod issue, a parser error. */
export interface ImportMessage {
  code: ImportCode;
  params: ImportParams;
}

export function msg(code: ImportCode, params: ImportParams = {}): ImportMessage {
  return { code, params };
}

/** Text that has no code of its own (a JavaScript or zod error message): shown as it is in every language. */
export function rawText(text: string): ImportMessage {
  return msg('text', { text });
}

/** The message in `locale` (English by default). */
export function renderMessage(m: ImportMessage, locale: Locale = 'en'): string {
  return translateImport(locale, m);
}

/** Where a problem is. */
export interface ProblemLocation {
  file?: string;
  /** 1-based physical line. */
  line?: number;
  /** A CSV header name (or `#3` for a column without a header), or a JSON path such as `$[2].contacts[0].stance`. */
  column?: string;
}

export interface ImportProblem extends ProblemLocation, ImportMessage {
  /** The English text of `code` with `params`. */
  message: string;
}

export function problem(at: ProblemLocation, m: ImportMessage): ImportProblem {
  return { ...at, code: m.code, params: m.params, message: renderMessage(m) };
}

export const DEFAULT_PROBLEM_LIMIT = 100;

export class Problems {
  readonly list: ImportProblem[] = [];
  count = 0;

  constructor(readonly limit = DEFAULT_PROBLEM_LIMIT) {}

  add(problem: ImportProblem): void {
    this.count++;
    if (this.list.length < this.limit) this.list.push(problem);
  }

  /** Adds a problem from its location and message. */
  report(at: ProblemLocation, m: ImportMessage): void {
    this.add(problem(at, m));
  }

  /** Adds problems that were counted elsewhere (e.g. the CSV parser's own cap). */
  addCounted(problems: ImportProblem[], total: number): void {
    for (const p of problems) this.add(p);
    this.count += Math.max(0, total - problems.length);
  }

  get ok(): boolean {
    return this.count === 0;
  }

  get truncated(): number {
    return this.count - this.list.length;
  }
}

const t = (locale: Locale, code: ImportCode, params: ImportParams = {}) => translateImport(locale, { code, params });

/**
 * `accounts.csv line 12, column influence: must be at most 5 (got 9)`, or in Chinese
 * `accounts.csv 第 12 行，列 influence：不能大于 5（实际为 9）`.
 */
export function formatProblem(p: ImportProblem, locale: Locale = 'en'): string {
  const line = p.line != null ? t(locale, 'format.line', { line: String(p.line) }) : undefined;
  const where = [p.file, line].filter(Boolean).join(' ');
  const column =
    p.column != null ? (p.column.startsWith('$') ? p.column : t(locale, 'format.column', { column: p.column })) : undefined;
  const prefix = [where, column].filter(Boolean).join(t(locale, 'format.separator'));
  const message = locale === 'en' ? p.message : renderMessage(p, locale);
  return prefix ? t(locale, 'format.problem', { where: prefix, message }) : message;
}

export function formatProblems(problems: readonly ImportProblem[], total = problems.length, locale: Locale = 'en'): string {
  const lines = problems.map((p) => formatProblem(p, locale));
  if (total > problems.length) lines.push(t(locale, 'format.more', { count: String(total - problems.length) }));
  return lines.join('\n');
}

/** `3 problems: nothing was imported`. */
export function formatProblemCount(total: number, locale: Locale = 'en'): string {
  return translatePlural(locale, 'import.format.summary', total, { count: String(total) });
}

/**
 * Thrown when an import's input is bad: nothing was written. The CLI prints the problems and exits
 * with code 2.
 */
export class ImportError extends Error {
  constructor(
    readonly problems: ImportProblem[],
    readonly total = problems.length,
  ) {
    super(`${total} problem${total === 1 ? '' : 's'}, nothing imported:\n${formatProblems(problems, total)}`);
    this.name = 'ImportError';
  }

  static from(problems: Problems): ImportError {
    return new ImportError(problems.list, problems.count);
  }
}
