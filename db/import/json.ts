/**
 * JSON input with positions. `JSON.parse` is fast but says neither where a syntax error is (in a
 * form an admin can use) nor on which line the value behind a validation issue sits. The scanner
 * below is only run when something is wrong, so valid files pay nothing for it.
 */
import { msg, problem, rawText, type ImportMessage, type ImportProblem } from './problems.js';

export type JsonPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly why: ImportMessage,
    readonly offset: number,
  ) {
    super(why.code);
  }
}

/** Line and column (1-based) of an offset. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

/** `$[2].contacts[0]["stance:x"]`: the path as the problem report shows it. */
export function formatJsonPath(path: JsonPath): string {
  let out = '$';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

const LITERAL = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null/y;

/**
 * Walks the text as JSON, recording the offset of every value whose path is in `wanted` (or a
 * prefix of one), and throws a positioned syntax error on bad input.
 */
function scan(text: string, wanted: Set<string> | undefined, found: Map<string, number>): void {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (why: ImportMessage): never => {
    throw new JsonSyntaxError(why, i);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          i = start;
          return fail(msg('json.badEscape'));
        }
      }
      if (c === 0x5c) i += 2;
      else if (c < 0x20) return fail(msg('json.controlChar'));
      else i++;
    }
    i = start;
    return fail(msg('json.unterminatedString'));
  };
  /** An object's members or an array's elements, from its opening character to `close`. */
  const items = (close: string, expected: ImportMessage, member: (index: number) => void): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (let k = 0; ; k++) {
      member(k);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(expected);
    }
  };
  const value = (path: (string | number)[], track: boolean): void => {
    ws();
    if (i >= n) fail(msg('json.unexpectedEnd'));
    if (track) {
      const key = pathKey(path);
      if (wanted!.has(key)) found.set(key, i);
      else track = false;
    }
    const c = text[i];
    if (c === '{') {
      items('}', msg('json.expectedCommaOrBrace'), () => {
        ws();
        if (text[i] !== '"') fail(msg('json.expectedPropertyName'));
        const key = str();
        ws();
        if (text[i] !== ':') fail(msg('json.expectedColon'));
        i++;
        path.push(key);
        value(path, track);
        path.pop();
      });
      return;
    }
    if (c === '[') {
      items(']', msg('json.expectedCommaOrBracket'), (k) => {
        path.push(k);
        value(path, track);
        path.pop();
      });
      return;
    }
    if (c === '"') {
      str();
      return;
    }
    LITERAL.lastIndex = i;
    if (LITERAL.exec(text)) {
      i = LITERAL.lastIndex;
      return;
    }
    fail(c === "'" ? msg('json.singleQuote') : msg('json.unexpectedCharacter', { char: c ?? '' }));
  };
  value([], wanted !== undefined);
  ws();
  if (i < n) fail(msg('json.trailingText'));
}

/** Parses JSON, turning a syntax error into a problem with line and column. */
export function parseJson(text: string, file?: string): { ok: true; value: unknown } | { ok: false; problem: ImportProblem } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    try {
      scan(body, undefined, new Map());
    } catch (e) {
      if (e instanceof JsonSyntaxError) {
        const at = positionAt(body, e.offset);
        return {
          ok: false,
          problem: problem({ file, line: at.line, column: String(at.column) }, msg('json.invalid', { reason: e.why })),
        };
      }
    }
    return { ok: false, problem: problem({ file }, msg('json.invalid', { reason: rawText((error as Error).message) })) };
  }
}

/**
 * The line of each path's value; a path that does not exist (a missing property) gets the line of
 * its nearest existing ancestor, which is where the property should be added.
 */
export function locateJsonPaths(text: string, paths: readonly JsonPath[]): Map<string, Position> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const wanted = new Set<string>();
  for (const p of paths) for (let k = 0; k <= p.length; k++) wanted.add(pathKey(p.slice(0, k)));
  const found = new Map<string, number>();
  try {
    scan(body, wanted, found);
  } catch {
    // Only valid JSON gets here (it parsed); nothing to add.
  }
  // Offsets → positions in one pass over the sorted offsets.
  const offsets = [...new Set(found.values())].sort((a, b) => a - b);
  const positions = new Map<number, Position>();
  let line = 1;
  let lineStart = 0;
  let cursor = 0;
  for (const off of offsets) {
    for (let j = body.indexOf('\n', cursor); j !== -1 && j < off; j = body.indexOf('\n', j + 1)) {
      line++;
      lineStart = j + 1;
      cursor = j + 1;
    }
    positions.set(off, { line, column: off - lineStart + 1 });
  }
  const result = new Map<string, Position>();
  for (const p of paths) {
    for (let k = p.length; k >= 0; k--) {
      const off = found.get(pathKey(p.slice(0, k)));
      if (off !== undefined) {
        result.set(pathKey(p), positions.get(off)!);
        break;
      }
    }
  }
  return result;
}

/** Problems found against the parsed value, given their JSON paths, get their lines filled in. */
export function withJsonLines(
  text: string,
  issues: readonly (ImportMessage & { path: JsonPath })[],
  file?: string,
): ImportProblem[] {
  const where = locateJsonPaths(
    text,
    issues.map((i) => i.path),
  );
  return issues.map((i) =>
    problem({ file, line: where.get(pathKey(i.path))?.line, column: formatJsonPath(i.path) }, { code: i.code, params: i.params }),
  );
}
