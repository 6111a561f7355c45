/**
 * The editor's operations on a rule set document, as plain functions over JSON: read and write a
 * value at a path, the industry's effective set (the fallback with the override applied), and the
 * merged view of a rule list with where each rule comes from.
 *
 * `mergeOverride` mirrors the engine's `applyOverride` so the browser can show inherited values as
 * the admin types, without shipping the engine's schemas to it; the server validates every save
 * with the engine itself, and a test keeps the two merges equal.
 */
import { RULE_LIST_PATHS, type Segment } from './paths.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function getAt(doc: unknown, path: readonly Segment[]): unknown {
  let at: unknown = doc;
  for (const s of path) {
    if (typeof s === 'number') at = Array.isArray(at) ? at[s] : undefined;
    else at = isObject(at) && Object.hasOwn(at, s) ? at[s] : undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

export function hasAt(doc: unknown, path: readonly Segment[]): boolean {
  return getAt(doc, path) !== undefined;
}

/** A copy of `doc` with `value` at `path`, creating the objects (or arrays) on the way. */
export function setAt(doc: Json, path: readonly Segment[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [Segment, ...Segment[]];
  if (typeof head === 'number') {
    const list = Array.isArray(doc) ? [...doc] : [];
    list[head] = setAt(list[head] ?? (typeof rest[0] === 'number' ? [] : {}), rest, value);
    return list;
  }
  const obj: JsonObject = isObject(doc) ? { ...doc } : {};
  obj[head] = setAt(obj[head] ?? (typeof rest[0] === 'number' ? [] : {}), rest, value);
  return obj;
}

/** A copy of `doc` without `path`; objects left empty on the way are removed too (down to `keep` segments). */
export function deleteAt(doc: Json, path: readonly Segment[], keep = 1): Json {
  if (path.length === 0) return doc;
  const [head, ...rest] = path as [Segment, ...Segment[]];
  if (typeof head === 'number') {
    if (!Array.isArray(doc)) return doc;
    const list = [...doc];
    if (rest.length === 0) list.splice(head, 1);
    else if (list[head] !== undefined) list[head] = deleteAt(list[head]!, rest, keep - 1);
    return list;
  }
  if (!isObject(doc) || !Object.hasOwn(doc, head)) return doc;
  const obj = { ...doc };
  if (rest.length === 0) delete obj[head];
  else {
    const child = deleteAt(obj[head]!, rest, keep - 1);
    if (keep <= 1 && isObject(child) && Object.keys(child).length === 0) delete obj[head];
    else obj[head] = child;
  }
  return obj;
}

function isRuleList(path: readonly string[]): boolean {
  return RULE_LIST_PATHS.some((l) => path.length === 2 && path[0] === l.path[0] && path[1] === l.path[1]);
}

function mergeRuleList(base: Json[], patch: Json[]): Json[] {
  const out = [...base];
  for (const rule of patch) {
    const name = isObject(rule) ? rule['name'] : undefined;
    const at = out.findIndex((r) => isObject(r) && r['name'] === name);
    const removing = isObject(rule) && rule['remove'] === true;
    if (at >= 0) {
      if (removing) out.splice(at, 1);
      else out[at] = rule;
    } else if (!removing) out.push(rule);
  }
  return out;
}

function mergeAt(base: Json | undefined, patch: Json | undefined, path: string[]): Json | undefined {
  if (patch === undefined) return base;
  if (Array.isArray(patch) && Array.isArray(base) && isRuleList(path)) return mergeRuleList(base, patch);
  if (isObject(patch) && isObject(base)) {
    const out: JsonObject = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      const merged = mergeAt(base[k], v, [...path, k]);
      if (merged !== undefined) out[k] = merged;
    }
    return out;
  }
  return patch;
}

/** The effective set: `base` (the fallback) with the industry's `override` applied, as the engine does. */
export function mergeOverride(base: Json, override: Json): Json {
  if (!isObject(override)) return base;
  const { extends: _e, $schema: _s, ...rest } = override;
  const merged = mergeAt(base, rest, []) ?? base;
  if (isObject(merged) && isObject(base) && base['$schema'] !== undefined) merged['$schema'] = base['$schema'];
  return merged;
}

// ---- rule lists --------------------------------------------------------------------------------

export type RuleOrigin = 'own' | 'inherited' | 'overridden' | 'added' | 'removed';

export interface RuleEntry {
  /** The rule as it applies (for a removed rule: the inherited one). */
  rule: JsonObject;
  name: string;
  origin: RuleOrigin;
  /** Index in the document being edited (the override's list, or the fallback's own list); null when inherited. */
  docIndex: number | null;
}

/**
 * The rules of a list as the admin sees them: for the fallback, its own rules; for an industry,
 * the inherited rules in order (replaced or removed where the override says so), then the rules
 * it adds. Mirrors the merge by name, including a removal of a name nobody has (shown, so that
 * the admin can see and delete it).
 */
export function ruleEntries(baseList: unknown, docList: unknown, fallback: boolean): RuleEntry[] {
  const own = Array.isArray(docList) ? docList : [];
  if (fallback) return own.map((r, i) => ({ rule: isObject(r) ? r : {}, name: nameOf(r), origin: 'own', docIndex: i }));
  const entries: RuleEntry[] = (Array.isArray(baseList) ? baseList : []).map((r) => ({
    rule: isObject(r) ? r : {},
    name: nameOf(r),
    origin: 'inherited',
    docIndex: null,
  }));
  own.forEach((r, i) => {
    const name = nameOf(r);
    const removing = isObject(r) && r['remove'] === true;
    const at = entries.findIndex((e) => e.name === name && e.origin !== 'removed' && e.origin !== 'added');
    if (at >= 0) {
      const inherited = entries[at]!;
      entries[at] = removing
        ? { ...inherited, origin: 'removed', docIndex: i }
        : { rule: isObject(r) ? r : {}, name, origin: 'overridden', docIndex: i };
    } else
      entries.push(
        removing
          ? { rule: isObject(r) ? r : {}, name, origin: 'removed', docIndex: i }
          : { rule: isObject(r) ? r : {}, name, origin: 'added', docIndex: i },
      );
  });
  return entries;
}

function nameOf(r: unknown): string {
  return isObject(r) && typeof r['name'] === 'string' ? r['name'] : '';
}
