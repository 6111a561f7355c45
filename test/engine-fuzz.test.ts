/**
 * Fuzz: random mutations of the valid default rule sets (the fallback and industry overrides) must
 * end in either a valid rule set or validation issues (each with a `$` path and a message), never
 * an exception; a set that validates must compile and evaluate sample accounts without throwing.
 * Each case has its own seed, so a failure names the seed and the mutations to replay it.
 */
import { describe, expect, it } from 'vitest';
import {
  compileRuleSet,
  decideAccount,
  explainAccount,
  FACTS,
  monitorAccount,
  resolveRuleSet,
  type Account,
  type Validation,
} from '../engine/index.js';
import { Rng } from '../db/demo/prng.js';
import { account, baseDocument, competitor, contact, DEFAULT_INDUSTRY_FILES, readDefaultDocument } from './helpers/accounts.js';

const CASES = 10_000;
const SEED = 20_250_115;

type Json = unknown;
type Container = Record<string, Json> | Json[];

const BASE = baseDocument();
const BASE_TEXT = JSON.stringify(BASE);
const OVERRIDES = DEFAULT_INDUSTRY_FILES.map((i) => readDefaultDocument(`${i}.json`));
const FACT_NAMES = FACTS.map((f) => f.name);
const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
];
const JUNK_STRINGS = [
  '',
  ' ',
  'T5',
  'E',
  'conquer',
  'statuz',
  'equals',
  '$.x',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '💥',
  'null',
  '1e999',
];
const WEIRD_NUMBERS = [NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 1, 1.0000000001, 1e308, -1e308, 2 ** 53 + 1, 101, 366, 1e-12];

const SAMPLE_ACCOUNTS: Account[] = [
  account(),
  account({
    id: 'empty',
    contacts: [],
    competitors: [],
    competitorsNoneKnown: false,
    revenueWithUs: null,
    potential: null,
    demonstration: null,
    winnability: null,
    status: null,
    industry: null,
    region: null,
  }),
  account({
    id: 'busy',
    status: 'declining',
    revenueWithUs: 25_000_000,
    potential: 150_000_000,
    demonstration: 95,
    winnability: 10,
    previousCloseness: 90,
    contacts: [
      contact('a', { influence: 5, stance: -1, interactions90d: 0, competitorStances: { k1: 2, k2: 1 } }),
      contact('b', { influence: 4, stance: 2, interactions90d: 7, reportsTo: 'a' }),
      contact('c', { influence: 1, stance: 1, interactions90d: 2, competitorStances: { k2: -2 } }),
    ],
    competitors: [competitor('k1', { share: 0.4 }), competitor('k2', { share: 0.2 })],
    influenceLinks: [{ from: 'b', to: 'a', weight: 3 }],
  }),
  account({ id: 'prospect', status: 'prospect', revenueWithUs: 0, potential: 60_000_000, demonstration: 80, winnability: 80 }),
];

function clone<T>(v: T): T {
  return structuredClone(v);
}

function isContainer(v: Json): v is Container {
  return typeof v === 'object' && v !== null;
}

