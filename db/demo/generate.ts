/**
 * Demo data: a pure, deterministic generator. The same options give the same data, byte for byte,
 * so `esp demo seed` is repeatable and tests can assert on it.
 *
 * Amounts are drawn log-uniformly and scaled by the industry's band multiplier (ESP-PLUS.md:
 * finance ×2, energy ×1.5, government ×1.2, healthcare ×0.8, retail ×0.6), so that every industry
 * spreads over every grade band instead of one industry owning the top tier. `logistics` has no rule
 * set of its own and exercises the fallback `*`.
 */
import type { Account, Behavior, Competitor, Contact, DecisionRole, InfluenceLink } from '../../engine/model.js';
import { hashSeed, Rng } from './prng.js';
import {
  CITIES,
  COMPETITORS,
  FIRST_NAMES,
  INDUSTRY_SUFFIXES,
  LAST_NAMES,
  MANAGER_NAMES,
  NAME_MIDDLES,
  NAME_STEMS,
  PRODUCTS,
  TITLES_BY_LEVEL,
  VISIT_NOTES,
} from './words.js';

export const DEMO_INDUSTRIES = ['finance', 'energy', 'government', 'manufacturing', 'healthcare', 'retail', 'logistics'] as const;
/** `logistics` has no rule set of its own: it is graded by the fallback `*`. */
export const DEMO_FALLBACK_INDUSTRY = 'logistics';
export const DEMO_REGIONS = ['East', 'North', 'South', 'West', 'Central'] as const;
/** The band multiplier of each industry's default rule set (1 for the fallback). */
export const INDUSTRY_SCALE: Record<(typeof DEMO_INDUSTRIES)[number], number> = {
  finance: 2,
  energy: 1.5,
  government: 1.2,
  manufacturing: 1,
  healthcare: 0.8,
  retail: 0.6,
  logistics: 1,
};
const INDUSTRY_WEIGHTS = [15, 10, 12, 20, 15, 18, 10];
const REGION_WEIGHTS = [26, 18, 20, 22, 14];

/** Everyone's password in the demo (documented in docs/import.md and the README). */
export const DEMO_PASSWORD = 'esp-demo';
export const DEMO_ADMIN_EMAIL = 'admin@example.com';
export const DEMO_MANAGER_COUNT = 8;
/** Fixed so that the generator is pure; `esp demo seed` passes today's date instead. */
export const DEMO_DEFAULT_TODAY = '2025-06-30';
export const DEMO_SOURCE = 'demo';

export interface DemoUser {
  /** The e-mail doubles as the id, so owners read well in exports and the audit trail. */
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'manager';
}

/** The demo's teams have no names of their own: the studio words `industry:`/`region:` ids. */
export interface DemoTeam {
  id: string;
  line: 'industry' | 'regional';
  members: string[];
}

export interface DemoVisit {
  accountId: string;
  contactId: string | null;
  date: string;
  note: string;
  by: string;
}

export interface DemoOpportunity {
  id: string;
  accountId: string;
  title: string;
  estimatedValue: number;
  status: 'open' | 'won' | 'lost';
  stage: string;
  closeDate: string;
  source: typeof DEMO_SOURCE;
  owner: string;
}

export interface DemoData {
  seed: number;
  today: string;
  users: DemoUser[];
  teams: DemoTeam[];
  accounts: Account[];
  visits: DemoVisit[];
  opportunities: DemoOpportunity[];
}

export interface DemoOptions {
  /** Number of accounts (default 500). */
  accounts?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** `YYYY-MM-DD`: visits cover the year up to it, open opportunities close after it. */
  today?: string;
}

// ---- people and teams ----------------------------------------------------------------------------

