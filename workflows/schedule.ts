/**
 * The annual review's Temporal Schedule, from the rules' `review.schedule` (default 15 January).
 * Applying it is idempotent: the schedule is created, or updated to the current rules.
 */
import {
  MONTHS,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Db } from '../db/client.js';
import { getEffective } from '../db/repositories/rule-sets.js';
import { temporalSettings } from './connection.js';
import { reviewWorkflow } from './review-workflow.js';
import { REVIEW_SCHEDULE_ID } from './types.js';

export interface ReviewScheduleOptions {
  month: number;
  day: number;
  /** Hour of the day the run starts. Default 2 (a quiet hour). */
  hour?: number;
  /** IANA time zone of the calendar. Default UTC. */
  timezone?: string;
  taskQueue?: string;
  scheduleId?: string;
}

export interface AppliedSchedule {
  scheduleId: string;
  action: 'created' | 'updated' | 'unchanged';
  spec: { month: number; day: number; hour: number; timezone: string };
  nextRuns: Date[];
}

/** The review date of the fallback rule set `*`: the review runs over every industry at once. */
export async function reviewScheduleFromRules(db: Db): Promise<{ month: number; day: number }> {
  const { ruleSet } = await getEffective(db, '*');
  return ruleSet.review.schedule;
}

function specFor(o: Required<Pick<ReviewScheduleOptions, 'month' | 'day' | 'hour' | 'timezone'>>): ScheduleSpec {
  return {
    calendars: [{ month: MONTHS[o.month - 1]!, dayOfMonth: o.day, hour: o.hour, comment: 'ESP+ annual review' }],
    timezone: o.timezone,
  };
}

function sameSpec(
  d: ScheduleDescription,
  o: Required<Pick<ReviewScheduleOptions, 'month' | 'day' | 'hour' | 'timezone'>>,
  taskQueue: string,
): boolean {
  const cal = d.spec.calendars?.[0];
  const action = d.action as { taskQueue?: string; workflowType?: string };
  return (
    d.spec.calendars?.length === 1 &&
    cal?.month?.[0]?.start === MONTHS[o.month - 1] &&
    cal?.dayOfMonth?.[0]?.start === o.day &&
    cal?.hour?.[0]?.start === o.hour &&
    (d.spec.timezone ?? 'UTC') === o.timezone &&
    action.taskQueue === taskQueue &&
    action.workflowType === 'reviewWorkflow'
  );
}

export async function applyReviewSchedule(client: Client, opts: ReviewScheduleOptions): Promise<AppliedSchedule> {
  if (!Number.isInteger(opts.month) || opts.month < 1 || opts.month > 12)
    throw new Error(`month must be 1–12, not ${opts.month}`);
  if (!Number.isInteger(opts.day) || opts.day < 1 || opts.day > 31) throw new Error(`day must be 1–31, not ${opts.day}`);
  const o = { month: opts.month, day: opts.day, hour: opts.hour ?? 2, timezone: opts.timezone ?? 'UTC' };
  const scheduleId = opts.scheduleId ?? REVIEW_SCHEDULE_ID;
  const taskQueue = opts.taskQueue ?? temporalSettings().taskQueue;
  const spec = specFor(o);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: reviewWorkflow,
    // The year is derived from the run's date (a schedule's arguments are fixed).
    args: [{}] as [Record<string, never>],
    taskQueue,
    workflowId: 'review-scheduled',
  };
  let result: AppliedSchedule['action'] = 'created';
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      // A review that is still running when the next one is due is not started twice; a server
      // that was down on the day catches up within a week.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const current = await handle.describe();
    if (sameSpec(current, o, taskQueue)) result = 'unchanged';
    else {
      await handle.update((previous) => ({
        ...previous,
        spec,
        action,
        state: { paused: previous.state.paused, note: previous.state.note },
      }));
      result = 'updated';
    }
  }
  const described = await handle.describe();
  return { scheduleId, action: result, spec: o, nextRuns: described.info.nextActionTimes.slice(0, 3) };
}
