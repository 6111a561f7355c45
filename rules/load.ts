/**
 * Reads rule set files: `base.json` (or any file with `"industry": "*"`) is the fallback, every other
 * `*.json` an industry override. JSON syntax errors name the file, line and column.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FALLBACK_INDUSTRY, RuleBook, resolveRuleSet, type Issue, type RuleSetDocument } from '../engine/index.js';

export const DEFAULT_RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'defaults');

export class RuleFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'RuleFileError';
  }
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * The offset of the first JSON syntax error in `text`, or -1 if there is none (or it cannot be
 * found). Node 20's JSON.parse names no position for most errors ("Unexpected token 'h', "hello"
 * is not valid JSON"), so the position is found by this small scanner.
 */
export function jsonSyntaxErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\\') {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) fail();
        i = ESCAPE.lastIndex;
        continue;
      }
      if (ch < ' ') fail();
      i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    LITERAL.lastIndex = i;
    if (!LITERAL.test(text)) fail();
    i = LITERAL.lastIndex;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    return -1; // e.g. nesting too deep for the stack
  }
}

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}

/** JSON.parse with the position of a syntax error turned into line and column. */
export function parseJsonFile(file: string, text = readFileSync(file, 'utf8')): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : jsonSyntaxErrorOffset(text);
    if (offset < 0) throw new RuleFileError(file, `invalid JSON: ${message}`);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new RuleFileError(file, `invalid JSON at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

export function readRuleSetFile(file: string): RuleSetDocument {
  const document = parseJsonFile(file);
  const industry =
    typeof document === 'object' && document !== null && typeof (document as { industry?: unknown }).industry === 'string'
      ? (document as { industry: string }).industry
      : '';
  if (!industry) throw new RuleFileError(file, '$.industry: a rule set needs an "industry" ("*" for the fallback)');
  return { industry, version: null, document, source: file };
}

export function ruleSetFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Every rule set of a directory; a directory without a fallback borrows the default one. */
export function readRuleSetDir(dir: string): { base: RuleSetDocument; overrides: RuleSetDocument[] } {
  const docs = ruleSetFiles(dir).map(readRuleSetFile);
  const bases = docs.filter((d) => d.industry === FALLBACK_INDUSTRY);
  if (bases.length > 1) throw new RuleFileError(dir, `more than one fallback "*" rule set: ${bases.map((b) => basename(b.source!)).join(', ')}`);
  const base = bases[0] ?? readRuleSetFile(join(DEFAULT_RULES_DIR, 'base.json'));
  const overrides = docs.filter((d) => d.industry !== FALLBACK_INDUSTRY);
  const seen = new Map<string, string>();
  for (const o of overrides) {
    if (seen.has(o.industry)) throw new RuleFileError(o.source!, `industry "${o.industry}" is also defined in ${basename(seen.get(o.industry)!)}`);
    seen.set(o.industry, o.source!);
  }
  return { base, overrides };
}

/**
 * The rule book of a directory. A path that is missing, a file, or a directory without any rule
 * set is refused: silently evaluating with the defaults instead would hide a typo in the path.
 */
export function loadRuleBook(dir = DEFAULT_RULES_DIR): RuleBook {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new RuleFileError(dir, 'no such directory');
  }
  if (!isDir) throw new RuleFileError(dir, 'not a directory of rule sets (give the directory that holds the .json files)');
  if (ruleSetFiles(dir).length === 0) throw new RuleFileError(dir, 'no rule sets (*.json) in this directory');
  const { base, overrides } = readRuleSetDir(dir);
  return new RuleBook(base, overrides);
}

/** Validates a file or every file of a directory; returns the problems per file (never throws on content). */
export function validateRuleFiles(target: string): { file: string; issues: Issue[]; error?: string }[] {
  const isDir = statSync(target).isDirectory();
  const files = isDir ? ruleSetFiles(target) : [resolve(target)];
  let base: RuleSetDocument | undefined;
  try {
    base = isDir ? readRuleSetDir(target).base : undefined;
  } catch {
    base = undefined;
  }
  base ??= readRuleSetFile(join(DEFAULT_RULES_DIR, 'base.json'));
  return files.map((file) => {
    try {
      const doc = readRuleSetFile(file);
      const v = doc.industry === FALLBACK_INDUSTRY ? resolveRuleSet(doc.document) : resolveRuleSet(base!.document, doc.document);
      return { file, issues: v.issues };
    } catch (error) {
      return { file, issues: [], error: (error as Error).message };
    }
  });
}
