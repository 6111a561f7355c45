/**
 * Differential test: random rule sets and facts through json-rules-engine 7 and through compileRules.
 * Events (type, params, order), per-rule pass/fail and order, the annotated condition trees and the
 * error message (when the engine rejects) must all agree. Replay one case with
 * RULES_DIFF_SEED=<seed> RULES_DIFF_CASES=1.
 */
import { Engine } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import { compileRules, compileRuleTree, type CompiledRuleSet, type RuleJson } from '../engine/json-rules/evaluators.js';
import { compileListPick, compilePredicate, compileRuleTest } from '../engine/json-rules/predicates.js';
import { DECORATOR_NAMES, OPERATOR_NAMES } from '../engine/json-rules/operators.js';
import { Rng } from '../db/demo/prng.js';

const BASE_SEED = Number(process.env.RULES_DIFF_SEED ?? 0x5eed_2024);
const RULE_SETS = Number(process.env.RULES_DIFF_CASES ?? 1000);
const FACT_SETS = 5;

const FACTS = ['n1', 'n2', 's1', 'b1', 'arr', 'nul', 'obj', 'list'] as const;
const SCALARS = [0, 1, 2, 3, 5, 10, -1, 2.5, 'a', 'b', 'abc', '', '3', '10', true, false, null] as const;
const PATHS = [
  '$',
  '$.x',
  '$.y',
  '$.s',
  '$.s.length',
  '$.list',
  '$.list[0]',
  '$.list[2]',
  '$.list[01]',
  '$.nested.z',
  '$.nested.deep.w',
  "$['a b']",
  '$["k.d"]',
  '$.missing',
  '$.missing.deeper',
  '$.x.y',
  '$[0].x',
  '$[1]',
  '$[0]',
] as const;

function scalar(rng: Rng): unknown {
  return rng.pick(SCALARS);
}

function array(rng: Rng): unknown[] {
  return Array.from({ length: rng.int(0, 4) }, () => scalar(rng));
}

function genFacts(rng: Rng): Record<string, unknown> {
  const numberish = (): unknown =>
    rng.chance(0.8) ? rng.pick([0, 1, 2, 3, 5, 10, -1, 2.5]) : rng.pick(['3', 'x', null, true, [2]]);
  const obj = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {
      x: numberish(),
      y: rng.pick(['a', 'b', '', 'abc']),
      s: rng.pick(['abc', '', 'xy']),
      list: array(rng),
      nested: rng.chance(0.8) ? { z: scalar(rng), deep: rng.chance(0.7) ? { w: scalar(rng) } : 7 } : null,
      'a b': numberish(),
      'k.d': rng.pick(['a', 'b', 3]),
    };
    for (const key of Object.keys(o)) if (rng.chance(0.1)) delete o[key];
    return o;
  };
  const facts: Record<string, unknown> = {
    n1: numberish(),
    n2: numberish(),
    s1: rng.pick(['a', 'b', 'abc', '', '3', '10']),
    b1: rng.chance(0.5),
    arr: rng.chance(0.9) ? array(rng) : rng.pick(['abc', 3, null]),
    nul: rng.chance(0.5) ? null : undefined,
    obj: rng.chance(0.9) ? obj() : rng.pick([null, 4, 'str', [1, 2]]),
    list: rng.chance(0.85) ? Array.from({ length: rng.int(0, 3) }, obj) : rng.pick([null, 'abc']),
  };
  // An absent fact makes the engine reject, but only where a condition reading it is evaluated.
  if (rng.chance(0.08)) delete facts[rng.pick(FACTS)];
  if (rng.chance(0.04)) delete facts[rng.pick(FACTS)];
  return facts;
}

// Operators that call `.indexOf`/`.some` on the condition value throw a TypeError for most scalars,
// which rejects the whole run.
const THROWS_ON_SCALARS = /(^|:)(in|notIn)$|someValue|everyValue/;

function genOperator(rng: Rng): string {
  const decorators = rng.chance(0.6) ? 0 : rng.chance(0.75) ? 1 : 2;
  const base = rng.pick(OPERATOR_NAMES);
  let parts = Array.from({ length: decorators }, () => rng.pick(DECORATOR_NAMES));
  // `swap` moves the `.indexOf`/`.some` call onto the fact value, and someValue/everyValue hand single
  // elements to `in`: both throw for most values. Keep such runs rare enough that most cases still
  // compare events.
  const risky = base === 'in' || base === 'notIn' ? /swap|someValue|everyValue/ : /swap/;
  if (parts.some((p) => risky.test(p)) && rng.chance(0.9)) parts = parts.filter((p) => !risky.test(p));
  return [...parts, base].join(':');
}