export function demoUsers(): DemoUser[] {
  const users: DemoUser[] = [{ id: DEMO_ADMIN_EMAIL, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin' }];
  for (let k = 1; k <= DEMO_MANAGER_COUNT; k++) {
    const email = `manager${k}@example.com`;
    users.push({ id: email, email, name: MANAGER_NAMES[k - 1] ?? `Manager ${k}`, role: 'manager' });
  }
  return users;
}

/**
 * Every industry and region team gets at least one manager: manager k sits in region team
 * (k−1) mod 5 and in industry teams (k−1) mod 7 and (k+2) mod 7. Fixed, not seeded: the same
 * people cover the same teams in every demo.
 */
export function demoTeams(): DemoTeam[] {
  const teams: DemoTeam[] = [
    ...DEMO_INDUSTRIES.map((i): DemoTeam => ({ id: `industry:${i}`, line: 'industry', members: [] })),
    ...DEMO_REGIONS.map((r): DemoTeam => ({ id: `region:${r}`, line: 'regional', members: [] })),
  ];
  const byId = new Map(teams.map((t) => [t.id, t]));
  for (let k = 1; k <= DEMO_MANAGER_COUNT; k++) {
    const id = `manager${k}@example.com`;
    byId.get(`region:${DEMO_REGIONS[(k - 1) % DEMO_REGIONS.length]}`)!.members.push(id);
    for (const j of [(k - 1) % DEMO_INDUSTRIES.length, (k + 2) % DEMO_INDUSTRIES.length]) {
      const team = byId.get(`industry:${DEMO_INDUSTRIES[j]}`)!;
      if (!team.members.includes(id)) team.members.push(id);
    }
  }
  return teams;
}

// ---- accounts -----------------------------------------------------------------------------------

const STATUSES = ['active', 'prospect', 'declining', 'lost'] as const;
const STATUS_WEIGHTS = [58, 15, 15, 12];
const ROLES: readonly DecisionRole[] = ['influencer', 'evaluator', 'user', 'gatekeeper', 'coach'];
const ROLE_WEIGHTS = [30, 30, 20, 10, 10];
const BEHAVIORS: readonly Behavior[] = ['results', 'relationship', 'innovation', 'risk-averse'];
/** Mean stance toward us by status: a lost customer's people lean against us. */
const STANCE_MEAN = { active: 0.6, declining: -0.2, prospect: -0.1, lost: -0.9 } as const;
const INFLUENCE_BY_LEVEL: readonly (readonly number[])[] = [[5], [4, 4, 5, 3], [3, 3, 2, 4], [2, 1, 1, 3]];

function roundTo(x: number, step: number): number {
  return Math.round(x / step) * step;
}

function clampStance(x: number): number {
  // `|| 0` turns Math.round's −0 into 0: the database would, and equality checks care.
  return Math.max(-2, Math.min(2, Math.round(x))) || 0;
}

export function accountId(index: number): string {
  return `acc-${String(index + 1).padStart(6, '0')}`;
}

function accountName(rng: Rng, industry: (typeof DEMO_INDUSTRIES)[number], taken: Set<string>): string {
  const base = [rng.pick(NAME_STEMS), rng.pick(NAME_MIDDLES), rng.pick(INDUSTRY_SUFFIXES[industry]!)].filter(Boolean).join(' ');
  let name = base;
  for (let attempt = 0; taken.has(name) && attempt < 8; attempt++) name = `${base} (${rng.pick(CITIES)})`;
  for (let n = 2; taken.has(name); n++) name = `${base} ${n}`;
  taken.add(name);
  return name;
}

interface Owners {
  /** Candidate owners per region team and per industry team. */
  region: Map<string, string[]>;
  industry: Map<string, string[]>;
}

function ownersFrom(teams: DemoTeam[]): Owners {
  const region = new Map<string, string[]>();
  const industry = new Map<string, string[]>();
  for (const t of teams) {
    const [kind, key] = t.id.split(':') as [string, string];
    (kind === 'region' ? region : industry).set(key, t.members);
  }
  return { region, industry };
}

/** One account with its contacts, competitors and political map, from its own random stream. */
function generateAccount(index: number, seed: number, taken: Set<string>, owners: Owners): Account {
  const rng = new Rng(hashSeed(seed, index, 0x0acc));
  const industry = rng.weighted(DEMO_INDUSTRIES, INDUSTRY_WEIGHTS);
  const region = rng.weighted(DEMO_REGIONS, REGION_WEIGHTS);
  const status = rng.weighted(STATUSES, STATUS_WEIGHTS);
  const f = INDUSTRY_SCALE[industry];

  let revenueWithUs = 0;
  if (status === 'active') revenueWithUs = rng.logUniform(80_000, 40_000_000) * f;
  else if (status === 'declining') revenueWithUs = rng.logUniform(50_000, 15_000_000) * f;
  else if (status === 'lost' && rng.chance(0.3)) revenueWithUs = rng.logUniform(10_000, 300_000) * f;
  revenueWithUs = roundTo(revenueWithUs, 1000);
  // The wallet is usually larger than what the customer spends with us today.
  const potential = roundTo(Math.max(rng.logUniform(300_000, 250_000_000) * f, revenueWithUs * rng.logUniform(1.1, 4)), 10_000);
  const companyRevenue = roundTo(potential * rng.logUniform(8, 60), 100_000);
  const employees = Math.max(10, Math.round(companyRevenue / rng.logUniform(100_000, 600_000)));
  const demonstration = Math.round(rng.triangular(0, 50, 100));
  const win = { active: [20, 65, 100], prospect: [0, 40, 90], declining: [10, 45, 90], lost: [0, 25, 70] }[status];
  const winnability = Math.round(rng.triangular(win[0]!, win[1]!, win[2]!));

  // Big accounts end up on the industry line: their owner comes from the industry team.
  const big = revenueWithUs >= 5_000_000 * f || potential >= 50_000_000 * f;
  const ownerPool = (big ? owners.industry.get(industry) : owners.region.get(region)) ?? [];
  const ownerId = ownerPool.length ? rng.pick(ownerPool) : null;

  const competitors = generateCompetitors(rng, status);
  const { contacts, influenceLinks } = generateContacts(rng, status, competitors);

  return {
    id: accountId(index),
    name: accountName(rng, industry, taken),
    industry,
    region,
    status,
    ownerId,
    parentId: null,
    employees,
    companyRevenue,
    revenueWithUs,
    potential,
    demonstration,
    winnability,
    contacts,
    competitors,
    competitorsNoneKnown: false,
    influenceLinks,
    // Most accounts have been evaluated before; a drop against this triggers win-back.
    previousCloseness: status !== 'prospect' && rng.chance(0.6) ? rng.int(20, 90) : null,
    // The value proposition is the account team's to write in the studio (价值植入).
    solution: null,
    businessValue: null,
  };
}

function generateCompetitors(rng: Rng, status: (typeof STATUSES)[number]): Competitor[] {
  const k = rng.weighted([1, 2, 3], [30, 45, 25]);
  const picked = rng.sample(COMPETITORS, k);
  // Competitors hold more of a prospect's or a lost customer's spend than of an active one's.
  const total = status === 'active' ? rng.triangular(0.1, 0.35, 0.7) : rng.triangular(0.3, 0.6, 0.95);
  const weights = picked.map(() => 0.2 + rng.next());
  const sum = weights.reduce((s, w) => s + w, 0);
  return picked.map((c, i) => ({
    id: c.id,
    name: c.name,
    share: Math.round(((total * weights[i]!) / sum) * 100) / 100,
    theirOffer: c.theirOffer,
    ourEdge: c.ourEdge,
    strengths: null,
  }));
}

function generateContacts(
  rng: Rng,
  status: (typeof STATUSES)[number],
  competitors: readonly Competitor[],
): { contacts: Contact[]; influenceLinks: InfluenceLink[] } {
  const n = rng.int(3, 8);
  const contacts: Contact[] = [];
  const levels: number[] = [];
  const usedNames = new Set<string>();
  const mean = STANCE_MEAN[status];
  for (let k = 0; k < n; k++) {
    // A tree: everyone but the top reports to someone above them (earlier in the list).
    let parent = -1;
    if (k > 0) {
      do parent = rng.int(0, k - 1);
      while (levels[parent]! >= 3 && parent !== 0);
    }
    const level = k === 0 ? 0 : Math.min(3, levels[parent]! + 1);
    levels.push(level);
    let name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    while (usedNames.has(name)) name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    usedNames.add(name);
    const stance = clampStance(rng.triangular(-2.5, mean, 2.5));
    const competitorStances: Record<string, number> = {};
    for (const c of competitors) {
      // People who like us less tend to like the incumbent competitor more.
      if (rng.chance(0.85))
        competitorStances[c.id] = clampStance(rng.triangular(-2.5, (c.share ?? 0) * 3 - 0.5 - stance * 0.4, 2.5));
    }
    const interactionMax = status === 'active' ? 10 : status === 'declining' ? 6 : 3;
    contacts.push({
      id: `c${k + 1}`,
      name,
      title: rng.pick(TITLES_BY_LEVEL[level]!),
      reportsTo: parent >= 0 ? `c${parent + 1}` : null,
      influence: rng.pick(INFLUENCE_BY_LEVEL[level]!),
      decisionRole: k === 0 ? 'decision-maker' : rng.weighted(ROLES, ROLE_WEIGHTS),
      behavior: rng.pick(BEHAVIORS),
      stance,
      competitorStances,
      interactions90d: rng.chance(0.2) ? 0 : rng.int(0, interactionMax),
    });
  }
  // The political map: who sways whom, beside the org chart.
  const influenceLinks: InfluenceLink[] = [];
  const pairs = new Set<string>();
  const links = Math.min(rng.int(0, 4) + (n >= 5 ? 1 : 0), n * (n - 1));
  for (let tries = 0; influenceLinks.length < links && tries < links * 4; tries++) {
    const from = rng.int(0, n - 1);
    const to = rng.int(0, n - 1);
    const key = `${from}>${to}`;
    if (from === to || pairs.has(key)) continue;
    pairs.add(key);
    influenceLinks.push({ from: `c${from + 1}`, to: `c${to + 1}`, weight: rng.int(1, 3) });
  }
  return { contacts, influenceLinks };
}

/**
 * `n` accounts with ~5.5 contacts and ~2 competitors each. Account i depends only on (seed, i)
 * and the names before it, so `generateAccounts(k, s)` is a prefix of `generateAccounts(n, s)`.
 */
export function generateAccounts(n: number, seed = 1): Account[] {
  const taken = new Set<string>();
  const owners = ownersFrom(demoTeams());
  const out: Account[] = new Array<Account>(n);
  for (let i = 0; i < n; i++) out[i] = generateAccount(i, seed, taken, owners);
  return out;
}

// ---- activity ------------------------------------------------------------------------------------

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const VISITS_PER_YEAR = { active: [4, 12], declining: [2, 6], prospect: [1, 4], lost: [0, 2] } as const;

function generateActivity(
  account: Account,
  index: number,
  seed: number,
  today: string,
): { visits: DemoVisit[]; opportunities: DemoOpportunity[] } {
  const rng = new Rng(hashSeed(seed, index, 0x0ac7));
  const status = account.status ?? 'prospect';
  const owner = account.ownerId ?? DEMO_ADMIN_EMAIL;
  const [lo, hi] = VISITS_PER_YEAR[status];
  const visits: DemoVisit[] = [];
  const count = rng.int(lo, hi);
  for (let k = 0; k < count; k++) {
    const contact = account.contacts.length ? rng.pick(account.contacts) : undefined;
    visits.push({
      accountId: account.id,
      contactId: contact?.id ?? null,
      date: addDays(today, -rng.int(0, 364)),
      note: rng.pick(VISIT_NOTES),
      by: owner,
    });
  }
  visits.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));

  const opportunities: DemoOpportunity[] = [];
  const opps = status === 'lost' ? rng.int(0, 1) : rng.weighted([0, 1, 2, 3], [35, 35, 20, 10]);
  for (let k = 0; k < opps; k++) {
    const s = rng.weighted(['open', 'won', 'lost'] as const, [50, 30, 20]);
    opportunities.push({
      id: `${account.id}-opp-${k + 1}`,
      accountId: account.id,
      title: rng.pick(PRODUCTS),
      estimatedValue: roundTo((account.potential ?? 1_000_000) * rng.logUniform(0.01, 0.15), 1000),
      status: s,
      stage: s === 'open' ? rng.pick(['Prospecting', 'Engaging']) : s === 'won' ? 'Won' : 'Lost',
      closeDate: s === 'open' ? addDays(today, rng.int(15, 180)) : addDays(today, -rng.int(0, 364)),
      source: DEMO_SOURCE,
      owner,
    });
  }
  return { visits, opportunities };
}

/** The whole demo: users, teams, accounts, a year of visits and some opportunities. */
export function generateDemo(options: DemoOptions = {}): DemoData {
  const n = options.accounts ?? 500;
  const seed = options.seed ?? 1;
  const today = options.today ?? DEMO_DEFAULT_TODAY;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`accounts must be a whole number ≥ 0 (got ${n})`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be a whole number (got ${seed})`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new RangeError(`today must be YYYY-MM-DD (got ${today})`);
  const accounts = generateAccounts(n, seed);
  const visits: DemoVisit[] = [];
  const opportunities: DemoOpportunity[] = [];
  accounts.forEach((a, i) => {
    const activity = generateActivity(a, i, seed, today);
    visits.push(...activity.visits);
    opportunities.push(...activity.opportunities);
  });
  return { seed, today, users: demoUsers(), teams: demoTeams(), accounts, visits, opportunities };
}
