/**
 * The arithmetic a CRM mapping may use to derive a field the source lacks, e.g.
 * `companyRevenue * 0.01` for the potential. Deliberately tiny — numbers, field names, `+ - * /`,
 * parentheses, `min(…)`, `max(…)`, `round(x)` — and evaluated without `eval`, because mapping files
 * come from admins. A field that is unknown (null) makes the whole expression unknown.
 */
import { msg, renderMessage, type ImportMessage } from './problems.js';

export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'field'; name: string }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'call'; fn: 'min' | 'max' | 'round'; args: Expr[] };

const FUNCTIONS = { min: [1, Infinity], max: [1, Infinity], round: [1, 1] } as const;

/** A syntax error in an expression; `why` is its import problem code, the message its English text. */
export class ExpressionError extends Error {
  constructor(
    readonly why: ImportMessage,
    readonly position: number,
  ) {
    super(renderMessage(why));
    this.name = 'ExpressionError';
  }
}

export function parseExpression(source: string, fields: readonly string[]): Expr {
  const tokens: { t: string; at: number }[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < source.length && (m = re.exec(source))) {
    const at = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[1] ?? m[2] ?? m[3]) tokens.push({ t: (m[1] ?? m[2] ?? m[3])!, at });
  }
  let i = 0;
  const peek = () => tokens[i]?.t;
  const fail = (why: ImportMessage): never => {
    throw new ExpressionError(why, tokens[i]?.at ?? source.length);
  };
  const expect = (t: string) => {
    const found = peek();
    if (found !== t) fail(found ? msg('expr.expectedFound', { token: t, found }) : msg('expr.expectedAtEnd', { token: t }));
    i++;
  };
  const primary = (): Expr => {
    const tok = peek();
    if (tok === undefined) return fail(msg('expr.unexpectedEnd'));
    if (tok === '(') {
      i++;
      const e = sum();
      expect(')');
      return e;
    }
    if (tok === '-') {
      i++;
      return { kind: 'negate', operand: primary() };
    }
    if (/^(\d|\.)/.test(tok)) {
      i++;
      return { kind: 'number', value: Number(tok) };
    }
    if (/^[A-Za-z_]/.test(tok)) {
      i++;
      if (peek() === '(') {
        if (!(tok in FUNCTIONS)) fail(msg('expr.unknownFunction', { name: tok, known: Object.keys(FUNCTIONS).join(', ') }));
        const fn = tok as keyof typeof FUNCTIONS;
        i++;
        const args: Expr[] = [];
        if (peek() !== ')') {
          args.push(sum());
          while (peek() === ',') {
            i++;
            args.push(sum());
          }
        }
        expect(')');
        const [lo, hi] = FUNCTIONS[fn];
        if (args.length < lo || args.length > hi)
          fail(
            lo !== hi
              ? msg('expr.arityAtLeast', { fn, min: lo })
              : lo === 1
                ? msg('expr.arityOne', { fn })
                : msg('expr.arityExact', { fn, count: lo }),
          );
        return { kind: 'call', fn, args };
      }
      if (!fields.includes(tok)) {
        i--;
        fail(msg('expr.unknownField', { name: tok, known: fields.join(', ') }));
      }
      return { kind: 'field', name: tok };
    }
    return fail(msg('expr.unexpectedToken', { token: tok }));
  };
  const product = (): Expr => {
    let left = primary();
    while (peek() === '*' || peek() === '/') {
      const op = peek() as '*' | '/';
      i++;
      left = { kind: 'binary', op, left, right: primary() };
    }
    return left;
  };
  const sum = (): Expr => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = peek() as '+' | '-';
      i++;
      left = { kind: 'binary', op, left, right: product() };
    }
    return left;
  };
  const e = sum();
  if (i < tokens.length) fail(msg('expr.unexpectedToken', { token: peek()! }));
  return e;
}

/** Null when a field is unknown or the result is not a finite number (e.g. a division by zero). */
export function evaluate(expr: Expr, values: Readonly<Record<string, number | null | undefined>>): number | null {
  const go = (e: Expr): number | null => {
    switch (e.kind) {
      case 'number':
        return e.value;
      case 'field':
        return values[e.name] ?? null;
      case 'negate': {
        const v = go(e.operand);
        return v === null ? null : -v;
      }
      case 'binary': {
        const l = go(e.left);
        const r = go(e.right);
        if (l === null || r === null) return null;
        const v = e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' ? l * r : l / r;
        return Number.isFinite(v) ? v : null;
      }
      case 'call': {
        const args = e.args.map(go);
        if (args.some((a) => a === null)) return null;
        const nums = args as number[];
        if (e.fn === 'round') return Math.round(nums[0]!);
        return e.fn === 'min' ? Math.min(...nums) : Math.max(...nums);
      }
    }
  };
  return go(expr);
}
