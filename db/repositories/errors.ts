/** Errors the repositories throw for the studio and the CLI to map to a status or exit code. */
import type { Issue } from '../../engine/ruleset-format/issues.js';

/** Someone else changed the thing first (optimistic concurrency); the message says who and when. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly details: { by?: string | null; at?: Date | null; revision?: number; version?: number | null } = {},
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A request that cannot be carried out as asked (a missing comment, an unknown version…). */
export class BadRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequestError';
  }
}

/** A rule set that does not validate; `issues` carry the JSON paths. */
export class InvalidRuleSetError extends Error {
  constructor(
    message: string,
    readonly issues: Issue[],
    /** For a fallback `*` change: industries whose override no longer resolves against it. */
    readonly affected: { industry: string; version: number; issues: Issue[] }[] = [],
  ) {
    super(message);
    this.name = 'InvalidRuleSetError';
  }
}
