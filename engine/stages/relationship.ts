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
  const nRivals = rivals.length;
  const rivalIds: string[] = [];
  const rivalWeighted: number[] = [];
  for (let k = 0; k < nRivals; k++) {
    rivalIds.push(rivals[k]!.id);
    rivalWeighted.push(0);
  }
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
        const s = stances[rivalIds[k]!] ?? 0;
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
  const competitors: CompetitorCloseness[] = [];
  let maxCompetitorCloseness = 0;
  for (let k = 0; k < nRivals; k++) {
    const r = rivals[k]!;
    const closeness = closenessOf(rivalWeighted[k]!, influence);
    competitors.push({ id: r.id, name: r.name, share: r.share, closeness });
    maxCompetitorCloseness = Math.max(maxCompetitorCloseness, closeness);
  }
  const advantage = round2(nRivals === 0 ? us : us - maxCompetitorCloseness);
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
    competitorCount: nRivals,
  };
}
