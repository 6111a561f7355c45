/**
 * zod issues in words an admin reads in a problem report ("must be between 1 and 5", "required")
 * rather than zod's developer phrasing, with the path kept so the caller can point at the column.
 * The words are import problem codes (see problems.ts), so they translate.
 */
import type { z } from 'zod';
import { clip } from './cells.js';
import { msg, rawText, type ImportMessage, type ImportParam } from './problems.js';

export interface PathIssue extends ImportMessage {
  path: (string | number)[];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** The offending value as the report shows it: a quoted string, "a list", "an object" or the number. */
function shown(v: unknown): ImportParam {
  if (typeof v === 'string') return `"${clip(v)}"`;
  if (typeof v === 'object' && v !== null) return msg(Array.isArray(v) ? 'value.list' : 'value.object');
  return String(v);
}

function typeName(expected: string): ImportMessage {
  switch (expected) {
    case 'array':
      return msg('type.array');
    case 'string':
      return msg('type.string');
    case 'number':
      return msg('type.number');
    case 'boolean':
      return msg('type.boolean');
    case 'object':
      return msg('type.object');
    default:
      return msg('type.other', { type: expected });
  }
}

export function describeIssue(issue: z.core.$ZodIssue, input: unknown): ImportMessage {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return msg('value.required');
      if (issue.expected === 'int') return msg('value.notWholeNumber', { got: shown(value) });
      return msg('value.wrongType', { type: typeName(issue.expected), got: shown(value) });
    case 'too_small': {
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? msg('value.notEmpty') : rawText(issue.message);
      const min = String(issue.minimum);
      return msg(issue.inclusive ? 'value.atLeast' : 'value.greaterThan', { min, got: shown(value) });
    }
    case 'too_big': {
      const max = String(issue.maximum);
      return msg(issue.inclusive ? 'value.atMost' : 'value.lessThan', { max, got: shown(value) });
    }
    case 'invalid_value':
      return msg('value.oneOf', { values: issue.values.map((v) => String(v)).join(', '), got: shown(value) });
    case 'unrecognized_keys':
      return issue.keys.length === 1
        ? msg('value.unknownField', { key: issue.keys[0]! })
        : msg('value.unknownFields', { keys: issue.keys.map((k) => `"${k}"`).join(', ') });
    default:
      return rawText(issue.message);
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
      ...describeIssue(i, input),
    })),
  };
}
