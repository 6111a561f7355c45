/**
 * The rule set format: one zod schema from which the TS types and `rules/ruleset.schema.json` come.
 *
 * A rule set mixes typed config (bands, weights, tier policy, nine-box, factors, cadences, templates)
 * with json-rules-engine rules for the rule-based decisions (risk flags, coverage, strategy,
 * investment, monitor health). An industry rule set is an override: it states only what differs
 * from the fallback `*` (see `override.ts`).
 */
import { z } from 'zod';
import {
  DIMENSIONS,
  FLAGS,
  HEALTHS,
  INVESTMENT_LEVELS,
  LINES,
  PRESALES_TIERS,
  ROLES,
  STRATEGIES,
  TIERS,
  TRACKS,
  CLASSES,
} from '../model.js';

export const FALLBACK_INDUSTRY = '*';

export const PROFILE_ITEMS = [
  'industry',
  'region',
  'status',
  'ownerId',
  'employees',
  'companyRevenue',
  'revenueWithUs',
  'potential',
  'demonstration',
  'winnability',
  'contacts',
  'keyContact',
  'competitors',
] as const;
export type ProfileItem = (typeof PROFILE_ITEMS)[number];

export const INTERACTION_LEVELS = ['none', 'low', 'medium', 'high'] as const;
export type InteractionLevel = (typeof INTERACTION_LEVELS)[number];

const unit = z.number().finite().min(0).max(1);
const score100 = z.number().finite().min(0).max(100);

// ---- json-rules-engine rules -------------------------------------------------------------------

/** A leaf condition: `fact` `operator` `value`, as json-rules-engine writes it. */
export const factConditionSchema = z
  .strictObject({
    fact: z.string(),
    operator: z.string(),
    value: z.unknown(),
    priority: z.number().int().positive().optional(),
  })
  .meta({ description: 'Compare a documented fact with a value. ESP+ facts are scalars or the flag set, so no path.' });

export type FactCondition = {
  fact: string;
  operator: string;
  value: unknown;
  priority?: number | undefined;
};
export type ConditionNode =
  | FactCondition
  | { all: ConditionNode[]; priority?: number | undefined }
  | { any: ConditionNode[]; priority?: number | undefined }
  | { not: ConditionNode; priority?: number | undefined };
export type TopLevelCondition =
  | { all: ConditionNode[]; priority?: number | undefined }
  | { any: ConditionNode[]; priority?: number | undefined }
  | { not: ConditionNode; priority?: number | undefined };

export const conditionSchema: z.ZodType<ConditionNode> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema), priority: z.number().int().positive().optional() }),
    z.strictObject({ any: z.array(conditionSchema), priority: z.number().int().positive().optional() }),
    z.strictObject({ not: conditionSchema, priority: z.number().int().positive().optional() }),
    factConditionSchema,
  ]),
);

export const topLevelConditionSchema: z.ZodType<TopLevelCondition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema), priority: z.number().int().positive().optional() }),
    z.strictObject({ any: z.array(conditionSchema), priority: z.number().int().positive().optional() }),
    z.strictObject({ not: conditionSchema, priority: z.number().int().positive().optional() }),
  ]),
);

function ruleSchema<E extends z.ZodTypeAny>(event: E, what: string) {
  return z
    .strictObject({
      name: z.string().min(1).meta({ description: 'Unique in its list; industry overrides replace rules by name.' }),
      description: z.string().optional(),
      priority: z.number().int().positive().default(1).meta({ description: 'Higher runs first (json-rules-engine).' }),
      conditions: topLevelConditionSchema,
      event,
    })
    .meta({ description: what });
}

