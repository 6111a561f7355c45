/**
 * What the activities need from outside, and the plumbing every activity shares: the rules
 * loader, the idempotency key, failure classification and the optional test delay.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import type { Db } from '../../db/client.js';
import { BadRequestError, ConflictError, InvalidRuleSetError, NotFoundError } from '../../db/repositories/errors.js';
import { getEffectiveRules } from '../../db/repositories/rule-sets.js';
import { ValidationError, type EspRules } from '../../engine/index.js';
import type { RuleSetUsed } from '../types.js';

export interface HandoffTarget {
  /** Where hand-offs are POSTed (`ESP_HANDOFF_URL`). */
  url: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ActivityDeps {
  db: Db;
  /**
   * The effective compiled rules of an industry (null: the fallback). Default: the published rule
   * sets in `db` (`getEffectiveRules`, which compiles each pair of versions once per database).
   */
  loadRules?: (db: Db, industry: string | null) => Promise<EspRules>;
  /** Wall clock for timestamps only; business dates come from the workflow (`asOf`). */
  clock?: () => Date;
  /** The sales pipeline's hand-off endpoint; without it hand-offs stay in the outbox. */
  handoff?: HandoffTarget | null;
  /** Slows every stage activity by this much (tests kill a worker mid-stage). Heartbeats meanwhile. */
  delayMs?: number;
}

export interface Shared {
  db: Db;
  rules(industry: string | null): Promise<EspRules>;
  now(): Date;
  handoff: HandoffTarget | null;
  delayMs: number;
}

export function shared(deps: ActivityDeps): Shared {
  const load = deps.loadRules ?? getEffectiveRules;
  return {
    db: deps.db,
    rules: (industry) => load(deps.db, industry),
    now: deps.clock ?? (() => new Date()),
    handoff: deps.handoff ?? null,
    delayMs: deps.delayMs ?? 0,
  };
}

export const ruleSetUsed = (rules: EspRules): RuleSetUsed => ({ industry: rules.ref.industry, version: rules.ref.version ?? 0 });

/**
 * workflowId/runId/activityId: the same for every attempt of one scheduled activity (and for a
 * local activity replayed after a worker died), different for every other activity.
 */
export function idempotencyKey(): string {
  const info = Context.current().info;
  const run = info.workflowExecution;
  if (!run) throw new NonRetryable('ESP+ activities run inside a workflow', 'NoWorkflow');
  return `${run.workflowId}/${run.runId}/${info.activityId}`;
}

/** A UUID-shaped id derived from a key, for rows whose primary key is the idempotency. */
export function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** Thrown by activities for input that no retry can fix; `details` go to the workflow with it. */
export class NonRetryable extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = type;
  }
}

// SQLSTATE classes that are the data's fault, not the connection's: 22 data exception, 23
// integrity constraint violation. (42, e.g. an undefined table, is left retryable: a worker that
// starts before the migrations ran recovers once they have.)
const PERMANENT_SQLSTATE = /^(22|23)/;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Turns an error into what Temporal should do with it: validation and not-found errors become
 * non-retryable ApplicationFailures (the workflow shows them and waits for a fix); anything else
 * (a database that is down, a timeout) is rethrown as is and retried with backoff.
 */
export function classify(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  const e = error as Error;
  let type: string | undefined;
  if (error instanceof NonRetryable) type = error.type;
  else if (error instanceof NotFoundError) type = 'NotFound';
  else if (error instanceof BadRequestError) type = 'BadRequest';
  else if (error instanceof ConflictError) type = 'Conflict';
  else if (error instanceof InvalidRuleSetError) type = 'InvalidRuleSet';
  else if (error instanceof ValidationError) type = 'ValidationError';
  else if (error instanceof ZodError) type = 'ValidationError';
  else {
    const state = sqlState(error);
    if (state && PERMANENT_SQLSTATE.test(state)) type = `SQLSTATE ${state}`;
  }
  if (!type) return error;
  const details = error instanceof NonRetryable && error.details !== undefined ? [error.details] : undefined;
  return ApplicationFailure.create({ message: e.message, type, nonRetryable: true, cause: e, details });
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw classify(error);
  }
}

/** The test delay: long enough for a test to kill the worker, heartbeating so a live worker is seen. */
export async function testDelay(ms: number): Promise<void> {
  if (ms <= 0) return;
  const ctx = Context.current();
  const step = Math.min(ms, 250);
  for (let waited = 0; waited < ms; waited += step) {
    ctx.heartbeat();
    await ctx.sleep(step);
  }
}
