/**
 * A fast reader compiled from a zod object schema, for JSON input (what `JSON.parse` returns: plain
 * objects and arrays, no symbols, accessors or holes): for an input the schema certainly accepts it
 * answers a value equal to zod's parse (same keys in the same order, same defaults), and for
 * anything it is not sure about it answers `undefined`, so the caller parses that input with zod,
 * which stays the one source of truth for what is valid and for every problem (code, message, JSON
 * path). Where a part of the input already is exactly zod's value for it (every key of the shape,
 * in its order, nothing else, no value changed) that part is returned as it is, not copied: a
 * bulk read then allocates next to nothing for the contacts and competitors of a usual file.
 *
 * Why: `esp evaluate` reads every account of a file, 50,000 of them, and zod's general walk (a
 * payload and an issue list per field, every check a call) cost more than deciding them. The reader
 * is generated from the schema's own definition (fields, wrappers, checks), never from a copied
 * field list: a field added to the schema is read the same way, and a kind of node or check it does
 * not know is handed to that node's own zod parse. test/engine-fast-parse.test.ts compares it with
 * zod on valid and invalid inputs.
 */
import type { z } from 'zod';
import { RUNTIME_COMPILES } from './generated-source.js';

/** What the generated code answers for "not sure": the caller parses with zod. */
const UNSURE = Symbol('unsure');

/** The parts of zod's internal definition the generator reads (zod 4's `schema._zod`). */
interface ZodNode {
  _zod: {
    def: {
      type: string;
      checks?: { _zod: { def: CheckDef } }[];
      innerType?: ZodNode;
      element?: ZodNode;
      keyType?: ZodNode;
      valueType?: ZodNode;
      shape?: Record<string, ZodNode>;
      catchall?: ZodNode;
      defaultValue?: unknown;
      coerce?: boolean;
    };
    optin?: 'optional' | 'defaulted';
    optout?: 'optional';
    values?: ReadonlySet<unknown>;
  };
  safeParse(input: unknown): { success: true; data: unknown } | { success: false };
}

interface CheckDef {
  check: string;
  maximum?: number;
  minimum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  tx?: (input: unknown) => unknown;
}

/**
 * JavaScript source for one reader: statements that read `input` and leave the value in `out`, or
 * return UNSURE. Values the source needs (enum sets, transforms, nested readers) are passed by index.
 */
class Generator {
  readonly refs: unknown[] = [];
  private names = 0;
  /** One generated function per object schema, called where the schema nests. */
  private readonly objects = new Map<ZodNode, string>();
  readonly functions: string[] = [];

  ref(value: unknown): string {
    this.refs.push(value);
    return `k[${this.refs.length - 1}]`;
  }