export const flagRuleSchema = ruleSchema(
  z.strictObject({ type: z.literal('flag'), params: z.strictObject({ flag: z.enum(FLAGS) }) }),
  'Raises a risk flag when its conditions hold; every matching rule raises its flag.',
);
export const coverageRuleSchema = ruleSchema(
  z.strictObject({
    type: z.literal('coverage'),
    params: z.strictObject({ line: z.enum(LINES), presalesTier: z.enum(PRESALES_TIERS), track: z.enum(TRACKS) }),
  }),
  'Chooses the coverage; the first match (highest priority, then list order) wins.',
);
export const strategyRuleSchema = ruleSchema(
  z.strictObject({ type: z.literal('strategy'), params: z.strictObject({ strategy: z.enum(STRATEGIES) }) }),
  'Chooses the strategy; the first match (highest priority, then list order) wins.',
);
export const investmentRuleSchema = ruleSchema(
  z.strictObject({ type: z.literal('investment'), params: z.strictObject({ level: z.enum(INVESTMENT_LEVELS) }) }),
  'Chooses the investment level; the first match (highest priority, then list order) wins.',
);
export const healthRuleSchema = ruleSchema(
  z.strictObject({
    type: z.literal('health'),
    params: z.strictObject({ health: z.enum(HEALTHS), alert: z.string().min(1) }),
  }),
  'Raises a health alert; the worst matching health wins (red > amber > green).',
);

export type FlagRule = z.infer<typeof flagRuleSchema>;
export type CoverageRule = z.infer<typeof coverageRuleSchema>;
export type StrategyRule = z.infer<typeof strategyRuleSchema>;
export type InvestmentRule = z.infer<typeof investmentRuleSchema>;
export type HealthRule = z.infer<typeof healthRuleSchema>;
export type AnyRule = FlagRule | CoverageRule | StrategyRule | InvestmentRule | HealthRule;

// ---- typed config ------------------------------------------------------------------------------

export const bandSchema = z.strictObject({ min: z.number().finite(), score: score100 });
export type Band = z.infer<typeof bandSchema>;

const perDimension = <T extends z.ZodTypeAny>(t: T) =>
  z.strictObject(Object.fromEntries(DIMENSIONS.map((d) => [d, t])) as Record<(typeof DIMENSIONS)[number], T>);
const perTier3 = <T extends z.ZodTypeAny>(t: T) => z.strictObject({ T1: t, T2: t, T3: t });
const perTier = <T extends z.ZodTypeAny>(t: T) => z.strictObject({ T1: t, T2: t, T3: t, T4: t });
const perStrategy = <T extends z.ZodTypeAny>(t: T) =>
  z.strictObject(Object.fromEntries(STRATEGIES.map((s) => [s, t])) as Record<(typeof STRATEGIES)[number], T>);

export const tacticTemplateSchema = z.strictObject({
  title: z.string().min(1),
  description: z.string().optional(),
  /** Who does it: the account owner, presales, or an executive sponsor. */
  role: z.enum(['owner', 'presales', 'executive']).default('owner'),
  /** Due this many days after the plan starts. */
  dueInDays: z.number().int().positive(),
});
export type TacticTemplate = z.infer<typeof tacticTemplateSchema>;

export const profileSectionSchema = z.strictObject({
  checklist: z.array(z.enum(PROFILE_ITEMS)).min(1),
  minCompleteness: unit,
});

export const gradeSectionSchema = z.strictObject({
  bands: perDimension(z.array(bandSchema).min(1)).meta({
    description: 'Per dimension, {min, score} checked from the highest min down; below every band scores 0.',
  }),
  /** Multiplies every band `min` of a dimension: how an industry rescales amounts without copying bands. */
  bandScale: perDimension(z.number().finite().positive()).partial().default({}),
  weights: perDimension(unit),
  tierPolicy: z.strictObject({
    mode: z.enum(['threshold', 'quota']),
    thresholds: perTier3(score100),
    quotas: perTier3(unit),
  }),
});

export const classifySectionSchema = z.strictObject({
  /** A dimension score below `M` is L, below `H` is M, else H. */
  cuts: z.strictObject({ M: score100, H: score100 }),
  /** Rows: potential H, M, L (top to bottom); columns: contribution L, M, H. */
  matrix: z.array(z.array(z.enum(CLASSES))),
});

