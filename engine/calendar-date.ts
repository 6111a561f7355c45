/**
 * Calendar dates as people and files write them (`YYYY-MM-DD`). A regular expression and
 * `Date.parse` both let `2026-02-31` through (it rolls over to March) and accept year 0, which
 * PostgreSQL then refuses with its own error; a date must survive the round trip through a real
 * calendar instead, within the years a key account's business can have happened in.
 */

export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `value` is a `YYYY-MM-DD` date that exists, in `MIN_YEAR`…`MAX_YEAR`. */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = SHAPE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < MIN_YEAR || year > MAX_YEAR) return false;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}
