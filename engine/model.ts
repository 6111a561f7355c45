/**
 * The ESP+ data model (ESP-PLUS.md, "Data"). These zod schemas are the one source of truth for the
 * shapes: TypeScript types are inferred from them, and importers, the CLI and the studio validate
 * with them so every error names the field.
 */
import { z } from 'zod';
import { idPositions, positionOf } from './id-positions.js';
import { formatReportingLoop, mayHaveReportingLoop, reportingLoops } from './reporting-loops.js';

export const ACCOUNT_STATUSES = ['prospect', 'active', 'declining', 'lost'] as const;
export const DECISION_ROLES = ['decision-maker', 'influencer', 'evaluator', 'user', 'gatekeeper', 'coach'] as const;
export const BEHAVIORS = ['results', 'relationship', 'innovation', 'risk-averse'] as const;
export const TIERS = ['T1', 'T2', 'T3', 'T4'] as const;
export const CLASSES = ['A', 'B', 'C', 'D'] as const;
export const LEVELS = ['L', 'M', 'H'] as const;
export const STRATEGIES = ['wait-and-watch', 'win-back', 'acquire', 'grow', 'retain'] as const;
export const INVESTMENT_LEVELS = ['high', 'medium', 'low'] as const;
export const HEALTHS = ['green', 'amber', 'red'] as const;
export const LINES = ['industry', 'regional', 'support'] as const;
export const PRESALES_TIERS = ['dedicated', 'priority', 'pooled', 'on-demand'] as const;
export const TRACKS = ['major-project', 'fast-track'] as const;
/** The studio's user roles, lowest rank first: an admin may do everything a manager may. */
export const ROLES = ['manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const FLAGS = [
  'no-contacts',
  'no-coach',
  'single-threaded',
  'decision-maker-with-competitor',
  'cold-decision-maker',
  'competitor-ahead',
] as const;
export const DIMENSIONS = ['revenue', 'potential', 'demonstration', 'winnability'] as const;
export const STAGES = [
  'profile',
  'grade',
  'classify',
  'relationship',
  'coverage',
  'plan',
  'monitor',
  'execute',
  'review',
] as const;

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export type DecisionRole = (typeof DECISION_ROLES)[number];
export type Behavior = (typeof BEHAVIORS)[number];
export type Tier = (typeof TIERS)[number];
export type AccountClass = (typeof CLASSES)[number];
export type Level = (typeof LEVELS)[number];
export type Strategy = (typeof STRATEGIES)[number];
export type InvestmentLevel = (typeof INVESTMENT_LEVELS)[number];
export type Health = (typeof HEALTHS)[number];
export type Line = (typeof LINES)[number];
export type PresalesTier = (typeof PRESALES_TIERS)[number];
export type Track = (typeof TRACKS)[number];
export type Flag = (typeof FLAGS)[number];
export type Dimension = (typeof DIMENSIONS)[number];
export type Stage = (typeof STAGES)[number];

/**
 * The longest text any field may hold, on every input path (JSON and CSV imports, `esp evaluate`,
 * the studio): the CSV parser's field cap is this same number.
 */
export const MAX_TEXT_LENGTH = 64 * 1024;
const text = z.string().max(MAX_TEXT_LENGTH);
const id = text.trim().min(1, 'must be a non-empty id');
const amount = z.number().finite().nonnegative();
const rating = z.number().finite().min(0).max(100);
export const stanceSchema = z.number().int().min(-2).max(2);

export const contactSchema = z.object({
  id,
  name: text.min(1),
  title: text.nullish(),
  /** Contact id of the manager: the reporting relationship (汇报关系), an org chart. */
  reportsTo: text.nullish(),
  /** 1–5, 5 = final decision maker. */
  influence: z.number().int().min(1).max(5),
  decisionRole: z.enum(DECISION_ROLES).nullish(),
  behavior: z.enum(BEHAVIORS).nullish(),
  /** Stance toward us: −2 opponent … +2 champion. */
  stance: stanceSchema,
  /** Competitor id → stance toward that competitor. */
  competitorStances: z.record(text, stanceSchema).default({}),
  /** Our interactions with the person in the last 90 days. */
  interactions90d: z.number().int().nonnegative().default(0),
});

/** `from` influences `to`: the political map (政治版图) beside the org chart. */
export const influenceLinkSchema = z.object({
  from: id,
  to: id,
  weight: z.number().int().min(1).max(3).default(1),
});

export const competitorSchema = z.object({
  id,
  name: text.min(1),
  /** Share (0–1) of the account's spend. */
  share: z.number().finite().min(0).max(1).default(0),
  /** The value-proposition comparison row: their offer and where ours beats it. */
  theirOffer: text.nullish(),
  ourEdge: text.nullish(),
  /** What the competitor is strong at. */
  strengths: text.nullish(),
});

/**
 * An account as imported or evaluated. Profile fields may be missing: the profile stage reports
 * them, and the account waits for data until the grade inputs are present.
 */
