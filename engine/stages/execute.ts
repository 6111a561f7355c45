/**
 * Stage 8, execute (贯彻执行): visit cadence on the fast track, action tracking on the
 * major-project track. Dates are ISO `YYYY-MM-DD` strings; `asOf` is always passed in so the
 * engine stays deterministic.
 */
import type { Tier } from '../model.js';
import type { RuleSet } from '../ruleset-format/schema.js';

/** Days since 1970-01-01 of an ISO date (its first 10 characters); NaN when it is not one. */
export function epochDay(date: string): number {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  // days-from-civil (H. Hinnant): exact for every year, unlike Date.UTC's two-digit-year rule.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The ISO date of an epoch day, by the civil-from-days algorithm: plans make many dates, Date objects are slow. */
export function isoDate(epochDays: number): string {
  const z = epochDays + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

export function daysBetween(from: string, to: string): number {
  return epochDay(to) - epochDay(from);
}

export function addDays(date: string, days: number): string {
  return isoDate(epochDay(date) + days);
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