  name(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  /** Statements that check `input` against `node` and set `out` to zod's value for it. */
  node(node: ZodNode, input: string, out: string): string {
    const def = node._zod.def;
    switch (def.type) {
      case 'optional':
        return `if (${input} === undefined) ${out} = undefined; else {\n${this.node(def.innerType!, input, out)}\n}`;
      case 'nullable':
        return `if (${input} === null) ${out} = null; else {\n${this.node(def.innerType!, input, out)}\n}`;
      case 'default': {
        // The definition's getter clones the default (a fresh [] per account), as zod does.
        const fallback = `${this.ref(node)}._zod.def.defaultValue`;
        return `if (${input} === undefined) ${out} = ${fallback}; else {\n${this.node(def.innerType!, input, out)}\nif (${out} === undefined) ${out} = ${fallback};\n}`;
      }
      case 'string':
        return this.checked(node, `typeof ${input} !== 'string'`, input, out);
      case 'number':
        return this.checked(node, `typeof ${input} !== 'number' || !Number.isFinite(${input})`, input, out);
      case 'boolean':
        return this.checked(node, `typeof ${input} !== 'boolean'`, input, out);
      case 'enum':
        return node._zod.values ? this.checked(node, `!${this.ref(node._zod.values)}.has(${input})`, input, out) : this.zod(node, input, out);
      case 'array':
        return this.array(node, input, out);
      case 'record':
        return this.record(node, input, out);
      case 'object':
        if (def.catchall) return this.zod(node, input, out);
        return `${out} = ${this.object(node)}(${input});\nif (${out} === U) return U;`;
      default:
        return this.zod(node, input, out);
    }
  }

  /** A node this generator does not read itself: its own zod parse, and "not sure" when that fails. */
  private zod(node: ZodNode, input: string, out: string): string {
    const r = this.name('z');
    return `const ${r} = ${this.ref(node)}.safeParse(${input});\nif (!${r}.success) return U;\n${out} = ${r}.data;`;
  }

  /**
   * A leaf: its type test, then its checks on the value. A transform (`overwrite`, e.g. trim) must
   * leave the value as it is: one that changes it is left to zod. Unknown checks leave the node to zod.
   */
  private checked(node: ZodNode, notType: string, input: string, out: string): string {
    const def = node._zod.def;
    if (def.coerce) return this.zod(node, input, out);
    const tests = [notType];
    for (const c of def.checks ?? []) {
      const test = this.check(c._zod.def, input);
      if (test === undefined) return this.zod(node, input, out);
      tests.push(test);
    }
    return `if (${tests.map((t) => `(${t})`).join(' || ')}) return U;\n${out} = ${input};`;
  }

  /**
   * The condition under which check `c` fails on `v`, or undefined for a check left to zod. A
   * check's `when` (zod skips a length check on a value without a length) is not consulted: the
   * type test has passed, and applying a check zod would skip can only send an input to zod.
   */
  private check(c: CheckDef, v: string): string | undefined {
    switch (c.check) {
      case 'max_length':
        return `${v}.length > ${c.maximum}`;
      case 'min_length':
        return `${v}.length < ${c.minimum}`;
      case 'greater_than':
        return `${v} ${c.inclusive ? '<' : '<='} ${c.value}`;
      case 'less_than':
        return `${v} ${c.inclusive ? '>' : '>='} ${c.value}`;
      case 'number_format':
        return c.format === 'safeint' ? `!Number.isSafeInteger(${v})` : undefined;
      case 'overwrite':
        return `${this.ref(c.tx)}(${v}) !== ${v}`;
      default:
        return undefined;
    }
  }

  private array(node: ZodNode, input: string, out: string): string {
    const def = node._zod.def;
    const tests: string[] = [];
    for (const c of def.checks ?? []) {
      const test = c._zod.def.check === 'max_length' || c._zod.def.check === 'min_length' ? this.check(c._zod.def, input) : undefined;
      if (test === undefined) return this.zod(node, input, out);
      tests.push(test);
    }
    // The input array itself unless an item's value differs from the item: then a copy from there.
    const [list, i, item, value] = [this.name('l'), this.name('i'), this.name('e'), this.name('v')];
    return [
      `if (!Array.isArray(${input}) || Object.getPrototypeOf(${input}) !== Array.prototype${tests.map((t) => ` || (${t})`).join('')}) return U;`,
      `let ${list};`,
      `for (let ${i} = 0; ${i} < ${input}.length; ${i}++) {`,
      `const ${item} = ${input}[${i}];`,
      `let ${value};`,
      this.node(def.element!, item, value),
      `if (${list} !== undefined) ${list}.push(${value});`,
      `else if (${value} !== ${item} || ${value} === undefined) { ${list} = ${input}.slice(0, ${i}); ${list}.push(${value}); }`,
      `}`,
      `${out} = ${list} ?? ${input};`,
    ].join('\n');
  }

  /**
   * A record with string keys: a plain object's own keys in order, each key and value checked. A
   * key schema of listed keys (an enum), symbol keys or a `__proto__` key are left to zod.
   */
  private record(node: ZodNode, input: string, out: string): string {
    const def = node._zod.def;
    const keyType = def.keyType!;
    if (keyType._zod.def.type !== 'string' || keyType._zod.values !== undefined || def.checks?.length) return this.zod(node, input, out);
    // The input object itself unless a key or value changes: then a copy from there.
    const [obj, key, keyOut, value, prev] = [this.name('r'), this.name('k'), this.name('q'), this.name('v'), this.name('p')];
    return [
      `if (typeof ${input} !== 'object' || ${input} === null || Object.getPrototypeOf(${input}) !== Object.prototype || Object.getOwnPropertySymbols(${input}).length !== 0) return U;`,
      `let ${obj};`,
      `for (const ${key} in ${input}) {`,
      `if (${key} === '__proto__' || !Object.hasOwn(${input}, ${key})) return U;`,
      `let ${keyOut};`,
      this.node(keyType, key, keyOut),
      `let ${value};`,
      this.node(def.valueType!, `${input}[${key}]`, value),
      `if (${obj} === undefined && (${keyOut} !== ${key} || ${value} !== ${input}[${key}])) {`,
      `${obj} = {};`,
      `for (const ${prev} in ${input}) { if (${prev} === ${key}) break; ${obj}[${prev}] = ${input}[${prev}]; }`,
      `}`,
      `if (${obj} !== undefined) ${obj}[${keyOut}] = ${value};`,
      `}`,
      `${out} = ${obj} ?? ${input};`,
    ].join('\n');
  }

  /**
   * The name of the function reading an object schema. Its fields are read in the shape's order,
   * then the value is built with one store per key, so every value of a schema has one shape:
   * present keys as zod keeps them (an absent optional key stays absent, a default fills in).
   */
  object(node: ZodNode): string {
    let fn = this.objects.get(node);
    if (fn) return fn;
    fn = this.name('o');
    this.objects.set(node, fn);
    const fields = Object.entries(node._zod.def.shape!).filter(([key]) => key !== '__proto__');
    const lines = [`function ${fn}(x) {`, `if (typeof x !== 'object' || x === null || Array.isArray(x)) return U;`, `let all = true;`];
    const vars = fields.map(([key, field], n) => {
      const k = JSON.stringify(key);
      const [raw, value, has] = [`a${n}`, `f${n}`, `h${n}`];
      const { optin, optout } = field._zod;
      // zod's object parse (handlePropertyResult): an absent key with an optional-in-and-out
      // schema stays absent; an absent required key is an error; otherwise the schema's value, and
      // an undefined value keeps the key when present or defaulted.
      let absent: string;
      if (optin === undefined) absent = `return U;`;
      else if (optin === 'optional' && optout === 'optional') absent = `${has} = false; all = false;`;
      else
        absent = `${this.node(field, raw, value)}\nif (${value} === undefined) { ${
          optin === 'defaulted' && optout !== 'optional' ? '' : `${has} = false; all = false;`
        } }`;
      lines.push(
        `const ${raw} = x[${k}];`,
        `let ${value}, ${has} = true;`,
        `if (${raw} === undefined && !(${k} in x)) {`,
        absent,
        `} else {`,
        this.node(field, raw, value),
        `}`,
      );
      return { k, value, has };
    });
    // Every key present (the usual input): the input itself when it holds exactly the shape's keys
    // in order with every value unchanged, else one literal, so all values share a hidden class.
    const keys = this.ref(vars.map((v) => JSON.parse(v.k) as string));
    lines.push(
      `if (all) {`,
      `if (${vars.map((v, n) => `${v.value} === a${n}`).join(' && ')} && Object.getPrototypeOf(x) === Object.prototype) {`,
      `let n = 0;`,
      `for (const key in x) { if (key !== ${keys}[n]) { n = -1; break; } n++; }`,
      `if (n === ${vars.length}) return x;`,
      `}`,
      `return { ${vars.map((v) => `${v.k}: ${v.value}`).join(', ')} };`,
      `}`,
    );
    lines.push(`const o = {};`);
    for (const v of vars) lines.push(`if (${v.has}) o[${v.k}] = ${v.value};`);
    lines.push(`return o;`, `}`);
    this.functions.push(lines.join('\n'));
    return fn;
  }
}

/**
 * The fast reader of an object schema: a value equal to zod's parse of JSON input, sharing the
 * input's parts that already are exactly that, or `undefined` when the input is not certainly valid
 * (or the runtime does not compile source); the caller then parses with zod. The reader never
 * answers a value where zod fails or answers a different one.
 */
export function compileFastReader<T extends z.ZodObject>(schema: T): (input: unknown) => z.output<T> | undefined {
  if (!RUNTIME_COMPILES) return () => undefined;
  const gen = new Generator();
  const root = gen.object(schema as unknown as ZodNode);
  const make = new Function('k', 'U', `'use strict';\n${gen.functions.join('\n')}\nreturn ${root};`) as (
    k: unknown[],
    u: symbol,
  ) => (input: unknown) => unknown;
  const read = make(gen.refs, UNSURE);
  return (input) => {
    const value = read(input);
    return value === UNSURE ? undefined : (value as z.output<T>);
  };
}
