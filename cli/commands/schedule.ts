/**
 * `esp schedule apply`: creates or updates the Temporal Schedule of the annual review from the
 * rules' `review.schedule` (default 15 January). Idempotent.
 */
import { applyReviewSchedule, reviewScheduleFromRules } from '../../workflows/schedule.js';
import { CliError, parseOptions } from '../io.js';
import { withDatabase } from './db.js';
import type { CommandRunner } from './index.js';
import { withTemporal } from './workflows.js';

function int(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

export const scheduleApplyCommand: CommandRunner = {
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      month: { type: 'string' },
      day: { type: 'string' },
      hour: { type: 'string' },
      timezone: { type: 'string' },
    });
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
    const month = int('month', values.month, 1, 12);
    const day = int('day', values.day, 1, 31);
    if ((month === undefined) !== (day === undefined)) throw new CliError('--month and --day go together');
    const hour = int('hour', values.hour, 0, 23);
    const date =
      month !== undefined && day !== undefined ? { month, day } : await withDatabase((db) => reviewScheduleFromRules(db));
    const applied = await withTemporal((c) =>
      applyReviewSchedule(c.client, {
        ...date,
        ...(hour !== undefined ? { hour } : {}),
        ...(values.timezone ? { timezone: values.timezone } : {}),
        taskQueue: c.taskQueue,
      }),
    );
    process.stdout.write(
      `schedule ${applied.scheduleId} ${applied.action}: every year on ${String(applied.spec.month).padStart(2, '0')}-${String(applied.spec.day).padStart(2, '0')} ` +
        `at ${String(applied.spec.hour).padStart(2, '0')}:00 ${applied.spec.timezone}\n`,
    );
    for (const next of applied.nextRuns) process.stdout.write(`  next: ${next.toISOString()}\n`);
    return 0;
  },
};
