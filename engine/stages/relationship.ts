/**
 * Stage 4, relationship analysis (两种关系 + 个体画像): closeness for us and for each competitor,
 * our advantage, and the counts the risk-flag rules read. The flags themselves come from the
 * rule set's flag rules (see the pipeline), so admins can change them.
 */
import type { Account } from '../model.js';
import { round2 } from '../round.js';
import type { InteractionLevel, RuleSet } from '../ruleset-format/schema.js';

export interface CompetitorCloseness {
  id: string;
  name: string;
  share: number;
  closeness: number;
}

export interface RelationshipMetrics {
  closeness: number;
  competitors: CompetitorCloseness[];
  maxCompetitorCloseness: number;
  advantage: number;
  /** How far closeness fell since the last evaluation; 0 when there was none. */
  closenessDrop: number;
  contactCount: number;
  championCount: number;
  supporterCount: number;
  opponentCount: number;
  keyContactCount: number;
  decisionMakersWithCompetitor: number;
  coldKeyContacts: number;
  competitorCount: number;
}

type Levels = RuleSet['relationship']['interactionLevels'];

/** Levels are strictly descending by `min` and end at 0 (validated), so every count has one. */
export function interactionLevel(interactions: number, levels: Levels): { level: InteractionLevel; factor: number } {
  for (const l of levels) if (interactions >= l.min) return l;
  return levels[levels.length - 1]!;
}

/** One contact's term of Σ influence·((stance+2)/4)·factor. */
function term(influence: number, stance: number, factor: number): number {
  return influence * ((stance + 2) / 4) * factor;
}

/** 100 × Σ term / Σ influence, rounded; 0 with no contacts. */
function closenessOf(weighted: number, influence: number): number {
  return influence === 0 ? 0 : round2((100 * weighted) / influence);
}

/** What `relationship` decides but the competitor list: one record of numbers. */
export type RelationshipCounts = Omit<RelationshipMetrics, 'competitors'>;

export function relationship(account: Account, rules: RuleSet): RelationshipMetrics {
  const rivalCloseness: number[] = [];
  const counts = {} as RelationshipCounts;
  measureRelationship(account, rules, counts, rivalCloseness);
  return relationshipOf(account, counts, rivalCloseness);
}

/** The metrics object of `measureRelationship`'s results, with the competitor list. */
export function relationshipOf(account: Account, c: RelationshipCounts, rivalCloseness: readonly number[]): RelationshipMetrics {
  const competitors: CompetitorCloseness[] = [];
  for (let k = 0; k < account.competitors.length; k++) {
    const r = account.competitors[k]!;
    competitors.push({ id: r.id, name: r.name, share: r.share, closeness: rivalCloseness[k]! });
  }
  return {
    closeness: c.closeness,
    competitors,
    maxCompetitorCloseness: c.maxCompetitorCloseness,
    advantage: c.advantage,
    closenessDrop: c.closenessDrop,
    contactCount: c.contactCount,
    championCount: c.championCount,
    supporterCount: c.supporterCount,
    opponentCount: c.opponentCount,
    keyContactCount: c.keyContactCount,
    decisionMakersWithCompetitor: c.decisionMakersWithCompetitor,
    coldKeyContacts: c.coldKeyContacts,
    competitorCount: c.competitorCount,
  };
}

/**
 * One pass over the contacts computes our closeness, every competitor's (into the first entries of
 * `rivalCloseness`, in `account.competitors` order) and the flag counts (into `out`), allocating nothing once the
 * caller's `rivalCloseness` has grown: the decision-only path reuses both.
 */
export function measureRelationship(account: Account, rules: RuleSet, out: RelationshipCounts, rivalCloseness: number[]): void {
  const { interactionLevels, competitorFactor } = rules.relationship;
  const contacts = account.contacts;
  const rivals = account.competitors;
  const nRivals = rivals.length;
  // Weighted sums first, turned into closenesses once the influence total is known. The array
  // only grows (shrinking it would drop its storage): entries past `nRivals` are stale.
  const rivalWeighted = rivalCloseness;
  while (rivalWeighted.length < nRivals) rivalWeighted.push(0);
  for (let k = 0; k < nRivals; k++) rivalWeighted[k] = 0;
  let usWeighted = 0;
  let influence = 0;
  let championCount = 0;
  let supporterCount = 0;
  let opponentCount = 0;
  let keyContactCount = 0;
  let decisionMakersWithCompetitor = 0;
  let coldKeyContacts = 0;
  for (let j = 0; j < contacts.length; j++) {
    const c = contacts[j]!;
    const level = interactionLevel(c.interactions90d, interactionLevels);
    const stance = c.stance;
    const inf = c.influence;
    influence += inf;
    usWeighted += term(inf, stance, level.factor);
    let leansToCompetitor = false;
    if (nRivals > 0) {
      const stances = c.competitorStances;
      for (let k = 0; k < nRivals; k++) {
        const s = stances[rivals[k]!.id] ?? 0;
        rivalWeighted[k]! += term(inf, s, competitorFactor);
        if (s >= 1 && s > stance) leansToCompetitor = true;
      }
    }
    if (stance === 2) championCount++;
    if (stance >= 1) supporterCount++;
    if (stance <= -1) opponentCount++;
    if (inf >= 4) {
      keyContactCount++;
      if (level.level === 'none') coldKeyContacts++;
    }
    if (inf === 5 && leansToCompetitor) decisionMakersWithCompetitor++;
  }
  const us = closenessOf(usWeighted, influence);
  let maxCompetitorCloseness = 0;
  for (let k = 0; k < nRivals; k++) {
    const closeness = closenessOf(rivalWeighted[k]!, influence);
    rivalCloseness[k] = closeness;
    maxCompetitorCloseness = Math.max(maxCompetitorCloseness, closeness);
  }
  out.closeness = us;
  out.maxCompetitorCloseness = maxCompetitorCloseness;
  out.advantage = round2(nRivals === 0 ? us : us - maxCompetitorCloseness);
  out.closenessDrop = account.previousCloseness == null ? 0 : round2(account.previousCloseness - us);
  out.contactCount = contacts.length;
  out.championCount = championCount;
  out.supporterCount = supporterCount;
  out.opponentCount = opponentCount;
  out.keyContactCount = keyContactCount;
  out.decisionMakersWithCompetitor = decisionMakersWithCompetitor;
  out.coldKeyContacts = coldKeyContacts;
  out.competitorCount = nRivals;
}