/** Every container in the tree with its parent slot, so a mutation can replace any node. */
function slots(root: Json): { parent: Container; key: string | number; value: Json }[] {
  const out: { parent: Container; key: string | number; value: Json }[] = [];
  const walk = (node: Json, depth: number) => {
    if (!isContainer(node) || depth > 60) return;
    const entries: [string | number, Json][] = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, value] of entries) {
      out.push({ parent: node, key, value });
      walk(value, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

function pickSlot<T>(r: Rng, items: T[]): T | undefined {
  return items.length === 0 ? undefined : r.pick(items);
}

function set(parent: Container, key: string | number, value: Json) {
  (parent as Record<string | number, Json>)[key] = value;
}

function randomScalar(r: Rng): Json {
  switch (r.int(0, 5)) {
    case 0:
      return r.pick(WEIRD_NUMBERS);
    case 1:
      return r.pick(JUNK_STRINGS);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.int(-1000, 1000) / r.pick([1, 10, 100, 1000]);
    default:
      return r.pick([...FACT_NAMES, ...OPERATORS]);
  }
}

function shuffle<T>(r: Rng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/** Wraps a node in all/any/not layers; deep enough to stress every recursive walker. */
function nest(r: Rng, node: Json, depth: number): Json {
  let n = node;
  const leaf = { fact: 'tier', operator: 'equal', value: 'T1' };
  for (let i = 0; i < depth; i++) n = r.pick([() => ({ all: [n] }), () => ({ any: [n, { ...leaf }] }), () => ({ not: n })])();
  return n;
}

const MUTATIONS: [string, (r: Rng, root: Record<string, Json>) => void][] = [
  [
    'delete',
    (r, root) => {
      const s = pickSlot(r, slots(root));
      if (!s) return;
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
    },
  ],
  [
    'scalar',
    (r, root) => {
      const s = pickSlot(r, slots(root));
      if (s) set(s.parent, s.key, randomScalar(r));
    },
  ],
  [
    'number',
    (r, root) => {
      const nums = slots(root).filter((s) => typeof s.value === 'number');
      if (nums.length === 0) return;
      const s = r.pick(nums);
      const v = s.value as number;
      set(s.parent, s.key, r.pick([NaN, Infinity, -Infinity, -v, v * 1e12, v + 0.1, v - 1, 0, -0, String(v), Math.round(v / 2)]));
    },
  ],
  [
    'retype',
    (r, root) => {
      const s = pickSlot(r, slots(root));
      if (!s) return;
      const v = s.value;
      set(
        s.parent,
        s.key,
        Array.isArray(v)
          ? { ...v }
          : isContainer(v)
            ? Object.values(v)
            : typeof v === 'string'
              ? [v]
              : typeof v === 'number'
                ? String(v)
                : { value: v },
      );
    },
  ],
  [
    'subtree',
    (r, root) => {
      const s = pickSlot(
        r,
        slots(root).filter((x) => isContainer(x.value)),
      );
      if (s) set(s.parent, s.key, r.pick([null, 'x', [], {}, [null], [{}], 0, true, { all: [] }, { fact: 'tier' }]));
    },
  ],
  [
    'shuffle',
    (r, root) => {
      const arrays = slots(root).filter((s) => Array.isArray(s.value));
      if (arrays.length) shuffle(r, r.pick(arrays).value as Json[]);
    },
  ],
  [
    'fact',
    (r, root) => {
      const leaves = slots(root).filter((s) => s.key === 'fact');
      if (leaves.length) {
        const s = r.pick(leaves);
        set(s.parent, s.key, r.chance(0.7) ? r.pick(FACT_NAMES) : r.pick([...JUNK_STRINGS, 42, null]));
      }
    },
  ],
  [
    'operator',
    (r, root) => {
      const ops = slots(root).filter((s) => s.key === 'operator');
      if (ops.length) {
        const s = r.pick(ops);
        set(s.parent, s.key, r.chance(0.7) ? r.pick(OPERATORS) : r.pick([...JUNK_STRINGS, 1, null]));
      }
    },
  ],
  [
    'value',
    (r, root) => {
      const vals = slots(root).filter((s) => s.key === 'value');
      if (vals.length) {
        const s = r.pick(vals);
        set(
          s.parent,
          s.key,
          r.pick([
            randomScalar(r),
            [randomScalar(r), randomScalar(r)],
            { fact: r.pick(FACT_NAMES) },
            ['T1', 'A', 'grow', 'no-coach'],
            'T1',
            'C',
            'retain',
            -20,
            15,
          ]),
        );
      }
    },
  ],
  [
    'nest',
    (r, root) => {
      const conds = slots(root).filter((s) => s.key === 'conditions' || (isContainer(s.value) && 'fact' in (s.value as object)));
      if (conds.length) {
        const s = r.pick(conds);
        set(s.parent, s.key, nest(r, s.value, r.pick([1, 2, 5, 20, 200])));
      }
    },
  ],
  [
    'duplicate-rule',
    (r, root) => {
      const lists = slots(root).filter(
        (s) => Array.isArray(s.value) && (s.value as Json[]).some((x) => isContainer(x) && 'event' in (x as object)),
      );
      if (lists.length) {
        const list = r.pick(lists).value as Json[];
        const rule = clone(r.pick(list));
        if (r.chance(0.5) && isContainer(rule) && !Array.isArray(rule)) rule['name'] = `${String(rule['name'])}-copy`;
        list.splice(r.int(0, list.length), 0, rule);
      }
    },
  ],
  [
    'remove-rule',
    (r, root) => {
      const lists = slots(root).filter(
        (s) => Array.isArray(s.value) && (s.value as Json[]).some((x) => isContainer(x) && 'event' in (x as object)),
      );
      if (lists.length) {
        const list = r.pick(lists).value as Json[];
        list.push({
          name: r.pick(['retain', 'grow', 'no-coach', 't1-key-account', 'nope']),
          remove: r.pick([true, true, false, 'yes']),
        });
      }
    },
  ],
  [
    'extra-key',
    (r, root) => {
      const objs = slots(root).filter((s) => isContainer(s.value) && !Array.isArray(s.value));
      const target = objs.length ? (r.pick(objs).value as Record<string, Json>) : root;
      // defineProperty: an own "__proto__" key, as JSON.parse makes it, not a prototype change
      Object.defineProperty(
        target,
        r.pick(['weigths', 'priorty', 'extra', '__proto__', 'constructor', 'all', 'fact', 'remove', 'path']),
        {
          value: r.chance(0.5) ? randomScalar(r) : { grade: { weights: { revenue: 5 } }, all: [] },
          enumerable: true,
          writable: true,
          configurable: true,
        },
      );
    },
  ],
  [
    'swap',
    (r, root) => {
      const all = slots(root);
      const a = pickSlot(r, all);
      const b = pickSlot(r, all);
      if (!a || !b) return;
      set(a.parent, a.key, clone(b.value));
      set(b.parent, b.key, clone(a.value));
    },
  ],
  [
    'top',
    (r, root) => {
      const keys = Object.keys(root);
      const k = r.pick(keys.length ? keys : ['industry']);
      root[k] = r.pick([null, [], 'x', 1, {}, undefined]);
    },
  ],
];

interface Outcome {
  validation: Validation;
  evaluated: boolean;
}

function runCase(seed: number): { log: string[]; outcome: Outcome } {
  const r = new Rng(seed);
  const log: string[] = [];
  const mutateOverride = r.chance(0.4);
  // Validation never mutates its input, so an override case can share the pristine base.
  const base = mutateOverride ? BASE : (JSON.parse(BASE_TEXT) as Record<string, Json>);
  let override: Record<string, Json> | undefined;
  if (mutateOverride) {
    override = r.chance(0.5)
      ? clone(r.pick(OVERRIDES))
      : // an override that copies whole sections of the base, so rules and config get mutated too
        {
          industry: 'fuzz',
          ...Object.fromEntries(
            ['grade', 'strategy', 'relationship', 'monitor', 'classify', 'coverage', 'investment']
              .filter(() => r.chance(0.4))
              .map((k) => [k, clone(BASE[k])]),
          ),
        };
  }
  const target = override ?? base;
  const n = r.int(1, 4);
  for (let i = 0; i < n; i++) {
    const [name, mutate] = r.pick(MUTATIONS);
    log.push(name);
    mutate(r, target);
  }
  const validation = override ? resolveRuleSet(base, override) : resolveRuleSet(base);
  let evaluated = false;
  if (validation.ok) {
    const rules = compileRuleSet(validation.ruleSet, { industry: 'fuzz', version: seed, baseVersion: 1 });
    const a = r.pick(SAMPLE_ACCOUNTS);
    decideAccount(a, rules);
    monitorAccount(a, rules, {
      plan: { strategy: 'grow', closeness: 50 },
      overdueVisits: r.int(0, 2),
      openActions: 1,
      overdueActions: 0,
    });
    if (r.chance(0.05)) explainAccount(a, rules);
    evaluated = true;
  }
  return { log, outcome: { validation, evaluated } };
}

describe('fuzz: mutated rule sets validate or report, never throw', () => {
  it(`${CASES} random mutations of the default rule sets`, () => {
    let valid = 0;
    let invalid = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const seed = SEED + i;
      let result: ReturnType<typeof runCase>;
      try {
        result = runCase(seed);
      } catch (error) {
        // Replay: runCase(seed) with the same mutations.
        throw new Error(`seed ${seed} threw: ${(error as Error).stack}`);
      }
      const v = result.outcome.validation;
      if (v.ok) {
        valid++;
        expect(v.issues).toEqual([]);
        expect(result.outcome.evaluated).toBe(true);
      } else {
        invalid++;
        if (v.issues.length === 0) throw new Error(`seed ${seed} (${result.log.join(', ')}): invalid without issues`);
        for (const issue of v.issues) {
          if (
            typeof issue.path !== 'string' ||
            !issue.path.startsWith('$') ||
            typeof issue.message !== 'string' ||
            issue.message.trim() === ''
          )
            throw new Error(`seed ${seed} (${result.log.join(', ')}): bad issue ${JSON.stringify(issue)}`);
          codes.set(issue.code, (codes.get(issue.code) ?? 0) + 1);
        }
      }
    }
    console.log(
      `fuzz: ${CASES} cases, ${valid} valid, ${invalid} invalid; issue codes: ${[...codes]
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')}`,
    );
    // The mutations must exercise both outcomes and many kinds of problem.
    expect(valid).toBeGreaterThan(CASES * 0.05);
    expect(invalid).toBeGreaterThan(CASES * 0.3);
    expect(codes.size).toBeGreaterThan(12);
  }, 180_000);

  it('extremely deep nesting is reported, not a stack overflow', () => {
    const d = baseDocument() as { strategy: { rules: { conditions: Json }[] } };
    let node: Json = { fact: 'tier', operator: 'equal', value: 'T1' };
    for (let i = 0; i < 20_000; i++) node = { all: [node] };
    d.strategy.rules[0]!.conditions = node;
    const v = resolveRuleSet(d);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.issues.length).toBeGreaterThan(0);
      expect(v.issues[0]!.path.startsWith('$')).toBe(true);
    }
  });
});
