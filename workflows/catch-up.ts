/**
 * The catch-up beside every worker: at start and every few minutes it tells the account workflows
 * what they missed while Temporal was unreachable or no worker ran.
 * - `rules`: accounts not yet evaluated under the rule set in force get `rulesPublished`
 *   (workflows/rules-published.ts);
 * - `edits`: accounts changed (studio edit, import) after their workflow last read them get
 *   `accountUpdated` with the fields changed since and who changed them last, once per change
 *   (db/repositories/account-edit-versions.ts).
 */
import type { Db } from '../db/client.js';
import { accountsBehindEdits, markEditsCaughtUp } from '../db/repositories/account-edit-versions.js';
import { accountUpdatedSignal } from './messages.js';
import { catchUpRules } from './rules-published.js';
import { emptyReport, signalAccounts, type SignalOptions, type SignalReport } from './signal-accounts.js';

/** Tells every account changed since its workflow last read it; each change is told once. */
export async function catchUpEdits(db: Db, opts: SignalOptions = {}): Promise<SignalReport> {
  const behind = await accountsBehindEdits(db);
  if (behind.length === 0) return emptyReport(true);
  const told: { accountId: string; version: number }[] = [];
  const version = new Map(behind.map((b) => [b.accountId, b.version]));
  const report = await signalAccounts(
    accountUpdatedSignal,
    behind.map(({ accountId, fields, by }) => ({
      accountId,
      payload: { ...(fields ? { fields } : {}), ...(by ? { by } : {}) },
    })),
    { ...opts, onTold: (accountId) => told.push({ accountId, version: version.get(accountId)! }) },
  );
  await markEditsCaughtUp(db, told);
  return report;
}

export type CatchUpKind = 'rules' | 'edits';

/** The worker's log line for a catch-up run. */
export function catchUpLine(kind: CatchUpKind, r: SignalReport): string {
  const what =
    kind === 'rules'
      ? 'accounts not yet evaluated under the rules in force'
      : 'accounts changed since their workflow last read them';
  return r.reachable
    ? `${kind} catch-up: ${r.signalled} of ${r.targets} ${what} told again`
    : `${kind} catch-up: Temporal unreachable (${r.errors[0] ?? 'no answer'}); trying again later`;
}

/** Default period of the catch-up while a worker runs. */
export const CATCH_UP_EVERY_MS = 5 * 60_000;

export interface CatchUpOptions extends SignalOptions {
  everyMs?: number;
  /** Hears of every run that had something to do, or failed. */
  onReport?: (kind: CatchUpKind, r: SignalReport) => void;
}

const RUNS: Record<CatchUpKind, (db: Db, opts: SignalOptions) => Promise<SignalReport>> = {
  rules: catchUpRules,
  edits: catchUpEdits,
};

/** Runs both catch-ups now and then every `everyMs` until stopped; one run at a time. */
export function startCatchUp(db: Db, opts: CatchUpOptions = {}): { stop(): Promise<void> } {
  const { everyMs, onReport, ...signal } = opts;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(async () => {
      for (const [kind, catchUp] of Object.entries(RUNS) as [CatchUpKind, (typeof RUNS)[CatchUpKind]][]) {
        try {
          const r = await catchUp(db, signal);
          if (r.targets > 0 || !r.reachable) onReport?.(kind, r);
        } catch (error) {
          onReport?.(kind, emptyReport(false, [(error as Error).message]));
        }
      }
    });
  };
  run();
  const timer = setInterval(run, everyMs ?? CATCH_UP_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
