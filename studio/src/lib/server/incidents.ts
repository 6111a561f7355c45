/**
 * Internal errors (a failed SQL query, a workflow's stack) are logged here under a short random id
 * and never shown: the user sees a coded catalogue message with the id, which support can look up
 * in the log. Database and internal texts name tables, parameters and code paths.
 */
import { randomBytes } from 'node:crypto';

/** Logs `error` under a new id and returns the id (8 hex digits, enough to find one log line). */
export function logIncident(error: unknown, context: string): string {
  const id = randomBytes(4).toString('hex');
  console.error(`[incident ${id}] ${context}:`, error);
  return id;
}
