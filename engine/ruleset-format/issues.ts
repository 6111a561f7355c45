/**
 * A validation problem an admin can act on: where (a JSON path such as `$.grade.weights.revenue`),
 * a stable `code` with `params` so the studio and CLI can translate it, and an English message.
 */
export interface Issue {
  path: string;
  code: string;
  params: Record<string, string | number>;
  message: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function jsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function issue(
  segments: readonly PathSegment[],
  code: string,
  message: string,
  params: Record<string, string | number> = {},
): Issue {
  return { path: jsonPath(segments), code, params: { path: jsonPath(segments), ...params }, message };
}

export function formatIssue(i: Issue, file?: string): string {
  return `${file ? `${file}: ` : ''}${i.path}: ${i.message}`;
}

/** Thrown where an invalid input must not be used; carries every issue, not just the first. */
export class ValidationError extends Error {
  constructor(
    readonly issues: Issue[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'ValidationError';
  }
}

/** zod's wording for a missing field ("expected string, received undefined") is not one an admin uses. */
export function zodMessage(i: { code: string; message: string; input?: unknown }): string {
  if (i.code === 'invalid_type' && i.input === undefined && /received undefined$/.test(i.message)) return 'is required';
  return i.message;
}
