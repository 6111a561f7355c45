/**
 * The studio's side of the workflows: telling running account workflows that a rule set was
 * published (workflows/rules-published.ts, shared with the CLI).
 */
export {
  affectedAccountIds,
  signalRulesPublished,
  type SignalClient,
  type SignalReport,
} from '../../../../workflows/rules-published.js';
