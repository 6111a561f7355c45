/**
 * What an import reports when its input is bad: each problem says where (file, line, column — a
 * CSV header name or a JSON path) and why, so an admin can fix the file in one round trip. The list
 * is capped (a file with a wrong delimiter would otherwise print a million lines) but the count is
 * not: the report ends with "and N more".
 */
export interface ImportProblem {
  file?: string;
  /** 1-based physical line. */
  line?: number;
  /** A CSV header name (or `#3` for a column without a header), or a JSON path such as `$[2].contacts[0].stance`. */
  column?: string;
  message: string;
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

/** `accounts.csv line 12, column influence: must be at most 5 (got 9)`. */
export function formatProblem(p: ImportProblem): string {
  const where = [p.file, p.line != null ? `line ${p.line}` : undefined].filter(Boolean).join(' ');
  const column = p.column != null ? (p.column.startsWith('$') ? p.column : `column ${p.column}`) : undefined;
  const prefix = [where, column].filter(Boolean).join(', ');
  return prefix ? `${prefix}: ${p.message}` : p.message;
}

export function formatProblems(problems: readonly ImportProblem[], total = problems.length): string {
  const lines = problems.map(formatProblem);
  if (total > problems.length) lines.push(`… and ${total - problems.length} more`);
  return lines.join('\n');
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
