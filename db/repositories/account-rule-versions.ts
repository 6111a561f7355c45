/**
 * Which accounts their workflows have not yet evaluated under the rule set now in force: the
 * catch-up after a publish whose signals did not arrive (Temporal was unreachable, a worker was
 * down). Every stage activity stamps the account row (rule set industry and version, `updated_at`),
 * so an account is behind when its stamp names another rule set or version, or when it was last
 * written before its effective rule set (its industry's own, or the fallback `*` that every
 * industry's set extends) was published.
 */
import { and, eq, isNotNull, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { FALLBACK_INDUSTRY } from '../../engine/ruleset-format/schema.js';
import type { Db } from '../client.js';
import { accounts, ruleSets } from '../schema.js';

export interface BehindRules {
  accountId: string;
  /** The rule set now in force for the account, and its version. */
  industry: string;
  version: number;
}

/** Accounts with a workflow stage whose last evaluation predates the rule set in force for them. */
export async function accountsBehindRules(db: Db): Promise<BehindRules[]> {
  const own = alias(ruleSets, 'own');
  const base = alias(ruleSets, 'base');
  const effectiveIndustry = sql<string>`coalesce(${own.industry}, ${base.industry})`;
  const effectiveVersion = sql<number>`coalesce(${own.version}, ${base.version})`;
  const rows = await db
    .select({ accountId: accounts.id, industry: effectiveIndustry, version: effectiveVersion })
    .from(accounts)
    .innerJoin(base, and(eq(base.industry, FALLBACK_INDUSTRY), eq(base.status, 'published')))
    .leftJoin(own, and(eq(own.industry, accounts.industry), eq(own.status, 'published')))
    .where(
      and(
        isNotNull(accounts.stage),
        or(
          sql`${accounts.ruleSetIndustry} is distinct from ${effectiveIndustry}`,
          sql`${accounts.ruleSetVersion} is distinct from ${effectiveVersion}`,
          lt(accounts.updatedAt, sql`greatest(${own.publishedAt}, ${base.publishedAt})`),
        ),
      ),
    )
    .orderBy(accounts.id);
  return rows.map((r) => ({ accountId: r.accountId, industry: r.industry, version: Number(r.version) }));
}
