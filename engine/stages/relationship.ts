/**
 * Stage 4, relationship analysis (两种关系 + 个体画像): closeness for us and for each competitor,
 * our advantage, and the counts the risk-flag rules read. The flags themselves come from the
 * rule set's flag rules (see the pipeline), so admins can change them.
 */
import type { Account, Contact } from '../model.js';
import { round2 } from '../round.js';
import type { InteractionLevel, RuleSet } from '../ruleset/schema.js';

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

/** 100 × Σ influence·((stance+2)/4)·factor / Σ influence, rounded; 0 with no contacts. */
export function closeness(
  contacts: readonly Contact[],
  stanceOf: (c: Contact) => number,
  factorOf: (c: Contact) => number,
): number {
  let weighted = 0;
  let influence = 0;
  for (const c of contacts) {
    weighted += c.influence * ((stanceOf(c) + 2) / 4) * factorOf(c);
    influence += c.influence;
  }
  return influence === 0 ? 0 : round2((100 * weighted) / influence);
}

export function relationship(account: Account, rules: RuleSet): RelationshipMetrics {
  const { interactionLevels, competitorFactor } = rules.relationship;
  const contacts = account.contacts;
  const us = closeness(
    contacts,
    (c) => c.stance,
    (c) => interactionLevel(c.interactions90d, interactionLevels).factor,
  );
  const competitors = account.competitors.map((k) => ({
    id: k.id,
    name: k.name,
    share: k.share,
    closeness: closeness(
      contacts,
      (c) => c.competitorStances[k.id] ?? 0,
      () => competitorFactor,
    ),
  }));
  const maxCompetitorCloseness = competitors.reduce((m, k) => Math.max(m, k.closeness), 0);
  const advantage = round2(competitors.length === 0 ? us : us - maxCompetitorCloseness);

  let championCount = 0;
  let supporterCount = 0;
  let opponentCount = 0;
  let keyContactCount = 0;
  let decisionMakersWithCompetitor = 0;
  let coldKeyContacts = 0;
  for (const c of contacts) {
    if (c.stance === 2) championCount++;
    if (c.stance >= 1) supporterCount++;
    if (c.stance <= -1) opponentCount++;
    if (c.influence >= 4) {
      keyContactCount++;
      if (interactionLevel(c.interactions90d, interactionLevels).level === 'none') coldKeyContacts++;
    }
    if (c.influence === 5) {
      for (const id in c.competitorStances) {
        const s = c.competitorStances[id]!;
        if (s >= 1 && s > c.stance) {
          decisionMakersWithCompetitor++;
          break;
        }
      }
    }
  }
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
