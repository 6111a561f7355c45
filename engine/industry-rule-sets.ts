/**
 * The rule sets of a deployment, resolved and compiled once per industry: the fallback `*` plus
 * one override per industry. An industry without its own set uses `*`.
 */
import { compileRuleSet, type EspRules } from './compiled-rule-set.js';
import { ValidationError } from './ruleset-format/issues.js';
import { FALLBACK_INDUSTRY } from './ruleset-format/schema.js';
import { resolveRuleSet } from './ruleset-format/validate.js';

export interface RuleSetDocument {
  industry: string;
  /** The published version; null for a rule set read from a file. */
  version: number | null;
  document: unknown;
  /** Where it came from (a file path or "database"), for error messages. */
  source?: string;
}

export class RuleBook {
  private readonly compiled = new Map<string, EspRules>();
  private readonly overrides = new Map<string, RuleSetDocument>();

  /** Throws a ValidationError naming the source when any rule set is invalid: an invalid set is never used. */
  constructor(
    readonly base: RuleSetDocument,
    overrides: Iterable<RuleSetDocument>,
  ) {
    for (const o of overrides) this.overrides.set(o.industry, o);
    this.compile(FALLBACK_INDUSTRY);
    for (const industry of this.overrides.keys()) this.compile(industry);
  }

  get industries(): string[] {
    return [FALLBACK_INDUSTRY, ...[...this.overrides.keys()].sort()];
  }

  hasOwnRuleSet(industry: string | null | undefined): boolean {
    return industry != null && this.overrides.has(industry);
  }

  /** The effective, compiled rule set for an industry; unknown industries get `*`. */
  forIndustry(industry: string | null | undefined): EspRules {
    const key = industry != null && this.overrides.has(industry) ? industry : FALLBACK_INDUSTRY;
    return this.compiled.get(key)!;
  }

  private compile(industry: string): void {
    const override = industry === FALLBACK_INDUSTRY ? undefined : this.overrides.get(industry)!;
    const v = resolveRuleSet(this.base.document, override?.document);
    if (!v.ok) throw new ValidationError(v.issues, override?.source ?? this.base.source ?? industry);
    this.compiled.set(
      industry,
      compileRuleSet(v.ruleSet, { industry, version: override ? override.version : this.base.version, baseVersion: this.base.version }),
    );
  }
}