function genValue(rng: Rng, operator: string): unknown {
  const wantsArray = THROWS_ON_SCALARS.test(operator);
  if (rng.chance(wantsArray ? 0.02 : 0.15)) {
    const ref: Record<string, unknown> = { fact: rng.pick(FACTS) };
    if (rng.chance(0.5)) ref.path = rng.pick(PATHS);
    return ref;
  }
  if (wantsArray ? rng.chance(0.97) : rng.chance(0.3)) return array(rng);
  if (rng.chance(0.03)) return { a: 1 };
  return scalar(rng);
}

function maybePriority(rng: Rng, choices: readonly number[]): number | undefined {
  return rng.chance(0.55) ? undefined : rng.pick(choices);
}

function genLeaf(rng: Rng): Record<string, unknown> {
  const fact = rng.pick(FACTS);
  const operator = genOperator(rng);
  const leaf: Record<string, unknown> = { fact, operator, value: genValue(rng, operator) };
  if (rng.chance(fact === 'obj' || fact === 'list' ? 0.75 : 0.1)) leaf.path = rng.pick(PATHS);
  const priority = maybePriority(rng, [1, 2, 3, 0, 2.5, -1]);
  if (priority !== undefined) leaf.priority = priority;
  if (rng.chance(0.05)) leaf.params = { p: 1 };
  return leaf;
}

function genNode(rng: Rng, depth: number): Record<string, unknown> {
  if (depth > 0 && (depth >= 4 || rng.chance(0.5))) return genLeaf(rng);
  const node: Record<string, unknown> = {};
  const kind = rng.pick(['all', 'any', 'all', 'any', 'not'] as const);
  if (kind === 'not') node.not = genNode(rng, depth + 1);
  else node[kind] = Array.from({ length: rng.chance(0.06) ? 0 : rng.int(1, 4) }, () => genNode(rng, depth + 1));
  const priority = maybePriority(rng, [1, 2, 3, 2.5]);
  if (priority !== undefined) node.priority = priority;
  return node;
}

function genRules(rng: Rng): RuleJson[] {
  return Array.from({ length: rng.int(1, 6) }, (_, i) => {
    const rule: Record<string, unknown> = {
      name: `r${i}`,
      conditions: genNode(rng, 0),
      event: rng.chance(0.7) ? { type: rng.pick(['alpha', 'beta', 'gamma']), params: { rule: i } } : { type: 'plain' },
    };
    const priority = maybePriority(rng, [1, 2, 3, 2.7]);
    if (priority !== undefined) rule.priority = priority;
    return rule as unknown as RuleJson;
  });
}

interface EngineCondition {
  operator: string;
  priority?: number;
  name?: string;
  result?: boolean;
  all?: EngineCondition[];
  any?: EngineCondition[];
  not?: EngineCondition;
  toJSON(stringify: false): Record<string, unknown>;
}

interface EngineRuleResult {
  name: string;
  conditions: EngineCondition;
}

interface EngineOutcome {
  error?: string;
  events?: unknown[];
  results?: EngineRuleResult[];
  failureResults?: EngineRuleResult[];
}

/**
 * RuleResult.conditions as plain data: Condition.toJSON(false) for fact conditions, but boolean
 * conditions keep the `result` the engine sets on them (toJSON drops it).
 */
function engineTree(condition: EngineCondition): unknown {
  const { all, any, not } = condition;
  if (!all && !any && !not) return condition.toJSON(false);
  const json: Record<string, unknown> = { priority: condition.priority };
  if (condition.name) json.name = condition.name;
  if (all) json.all = all.map(engineTree);
  if (any) json.any = any.map(engineTree);
  if (not) json.not = engineTree(not);
  if (condition.result !== undefined) json.result = condition.result;
  return json;
}

