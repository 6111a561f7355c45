/**
 * The ESP+ database schema (drizzle, PostgreSQL dialect). The same schema and migrations serve the
 * embedded PGlite and a real PostgreSQL server, so nothing here may depend on an extension
 * (no pg_trgm, no citext): name search uses a `lower(name)` btree.
 *
 * Amounts are `double precision`: they come from JSON numbers, are compared and summed, never
 * accounted to the cent, and a `numeric` column would hand the application strings.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type {
  AccountClass,
  AccountStatus,
  Behavior,
  DecisionRole,
  Health,
  InvestmentLevel,
  Line,
  PresalesTier,
  Stage,
  Strategy,
  Tier,
  Track,
} from '../engine/model.js';
import type { StrategyOverride } from '../engine/stages/plan-edit.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const tstz = (name: string) => timestamp(name, { withTimezone: true });

// ---- people ------------------------------------------------------------------------------------

export const USER_ROLES = ['admin', 'manager'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const users = pgTable(
  'users',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role').$type<UserRole>().notNull(),
    /** Computed by the auth layer; storage never sees a password. */
    passwordHash: text('password_hash').notNull(),
    locale: text('locale').$type<Locale>().notNull().default('en'),
    createdAt: createdAt(),
  },
  (t) => [
    // Log-in looks users up by e-mail typed in any case.
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    check('users_role_check', sql`${t.role} in ('admin', 'manager')`),
    check('users_locale_check', sql`${t.locale} in ('zh-CN', 'en')`),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** The hash of the random session token: a leaked table does not leak live sessions. */
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

export const teams = pgTable('teams', {
  /** `industry:finance`, `region:East`: the ids the coverage rules produce. */
  id: text('id').primaryKey(),
  /**
   * What the organisation calls the team; null when no one named it (the studio words the team
   * from its id in the user's language). A `manager:<slug>` team holds its manager's name.
   */
  name: text('name'),
  line: text('line').$type<Line>().notNull(),
  createdAt: createdAt(),
});

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: text('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

// ---- accounts and what hangs off them ----------------------------------------------------------

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    industry: text('industry'),
    region: text('region'),
    status: text('status').$type<AccountStatus>(),
    // No foreign keys on owner and parent: imports bring owners and parents that may arrive later
    // or never exist as users; the studio shows them as plain ids then.
    ownerId: text('owner_id'),
    parentId: text('parent_id'),
    employees: integer('employees'),
    companyRevenue: doublePrecision('company_revenue'),
    revenueWithUs: doublePrecision('revenue_with_us'),
    potential: doublePrecision('potential'),
    demonstration: doublePrecision('demonstration'),
    winnability: doublePrecision('winnability'),
    competitorsNoneKnown: boolean('competitors_none_known').notNull().default(false),
    previousCloseness: doublePrecision('previous_closeness'),
    /** The value proposition (价值植入): our solution for the account and the business value it creates. */
    solution: text('solution'),
    businessValue: text('business_value'),
    /**
     * Bumped by every studio edit: an edit names the version it was based on, and a stale one is
     * refused with the change that beat it (optimistic concurrency, like rule set drafts' revision).
     */
    version: integer('version').notNull().default(0),
    /**
     * The `version` the account's workflow last read (stamped by every stage activity), and the
     * newest version the edits catch-up told the workflow of. An account whose version is newer than
     * both changed while its workflow could not be told: a worker's catch-up tells it
     * (`workflows/catch-up.ts`). Neither is an input: the inputs trigger leaves them out.
     */
    evaluatedVersion: integer('evaluated_version'),
    caughtUpVersion: integer('caught_up_version'),
    /**
     * Profile fields (engine names: `potential`, `companyRevenue`…) that an import filled from a
     * mapping default or expression rather than from the source. The profile stage counts them as
     * missing, so the account waits for real data. A field leaves the list when its value changes
     * (trigger `accounts_forget_imported_defaults`, migration 0003), whoever writes it.
     */
    importedDefaults: text('imported_defaults')
      .array()
      .$type<string[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    /**
     * The `account_inputs_version` of the transaction that last wrote this account's inputs, its
     * contacts, competitors or influence links (triggers of migration 0010): an account snapshot
     * taken at version v re-reads only the accounts above v.
     */
    inputsVersion: bigint('inputs_version', { mode: 'number' }).notNull().default(0),

    // Computed by the workflows (the latest stage results), kept here so the studio can filter and
    // sort 100k accounts without reading the audit trail.
    score: doublePrecision('score'),
    tier: text('tier').$type<Tier>(),
    class: text('class').$type<AccountClass>(),
    closeness: doublePrecision('closeness'),
    advantage: doublePrecision('advantage'),
    strategy: text('strategy').$type<Strategy>(),
    investment: text('investment').$type<InvestmentLevel>(),
    health: text('health').$type<Health>(),
    stage: text('stage').$type<Stage>(),
    /** What the workflow waits for (e.g. `profile-data`, `plan-approval`); null when not waiting. */
    waitingFor: text('waiting_for'),
    cycleYear: integer('cycle_year'),
    coverageLine: text('coverage_line').$type<Line>(),
    coverageTeam: text('coverage_team'),
    coverageTrack: text('coverage_track').$type<Track>(),
    presalesTier: text('presales_tier').$type<PresalesTier>(),
    ruleSetIndustry: text('rule_set_industry'),
    ruleSetVersion: integer('rule_set_version'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // The studio's list is "filter by a few equalities, order by score desc, page". Each filter
    // column leads an index that ends in the sort key so a selective filter also yields the order.
    index('accounts_score_idx').on(t.score.desc().nullsLast(), t.id),
    index('accounts_industry_score_idx').on(t.industry, t.score.desc().nullsLast(), t.id),
    index('accounts_tier_score_idx').on(t.tier, t.score.desc().nullsLast(), t.id),
    index('accounts_class_score_idx').on(t.class, t.score.desc().nullsLast(), t.id),
    index('accounts_stage_idx').on(t.stage),
    index('accounts_owner_idx').on(t.ownerId),
    index('accounts_strategy_idx').on(t.strategy),
    index('accounts_health_idx').on(t.health),
    index('accounts_waiting_idx')
      .on(t.waitingFor)
      .where(sql`${t.waitingFor} is not null`),
    index('accounts_parent_idx')
      .on(t.parentId)
      .where(sql`${t.parentId} is not null`),
    index('accounts_team_idx').on(t.coverageTeam),
    // text_pattern_ops lets `lower(name) like 'abc%'` use the index under any collation.
    index('accounts_name_lower_idx').on(sql`lower(${t.name}) text_pattern_ops`),
    index('accounts_name_idx').on(t.name, t.id),
    index('accounts_inputs_version_idx').on(t.inputsVersion),
  ],
);

export const contacts = pgTable(
  'contacts',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    // Contact ids are unique within an account only (a CRM may reuse them across customers).
    id: text('id').notNull(),
    name: text('name').notNull(),
    title: text('title'),
    reportsTo: text('reports_to'),
    influence: integer('influence').notNull(),
    decisionRole: text('decision_role').$type<DecisionRole>(),
    behavior: text('behavior').$type<Behavior>(),
    stance: integer('stance').notNull(),
    competitorStances: jsonb('competitor_stances').$type<Record<string, number>>().notNull().default({}),
    interactions90d: integer('interactions_90d').notNull().default(0),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    check('contacts_influence_check', sql`${t.influence} between 1 and 5`),
    check('contacts_stance_check', sql`${t.stance} between -2 and 2`),
  ],
);

export const influenceLinks = pgTable(
  'influence_links',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    from: text('from_contact').notNull(),
    to: text('to_contact').notNull(),
    weight: integer('weight').notNull().default(1),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.from, t.to] }),
    check('influence_links_weight_check', sql`${t.weight} between 1 and 3`),
  ],
);

