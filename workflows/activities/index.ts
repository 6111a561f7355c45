/**
 * The activities of the ESP+ workflows, bound to their dependencies. Workflows only see the types
 * (`import type`), so the database and Node stay out of the workflow sandbox.
 */
import { shared, type ActivityDeps } from './deps.js';
import { executionActivities } from './execution.js';
import { reviewRunActivities } from './review-run.js';
import { stageActivities } from './stages.js';

export type { ActivityDeps, HandoffTarget } from './deps.js';

export function createActivities(deps: ActivityDeps) {
  const s = shared(deps);
  return {
    ...stageActivities(s),
    ...executionActivities(s),
    ...reviewRunActivities(s),
  };
}

export type EspActivities = ReturnType<typeof createActivities>;
