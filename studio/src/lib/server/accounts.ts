/**
 * The accounts list, the account page and what managers do on it, always inside the user's scope:
 * a manager never reads or acts on an account they neither own nor cover through a team (a 404,
 * as if it did not exist). The loaders' core functions take the database and the user and nothing
 * of SvelteKit's, so `npm run bench` can time them directly.
 */
import { error } from '@sveltejs/kit';
import { and, eq, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../../../db/client.js';
import { listActions } from '../../../../db/repositories/actions.js';
import {
  ACCOUNT_SORTS,
  accountWhere,
  getAccountWithState,
  type AccountFilter,
  type AccountSort,
} from '../../../../db/repositories/accounts.js';
import { listOpportunities } from '../../../../db/repositories/opportunities.js';
import { listPlans } from '../../../../db/repositories/plans.js';
import { getEffective } from '../../../../db/repositories/rule-sets.js';
import { listStageResults } from '../../../../db/repositories/stage-results.js';
import {
  accountAccess,
  countAccountsBy,
  exportCsvWhere,
  levelExpressions,
  listAccountsWhere,
  publishedRuleSetIds,
  userNames,
  type LevelSpecs,
  type StudioAccountRow,
} from '../../../../db/repositories/studio-support.js';
import { listVisits } from '../../../../db/repositories/visits.js';
import { accounts } from '../../../../db/schema.js';
import { WAITING_FOR } from '../../../../workflows/types.js';
import {
  CLASSES,
  HEALTHS,
  LEVELS,
  STAGES,
  STRATEGIES,
  TIERS,
  compileRuleSet,
  decisionMakerInfluence,
  explainAccount,
  orgChart,
  relationship,
  scaledBands,
  topCompetitors,
  visitStatus,
  type Account,
  type AccountClass,
  type AccountExplanation,
  type EspRules,
  type GradeExplanation,
  type Level,
  type OrgNode,
  type Plan,
  type RuleListTrace,
  type Stage,
  type StrategyOverride,
  type VisitStatus,
} from '../../../../engine/index.js';
import type { SessionUser } from '../user.js';
import { accountScope, canSeeAccount, withinScope, type AccountScope } from './scope.js';
import { describeWorkflowError, type TemporalPort, type WorkflowError } from './temporal.js';

// ---- rules --------------------------------------------------------------------------------------

const compiled = new Map<string, EspRules>();

/** The effective published rules of an industry, compiled once per version for the process. */
export async function rulesFor(db: Db, industry: string | null | undefined): Promise<EspRules> {
  const effective = await getEffective(db, industry ?? '*');
  let rules = compiled.get(effective.key);
  if (!rules) {
    rules = compileRuleSet(effective.ruleSet, {
      industry: effective.industry,
      version: effective.version,
      baseVersion: effective.baseVersion,
    });
    compiled.set(effective.key, rules);
  }
  return rules;
}

let levelCache: { key: string; specs: LevelSpecs } | undefined;

/** Bands and cuts per industry with its own rule set: what the nine-box levels are computed from. */
export async function levelSpecs(db: Db): Promise<LevelSpecs> {
  const published = await publishedRuleSetIds(db);
  const key = published.map((r) => r.id).join(',');
  if (levelCache?.key === key) return levelCache.specs;
  const specOf = (rules: EspRules) => {
    const bands = scaledBands(rules.ruleSet);
    return { revenueBands: bands.revenue, potentialBands: bands.potential, cuts: rules.ruleSet.classify.cuts };
  };
  const specs: LevelSpecs = { fallback: specOf(await rulesFor(db, '*')), industries: {} };
  for (const { industry } of published) if (industry !== '*') specs.industries[industry] = specOf(await rulesFor(db, industry));
  levelCache = { key, specs };
  return specs;
}

// ---- the list's query ---------------------------------------------------------------------------

export { WAITING_FOR };
export const PAGE_SIZES = [25, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 50;

export interface AccountQuery {
  /** Name (anywhere in it) or id (exact or prefix). */
  q: string;
  industry: string | null;
  tier: (typeof TIERS)[number] | null;
  class: AccountClass | null;
  strategy: (typeof STRATEGIES)[number] | null;
  stage: Stage | null;
  health: (typeof HEALTHS)[number] | null;
  owner: string | null;
  /** A specific wait, or `any`. */
  waiting: (typeof WAITING_FOR)[number] | 'any' | null;
  /** Nine-box axes (from the portfolio's grid). */
  potential: Level | null;
  contribution: Level | null;
  sort: AccountSort;
  dir: 'asc' | 'desc';
  page: number;
  size: number;
}

export const FILTER_KEYS = [
  'industry',
  'tier',
  'class',
  'strategy',
  'stage',
  'health',
  'owner',
  'waiting',
  'potential',
  'contribution',
] as const;

function oneOf<T extends string>(values: readonly T[], v: string | null): T | null {
  return v !== null && (values as readonly string[]).includes(v) ? (v as T) : null;
}

function text(v: string | null, max = 200): string | null {
  const s = v?.trim();
  return s ? s.slice(0, max) : null;
}

const defaultDirection = (sort: AccountSort): 'asc' | 'desc' =>
  sort === 'name' || sort === 'id' || sort === 'tier' ? 'asc' : 'desc';

/** Reads the list's URL parameters; unknown values are ignored rather than failing the page. */
export function parseAccountQuery(params: URLSearchParams): AccountQuery {
  const sort = oneOf(ACCOUNT_SORTS, params.get('sort')) ?? 'score';
  const page = Number(params.get('page') ?? '1');
  const size = Number(params.get('size') ?? DEFAULT_PAGE_SIZE);
  return {
    q: text(params.get('q')) ?? '',
    industry: text(params.get('industry')),
    tier: oneOf(TIERS, params.get('tier')),
    class: oneOf(CLASSES, params.get('class')),
    strategy: oneOf(STRATEGIES, params.get('strategy')),
    stage: oneOf(STAGES, params.get('stage')),
    health: oneOf(HEALTHS, params.get('health')),
    owner: text(params.get('owner')),
    waiting: oneOf([...WAITING_FOR, 'any'] as const, params.get('waiting')),
    potential: oneOf(LEVELS, params.get('potential')),
    contribution: oneOf(LEVELS, params.get('contribution')),
    sort,
    dir: oneOf(['asc', 'desc'] as const, params.get('dir')) ?? defaultDirection(sort),
    page: Number.isInteger(page) && page > 0 ? Math.min(page, 100_000) : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

/** The query as URL parameters, defaults left out so links stay short. */
export function accountQueryParams(q: Partial<AccountQuery>): URLSearchParams {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  for (const k of FILTER_KEYS) {
    const v = q[k];
    if (v) p.set(k, v);
  }
  if (q.sort && q.sort !== 'score') p.set('sort', q.sort);
  if (q.sort && q.dir && q.dir !== defaultDirection(q.sort)) p.set('dir', q.dir);
  if (q.size && q.size !== DEFAULT_PAGE_SIZE) p.set('size', String(q.size));
  if (q.page && q.page > 1) p.set('page', String(q.page));
  return p;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The filters of the query as SQL, inside the scope. */
export async function accountQueryWhere(db: Db, scope: AccountScope, q: AccountQuery): Promise<SQL | undefined> {
  const filter: AccountFilter = {};
  if (q.industry) filter.industry = q.industry;
  if (q.tier) filter.tier = q.tier;
  if (q.class) filter.class = q.class;
  if (q.strategy) filter.strategy = q.strategy;
  if (q.stage) filter.stage = q.stage;
  if (q.health) filter.health = q.health;
  if (q.owner) filter.ownerId = q.owner;
  if (q.waiting) filter.waitingFor = q.waiting === 'any' ? true : q.waiting;
  const parts: (SQL | undefined)[] = [accountWhere(filter)];
  if (q.q) {
    const lower = q.q.toLowerCase();
    parts.push(
      or(
        sql`lower(${accounts.name}) like ${`%${escapeLike(lower)}%`}`,
        eq(accounts.id, q.q),
        sql`lower(${accounts.id}) like ${`${escapeLike(lower)}%`}`,
      ),
    );
  }
  if (q.potential || q.contribution) {
    const levels = levelExpressions(await levelSpecs(db));
    // The grid counts evaluated accounts only, so its links must too.
    parts.push(isNotNull(accounts.class));
    if (q.potential) parts.push(sql`${levels.potential} = ${q.potential}`);
    if (q.contribution) parts.push(sql`${levels.contribution} = ${q.contribution}`);
  }
  const present = parts.filter((p): p is SQL => p !== undefined);
  return withinScope(scope, present.length ? and(...present) : undefined);
}

// ---- the list -----------------------------------------------------------------------------------

export type AccountListItem = Omit<StudioAccountRow, 'updatedAt'> & { updatedAt: string };

export interface AccountsPage {
  query: AccountQuery;
  rows: AccountListItem[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  seesAll: boolean;
  /** Values to filter by, within the user's scope (not narrowed by the other filters). */
  options: { industries: string[]; owners: { id: string; name: string | null; count: number }[] };
}

const OPTIONS_TTL_MS = 15_000;
const optionsCache = new WeakMap<Db, Map<string, { at: number; value: Promise<AccountsPage['options']> }>>();

/**
 * The industries and owners to offer as filters within a scope. They change rarely, and reading
 * them is a scan of the scope on every list request, so they are kept for a few seconds.
 */
async function filterOptions(db: Db, scope: AccountScope): Promise<AccountsPage['options']> {
  let cache = optionsCache.get(db);
  if (!cache) optionsCache.set(db, (cache = new Map()));
  const key = JSON.stringify(scope);
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < OPTIONS_TTL_MS) return hit.value;
  const value = (async () => {
    const counts = await countAccountsBy(db, withinScope(scope), ['industry', 'ownerId']);
    const ownerIds = [...counts.ownerId.keys()].filter((v): v is string => v !== null);
    const names = await userNames(db, ownerIds);
    return {
      industries: [...counts.industry.keys()].filter((v): v is string => v !== null).sort(),
      owners: ownerIds
        .map((id) => ({ id, name: names.get(id) ?? null, count: counts.ownerId.get(id) ?? 0 }))
        .sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id)),
    };
  })();
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  return value;
}

export async function loadAccountsPage(db: Db, user: SessionUser, params: URLSearchParams | AccountQuery): Promise<AccountsPage> {
  const query = params instanceof URLSearchParams ? parseAccountQuery(params) : params;
  const scope = await accountScope(db, user);
  const where = await accountQueryWhere(db, scope, query);
  const [list, options] = await Promise.all([
    listAccountsWhere(db, where, { sort: query.sort, direction: query.dir, page: query.page, pageSize: query.size }),
    filterOptions(db, scope),
  ]);
  return {
    query,
    rows: list.rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
    total: list.total,
    page: query.page,
    pageSize: query.size,
    pages: Math.max(1, Math.ceil(list.total / query.size)),
    seesAll: scope.kind === 'all',
    options,
  };
}

/** The filtered list (all pages) as a CSV stream, for `/accounts/export.csv`. */
export async function exportAccountsCsv(db: Db, user: SessionUser, params: URLSearchParams): Promise<ReadableStream<Uint8Array>> {
  const scope = await accountScope(db, user);
  const where = await accountQueryWhere(db, scope, parseAccountQuery(params));
  const chunks = exportCsvWhere(db, where);
  const encoder = new TextEncoder();
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          controller.close();
          return;
        }
        // A BOM so spreadsheet programs read UTF-8 (Chinese names); the importer drops it.
        controller.enqueue(encoder.encode(first ? `\uFEFF${next.value}` : next.value));
        first = false;
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

// ---- the account page ---------------------------------------------------------------------------

/** An account the user may see, or a 404: out-of-scope accounts look like missing ones. */
export async function scopedAccount(db: Db, user: SessionUser, id: string) {
  const access = await accountAccess(db, id);
  if (!access) error(404, 'Not found');
  const scope = await accountScope(db, user);
  if (!canSeeAccount(scope, access)) error(404, 'Not found');
  return access;
}

interface Sourced<T> {
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

export interface MapNode {
  id: string;
  name: string;
  title: string | null;
  influence: number;
  decisionRole: string | null;
  behavior: string | null;
  stance: number;
  interactions90d: number;
  level: string;
  competitorStances: { id: string; name: string; stance: number | null }[];
  reportsTo: string | null;
  decisionMaker: boolean;
  x: number;
  y: number;
}

export interface RelationshipMapView {
  nodes: MapNode[];
  /** Reporting lines as SVG path data, manager to report. */
  reporting: { from: string; to: string; d: string }[];
  influence: { from: string; to: string; weight: number }[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  competitors: { id: string; name: string; share: number; closeness: number }[];
  closeness: number;
  advantage: number;
  decisionMakers: { id: string; influencers: { id: string; strength: number; distance: number }[] }[];
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
  createdBy: string | null;
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
  actions: { open: ActionView[]; done: ActionView[] };
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
  overdue: boolean;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
/** Business dates follow the workflows' clock (UTC dates). */
export const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);

export function planView(row: Awaited<ReturnType<typeof listPlans>>[number]): PlanView {
  return {
    id: row.id,
    version: row.version,
    cycleYear: row.cycleYear,
    status: row.status,
    goal: row.goal,
    objectives: (row.objectives as Plan['objectives'] | null) ?? null,
    strategy: row.strategy,
    actions: Array.isArray(row.actions) ? (row.actions as PlanView['actions']) : [],
    resources: (row.resources as Plan['resources'] | null) ?? null,
    tests: Array.isArray(row.tests) ? (row.tests as Plan['tests']) : [],
    valueProposition: (row.valueProposition as Plan['valueProposition'] | null) ?? null,
    needsApproval: row.needsApproval,
    createdAt: row.createdAt.toISOString(),
    approvedBy: row.approvedBy,
    approvedAt: iso(row.approvedAt),
    rejectedBy: row.rejectedBy,
    rejectedAt: iso(row.rejectedAt),
    rejectedReason: row.rejectedReason,
    createdBy: row.createdBy,
    strategyOverride: row.strategyOverride ?? null,
  };
}

// ---- relationship map layout ---------------------------------------------------------------------

const NODE_W = 232;
const NODE_H = 112;
const H_GAP = 28;
const V_GAP = 56;
const STACK_INDENT = 28;
const STACK_GAP = 14;
const ROW_GAP = 56;
const MAX_ROW_WIDTH = 1180;
/** Reports that are all leaves are stacked in a column from this many on, so a flat team stays narrow. */
const STACK_FROM = 3;

interface Measured {
  node: OrgNode;
  w: number;
  h: number;
  stacked: boolean;
  children: Measured[];
}

function measure(node: OrgNode): Measured {
  const children = node.reports.map(measure);
  if (children.length === 0) return { node, w: NODE_W, h: NODE_H, stacked: false, children };
  const stacked = children.length >= STACK_FROM && children.every((c) => c.children.length === 0);
  if (stacked) {
    return {
      node,
      w: NODE_W + STACK_INDENT,
      h: NODE_H + V_GAP / 2 + children.length * (NODE_H + STACK_GAP) - STACK_GAP,
      stacked,
      children,
    };
  }
  const w = Math.max(NODE_W, children.reduce((s, c) => s + c.w, 0) + H_GAP * (children.length - 1));
  const h = NODE_H + V_GAP + Math.max(...children.map((c) => c.h));
  return { node, w, h, stacked, children };
}

function place(
  m: Measured,
  x0: number,
  y0: number,
  out: Map<string, { x: number; y: number }>,
  lines: RelationshipMapView['reporting'],
): void {
  if (m.stacked) {
    out.set(m.node.contact.id, { x: x0, y: y0 });
    const spine = x0 + STACK_INDENT / 2;
    m.children.forEach((c, i) => {
      const y = y0 + NODE_H + V_GAP / 2 + i * (NODE_H + STACK_GAP);
      place(c, x0 + STACK_INDENT, y, out, lines);
      lines.push({
        from: m.node.contact.id,
        to: c.node.contact.id,
        d: `M${spine},${y0 + NODE_H} V${y + NODE_H / 2} H${x0 + STACK_INDENT}`,
      });
    });
    return;
  }
  const childrenWidth = m.children.reduce((s, c) => s + c.w, 0) + H_GAP * Math.max(0, m.children.length - 1);
  const x = x0 + (m.w - NODE_W) / 2;
  out.set(m.node.contact.id, { x, y: y0 });
  let cx = x0 + (m.w - childrenWidth) / 2;
  const childY = y0 + NODE_H + V_GAP;
  for (const c of m.children) {
    place(c, cx, childY, out, lines);
    const target = out.get(c.node.contact.id)!;
    const mid = y0 + NODE_H + V_GAP / 2;
    lines.push({
      from: m.node.contact.id,
      to: c.node.contact.id,
      d: `M${x + NODE_W / 2},${y0 + NODE_H} V${mid} H${target.x + NODE_W / 2} V${childY}`,
    });
    cx += c.w + H_GAP;
  }
}

/**
 * The org chart laid out as a tidy tree (subtrees never overlap: each gets its own band), trees of
 * the forest flowing into rows so the map stays about as wide as the page.
 */
export function relationshipMap(account: Account, rules: EspRules): RelationshipMapView {
  const metrics = relationship(account, rules.ruleSet);
  const closenessById = new Map(metrics.competitors.map((c) => [c.id, c]));
  const positions = new Map<string, { x: number; y: number }>();
  const reporting: RelationshipMapView['reporting'] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const tree of orgChart(account.contacts).map(measure)) {
    if (x > 0 && x + tree.w > MAX_ROW_WIDTH) {
      x = 0;
      y += rowHeight + ROW_GAP;
      rowHeight = 0;
    }
    place(tree, x, y, positions, reporting);
    x += tree.w + H_GAP * 2;
    width = Math.max(width, x - H_GAP * 2);
    rowHeight = Math.max(rowHeight, tree.h);
  }
  const decisionMakers = decisionMakerInfluence(account);
  const dmIds = new Set(decisionMakers.map((d) => d.decisionMakerId));
  const levels = rules.ruleSet.relationship.interactionLevels;
  const nodes: MapNode[] = account.contacts.map((c) => {
    const p = positions.get(c.id) ?? { x: 0, y: 0 };
    const level = levels.find((l) => c.interactions90d >= l.min) ?? levels[levels.length - 1]!;
    return {
      id: c.id,
      name: c.name,
      title: c.title ?? null,
      influence: c.influence,
      decisionRole: c.decisionRole ?? null,
      behavior: c.behavior ?? null,
      stance: c.stance,
      interactions90d: c.interactions90d,
      level: level.level,
      competitorStances: account.competitors.map((k) => ({ id: k.id, name: k.name, stance: c.competitorStances[k.id] ?? null })),
      reportsTo: c.reportsTo ?? null,
      decisionMaker: dmIds.has(c.id),
      x: p.x,
      y: p.y,
    };
  });
  const known = new Set(account.contacts.map((c) => c.id));
  return {
    nodes,
    reporting,
    influence: account.influenceLinks.filter((l) => known.has(l.from) && known.has(l.to) && l.from !== l.to),
    width: Math.max(width, NODE_W),
    height: account.contacts.length ? y + rowHeight : 0,
    nodeWidth: NODE_W,
    nodeHeight: NODE_H,
    competitors: metrics.competitors.map((c) => ({
      id: c.id,
      name: c.name,
      share: c.share,
      closeness: closenessById.get(c.id)?.closeness ?? 0,
    })),
    closeness: metrics.closeness,
    advantage: metrics.advantage,
    decisionMakers: decisionMakers.map((d) => ({
      id: d.decisionMakerId,
      influencers: d.influencers.map((i) => ({ id: i.contactId, strength: i.strength, distance: i.distance })),
    })),
  };
}

// ---- the page's data ----------------------------------------------------------------------------

function latestByStage(rows: Awaited<ReturnType<typeof listStageResults>>) {
  const out = new Map<Stage, (typeof rows)[number]>();
  for (const r of rows) if (!out.has(r.stage)) out.set(r.stage, r);
  return out;
}

export async function loadAccountDetail(db: Db, user: SessionUser, id: string, now = new Date()): Promise<AccountDetail> {
  await scopedAccount(db, user, id);
  const found = await getAccountWithState(db, id);
  if (!found) error(404, 'Not found');
  const { account, state } = found;
  const [rules, trailRows, planRows, actionRows, visitRows, opportunityRows] = await Promise.all([
    rulesFor(db, account.industry),
    listStageResults(db, id, { limit: 200 }),
    listPlans(db, id),
    listActions(db, { accountId: id }),
    listVisits(db, id, { limit: 10 }),
    listOpportunities(db, { accountId: id, limit: 20 }),
  ]);
  const today = todayUtc(now);

  const trail: AuditEntry[] = trailRows.map((r) => ({
    id: r.id,
    stage: r.stage,
    cycleYear: r.cycleYear,
    at: r.createdAt.toISOString(),
    ruleSet: { industry: r.ruleSetIndustry, version: r.ruleSetVersion },
    summary: ((r.output as { summary?: Record<string, unknown> } | null)?.summary ?? {}) as Record<string, unknown>,
  }));
  const latest = latestByStage(trailRows);
  const lastRun: AccountDetail['lastRun'] = {};
  for (const e of trail) lastRun[e.stage] ??= e;

  // The workflow's own explanations where it has decided; the current rules' where it has not yet.
  const preview = explainAccount(account, rules);
  const previewRef = { industry: rules.ref.industry, version: rules.ref.version };
  const sourced = <T>(stage: Stage, pick: (explanation: unknown) => T | undefined, fallback: T): Sourced<T> => {
    const row = latest.get(stage);
    const value = row?.explanation ? pick(row.explanation) : undefined;
    return value !== undefined && value !== null
      ? {
          source: 'audit',
          at: row!.createdAt.toISOString(),
          ruleSet: { industry: row!.ruleSetIndustry, version: row!.ruleSetVersion },
          value,
        }
      : { source: 'preview', at: null, ruleSet: previewRef, value: fallback };
  };
  type CoverageExplanation = { coverage?: RuleTrace; strategy?: RuleTrace; investment?: RuleTrace };
  const monitor = latest.get('monitor')?.explanation as { health?: RuleTrace } | undefined;
  const decisions: Decisions = {
    grade: sourced('grade', (e) => e as GradeExplanation, preview.explanation.grade),
    classify: sourced('classify', (e) => e as AccountExplanation['classify'], preview.explanation.classify),
    relationship: sourced('relationship', (e) => e as AccountExplanation['relationship'], preview.explanation.relationship),
    coverage: sourced('coverage', (e) => (e as CoverageExplanation).coverage, preview.explanation.coverage as RuleTrace),
    strategy: sourced('coverage', (e) => (e as CoverageExplanation).strategy, preview.explanation.strategy as RuleTrace),
    investment: sourced('coverage', (e) => (e as CoverageExplanation).investment, preview.explanation.investment as RuleTrace),
    health: monitor?.health
      ? {
          source: 'audit',
          at: latest.get('monitor')!.createdAt.toISOString(),
          ruleSet: { industry: latest.get('monitor')!.ruleSetIndustry, version: latest.get('monitor')!.ruleSetVersion },
          value: monitor.health,
        }
      : null,
    matrix: rules.ruleSet.classify.matrix as AccountClass[][],
    thresholdsMode: rules.ruleSet.grade.tierPolicy.mode,
  };

  const plans = planRows.map(planView);
  const pending = plans.find((p) => p.status === 'pending-approval') ?? null;
  const current = plans.find((p) => p.status === 'approved') ?? null;
  const map = relationshipMap(account, rules);
  const planVp = (pending ?? current)?.valueProposition;
  const valueProposition: AccountDetail['valueProposition'] = planVp
    ? { ...planVp, source: 'plan' }
    : {
        ourSolution: account.solution ?? null,
        businessValue: account.businessValue ?? null,
        versus: topCompetitors(relationship(account, rules.ruleSet).competitors).map((c) => {
          const k = account.competitors.find((x) => x.id === c.id);
          return {
            competitorId: c.id,
            name: c.name,
            share: c.share,
            closeness: c.closeness,
            theirOffer: k?.theirOffer ?? null,
            ourEdge: k?.ourEdge ?? null,
          };
        }),
        source: 'preview',
      };

  const inForce = actionRows.filter((a) => current !== null && a.planId === current.id);
  const toAction = (a: (typeof actionRows)[number]): ActionView => ({
    id: a.id,
    title: a.title,
    role: a.role,
    owner: a.owner,
    dueDate: a.dueDate,
    doneAt: iso(a.doneAt),
    overdue: !a.doneAt && a.dueDate !== null && a.dueDate < today,
  });

  const tier = state.tier ?? preview.decision.tier;
  const since = lastRun.execute?.at.slice(0, 10) ?? current?.approvedAt?.slice(0, 10) ?? null;
  const visitDates = visitRows.map((v) => v.date);
  const status =
    state.stage === 'execute' || state.stage === 'monitor' || since
      ? visitStatus(visitDates, tier, today, since ?? today, rules.ruleSet)
      : null;
  const contactNames = new Map(account.contacts.map((c) => [c.id, c.name]));

  const names = await userNames(db, [
    account.ownerId,
    ...plans.slice(0, 3).flatMap((p) => [p.approvedBy, p.rejectedBy, p.resources?.owner, ...p.actions.map((a) => a.owner)]),
    ...visitRows.map((v) => v.by),
    ...inForce.map((a) => a.owner),
  ]);

  return {
    account: {
      id: account.id,
      name: account.name,
      industry: account.industry ?? null,
      region: account.region ?? null,
      status: account.status ?? null,
      ownerId: account.ownerId ?? null,
      ownerName: account.ownerId ? (names.get(account.ownerId) ?? null) : null,
      parentId: account.parentId ?? null,
      employees: account.employees ?? null,
      companyRevenue: account.companyRevenue ?? null,
      revenueWithUs: account.revenueWithUs ?? null,
      potential: account.potential ?? null,
      demonstration: account.demonstration ?? null,
      winnability: account.winnability ?? null,
    },
    state: {
      score: state.score,
      tier: state.tier,
      class: state.class,
      closeness: state.closeness,
      advantage: state.advantage,
      strategy: state.strategy,
      investment: state.investment,
      health: state.health,
      stage: state.stage,
      waitingFor: state.waitingFor,
      cycleYear: state.cycleYear,
      coverageLine: state.coverageLine,
      coverageTeam: state.coverageTeam,
      coverageTrack: state.coverageTrack,
      presalesTier: state.presalesTier,
      ruleSetIndustry: state.ruleSetIndustry,
      ruleSetVersion: state.ruleSetVersion,
      updatedAt: state.updatedAt.toISOString(),
    },
    rules: rules.ref,
    trail: trail.slice(0, 60),
    lastRun,
    decisions,
    map,
    valueProposition,
    plans: { pending, current, latest: plans[0] ?? null, versions: plans.length },
    actions: { open: inForce.filter((a) => !a.doneAt).map(toAction), done: inForce.filter((a) => a.doneAt).map(toAction) },
    visits: {
      recent: visitRows.map((v) => ({
        id: v.id,
        date: v.date,
        contactId: v.contactId,
        contactName: v.contactId ? (contactNames.get(v.contactId) ?? null) : null,
        note: v.note,
        by: v.by,
      })),
      status,
    },
    opportunities: opportunityRows.map((o) => ({
      id: o.id,
      title: o.title,
      estimatedValue: o.estimatedValue,
      track: o.track,
      status: o.status,
      closeDate: o.closeDate,
      createdAt: o.createdAt.toISOString(),
      handedOffAt: iso(o.handedOffAt),
    })),
    names: Object.fromEntries(names),
    today,
  };
}

// ---- what managers do on an account -------------------------------------------------------------

export type AccountForm = 'decide' | 'visit' | 'action' | 'opportunity';

export type ActionOutcome =
  | {
      ok: true;
      form: AccountForm;
      done: 'approved' | 'rejected' | 'visitLogged' | 'actionDone' | 'opportunityLogged';
      params?: Record<string, string | number>;
    }
  | {
      ok: false;
      form: AccountForm;
      error:
        | WorkflowError
        | { code: 'planChanged' | 'missingReason' | 'invalidInput'; params: Record<string, string | number>; message: string };
      values?: Record<string, string>;
    };

const field = (form: FormData, name: string): string => {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

async function send(
  port: TemporalPort | null,
  form: AccountForm,
  call: (port: TemporalPort) => Promise<unknown>,
): Promise<{ ok: true } | Extract<ActionOutcome, { ok: false }>> {
  if (!port) return { ok: false, form, error: { code: 'temporalDown', params: {}, message: 'Temporal is not reachable' } };
  try {
    await call(port);
    return { ok: true };
  } catch (e) {
    return { ok: false, form, error: describeWorkflowError(e) };
  }
}

/** Approve or reject the pending plan through the workflow's `approvePlan` update. */
export async function decidePlan(
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
): Promise<ActionOutcome> {
  await scopedAccount(db, user, accountId);
  const decision = field(form, 'decision');
  const reason = field(form, 'reason');
  const planId = Number(field(form, 'planId'));
  if (decision !== 'approve' && decision !== 'reject')
    return {
      ok: false,
      form: 'decide',
      error: { code: 'invalidInput', params: {}, message: 'decision must be approve or reject' },
    };
  if (decision === 'reject' && !reason)
    return {
      ok: false,
      form: 'decide',
      error: { code: 'missingReason', params: {}, message: 'a rejection needs a reason' },
      values: { reason },
    };
  // The decision is about the plan the user read: a newer version must be read first.
  const plans = await listPlans(db, accountId);
  const pending = plans.find((p) => p.status === 'pending-approval');
  if (pending && pending.id !== planId)
    return {
      ok: false,
      form: 'decide',
      error: { code: 'planChanged', params: { version: pending.version }, message: 'the pending plan changed' },
      values: { reason },
    };
  const approve = decision === 'approve';
  const sent = await send(port, 'decide', (p) =>
    p.approvePlan(accountId, { approve, by: user.id, role: user.role, ...(approve ? {} : { reason: reason.slice(0, 2000) }) }),
  );
  if (!sent.ok) return { ...sent, values: { reason } };
  return { ok: true, form: 'decide', done: approve ? 'approved' : 'rejected' };
}

export async function logVisit(
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
  now = new Date(),
): Promise<ActionOutcome> {
  await scopedAccount(db, user, accountId);
  const date = field(form, 'date') || todayUtc(now);
  const contactId = field(form, 'contactId') || null;
  const note = field(form, 'note').slice(0, 2000) || null;
  const values = { date, contactId: contactId ?? '', note: note ?? '' };
  if (!ISO_DATE.test(date))
    return {
      ok: false,
      form: 'visit',
      error: { code: 'visitDateInvalid', params: { date }, message: `visit date "${date}" is not a YYYY-MM-DD date` },
      values,
    };
  if (contactId) {
    const found = await getAccountWithState(db, accountId);
    if (!found?.account.contacts.some((c) => c.id === contactId))
      return {
        ok: false,
        form: 'visit',
        error: { code: 'invalidInput', params: {}, message: `unknown contact ${contactId}` },
        values,
      };
  }
  const sent = await send(port, 'visit', (p) => p.logVisit(accountId, { date, contactId, note, by: user.id }));
  if (!sent.ok) return { ...sent, values };
  return { ok: true, form: 'visit', done: 'visitLogged', params: { date } };
}

export async function completeAction(
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
): Promise<ActionOutcome> {
  await scopedAccount(db, user, accountId);
  const actionId = Number(field(form, 'actionId'));
  if (!Number.isInteger(actionId) || actionId <= 0)
    return { ok: false, form: 'action', error: { code: 'invalidInput', params: {}, message: 'an action id is required' } };
  // Another account's action id must not be completable through this account's page.
  const own = await listActions(db, { accountId });
  if (!own.some((a) => a.id === actionId))
    return {
      ok: false,
      form: 'action',
      error: {
        code: 'actionNotOpen',
        params: { action: actionId },
        message: `action ${actionId} is not an action of this account`,
      },
    };
  const sent = await send(port, 'action', (p) => p.completeAction(accountId, { actionId, by: user.id }));
  if (!sent.ok) return sent;
  return { ok: true, form: 'action', done: 'actionDone' };
}

export async function logOpportunity(
  db: Db,
  user: SessionUser,
  accountId: string,
  form: FormData,
  port: TemporalPort | null,
): Promise<ActionOutcome> {
  const access = await scopedAccount(db, user, accountId);
  const title = field(form, 'title').slice(0, 300);
  const rawValue = field(form, 'estimatedValue').replace(/[\s,_]/g, '');
  const values = { title, estimatedValue: field(form, 'estimatedValue') };
  if (!title)
    return {
      ok: false,
      form: 'opportunity',
      error: { code: 'opportunityTitle', params: {}, message: 'an opportunity needs a title' },
      values,
    };
  const estimatedValue = rawValue === '' ? null : Number(rawValue);
  if (estimatedValue !== null && (!Number.isFinite(estimatedValue) || estimatedValue < 0))
    return {
      ok: false,
      form: 'opportunity',
      error: { code: 'opportunityValue', params: {}, message: 'estimatedValue must be a number ≥ 0' },
      values,
    };
  const sent = await send(port, 'opportunity', (p) =>
    p.logOpportunity(accountId, { title, estimatedValue, owner: access.ownerId ?? user.id, by: user.id }),
  );
  if (!sent.ok) return { ...sent, values };
  return { ok: true, form: 'opportunity', done: 'opportunityLogged' };
}
