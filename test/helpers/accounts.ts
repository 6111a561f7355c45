/**
 * Test builders for the engine: a complete, valid account (every profile item present) with
 * overrides, contacts and competitors, and rule books built from the default rule files with
 * optional overrides, so each test states only what it varies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accountSchema,
  compileRuleSet,
  RuleBook,
  resolveRuleSet,
  ValidationError,
  type Account,
  type AccountInput,
  type EspRules,
  type RuleSetDocument,
} from '../../engine/index.js';
import { DEFAULT_RULES_DIR } from '../../rules/load.js';

type ContactInput = NonNullable<AccountInput['contacts']>[number];
type CompetitorInput = NonNullable<AccountInput['competitors']>[number];

/** A contact with neutral defaults: influence 3, neutral stance, no interactions. */
export function contact(id: string, over: Partial<ContactInput> = {}): ContactInput {
  return { id, name: `Contact ${id}`, influence: 3, stance: 0, interactions90d: 0, ...over };
}

export function competitor(id: string, over: Partial<CompetitorInput> = {}): CompetitorInput {
  return { id, name: `Competitor ${id}`, share: 0.1, ...over };
}

/**
 * A complete account of the fallback industry: revenue 1,000,000 (score 50), potential 5,000,000
 * (50), demonstration 40 (50), winnability 40 (50) → score 50, T3, class B; one champion contact with
 * influence 4 and 6 interactions; no competitors, marked "none known".
 */
export function account(over: Partial<AccountInput> = {}): Account {
  return accountSchema.parse({
    id: 'acc-1',
    name: 'Account 1',
    industry: 'unlisted',
    region: 'north',
    status: 'active',
    ownerId: 'u1',
    employees: 500,
    companyRevenue: 50_000_000,
    revenueWithUs: 1_000_000,
    potential: 5_000_000,
    demonstration: 40,
    winnability: 40,
    contacts: [contact('c1', { influence: 4, stance: 2, interactions90d: 6 })],
    competitors: [],
    competitorsNoneKnown: true,
    ...over,
  } satisfies AccountInput);
}

export function readDefaultDocument(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DEFAULT_RULES_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** A fresh deep copy of the fallback `*` rule set each call, safe to mutate. */
export function baseDocument(): Record<string, unknown> {
  return readDefaultDocument('base.json');
}

export const DEFAULT_INDUSTRY_FILES = ['energy', 'finance', 'government', 'healthcare', 'manufacturing', 'retail'] as const;

/** The default rule book (fallback + the six shipped industries), version 1 for every set. */
export function defaultBook(): RuleBook {
  return new RuleBook(
    { industry: '*', version: 1, document: baseDocument(), source: 'base.json' },
    DEFAULT_INDUSTRY_FILES.map((i): RuleSetDocument => ({
      industry: i,
      version: 1,
      document: readDefaultDocument(`${i}.json`),
      source: `${i}.json`,
    })),
  );
}

/** A rule book of the default base plus the given overrides (industry → override body). */
export function bookWith(overrides: Record<string, Record<string, unknown>>, base: unknown = baseDocument()): RuleBook {
  return new RuleBook(
    { industry: '*', version: 1, document: base, source: 'base.json' },
    Object.entries(overrides).map(([industry, body], i) => ({
      industry,
      version: 10 + i,
      document: { industry, ...body },
      source: `${industry}.json`,
    })),
  );
}

/** Compiles the default base with one override applied (industry `test`), throwing if invalid. */
export function rulesWith(override: Record<string, unknown>): EspRules {
  const v = resolveRuleSet(baseDocument(), { industry: 'test', ...override });
  if (!v.ok) throw new ValidationError(v.issues, 'test override');
  return compileRuleSet(v.ruleSet, { industry: 'test', version: 2, baseVersion: 1 });
}
