/**
 * Stage 8, execute (贯彻执行): visit cadence on the fast track, action tracking on the
 * major-project track. Dates are ISO `YYYY-MM-DD` strings; `asOf` is always passed in so the
 * engine stays deterministic.
 */
import type { Tier } from '../model.js';
import type { RuleSet } from '../ruleset/schema.js';

const DAY_MS = 86_400_000;

export function daysBetween(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(date) + days * DAY_MS).toISOString().slice(0, 10);
}

export interface VisitStatus {
  cadenceDays: number;
  lastVisit: string | null;
  nextDue: string;
  overdue: boolean;
  /** Whole cadence periods missed since the last visit (or since `since` without any). */
  overdueVisits: number;
}

/**
 * A visit past its cadence is overdue. Without any visit the clock starts at `since` (the start of
 * the account's execution), so a new account is not overdue on day one.
 */
export function visitStatus(
  visitDates: readonly string[],
  tier: Tier,
  asOf: string,
  since: string,
  rules: RuleSet,
): VisitStatus {
  const cadenceDays = rules.execute.visitCadenceDays[tier];
  let lastVisit: string | null = null;
  for (const d of visitDates) if (d <= asOf && (lastVisit === null || d > lastVisit)) lastVisit = d;
  const from = lastVisit ?? since;
  const elapsed = daysBetween(from, asOf);
  const overdueVisits = elapsed > cadenceDays ? Math.floor(elapsed / cadenceDays) : 0;
  return { cadenceDays, lastVisit, nextDue: addDays(from, cadenceDays), overdue: overdueVisits > 0, overdueVisits };
}

export interface ActionLike {
  dueDate: string;
  doneAt?: string | null;
}

export function actionStatus(actions: readonly ActionLike[], asOf: string) {
  let open = 0;
  let overdue = 0;
  let done = 0;
  for (const a of actions) {
    if (a.doneAt) done++;
    else {
      open++;
      if (a.dueDate < asOf) overdue++;
    }
  }
  return { total: actions.length, done, open, overdue, doneShare: actions.length === 0 ? null : done / actions.length };
}
