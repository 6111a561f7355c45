/** What the portfolio and review pages show: the shapes their server loads return. */
import { type AccountClass, type Level } from '$engine/index.js';
import { type Live, type ReviewProgress } from '$lib/server/temporal.js';

export interface Distribution<V extends string = string> {
  values: { value: V; count: number }[];
  unset: number;
}

export interface NineBoxCell {
  potential: Level;
  contribution: Level;
  /** The class the current fallback rules give this cell. */
  matrixClass: AccountClass;
  count: number;
  /** Classes actually stored on the cell's accounts (industries can use other matrices). */
  classes: { class: string; count: number }[];
}

export interface ReviewRunView {
  id: string;
  year: number;
  status: string;
  total: number;
  done: number;
  failed: number;
  startedAt: string;
  finishedAt: string | null;
  /** The workflow that runs it, for its live progress. */
  workflowId: string;
}

/** What the latest review run changed, within the user's scope. */
export interface ReviewOutcome {
  /** The cycle year the run's accounts go on to. */
  nextYear: number;
  /** Accounts whose cycle of `nextYear` (or later) has started. */
  nextCycleStarted: number;
  /** Once the run has finished: tier and class before → after, from the year's reviews. */
  migrations: { tier: Record<string, Record<string, number>>; class: Record<string, Record<string, number>> } | null;
}

/** What "run the review now" asks the admin to confirm. */
export interface ReviewConfirmation {
  year: number;
  /** Accounts the run will review, counted as the review workflow counts them. */
  accounts: number;
}

export interface PortfolioLive {
  /** The running review's own count (the table lags behind its acknowledgements). */
  progress: Live<ReviewProgress | null>;
  /** Admins only. */
  schedule: Live<{ nextRuns: string[]; paused: boolean } | null> | null;
  /** Account workflows that failed or were terminated, within the user's scope. */
  failed: Live<{ accountId: string; name: string; status: string; closedAt: string | null }[]>;
  /** The workflow's last error for the stalled accounts shown. */
  errors: Live<Record<string, { stage: string; message: string; at: string }>>;
}

/** A distribution per month: the values in display order and each month's count per value. */
export interface Trend {
  values: string[];
  months: { month: string; counts: Record<string, number> }[];
}