export const accountSchema = z.object({
  id,
  name: text.min(1),
  industry: text.nullish(),
  region: text.nullish(),
  status: z.enum(ACCOUNT_STATUSES).nullish(),
  ownerId: text.nullish(),
  parentId: text.nullish(),
  employees: z.number().int().nonnegative().nullish(),
  /** The customer's own annual revenue. */
  companyRevenue: amount.nullish(),
  /** Our sales to it over the last 12 months: contribution. */
  revenueWithUs: amount.nullish(),
  /** What it could spend with us over the next 3 years: wallet. */
  potential: amount.nullish(),
  /** 0–100 reference / showcase value. */
  demonstration: rating.nullish(),
  /** 0–100 "we can win it and can deliver it". */
  winnability: rating.nullish(),
  /** Our solution for the account and the business value it creates: the value proposition (价值植入). */
  solution: text.nullish(),
  businessValue: text.nullish(),
  contacts: z.array(contactSchema).default([]),
  competitors: z.array(competitorSchema).default([]),
  /** An empty competitor list counts as recorded only when marked "none known". */
  competitorsNoneKnown: z.boolean().default(false),
  influenceLinks: z.array(influenceLinkSchema).default([]),
  /** Closeness at the last evaluation (used by win-back). */
  previousCloseness: z.number().finite().min(0).max(100).nullish(),
});

export type Contact = z.infer<typeof contactSchema>;
export type InfluenceLink = z.infer<typeof influenceLinkSchema>;
export type Competitor = z.infer<typeof competitorSchema>;
export type Account = z.infer<typeof accountSchema>;
export type AccountInput = z.input<typeof accountSchema>;

/** The fields the grade needs; an account without them cannot leave the profile stage. */
export const GRADE_INPUTS = ['revenueWithUs', 'potential', 'demonstration', 'winnability'] as const;

/** The codes of `accountReferenceIssues` (the import catalogues them as `import.ref.<code>`). */
export type AccountReferenceCode =
  | 'contact.duplicateId'
  | 'competitor.duplicateId'
  | 'contact.unknown'
  | 'contact.reportsToSelf'
  | 'competitor.unknown'
  | 'reportingLoop';

export interface AccountReferenceIssue {
  path: (string | number)[];
  code: AccountReferenceCode;
  params: Record<string, string>;
  message: string;
}

function add(
  issues: AccountReferenceIssue[],
  path: (string | number)[],
  code: AccountReferenceCode,
  message: string,
  params: Record<string, string> = {},
): void {
  issues.push({ path, code, params, message });
}

/**
 * Cross-field checks zod cannot express per field: unique contact ids, links and reporting lines
 * that point at known contacts. Returned as issues so callers report them with the others; each has
 * a stable code and params besides its English message. A valid account of usual size costs no
 * allocation but the empty list (a bulk evaluation checks every account).
 */
export function accountReferenceIssues(account: Account): AccountReferenceIssue[] {
  const issues: AccountReferenceIssue[] = [];
  const { contacts, competitors, influenceLinks } = account;
  const contactAt = idPositions(contacts);
  const competitorAt = idPositions(competitors);
  for (let i = 0; i < contacts.length; i++) {
    const { id } = contacts[i]!;
    if (positionOf(contacts, contactAt, id, i) >= 0) add(issues, ['contacts', i, 'id'], 'contact.duplicateId', `duplicate contact id "${id}"`, { id });
  }
  for (let i = 0; i < competitors.length; i++) {
    const { id } = competitors[i]!;
    if (positionOf(competitors, competitorAt, id, i) >= 0)
      add(issues, ['competitors', i, 'id'], 'competitor.duplicateId', `duplicate competitor id "${id}"`, { id });
  }
  for (let i = 0; i < contacts.length; i++) {
    const c = contacts[i]!;
    if (c.reportsTo != null && positionOf(contacts, contactAt, c.reportsTo) < 0)
      add(issues, ['contacts', i, 'reportsTo'], 'contact.unknown', `unknown contact "${c.reportsTo}"`, { id: c.reportsTo });
    if (c.reportsTo === c.id) add(issues, ['contacts', i, 'reportsTo'], 'contact.reportsToSelf', 'a contact cannot report to itself');
    const stances = c.competitorStances;
    for (const competitorId in stances) {
      if (Object.hasOwn(stances, competitorId) && positionOf(competitors, competitorAt, competitorId) < 0)
        add(issues, ['contacts', i, 'competitorStances', competitorId], 'competitor.unknown', `unknown competitor "${competitorId}"`, {
          id: competitorId,
        });
    }
  }
  if (mayHaveReportingLoop(contacts, contactAt)) {
    for (const loop of reportingLoops(contacts)) {
      const chain = formatReportingLoop(loop.chain);
      add(issues, ['contacts', loop.index, 'reportsTo'], 'reportingLoop', `the reporting line loops: ${chain}`, { chain });
    }
  }
  for (let i = 0; i < influenceLinks.length; i++) {
    const l = influenceLinks[i]!;
    if (positionOf(contacts, contactAt, l.from) < 0) add(issues, ['influenceLinks', i, 'from'], 'contact.unknown', `unknown contact "${l.from}"`, { id: l.from });
    if (positionOf(contacts, contactAt, l.to) < 0) add(issues, ['influenceLinks', i, 'to'], 'contact.unknown', `unknown contact "${l.to}"`, { id: l.to });
  }
  return issues;
}
