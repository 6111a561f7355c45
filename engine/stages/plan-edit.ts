/**
 * The manager's edit of a GOSART plan (做规划): goal, objectives, resources, actions and strategy.
 * The strategy is the one the rules decided, or an override that needs a reason; the reason goes
 * with the plan into the "why" chain and to the approver. One schema for the studio's form, the
 * workflow's `submitPlan` update and its activity, so every path refuses the same edit the same way.
 */
import { z } from 'zod';
import { INVESTMENT_LEVELS, PRESALES_TIERS, STRATEGIES, type Strategy } from '../model.js';
import { round2 } from '../round.js';
import { issue, zodMessage, type Issue } from '../ruleset-format/issues.js';
import type { Plan } from './plan.js';

export const PLAN_EDIT_LIMITS = { text: 2000, title: 300, actions: 50 } as const;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = z
  .string()
  .trim()
  .max(PLAN_EDIT_LIMITS.title)
  .nullish()
  .transform((v) => (v ? v : null));

export const planActionEditSchema = z.strictObject({
  title: text(PLAN_EDIT_LIMITS.title),
  role: z.enum(['owner', 'presales', 'executive']).default('owner'),
  owner: optionalText,
  dueDate: z
    .string()
    .regex(ISO_DATE)
    .refine((d) => !Number.isNaN(Date.parse(d)), { message: 'not a date' }),
});

export const planEditSchema = z.strictObject({
  goal: text(PLAN_EDIT_LIMITS.text),
  objectives: z.strictObject({
    revenueTarget: z.number().finite().nonnegative(),
    closenessTarget: z.number().finite().min(0).max(100),
  }),
  resources: z.strictObject({
    owner: optionalText,
    presalesTier: z.enum(PRESALES_TIERS),
    investment: z.enum(INVESTMENT_LEVELS),
  }),
  strategy: z.enum(STRATEGIES),
  /** Required when `strategy` is not the one the rules decided. */
  strategyReason: z
    .string()
    .trim()
    .max(PLAN_EDIT_LIMITS.text)
    .nullable()
    .default(null)
    .transform((v) => (v ? v : null)),
  actions: z.array(planActionEditSchema).min(1).max(PLAN_EDIT_LIMITS.actions),
});

export type PlanEdit = z.output<typeof planEditSchema>;
export type PlanEditInput = z.input<typeof planEditSchema>;

/** Why the plan's strategy is not the rules' one; null when it is. */
export interface StrategyOverride {
  /** What the rules decided. */
  proposed: Strategy;
  reason: string;
}

export type PlanEditResult = { ok: true; edit: PlanEdit; override: StrategyOverride | null } | { ok: false; issues: Issue[] };

/**
 * Checks an edit against the schema and the rules' strategy. Every problem names its JSON path
 * (`$.actions[1].dueDate`) and a code the catalogues word (`issue.schema.<zod code>`,
 * `issue.plan.overrideReasonRequired`).
 */
export function validatePlanEdit(input: unknown, proposed: Strategy): PlanEditResult {
  const parsed = planEditSchema.safeParse(input);
  if (!parsed.success)
    return {
      ok: false,
      issues: parsed.error.issues.map((i) =>
        issue(
          i.path.filter((s): s is string | number => typeof s !== 'symbol'),
          `schema.${i.code}`,
          zodMessage(i),
        ),
      ),
    };
  const edit = parsed.data;
  if (edit.strategy === proposed) return { ok: true, edit: { ...edit, strategyReason: null }, override: null };
  if (!edit.strategyReason)
    return {
      ok: false,
      issues: [
        issue(
          ['strategyReason'],
          'plan.overrideReasonRequired',
          `choosing "${edit.strategy}" over the rules' "${proposed}" needs a reason`,
          {
            strategy: edit.strategy,
            proposed,
          },
        ),
      ],
    };
  return { ok: true, edit, override: { proposed, reason: edit.strategyReason } };
}

/** The parts of a stored plan an edit starts from and keeps (baseline, checkpoints, value proposition). */
export interface EditablePlan {
  goal: string;
  objectives: Plan['objectives'];
  strategy: Strategy;
  actions: { title: string; role: 'owner' | 'presales' | 'executive'; owner: string | null; dueDate: string | null }[];
  resources: Plan['resources'];
  tests: Plan['tests'];
}

/** What the form shows first: the plan as it stands, as an edit. */
export function planAsEdit(plan: EditablePlan, override: StrategyOverride | null): PlanEdit {
  return {
    goal: plan.goal,
    objectives: { revenueTarget: plan.objectives.revenue.target, closenessTarget: plan.objectives.closenessTarget },
    resources: { owner: plan.resources.owner, presalesTier: plan.resources.presalesTier, investment: plan.resources.investment },
    strategy: plan.strategy,
    strategyReason: override?.reason ?? null,
    actions: plan.actions.map((a) => ({ title: a.title, role: a.role, owner: a.owner, dueDate: a.dueDate ?? '' })),
  };
}

/** The plan an edit makes of `base`: the KPI targets follow the edited objectives and actions. */
export function applyPlanEdit(base: EditablePlan, edit: PlanEdit): EditablePlan {
  const revenue = { ...base.objectives.revenue, target: round2(edit.objectives.revenueTarget) };
  const closenessTarget = round2(edit.objectives.closenessTarget);
  const targets: Record<string, number> = {
    revenueWithUs: revenue.target,
    closeness: closenessTarget,
    actionsDone: edit.actions.length,
  };
  return {
    goal: edit.goal,
    objectives: { revenue, closenessTarget },
    strategy: edit.strategy,
    actions: edit.actions.map((a) => ({ title: a.title, role: a.role, owner: a.owner, dueDate: a.dueDate })),
    resources: { ...edit.resources },
    tests: base.tests.map((t) => ({ ...t, target: targets[t.kpi] ?? t.target })),
  };
}