export const competitors = pgTable(
  'competitors',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    // The same competitor (e.g. `oracle`) appears on many accounts.
    id: text('id').notNull(),
    name: text('name').notNull(),
    share: doublePrecision('share').notNull().default(0),
    /** The value-proposition comparison row: their offer and where ours beats it. */
    theirOffer: text('their_offer'),
    ourEdge: text('our_edge'),
    /** What the competitor is strong at, as the account team sees it. */
    strengths: text('strengths'),
    position: integer('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index('competitors_id_idx').on(t.id)],
);

export const visits = pgTable(
  'visits',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: text('contact_id'),
    date: date('date', { mode: 'string' }).notNull(),
    note: text('note'),
    by: text('by'),
    createdAt: createdAt(),
  },
  // "Last visit" per account drives the overdue check.
  (t) => [index('visits_account_date_idx').on(t.accountId, t.date.desc())],
);

// ---- plans, actions, opportunities -------------------------------------------------------------

/**
 * `withdrawn`: a plan still waiting for approval when the annual review started the next cycle
 * (since `account-workflow-v5`); it was built for a cycle that is over and can no longer be decided.
 */
export const PLAN_STATUSES = ['pending-approval', 'approved', 'rejected', 'superseded', 'withdrawn'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export const plans = pgTable(
  'plans',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    cycleYear: integer('cycle_year').notNull(),
    version: integer('version').notNull(),
    status: text('status').$type<PlanStatus>().notNull(),
    // GOSART: Goal, Objectives, Strategy, Actions, Resources, Tests (+ the value proposition).
    goal: text('goal').notNull(),
    objectives: jsonb('objectives').$type<unknown>().notNull(),
    strategy: text('strategy').$type<Strategy>().notNull(),
    actions: jsonb('actions').$type<unknown>().notNull(),
    resources: jsonb('resources').$type<unknown>().notNull(),
    tests: jsonb('tests').$type<unknown>().notNull(),
    valueProposition: jsonb('value_proposition').$type<unknown>(),
    needsApproval: boolean('needs_approval').notNull().default(false),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    approvedBy: text('approved_by'),
    approvedAt: tstz('approved_at'),
    rejectedBy: text('rejected_by'),
    rejectedAt: tstz('rejected_at'),
    rejectedReason: text('rejected_reason'),
    /** When the review withdrew it (status `withdrawn`). */
    withdrawnAt: tstz('withdrawn_at'),
    /** Set when the plan's strategy is not the rules' one: what they decided and the manager's reason. */
    strategyOverride: jsonb('strategy_override').$type<StrategyOverride>(),
  },
  (t) => [
    uniqueIndex('plans_account_year_version_key').on(t.accountId, t.cycleYear, t.version),
    index('plans_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending-approval'`),
    check('plans_status_check', sql`${t.status} in ('pending-approval', 'approved', 'rejected', 'superseded', 'withdrawn')`),
  ],
);

export const planActions = pgTable(
  'plan_actions',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    planId: integer('plan_id')
      .notNull()
      .references(() => plans.id, { onDelete: 'cascade' }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    role: text('role').$type<'owner' | 'presales' | 'executive'>().notNull().default('owner'),
    owner: text('owner'),
    dueDate: date('due_date', { mode: 'string' }),
    doneAt: tstz('done_at'),
    /** Who marked it done, and their optional note on the evidence (cleared when it is reopened). */
    doneBy: text('done_by'),
    doneNote: text('done_note'),
    createdAt: createdAt(),
  },
  (t) => [index('plan_actions_plan_idx').on(t.planId), index('plan_actions_account_idx').on(t.accountId, t.dueDate)],
);

/**
 * The manager's unsubmitted edit of the account's plan, one per account: saved as typed (it may
 * not validate yet) and dropped when the edit is submitted as a new plan version.
 */
export const planDrafts = pgTable('plan_drafts', {
  accountId: text('account_id')
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  /** The plan version the draft edits. */
  basedOnPlanId: integer('based_on_plan_id').references(() => plans.id, { onDelete: 'set null' }),
  content: jsonb('content').$type<unknown>().notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

export const OPPORTUNITY_STATUSES = ['open', 'won', 'lost'] as const;
export type OpportunityStatus = (typeof OPPORTUNITY_STATUSES)[number];

export const opportunities = pgTable(
  'opportunities',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    // No foreign key: a CRM export may hold opportunities of accounts it does not list.
    accountId: text('account_id').notNull(),
    title: text('title').notNull(),
    estimatedValue: doublePrecision('estimated_value'),
    track: text('track').$type<Track>(),
    status: text('status').$type<OpportunityStatus>().notNull().default('open'),
    /** The source system's stage name (e.g. `Engaging`); free text. */
    stage: text('stage'),
    closeDate: date('close_date', { mode: 'string' }),
    /** Where it came from: `crm`, `studio`, `demo`… */
    source: text('source'),
    owner: text('owner'),
    createdAt: createdAt(),
    handedOffAt: tstz('handed_off_at'),
  },
  (t) => [index('opportunities_account_idx').on(t.accountId, t.closeDate), index('opportunities_status_idx').on(t.status)],
);

/**
 * The transactional outbox: an opportunity and its hand-off message are written together, and a
 * sender delivers the message later, so a crash never loses or invents a hand-off.
 */
export const handoffOutbox = pgTable(
  'handoff_outbox',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    opportunityId: text('opportunity_id')
      .notNull()
      .references(() => opportunities.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<unknown>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: tstz('delivered_at'),
  },
  (t) => [
    index('handoff_outbox_pending_idx')
      .on(t.id)
      .where(sql`${t.deliveredAt} is null`),
  ],
);

// ---- audit trail -------------------------------------------------------------------------------

export const stageResults = pgTable(
  'stage_results',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    accountId: text('account_id').notNull(),
    cycleYear: integer('cycle_year').notNull(),
    stage: text('stage').$type<Stage>().notNull(),
    ruleSetIndustry: text('rule_set_industry').notNull(),
    ruleSetVersion: integer('rule_set_version').notNull(),
    input: jsonb('input').$type<unknown>().notNull(),
    output: jsonb('output').$type<unknown>().notNull(),
    explanation: jsonb('explanation').$type<unknown>(),
    /** A retried activity computes the same key, so the insert is a no-op the second time. */
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('stage_results_idempotency_key').on(t.idempotencyKey),
    index('stage_results_account_idx').on(t.accountId, t.createdAt.desc(), t.id.desc()),
  ],
);

/**
 * The account's edit history: one row per committed studio edit, naming who, when, the version it
 * made and every changed field with its value before and after (a path such as `contacts.c2.reportsTo`).
 */
export const accountChanges = pgTable(
  'account_changes',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    changedBy: text('changed_by').notNull(),
    changedAt: tstz('changed_at').notNull().defaultNow(),
    changes: jsonb('changes').$type<FieldChange[]>().notNull(),
  },
  (t) => [uniqueIndex('account_changes_account_version_key').on(t.accountId, t.version)],
);

/** One changed field of an edit; `null` before is an added item, `null` after a removed one. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

// ---- rule sets ---------------------------------------------------------------------------------

export const RULE_SET_STATUSES = ['draft', 'published', 'archived'] as const;
export type RuleSetStatus = (typeof RULE_SET_STATUSES)[number];

export const ruleSets = pgTable(
  'rule_sets',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    /** `*` is the fallback; its document is complete, the others are overrides of it. */
    industry: text('industry').notNull(),
    /** Null while a draft: a draft gets the next version number when it is published. */
    version: integer('version'),
    status: text('status').$type<RuleSetStatus>().notNull(),
    // `json`, not `jsonb`: keeps the admin's key order and layout, so `rules show` and diffs read
    // like the file that was published.
    document: json('document').$type<unknown>().notNull(),
    comment: text('comment'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    publishedAt: tstz('published_at'),
    publishedBy: text('published_by'),
    basedOnVersion: integer('based_on_version'),
    editedBy: text('edited_by'),
    editedAt: tstz('edited_at'),
    /** Bumped on every draft edit: an edit names the revision it started from (optimistic lock). */
    revision: integer('revision').notNull().default(0),
  },
  (t) => [
    uniqueIndex('rule_sets_industry_version_key').on(t.industry, t.version),
    // The invariants the lifecycle relies on, enforced by the database and not only by code.
    uniqueIndex('rule_sets_one_published')
      .on(t.industry)
      .where(sql`${t.status} = 'published'`),
    uniqueIndex('rule_sets_one_draft')
      .on(t.industry)
      .where(sql`${t.status} = 'draft'`),
    check('rule_sets_status_check', sql`${t.status} in ('draft', 'published', 'archived')`),
    check('rule_sets_version_check', sql`(${t.status} = 'draft') = (${t.version} is null)`),
  ],
);

// ---- annual review -----------------------------------------------------------------------------

export const REVIEW_RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReviewRunStatus = (typeof REVIEW_RUN_STATUSES)[number];

export const reviewRuns = pgTable(
  'review_runs',
  {
    id: text('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    year: integer('year').notNull(),
    status: text('status').$type<ReviewRunStatus>().notNull().default('running'),
    total: integer('total').notNull().default(0),
    /** Reviews written, stored when the run finishes; a running run's are counted from `reviews`. */
    done: integer('done').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    startedAt: tstz('started_at').notNull().defaultNow(),
    finishedAt: tstz('finished_at'),
  },
  (t) => [index('review_runs_year_idx').on(t.year)],
);

export const reviews = pgTable(
  'reviews',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    year: integer('year').notNull(),
    runId: text('run_id').references(() => reviewRuns.id, { onDelete: 'set null' }),
    /** Actual revenue ÷ objective; null without an objective. */
    attainment: doublePrecision('attainment'),
    actionsDoneShare: doublePrecision('actions_done_share'),
    opportunitiesCount: integer('opportunities_count').notNull().default(0),
    opportunitiesValue: doublePrecision('opportunities_value').notNull().default(0),
    closenessChange: doublePrecision('closeness_change'),
    scoreBefore: doublePrecision('score_before'),
    scoreAfter: doublePrecision('score_after'),
    tierBefore: text('tier_before').$type<Tier>(),
    tierAfter: text('tier_after').$type<Tier>(),
    classBefore: text('class_before').$type<AccountClass>(),
    classAfter: text('class_after').$type<AccountClass>(),
    strategyBefore: text('strategy_before').$type<Strategy>(),
    strategyAfter: text('strategy_after').$type<Strategy>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('reviews_account_year_key').on(t.accountId, t.year), index('reviews_run_idx').on(t.runId)],
);

/**
 * One counter of changes to what account decisions are computed from, bumped once per writing
 * transaction by triggers (migrations 0004, 0010) on the accounts' input columns, contacts,
 * competitors and influence links, whoever writes (studio, import, CLI, another process); the
 * accounts written get the new value in `accounts.inputs_version`. In-memory account snapshots
 * (db/repositories/account-snapshots.ts) read it to know they are current and which accounts to
 * re-read; the workflows' writes of computed columns do not touch it.
 */
export const accountInputsVersion = pgTable(
  'account_inputs_version',
  {
    id: boolean('id').primaryKey().default(true),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [check('account_inputs_version_one_row', sql`${t.id}`)],
);

export type UserRow = typeof users.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type AccountInsert = typeof accounts.$inferInsert;
export type ContactRow = typeof contacts.$inferSelect;
export type CompetitorRow = typeof competitors.$inferSelect;
export type InfluenceLinkRow = typeof influenceLinks.$inferSelect;
export type VisitRow = typeof visits.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type PlanActionRow = typeof planActions.$inferSelect;
export type PlanDraftRow = typeof planDrafts.$inferSelect;
export type OpportunityRow = typeof opportunities.$inferSelect;
export type OutboxRow = typeof handoffOutbox.$inferSelect;
export type AccountChangeRow = typeof accountChanges.$inferSelect;
export type StageResultRow = typeof stageResults.$inferSelect;
export type RuleSetRow = typeof ruleSets.$inferSelect;
export type ReviewRow = typeof reviews.$inferSelect;
export type ReviewRunRow = typeof reviewRuns.$inferSelect;
