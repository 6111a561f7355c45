/**
 * A structured diff of two rule set documents, for the studio's version comparison and
 * `esp rules diff`: one entry per changed leaf, at the JSON path an admin sees in validation
 * messages (`$.grade.weights.revenue`).
 */
import { jsonPath, type PathSegment } from './issues.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface RuleSetChange {
  path: string;
  kind: ChangeKind;
  /** Absent (`undefined`) when the path was added. */
  before?: unknown;
  /** Absent (`undefined`) when the path was removed. */
  after?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Objects are compared key by key and arrays index by index, down to the leaves; a value whose type
 * changes (object to array, number to object…) is reported whole at its path. Rule lists are
 * compared by index too: a rule inserted in the middle shows as the shifted rules changing, which
 * is what an admin reading the list top to bottom sees.
 */
export function diffRuleSets(before: unknown, after: unknown): RuleSetChange[] {
  const out: RuleSetChange[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, path: PathSegment[], out: RuleSetChange[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path: jsonPath(path), kind: 'added', after: b });
    return;
  }
  if (b === undefined) {
    out.push({ path: jsonPath(path), kind: 'removed', before: a });
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    for (const k of keys) walk(a[k], b[k], [...path, k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], out);
    return;
  }
  // Leaves, or an object and an array: JSON leaves compare by value with ===.
  if (a !== b) out.push({ path: jsonPath(path), kind: 'changed', before: a, after: b });
}