export const relationshipSectionSchema = z.strictObject({
  /** Checked from the highest `min` down, like bands. */
  interactionLevels: z
    .array(z.strictObject({ min: z.number().int().nonnegative(), level: z.enum(INTERACTION_LEVELS), factor: unit }))
    .min(1),
  /** The interaction factor used for competitors' closeness (we do not see their interactions). */
  competitorFactor: unit,
  flagRules: z.array(flagRuleSchema),
});

export const coverageSectionSchema = z.strictObject({
  /** Team id per line; `{industry}` and `{region}` are replaced by the account's values. */
  teams: z.strictObject(Object.fromEntries(LINES.map((l) => [l, z.string().min(1)])) as Record<(typeof LINES)[number], z.ZodString>),
  rules: z.array(coverageRuleSchema),
  /** Used when no coverage rule matches. */
  fallback: coverageRuleSchema.shape.event.shape.params,
});

export const planSectionSchema = z.strictObject({
  /** Revenue objective = revenueWithUs × (1 + growth) for every strategy but acquire. */
  objectiveGrowth: perStrategy(z.number().finite().min(-1).max(10)),
  /** Acquire's objective: a first deal of this share of `potential`. */
  acquireFirstDealShare: unit,
  approvalTiers: z.array(z.enum(TIERS)),
  /** The least role that decides the plans of `approvalTiers` (an admin may always); never the account's owner. */
  approverRole: z
    .enum(ROLES)
    .default('manager')
    .meta({
      description: 'The least role that decides plans of the approval tiers (admins always may); never the account owner.',
    }),
  goals: perStrategy(z.string().min(1)),
  templates: perStrategy(z.array(tacticTemplateSchema)),
  /** KPI checkpoints per year in the plan's Tests. */
  checkpointsPerYear: z.number().int().min(1).max(12),
});

export const monitorSectionSchema = z.strictObject({
  intervalDays: z.number().int().min(1).max(366),
  healthRules: z.array(healthRuleSchema),
});

export const executeSectionSchema = z.strictObject({
  visitCadenceDays: perTier(z.number().int().min(1).max(366)),
});

export const reviewSectionSchema = z.strictObject({
  schedule: z.strictObject({ month: z.number().int().min(1).max(12), day: z.number().int().min(1).max(31) }),
});

export const ruleSetSchema = z
  .strictObject({
    $schema: z.string().optional(),
    industry: z.string().min(1).meta({ description: 'The industry this set applies to; "*" is the fallback.' }),
    description: z.string().optional(),
    profile: profileSectionSchema,
    grade: gradeSectionSchema,
    classify: classifySectionSchema,
    relationship: relationshipSectionSchema,
    coverage: coverageSectionSchema,
    strategy: z.strictObject({
      rules: z.array(strategyRuleSchema),
      fallback: z.enum(STRATEGIES).meta({ description: 'Used when no strategy rule matches.' }),
    }),
    investment: z.strictObject({
      rules: z.array(investmentRuleSchema),
      fallback: z.enum(INVESTMENT_LEVELS).meta({ description: 'Used when no investment rule matches.' }),
    }),
    plan: planSectionSchema,
    monitor: monitorSectionSchema,
    execute: executeSectionSchema,
    review: reviewSectionSchema,
  })
  .meta({ title: 'ESP+ rule set', description: 'A complete (effective) ESP+ rule set.' });

export type RuleSet = z.infer<typeof ruleSetSchema>;
export type RuleSetInput = z.input<typeof ruleSetSchema>;

/** Which rule lists a rule set has, by JSON path; the override merge and the validator walk them. */
export const RULE_LISTS = [
  ['relationship', 'flagRules'],
  ['coverage', 'rules'],
  ['strategy', 'rules'],
  ['investment', 'rules'],
  ['monitor', 'healthRules'],
] as const;
export type RuleListKey = (typeof RULE_LISTS)[number];
