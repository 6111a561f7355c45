/**
 * The two relationships of ESP+: the reporting relationship (汇报关系, the org chart from
 * `reportsTo`) and the political map (政治版图, who influences whom). Helpers the studio's
 * relationship map and the plan use; all tolerate cycles and dangling references.
 */
import type { Account, Contact } from '../model.js';

export interface OrgNode {
  contact: Contact;
  reports: OrgNode[];
}

/** Contact ids from the contact up its reporting line (the contact first); stops at a cycle. */
export function reportingChain(contacts: readonly Contact[], contactId: string): string[] {
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const chain: string[] = [];
  const seen = new Set<string>();
  let current = byId.get(contactId);
  while (current && !seen.has(current.id)) {
    chain.push(current.id);
    seen.add(current.id);
    current = current.reportsTo ? byId.get(current.reportsTo) : undefined;
  }
  return chain;
}

/** The org chart as a forest: roots are contacts without a (known, acyclic) manager. */
export function orgChart(contacts: readonly Contact[]): OrgNode[] {
  const nodes = new Map(contacts.map((c) => [c.id, { contact: c, reports: [] as OrgNode[] }]));
  const roots: OrgNode[] = [];
  for (const c of contacts) {
    const node = nodes.get(c.id)!;
    const manager = c.reportsTo ? nodes.get(c.reportsTo) : undefined;
    // A contact on a reporting cycle becomes a root so the chart stays a forest.
    const onCycle = manager !== undefined && reportingChain(contacts, c.reportsTo!).includes(c.id);
    if (manager && !onCycle) manager.reports.push(node);
    else roots.push(node);
  }
  return roots;
}

export interface Influencer {
  contactId: string;
  /** Strongest path weight (the weakest link along the path) to the target. */
  strength: number;
  /** 1 = influences the target directly. */
  distance: number;
  via: string[];
}

/**
 * Who influences a contact, directly or through others, with the strongest path: the basis of
 * "win the people the decision maker listens to".
 */
export function influencersOf(account: Account, targetId: string, maxDistance = 3): Influencer[] {
  const into = new Map<string, { from: string; weight: number }[]>();
  for (const l of account.influenceLinks) {
    const list = into.get(l.to) ?? [];
    list.push({ from: l.from, weight: l.weight });
    into.set(l.to, list);
  }
  const best = new Map<string, Influencer>();
  let frontier: Influencer[] = [{ contactId: targetId, strength: Infinity, distance: 0, via: [] }];
  for (let d = 1; d <= maxDistance && frontier.length > 0; d++) {
    const next: Influencer[] = [];
    for (const node of frontier) {
      for (const edge of into.get(node.contactId) ?? []) {
        if (edge.from === targetId || node.via.includes(edge.from)) continue;
        const candidate: Influencer = {
          contactId: edge.from,
          strength: Math.min(node.strength, edge.weight),
          distance: d,
          via: node.distance === 0 ? [] : [node.contactId, ...node.via],
        };
        const known = best.get(edge.from);
        if (!known || candidate.strength > known.strength) {
          best.set(edge.from, candidate);
          next.push(candidate);
        }
      }
    }
    frontier = next;
  }
  return [...best.values()].sort((a, b) => b.strength - a.strength || a.distance - b.distance || (a.contactId < b.contactId ? -1 : 1));
}

/** The decision makers (influence 5 or role decision-maker) and who influences each of them. */
export function decisionMakerInfluence(account: Account): { decisionMakerId: string; influencers: Influencer[] }[] {
  return account.contacts
    .filter((c) => c.influence === 5 || c.decisionRole === 'decision-maker')
    .map((c) => ({ decisionMakerId: c.id, influencers: influencersOf(account, c.id) }));
}
