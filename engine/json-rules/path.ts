/**
 * Fact `path` resolution, compiled once.
 *
 * json-rules-engine (almanac.js) resolves a truthy `path` with
 * `JSONPath({ path, json: factValue, wrap: false })` from jsonpath-plus, and only when the fact value
 * is a non-null object; any other fact value is returned unchanged, path ignored.
 *
 * For the subset accepted here (`$`, `.name`, `[0]`, `['any name']`) jsonpath-plus follows one
 * branch: at each step it descends only if `val && Object.hasOwn(val, key)`, otherwise the result set
 * is empty and `wrap: false` turns that into `undefined`. Truthy primitives take part (e.g.
 * `$.name.length` on a string is its length; on `""` it is undefined), which the accessor keeps.
 */

export type PathAccessor = (root: object) => unknown;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/;
const INDEX = /^\[(\d+)\]/;
// Characters that mean nothing to jsonpath-plus's normaliser or tracer inside a quoted name; the
// excluded ones (quotes, brackets, `~ ^ @ $ * , ; : % ( ) ? #` and backtick) select, filter or escape.
const QUOTED = /^\[(['"])([A-Za-z0-9 _\-./&+]+)\1\]/;

/** The keys of a path in the supported subset, or null if the path is outside it. */
export function parsePath(path: string): string[] | null {
  if (!path.startsWith('$')) return null;
  const keys: string[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if (rest.startsWith('.') && (match = IDENTIFIER.exec(rest.slice(1)))) {
      keys.push(match[0]);
      rest = rest.slice(1 + match[0].length);
    } else if ((match = INDEX.exec(rest))) {
      keys.push(match[1] as string);
      rest = rest.slice(match[0].length);
    } else if ((match = QUOTED.exec(rest))) {
      keys.push(match[2] as string);
      rest = rest.slice(match[0].length);
    } else {
      return null;
    }
  }
  return keys;
}

export function isSupportedPath(path: unknown): path is string {
  return typeof path === 'string' && parsePath(path) !== null;
}

/** Why a path is rejected, for validators; null when it is supported. */
export function unsupportedPathReason(path: unknown): string | null {
  if (typeof path !== 'string') return `path must be a string, got ${typeof path}`;
  if (isSupportedPath(path)) return null;
  return `unsupported path ${JSON.stringify(path)}: use $, $.name, $[0] or $['quoted name'] segments`;
}

const hasOwn = Object.hasOwn;

/** `"0"` → 0 so array reads use element access; `"01"` stays a string, as jsonpath-plus looks it up. */
function toKey(key: string): string | number {
  const n = Number(key);
  return Number.isSafeInteger(n) && String(n) === key ? n : key;
}

type Step = (val: unknown) => unknown;

/** Compiles a supported path into an accessor; throws for anything outside the subset. */
export function compilePath(path: string): PathAccessor {
  const keys = parsePath(path);
  if (!keys) throw new Error(unsupportedPathReason(path) as string);
  const k = keys.map(toKey);
  // Unrolled for the common depths: no loop, no array walk per read.
  const step =
    (key: string | number): Step =>
    (val) =>
      val && hasOwn(val as object, key) ? (val as Record<string | number, unknown>)[key] : undefined;
  switch (k.length) {
    case 0:
      return (root) => root;
    case 1: {
      const k0 = k[0] as string | number;
      return (root) => (hasOwn(root, k0) ? (root as Record<string | number, unknown>)[k0] : undefined);
    }
    case 2: {
      const k0 = k[0] as string | number;
      const s1 = step(k[1] as string | number);
      return (root) => (hasOwn(root, k0) ? s1((root as Record<string | number, unknown>)[k0]) : undefined);
    }
    default: {
      const steps = k.map(step);
      const n = steps.length;
      return (root) => {
        let val: unknown = root;
        for (let i = 0; i < n && val !== undefined; i++) val = (steps[i] as Step)(val);
        return val;
      };
    }
  }
}

/**
 * The almanac's rule: a path applies only to non-null objects (arrays included); any other fact value
 * is returned unchanged.
 */
export function applyPath(factValue: unknown, accessor: PathAccessor): unknown {
  return factValue !== null && typeof factValue === 'object' ? accessor(factValue) : factValue;
}
