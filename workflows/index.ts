/** The workflow bundle's entry point (`workflowsPath`): every workflow type the worker serves. */
export { accountWorkflow } from './account-workflow.js';
export { reviewWorkflow } from './review-workflow.js';
