/**
 * The arithmetic a CRM mapping may use to derive a field the source lacks, e.g.
 * `companyRevenue * 0.01` for the potential. Deliberately tiny — numbers, field names, `+ - * /`,
 * parentheses, `min(…)`, `max(…)`, `round(x)` — and evaluated without `eval`, because mapping files
 * come from admins. A field that is unknown (null) makes the whole expression unknown.
 */

export type Expr =
  | { kind: 'number'; value: number }
  | { kind: 'field'; name: string }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'call'; fn: 'min' | 'max' | 'round'; args: Expr[] };

const FUNCTIONS = { min: [1, Infinity], max: [1, Infinity], round: [1, 1] } as const;

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
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
  const fail = (message: string): never => {
    throw new ExpressionError(message, tokens[i]?.at ?? source.length);
  };
  const expect = (t: string) => {
    if (peek() !== t) fail(`expected "${t}"${peek() ? ` but found "${peek()}"` : ' at the end'}`);
    i++;
  };
  const primary = (): Expr => {
    const tok = peek();
    if (tok === undefined) return fail('unexpected end of the expression');
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
        if (!(tok in FUNCTIONS)) fail(`unknown function "${tok}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
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
          fail(`${fn}() takes ${lo === hi ? lo : `at least ${lo}`} argument${lo === 1 && hi === 1 ? '' : 's'}`);
        return { kind: 'call', fn, args };
      }
      if (!fields.includes(tok)) {
        i--;
        fail(`unknown field "${tok}" (known: ${fields.join(', ')})`);
      }
      return { kind: 'field', name: tok };
    }
    return fail(`unexpected "${tok}"`);
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
  if (i < tokens.length) fail(`unexpected "${peek()}"`);
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
