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

/** One pass over the contacts computes our closeness, every competitor's, and the flag counts. */
export function relationship(account: Account, rules: RuleSet): RelationshipMetrics {
  const { interactionLevels, competitorFactor } = rules.relationship;
  const contacts = account.contacts;
  const rivals = account.competitors;
  const rivalWeighted: number[] = [];
  for (let k = 0; k < rivals.length; k++) rivalWeighted.push(0);
  let usWeighted = 0;
  let influence = 0;
  let championCount = 0;
  let supporterCount = 0;
  let opponentCount = 0;
  let keyContactCount = 0;
  let decisionMakersWithCompetitor = 0;
  let coldKeyContacts = 0;
  for (const c of contacts) {
    const level = interactionLevel(c.interactions90d, interactionLevels);
    influence += c.influence;
    usWeighted += term(c.influence, c.stance, level.factor);
    let leansToCompetitor = false;
    for (let k = 0; k < rivals.length; k++) {
      const s = c.competitorStances[rivals[k]!.id] ?? 0;
      rivalWeighted[k]! += term(c.influence, s, competitorFactor);
      if (s >= 1 && s > c.stance) leansToCompetitor = true;
    }
    if (c.stance === 2) championCount++;
    if (c.stance >= 1) supporterCount++;
    if (c.stance <= -1) opponentCount++;
    if (c.influence >= 4) {
      keyContactCount++;
      if (level.level === 'none') coldKeyContacts++;
    }
    if (c.influence === 5 && leansToCompetitor) decisionMakersWithCompetitor++;
  }
  const us = closenessOf(usWeighted, influence);
  const competitors = rivals.map((k, i) => ({ id: k.id, name: k.name, share: k.share, closeness: closenessOf(rivalWeighted[i]!, influence) }));
  const maxCompetitorCloseness = competitors.reduce((m, k) => Math.max(m, k.closeness), 0);
  const advantage = round2(competitors.length === 0 ? us : us - maxCompetitorCloseness);
  return {
    closeness: us,
    competitors,
    maxCompetitorCloseness,
    advantage,
    closenessDrop: account.previousCloseness == null ? 0 : round2(account.previousCloseness - us),
    contactCount: contacts.length,
    championCount,
    supporterCount,
    opponentCount,
    keyContactCount,
    decisionMakersWithCompetitor,
    coldKeyContacts,
    competitorCount: competitors.length,
  };
}