async function runEngine(engine: Engine, facts: Record<string, unknown>): Promise<EngineOutcome> {
  try {
    const { events, results, failureResults } = await engine.run(facts);
    return { events, results, failureResults } as unknown as EngineOutcome;
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function outcomeOf<T>(fn: () => T): { value?: T; error?: string } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

interface Tally {
  runs: number;
  rejected: number;
  passedRules: number;
  failedRules: number;
}

type Predicate = { name: RuleJson['name']; test: (facts: Record<string, unknown>) => boolean };

/** A rule list asked at once (compileListPick), rules in declaration order. */
interface Picks {
  names: RuleJson['name'][];
  first: (facts: Record<string, unknown>) => number;
  all: (facts: Record<string, unknown>) => number;
}

function compareCase(
  expected: EngineOutcome,
  compiled: CompiledRuleSet,
  predicates: Predicate[],
  picks: Picks,
  facts: Record<string, unknown>,
  tally: Tally,
): void {
  const run = outcomeOf(() => compiled.run(facts));
  const explained = outcomeOf(() => compiled.explain(facts));
  tally.runs++;
  if (expected.error !== undefined) {
    tally.rejected++;
    expect(run.error, 'run() error').toBe(expected.error);
    expect(explained.error, 'explain() error').toBe(expected.error);
    return;
  }
  expect(run.error, 'run() error').toBeUndefined();
  expect(explained.error, 'explain() error').toBeUndefined();
  expect(run.value, 'events').toEqual(expected.events);
  const explanations = explained.value ?? [];
  const results = expected.results ?? [];
  const failures = expected.failureResults ?? [];
  expect(
    explanations.filter((e) => e.passed).map((e) => e.name),
    'passing rules in order',
  ).toEqual(results.map((r) => r.name));
  expect(
    explanations.filter((e) => !e.passed).map((e) => e.name),
    'failing rules in order',
  ).toEqual(failures.map((r) => r.name));
  const trees = new Map([...results, ...failures].map((r) => [r.name, engineTree(r.conditions)]));
  for (const e of explanations) expect(e.conditions, `conditions of ${String(e.name)}`).toEqual(trees.get(e.name as string));
  // The ESP+ evaluators use one predicate per rule (compileRuleTest), generated or closures: same pass/fail as the engine.
  const passing = new Set(results.map((r) => r.name));
  for (const p of predicates) expect(p.test(facts), `predicate of ${String(p.name)}`).toBe(passing.has(p.name as string));
  const passes = picks.names.map((name) => passing.has(name as string));
  expect(picks.first(facts), 'first passing rule of the list').toBe(passes.indexOf(true));
  expect(picks.all(facts), 'mask of the passing rules').toBe(passes.reduce((m, p, i) => (p ? m | (1 << i) : m), 0));
  tally.passedRules += results.length;
  tally.failedRules += failures.length;
}

describe('compileRules vs json-rules-engine (differential)', () => {
  it(`agrees on ${RULE_SETS} random rule sets x ${FACT_SETS} fact sets`, async () => {
    const tally: Tally = { runs: 0, rejected: 0, passedRules: 0, failedRules: 0 };
    for (let k = 0; k < RULE_SETS; k++) {
      const seed = (BASE_SEED + k) >>> 0;
      const rng = new Rng(seed);
      const rules = genRules(rng);
      const compiled = compileRules(structuredClone(rules));
      // Both forms of a rule's predicate: the generated function and the closures it falls back on.
      const predicates = rules.flatMap((r) => [
        { name: r.name, test: compileRuleTest(structuredClone(r)) },
        { name: r.name, test: compilePredicate(compileRuleTree(structuredClone(r))) },
      ]);
      const picks: Picks = {
        names: rules.map((r) => r.name),
        first: compileListPick(structuredClone(rules), 'first'),
        all: compileListPick(structuredClone(rules), 'all'),
      };
      for (let f = 0; f < FACT_SETS; f++) {
        const facts = genFacts(rng);
        // A fresh engine per run: after a rejected run the engine keeps evaluating the remaining
        // priority groups in the background and then marks itself FINISHED, which makes the next run
        // on the same engine skip rules. The engine also rewrites fact-condition priorities in its
        // input, hence the copy.
        const expected = await runEngine(new Engine(structuredClone(rules) as never[]), facts);
        try {
          compareCase(expected, compiled, predicates, picks, facts, tally);
        } catch (error) {
          const replay = `RULES_DIFF_SEED=${seed} RULES_DIFF_CASES=1 (fact set ${f})`;
          (error as Error).message =
            `${replay}\nrules=${JSON.stringify(rules)}\nfacts=${JSON.stringify(facts)}\n${(error as Error).message}`;
          throw error;
        }
      }
    }
    console.info(
      `differential: ${tally.runs} runs, ${tally.rejected} rejected, ${tally.passedRules} rules passed, ${tally.failedRules} failed`,
    );
    expect(tally.runs).toBe(RULE_SETS * FACT_SETS);
    // Guard against the generator drifting into all-errors or all-failures.
    if (RULE_SETS >= 100) {
      expect(tally.rejected / tally.runs).toBeLessThan(0.4);
      expect(tally.passedRules).toBeGreaterThan(tally.runs / 2);
      expect(tally.failedRules).toBeGreaterThan(tally.runs / 2);
    }
  });
});
