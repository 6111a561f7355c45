/** What the account pages show: the shapes their server loads and actions return. */
import type { StudioAccountRow } from '$db/repositories/accounts-list.js';
import type { AccountTrendPoint, RuleSetRef } from '$db/repositories/stage-results.js';
import {
  type AccountClass,
  type AccountExplanation,
  type GradeExplanation,
  type Plan,
  type RuleListTrace,
  type Stage,
  type StrategyOverride,
  type VisitStatus,
} from '$engine/index.js';
import { type WorkflowError } from '$lib/server/temporal.js';
import { type AccountQuery } from '$lib/server/account-query.js';
import type { RelationshipMapView } from './relationship-map.js';

export type AccountListItem = Omit<StudioAccountRow, 'updatedAt'> & { updatedAt: string };

export interface AccountsPage {
  query: AccountQuery;
  rows: AccountListItem[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  seesAll: boolean;
  /** Whether any filter narrows the list (an empty list then says so, with a way to clear them). */
  filtered: boolean;
  /** Values to filter by, within the user's scope (not narrowed by the other filters). */
  options: {
    industries: string[];
    owners: { id: string; name: string | null; count: number }[];
    /** Covering teams, with their names from the teams table (null when it has none). */
    teams: { id: string; name: string | null; count: number }[];
  };
}

export interface Sourced<T> {
  /** `audit`: what the workflow decided (the audit trail); `preview`: the current rules, not yet decided. */
  source: 'audit' | 'preview';
  at: string | null;
  ruleSet: { industry: string; version: number | null };
  value: T;
}

export type RuleTrace = RuleListTrace & { result: unknown };

export interface Decisions {
  grade: Sourced<GradeExplanation>;
  classify: Sourced<AccountExplanation['classify']>;
  relationship: Sourced<AccountExplanation['relationship']>;
  coverage: Sourced<RuleTrace>;
  strategy: Sourced<RuleTrace>;
  investment: Sourced<RuleTrace>;
  health: Sourced<RuleTrace> | null;
  /** The class matrix of the current rules (rows potential H, M, L; columns contribution L, M, H). */
  matrix: AccountClass[][];
  thresholdsMode: 'threshold' | 'quota';
}

export interface PlanView {
  id: number;
  version: number;
  cycleYear: number;
  status: string;
  goal: string;
  objectives: Plan['objectives'] | null;
  strategy: string;
  actions: { title: string; role?: string; owner?: string | null; dueDate?: string | null }[];
  resources: Plan['resources'] | null;
  tests: Plan['tests'];
  valueProposition: Plan['valueProposition'] | null;
  needsApproval: boolean;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  rejectedBy: string | null;
  rejectedAt: string | null;
  rejectedReason: string | null;
  /** When the annual review withdrew it (status `withdrawn`). */
  withdrawnAt: string | null;
  createdBy: string | null;
  /** The rule set the plan was made under (its plan stage's audit row); null when none names it. */
  ruleSet: RuleSetRef | null;
  /** The manager's strategy instead of the rules' one, and why. */
  strategyOverride: StrategyOverride | null;
}

export interface AuditEntry {
  id: number;
  stage: Stage;
  cycleYear: number;
  at: string;
  ruleSet: { industry: string; version: number };
  summary: Record<string, unknown>;
}

export interface AccountDetail {
  account: {
    id: string;
    name: string;
    industry: string | null;
    region: string | null;
    status: string | null;
    ownerId: string | null;
    ownerName: string | null;
    parentId: string | null;
    employees: number | null;
    companyRevenue: number | null;
    revenueWithUs: number | null;
    potential: number | null;
    demonstration: number | null;
    winnability: number | null;
  };
  state: {
    score: number | null;
    tier: string | null;
    class: string | null;
    closeness: number | null;
    advantage: number | null;
    strategy: string | null;
    investment: string | null;
    health: string | null;
    stage: string | null;
    waitingFor: string | null;
    cycleYear: number | null;
    coverageLine: string | null;
    coverageTeam: string | null;
    coverageTrack: string | null;
    presalesTier: string | null;
    ruleSetIndustry: string | null;
    ruleSetVersion: number | null;
    updatedAt: string;
  };
  rules: { industry: string; version: number | null; baseVersion: number | null };
  trail: AuditEntry[];
  lastRun: Partial<Record<Stage, AuditEntry>>;
  decisions: Decisions;
  map: RelationshipMapView;
  valueProposition: Plan['valueProposition'] & { source: 'plan' | 'preview' };
  plans: { pending: PlanView | null; current: PlanView | null; latest: PlanView | null; versions: number };
  /** The names of the coverage teams the page mentions, by team id. */
  teams: Record<string, string>;
  actions: { open: ActionView[]; done: ActionView[] };
  /** Score and health over time: each grade and monitor of the audit trail, and each annual review. */
  trend: {
    points: AccountTrendPoint[];
    reviews: { year: number; at: string; scoreBefore: number | null; scoreAfter: number | null; tierAfter: string | null }[];
  };
  visits: {
    recent: {
      id: number;
      date: string;
      contactId: string | null;
      contactName: string | null;
      note: string | null;
      by: string | null;
    }[];
    status: VisitStatus | null;
  };
  opportunities: {
    id: string;
    title: string;
    estimatedValue: number | null;
    track: string | null;
    status: string;
    closeDate: string | null;
    createdAt: string;
    handedOffAt: string | null;
  }[];
  names: Record<string, string>;
  today: string;
}

export interface ActionView {
  id: number;
  title: string;
  role: string;
  owner: string | null;
  dueDate: string | null;
  doneAt: string | null;
  /** The evidence its person noted when marking it done. */
  doneNote: string | null;
  /** The signed-in user marked it done a moment ago and may still take it back. */
  canUndo: boolean;
  overdue: boolean;
}

export type AccountForm = 'decide' | 'visit' | 'action' | 'opportunity';

export type ActionOutcome =
  | {
      ok: true;
      form: AccountForm;
      done: 'approved' | 'rejected' | 'visitLogged' | 'actionDone' | 'actionReopened' | 'opportunityLogged';
      params?: Record<string, string | number>;
    }
  | {
      ok: false;
      form: AccountForm;
      error:
        | WorkflowError
        | {
            code: 'planChanged' | 'missingReason' | 'invalidInput' | 'actionNoteTooLong' | 'actionUndoNotYours';
            params: Record<string, string | number>;
            message: string;
          };
      values?: Record<string, string>;
    };
