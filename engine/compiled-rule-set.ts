/**
 * Compiles a valid rule set once into what evaluation needs: industry-scaled bands and, per rule
 * list, its rules in decision order (priority descending, then list order) with synchronous
 * evaluators that keep json-rules-engine's semantics.
 */
import { DIMENSIONS, type Dimension } from './model.js';
import { compileRules, type RuleExplanation, type Facts, type RuleJson } from './json-rules/evaluators.js';
import { compileListPick, compileRuleTest, MAX_MASKED_RULES } from './json-rules/predicates.js';
import type { RuleSection } from './json-rules/facts.js';
import { round6 } from './round.js';
import type { AnyRule, Band, RuleSet } from './ruleset-format/schema.js';
import type { ValidRuleSet } from './ruleset-format/validate.js';

/** Which published versions an evaluation used: the industry's override and the fallback `*`. */
export interface RuleSetRef {
  industry: string;
  version: number | null;
  baseVersion: number | null;
}

export interface CompiledRule {
  name: string;
  priority: number;
  /** Position in the rule set's list, for "first match" ties and for the studio to point at. */
  index: number;
  rule: AnyRule;
  test(facts: Facts): boolean;
  explain(facts: Facts): RuleExplanation;
}

export interface CompiledList {
  section: RuleSection;
  /** 'first': the first passing rule in `rules` order decides; 'all': every passing rule counts. */
  mode: 'first' | 'all';
  rules: CompiledRule[];
  /**
   * All of `rules` asked at once: for 'first' the index of the first passing rule or -1, for 'all'
   * the bit mask of the passing ones; null for an 'all' list too long for a mask.
   */
  pick: ((facts: Facts) => number) | null;
}

export interface EspRules {
  ref: RuleSetRef;
  ruleSet: RuleSet;
  bands: Record<Dimension, Band[]>;
  lists: Record<RuleSection, CompiledList>;
}

function compileList(section: RuleSection, mode: CompiledList['mode'], rules: readonly AnyRule[]): CompiledList {
  const compiled = rules.map((rule, index): CompiledRule => {
    const set = compileRules([rule as RuleJson]);
    return {
      name: rule.name,
      priority: rule.priority,
      index,
      rule,
      test: compileRuleTest(rule as RuleJson),
      explain: (facts) => set.explain(facts)[0]!,
    };
  });
  compiled.sort((a, b) => b.priority - a.priority || a.index - b.index);
  const pick =
    mode === 'first' || compiled.length <= MAX_MASKED_RULES
      ? compileListPick(
          compiled.map((r) => r.rule as RuleJson),
          mode,
        )
      : null;
  return { section, mode, rules: compiled, pick };
}

export function scaledBands(ruleSet: RuleSet): Record<Dimension, Band[]> {
  const out = {} as Record<Dimension, Band[]>;
  for (const d of DIMENSIONS) {
    const scale = ruleSet.grade.bandScale[d] ?? 1;
    out[d] = ruleSet.grade.bands[d].map((b) => ({ min: round6(b.min * scale), score: b.score }));
  }
  return out;
}

export function compileRuleSet(ruleSet: ValidRuleSet, ref: RuleSetRef): EspRules {
  return {
    ref,
    ruleSet,
    bands: scaledBands(ruleSet),
    lists: {
      flags: compileList('flags', 'all', ruleSet.relationship.flagRules),
      coverage: compileList('coverage', 'first', ruleSet.coverage.rules),
      strategy: compileList('strategy', 'first', ruleSet.strategy.rules),
      investment: compileList('investment', 'first', ruleSet.investment.rules),
      health: compileList('health', 'all', ruleSet.monitor.healthRules),
    },
  };
}
