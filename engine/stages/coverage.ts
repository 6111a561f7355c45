/**
 * Stage 5, coverage (覆盖模式): the line, presales tier and track come from the coverage rules;
 * here the team follows from the line, and the owner from the team.
 */
import type { Account, Line, PresalesTier, Track } from '../model.js';
import type { RuleSet } from '../ruleset-format/schema.js';

export interface CoverageDecision {
  line: Line;
  presalesTier: PresalesTier;
  track: Track;
}

export interface Team {
  id: string;
  /** Member user ids. */
  members: readonly string[];
}

/** What the engine needs to know of teams to assign an owner; the caller loads it. */
export interface TeamDirectory {
  team(id: string): Team | undefined;
  /** How many accounts a member owns now. */
  accountCount(memberId: string): number;
}

export interface CoverageResult extends CoverageDecision {
  team: string;
  owner: string | null;
  /** Why this owner: kept, assigned as least loaded, or none because the team has no members. */
  ownerReason: 'current-owner-in-team' | 'least-loaded-member' | 'team-has-no-members' | 'no-team-directory';
}

/**
 * Team names by pattern, then industry, then region: a portfolio has few of each, so a bulk
 * evaluation builds each name once instead of once per account.
 */
const teamNames = new Map<string, Map<string, Map<string, string>>>();
/** Industries and regions are free text: the cache starts over past this many names. */
const MAX_TEAM_NAMES = 4096;
let teamNameCount = 0;

export function teamFor(account: Account, line: Line, teams: RuleSet['coverage']['teams']): string {
  const pattern = teams[line];
  // Most patterns have one placeholder or none; skip the string scans they do not need.
  if (!pattern.includes('{')) return pattern;
  const industry = account.industry ?? '';
  const region = account.region ?? '';
  if (teamNameCount >= MAX_TEAM_NAMES) {
    teamNames.clear();
    teamNameCount = 0;
  }
  let byIndustry = teamNames.get(pattern);
  if (!byIndustry) teamNames.set(pattern, (byIndustry = new Map()));
  let byRegion = byIndustry.get(industry);
  if (!byRegion) byIndustry.set(industry, (byRegion = new Map()));
  let team = byRegion.get(region);
  if (team === undefined) {
    team = pattern.replaceAll('{industry}', industry).replaceAll('{region}', region);
    byRegion.set(region, team);
    teamNameCount++;
  }
  return team;
}

/** The current owner if a member of the team, else the member with the fewest accounts (ties by id). */
export function assignOwner(
  currentOwner: string | null | undefined,
  team: Team | undefined,
  directory: TeamDirectory,
): Pick<CoverageResult, 'owner' | 'ownerReason'> {
  if (!team || team.members.length === 0) return { owner: currentOwner ?? null, ownerReason: 'team-has-no-members' };
  if (currentOwner && team.members.includes(currentOwner)) return { owner: currentOwner, ownerReason: 'current-owner-in-team' };
  let best: string | undefined;
  let bestCount = Infinity;
  for (const m of team.members) {
    const n = directory.accountCount(m);
    if (n < bestCount || (n === bestCount && best !== undefined && m < best)) {
      best = m;
      bestCount = n;
    }
  }
  return { owner: best ?? null, ownerReason: 'least-loaded-member' };
}

export function coverage(
  account: Account,
  decision: CoverageDecision,
  rules: RuleSet,
  directory?: TeamDirectory,
): CoverageResult {
  const team = teamFor(account, decision.line, rules.coverage.teams);
  const { owner, ownerReason } = directory
    ? assignOwner(account.ownerId, directory.team(team), directory)
    : { owner: account.ownerId ?? null, ownerReason: 'no-team-directory' as const };
  return { line: decision.line, presalesTier: decision.presalesTier, track: decision.track, team, owner, ownerReason };
}
