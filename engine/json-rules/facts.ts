/**
 * The documented facts that rules may use, with their type, meaning and the rule lists that see
 * them (a fact is known only once the stage that computes it has run). The validator rejects any
 * other fact, and the studio's condition builder offers exactly these.
 */
import {
  ACCOUNT_STATUSES,
  CLASSES,
  FLAGS,
  LEVELS,
  STRATEGIES,
  TIERS,
} from '../model.js';

export const RULE_SECTIONS = ['flags', 'coverage', 'strategy', 'investment', 'health'] as const;
export type RuleSection = (typeof RULE_SECTIONS)[number];

export type FactType =
  | { kind: 'number' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'set'; values: readonly string[] };

export interface FactDefinition {
  name: string;
  type: FactType;
  description: string;
  /** The first rule list that may use it; every later one may too. */
  from: RuleSection;
}

const num = { kind: 'number' } as const;
const str = { kind: 'string' } as const;
const oneOf = (values: readonly string[]) => ({ kind: 'enum', values }) as const;

export const FACTS: readonly FactDefinition[] = [
  // account record
  { name: 'industry', type: str, from: 'flags', description: "The account's industry." },
  { name: 'region', type: str, from: 'flags', description: "The account's region ('' when unknown)." },
  { name: 'status', type: oneOf(ACCOUNT_STATUSES), from: 'flags', description: 'prospect, active, declining or lost.' },
  { name: 'employees', type: num, from: 'flags', description: 'Headcount (0 when unknown).' },
  { name: 'companyRevenue', type: num, from: 'flags', description: "The customer's own annual revenue (0 when unknown)." },
  { name: 'revenueWithUs', type: num, from: 'flags', description: 'Our sales to it over the last 12 months: contribution.' },
  { name: 'potential', type: num, from: 'flags', description: 'What it could spend with us over 3 years: wallet.' },
  { name: 'demonstration', type: num, from: 'flags', description: 'Reference / showcase value, 0–100.' },
  { name: 'winnability', type: num, from: 'flags', description: '"We can win it and deliver it", 0–100.' },
  // grade
  { name: 'score', type: num, from: 'flags', description: 'Composite score 0–100, rounded to 2 decimals.' },
  { name: 'tier', type: oneOf(TIERS), from: 'flags', description: 'T1 … T4.' },
  { name: 'revenueScore', type: num, from: 'flags', description: 'Revenue (contribution) dimension score 0–100.' },
  { name: 'potentialScore', type: num, from: 'flags', description: 'Potential dimension score 0–100.' },
  { name: 'demonstrationScore', type: num, from: 'flags', description: 'Demonstration dimension score 0–100.' },
  { name: 'winnabilityScore', type: num, from: 'flags', description: 'Winnability dimension score 0–100.' },
  // classify
  { name: 'class', type: oneOf(CLASSES), from: 'flags', description: 'Nine-box class A, B, C or D.' },
  { name: 'contributionLevel', type: oneOf(LEVELS), from: 'flags', description: 'Nine-box contribution level L, M or H.' },
  { name: 'potentialLevel', type: oneOf(LEVELS), from: 'flags', description: 'Nine-box potential level L, M or H.' },
  // relationship
  { name: 'contactCount', type: num, from: 'flags', description: 'Number of key contacts.' },
  { name: 'championCount', type: num, from: 'flags', description: 'Contacts who are champions of ours (stance +2).' },
  { name: 'supporterCount', type: num, from: 'flags', description: 'Contacts with stance ≥ +1 toward us.' },
  { name: 'opponentCount', type: num, from: 'flags', description: 'Contacts with stance ≤ −1 toward us.' },
  { name: 'keyContactCount', type: num, from: 'flags', description: 'Contacts with influence ≥ 4.' },
  {
    name: 'decisionMakersWithCompetitor',
    type: num,
    from: 'flags',
    description:
      'Contacts with influence 5 whose stance toward some competitor is ≥ +1 and above their stance toward us.',
  },
  {
    name: 'coldKeyContacts',
    type: num,
    from: 'flags',
    description: 'Contacts with influence ≥ 4 whose interaction level is "none".',
  },
  { name: 'competitorCount', type: num, from: 'flags', description: 'Competitors recorded on the account.' },
  { name: 'closeness', type: num, from: 'flags', description: 'Our closeness 0–100, rounded to 2 decimals.' },
  {
    name: 'maxCompetitorCloseness',
    type: num,
    from: 'flags',
    description: 'The closest competitor’s closeness (0 with no competitors).',
  },
  { name: 'advantage', type: num, from: 'flags', description: 'closeness − the closest competitor’s closeness.' },
  {
    name: 'closenessDrop',
    type: num,
    from: 'flags',
    description: 'previousCloseness − closeness: how far closeness fell since the last evaluation (0 when unknown).',
  },
  // later stages
  { name: 'flags', type: { kind: 'set', values: FLAGS }, from: 'coverage', description: 'The risk flags raised (use contains / doesNotContain).' },
  { name: 'strategy', type: oneOf(STRATEGIES), from: 'investment', description: 'The chosen strategy.' },
  {
    name: 'planStrategy',
    type: oneOf(STRATEGIES),
    from: 'health',
    description: 'The strategy of the current plan (the chosen strategy when there is no plan yet).',
  },
  {
    name: 'closenessDropSincePlan',
    type: num,
    from: 'health',
    description: 'Closeness when the plan was made − closeness now (0 without a plan).',
  },
  { name: 'overdueVisits', type: num, from: 'health', description: 'Visits past their cadence.' },
  { name: 'openActions', type: num, from: 'health', description: 'Plan actions not yet done.' },
  { name: 'overdueActions', type: num, from: 'health', description: 'Plan actions past their due date.' },
] as const satisfies readonly FactDefinition[];

export const FACTS_BY_NAME: ReadonlyMap<string, FactDefinition> = new Map(FACTS.map((f) => [f.name, f]));

/** The facts a rule list may use. */
export function factsFor(section: RuleSection): FactDefinition[] {
  const at = RULE_SECTIONS.indexOf(section);
  return FACTS.filter((f) => RULE_SECTIONS.indexOf(f.from) <= at);
}
