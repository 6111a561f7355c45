/**
 * What the rule pages' server code hands their components: plain data, so the browser never
 * loads the engine (its vocabulary — facts, operators, enums — arrives with the page instead).
 */
import type { RuleSectionName } from './paths.js';

export type FactKind = 'number' | 'string' | 'enum' | 'set';

export interface FactInfo {
  name: string;
  kind: FactKind;
  /** The allowed values of an enum or set fact. */
  values: string[];
}

export interface RuleVocabulary {
  /** The facts each rule list may use (`factsFor`), in catalogue order. */
  facts: Record<RuleSectionName, FactInfo[]>;
  /** Per fact type, the operators that the validator accepts for it, in `RULE_OPERATORS` order. */
  operators: Record<FactKind, string[]>;
  /** Operators whose value is a list (`in`, `notIn`). */
  listOperators: string[];
  enums: {
    dimensions: string[];
    tiers: string[];
    classes: string[];
    levels: string[];
    flags: string[];
    lines: string[];
    presalesTiers: string[];
    tracks: string[];
    strategies: string[];
    investmentLevels: string[];
    healths: string[];
    profileItems: string[];
    interactionLevels: string[];
    tacticRoles: string[];
    /** Who may decide plans (`plan.approverRole`). */
    roles: string[];
  };
}

/** A validation issue with the editor field that shows it (null: only the JSON view and the summary). */
export interface IssueView {
  path: string;
  code: string;
  params: Record<string, string | number>;
  message: string;
  field: string | null;
}

/** Someone else changed the draft (or published) first. */
export interface ConflictView {
  kind: 'draft' | 'published';
  by: string | null;
  /** The display name of `by`, when it names a user. */
  name?: string | null;
  at: string | null;
  revision: number | null;
  base: number | null;
  /** The version published in the meantime (a `published` conflict). */
  version?: number | null;
}

export interface AffectedView {
  industry: string;
  version: number;
  issues: IssueView[];
}

/** The result of one rule list, for the test bench: every rule tried, with its conditions. */
export interface TraceView {
  decidedBy: string[];
  usedFallback: boolean;
  rules: { name: string; priority: number; passed: boolean; conditions: unknown }[];
}

/** The test bench's answer: one account through the draft and the published rule set. */
export interface BenchRun {
  account: { id: string; name: string; industry: string | null; status: string | null };
  draft: { ok: true; stages: StageView } | { ok: false; issues: IssueView[] } | null;
  published: StageView;
  /** The names of the covering teams the two sides decided, by team id. */
  teams: Record<string, string>;
}

export interface StageView {
  ruleSet: { industry: string; version: number | null; baseVersion: number | null };
  profile: { completeness: number; missing: string[]; ready: boolean; minCompleteness: number };
  grade: {
    dimensions: Record<
      string,
      { field: string; value: number | null; bandMin: number | null; score: number; weight: number; weighted: number }
    >;
    score: number;
    mode: 'threshold' | 'quota';
    thresholds: Record<'T1' | 'T2' | 'T3', number>;
    tier: string;
  };
  classify: {
    contributionScore: number;
    potentialScore: number;
    contributionLevel: string;
    potentialLevel: string;
    cuts: { M: number; H: number };
    class: string;
  };
  relationship: {
    closeness: number;
    advantage: number;
    competitors: { id: string; name: string; share: number; closeness: number }[];
    contacts: number;
    flags: string[];
    trace: TraceView;
  };
  coverage: { line: string; team: string; presalesTier: string; track: string; owner: string | null; trace: TraceView };
  strategy: { result: string; trace: TraceView };
  investment: { result: string; trace: TraceView };
  plan: { baseline: number; target: number; growth: number | null; strategy: string; needsApproval: boolean };
  health: { result: string; alerts: { health: string; alert: string; rule: string }[]; trace: TraceView };
}

/** The editor page's data (see `editorData` in routes/rules/[industry]/+page.server.ts). */
export interface EditorData {
  industry: string;
  fallback: boolean;
  /** The complete published `*` the industry's override applies to; null when editing `*` itself. */
  base: unknown;
  /** The draft's document, or (no draft yet) the published one the first save will copy. */
  document: unknown;
  /** The draft's revision; null when there is no draft yet. */
  revision: number | null;
  publishedVersion: number | null;
  draft: { by: string | null; at: Date; basedOnVersion: number | null; stale: boolean } | null;
  published: { comment: string | null; by: string | null; at: Date | null } | null;
  valid: boolean;
  issues: IssueView[];
  /** For a `*` draft: published overrides that would no longer resolve against it. */
  affected: AffectedView[];
  /** The override's leaf paths (`overriddenPaths`), as JSON paths. */
  overridden: string[];
  accounts: number;
  vocabulary: RuleVocabulary;
  names: Record<string, string>;
}

/** Why a decision came out as it did: the grade's arithmetic, the nine-box cell, the deciding rules. */
export interface Why {
  ruleSet: { industry: string; version: number | null; baseVersion: number | null };
  dimensions: Record<string, { value: number | null; score: number; weight: number; weighted: number }>;
  score: number;
  mode: 'threshold' | 'quota';
  thresholds: Record<'T1' | 'T2' | 'T3', number>;
  /** Quota mode: the tier came from the account's rank among its rule set's accounts. */
  ranked: boolean;
  tier: string;
  classify: {
    contributionScore: number;
    potentialScore: number;
    contributionLevel: string;
    potentialLevel: string;
    cuts: { M: number; H: number };
    class: string;
  };
  strategy: { result: string; decidedBy: string | null; usedFallback: boolean };
  investment: { result: string; decidedBy: string | null; usedFallback: boolean };
}

/**
 * What the what-if compares per account, each with the label namespace of its values: one list for
 * the counts, the filter, the table and the CSV.
 */
export const WHATIF_FIELDS = [
  { key: 'tier', namespace: 'tier' },
  { key: 'class', namespace: 'class' },
  { key: 'strategy', namespace: 'strategy' },
  { key: 'investment', namespace: 'investment' },
  { key: 'line', namespace: 'line' },
  { key: 'presalesTier', namespace: 'presales' },
  { key: 'track', namespace: 'track' },
  { key: 'health', namespace: 'health' },
] as const;
export type WhatIfField = (typeof WHATIF_FIELDS)[number]['key'];

/** One side of an account's what-if; `health` is null for an account never monitored. */
export type Side = { score: number; why?: Why } & Record<Exclude<WhatIfField, 'health'>, string> & { health: string | null };

export interface ChangedAccount {
  id: string;
  name: string;
  industry: string | null;
  changes: Record<WhatIfField, boolean>;
  before: Side;
  after: Side;
}

/** What the editor's form actions answer (`form` on the page). */
export type SaveForm =
  | { action: 'save'; saved: true; revision: number; valid: boolean; issues: IssueView[]; affected: AffectedView[] }
  | { action: 'save'; saved: false; document: string; jsonError?: string; conflict?: ConflictView; notObject?: boolean };
export type PublishForm = {
  action: 'publish';
  comment: string;
  missingComment?: boolean;
  noDraft?: boolean;
  conflict?: ConflictView;
  issues?: IssueView[];
  affected?: AffectedView[];
};
export type DiscardForm = { action: 'discard'; conflict: ConflictView };
export type EditorForm = SaveForm | PublishForm | DiscardForm | null | undefined;
