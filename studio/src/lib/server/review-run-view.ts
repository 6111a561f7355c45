/** A review run as the portfolio and the reviews pages show it. */
import type { ReviewRunRow } from '$db/schema.js';
import type { ReviewRunView } from '$lib/components/portfolio/types.js';

export function reviewRunView(run: ReviewRunRow, counted?: Map<string, number>): ReviewRunView {
  // Run ids are `<workflowId>:<firstRunId>`; the workflow id itself may contain colons.
  const cut = run.id.lastIndexOf(':');
  return {
    id: run.id,
    year: run.year,
    status: run.status,
    total: run.total,
    done: Math.max(run.done, counted?.get(run.id) ?? 0),
    failed: run.failed,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt ? run.finishedAt.toISOString() : null,
    workflowId: cut > 0 ? run.id.slice(0, cut) : run.id,
  };
}
