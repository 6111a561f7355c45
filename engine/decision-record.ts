/**
 * The decision-only mode's result (`decideInto`, `monitorInto` in ./pipeline.ts): every decision of
 * an account's evaluation as plain fields, without the objects that explain them. A caller makes one
 * record and passes it to every call (each call overwrites it), or one per account it keeps.
 */
import type { RuleSetRef } from './compiled-rule-set.js';
import type { ProfileItem } from './ruleset-format/schema.js';
import type {
  AccountClass,
  Flag,
  Health,
  InvestmentLevel,
  Level,
  Line,
  PresalesTier,
  Strategy,
  Tier,
  Track,
} from './model.js';

export class DecisionRecord {
  id = '';
  ruleSet: RuleSetRef = { industry: '', version: null, baseVersion: null };
  /** Profile: share of the checklist present, and whether the account may be graded. */
  completeness = 0;
  ready = false;
  /** The checklist items missing, in checklist order: the record's own list, rewritten by each call. */
  readonly missing: ProfileItem[] = [];
  score = 0;
  revenueScore = 0;
  potentialScore = 0;
  demonstrationScore = 0;
  winnabilityScore = 0;
  tier: Tier = 'T4';
  class: AccountClass = 'D';
  contributionLevel: Level = 'L';
  potentialLevel: Level = 'L';
  closeness = 0;
  maxCompetitorCloseness = 0;
  /** Each competitor's closeness, in the account's competitor order: the record's own list, rewritten by each call. */
  readonly competitorCloseness: number[] = [];
  advantage = 0;
  closenessDrop = 0;
  /** The risk flags raised, sorted: a shared frozen list. */
  flags: readonly Flag[] = [];
  line: Line = 'support';
  presalesTier: PresalesTier = 'on-demand';
  track: Track = 'fast-track';
  team = '';
  owner: string | null = null;
  strategy: Strategy = 'wait-and-watch';
  investment: InvestmentLevel = 'low';
  /** The monitor's health; null from `decideInto`, which runs no health rules. */
  health: Health | null = null;
  /** The strategy rules now pick another strategy than the current plan's (`monitorInto` only). */
  backToPlan = false;
}
