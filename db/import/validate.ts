/**
 * zod issues in words an admin reads in a problem report ("must be between 1 and 5", "required")
 * rather than zod's developer phrasing, with the path kept so the caller can point at the column.
 */
import type { z } from 'zod';
import { clip } from './cells.js';

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function shown(v: unknown): string {
  if (typeof v === 'string') return `"${clip(v)}"`;
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'an object';
  return String(v);
}

export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'required';
      if (issue.expected === 'int') return `must be a whole number (got ${shown(value)})`;
      return `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`} (got ${shown(value)})`;
    case 'too_small': {
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : issue.message;
      const bound = issue.inclusive ? `at least ${issue.minimum}` : `greater than ${issue.minimum}`;
      return `must be ${bound} (got ${shown(value)})`;
    }
    case 'too_big': {
      const bound = issue.inclusive ? `at most ${issue.maximum}` : `less than ${issue.maximum}`;
      return `must be ${bound} (got ${shown(value)})`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')} (got ${shown(value)})`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Parses with a schema and returns either the value or the issues in plain words. */
export function check<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.output<S> } | { ok: false; issues: PathIssue[] } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({
      path: i.path.map((k) => (typeof k === 'symbol' ? String(k) : k)),
      message: describeIssue(i, input),
    })),
  };
}
