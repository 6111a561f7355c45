/**
 * The relationship map's geometry: where each contact's card sits, computed on the server from the
 * account's org chart so the page renders it without script.
 */
import { decisionMakerInfluence, orgChart, relationship, type Account, type EspRules, type OrgNode } from '$engine/index.js';
import { interactionLevel } from '$engine/stages/relationship.js';

export interface MapNode {
  id: string;
  name: string;
  title: string | null;
  influence: number;
  decisionRole: string | null;
  behavior: string | null;
  stance: number;
  interactions90d: number;
  level: string;
  competitorStances: { id: string; name: string; stance: number | null }[];
  reportsTo: string | null;
  decisionMaker: boolean;
  x: number;
  y: number;
}

export interface RelationshipMapView {
  nodes: MapNode[];
  /** Reporting lines as SVG path data, manager to report. */
  reporting: { from: string; to: string; d: string }[];
  influence: { from: string; to: string; weight: number }[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  competitors: { id: string; name: string; share: number; closeness: number }[];
  closeness: number;
  advantage: number;
  decisionMakers: { id: string; influencers: { id: string; strength: number; distance: number }[] }[];
}

// In SVG units: a contact card fits its name, title and stance lines; the gaps leave room for the
// reporting lines' elbows; a row wraps at about the page's width.
const NODE_W = 232;
const NODE_H = 112;
const H_GAP = 28;
const V_GAP = 56;
const STACK_INDENT = 28;
const STACK_GAP = 14;
const ROW_GAP = 56;
const MAX_ROW_WIDTH = 1180;

/** Reports that are all leaves are stacked in a column from this many on, so a flat team stays narrow. */
const STACK_FROM = 3;

interface Measured {
  node: OrgNode;
  w: number;
  h: number;
  stacked: boolean;
  children: Measured[];
}

function measure(node: OrgNode): Measured {
  const children = node.reports.map(measure);
  if (children.length === 0) return { node, w: NODE_W, h: NODE_H, stacked: false, children };
  const stacked = children.length >= STACK_FROM && children.every((c) => c.children.length === 0);
  if (stacked) {
    return {
      node,
      w: NODE_W + STACK_INDENT,
      h: NODE_H + V_GAP / 2 + children.length * (NODE_H + STACK_GAP) - STACK_GAP,
      stacked,
      children,
    };
  }
  const w = Math.max(NODE_W, children.reduce((s, c) => s + c.w, 0) + H_GAP * (children.length - 1));
  const h = NODE_H + V_GAP + Math.max(...children.map((c) => c.h));
  return { node, w, h, stacked, children };
}

function place(
  m: Measured,
  x0: number,
  y0: number,
  out: Map<string, { x: number; y: number }>,
  lines: RelationshipMapView['reporting'],
): void {
  if (m.stacked) {
    out.set(m.node.contact.id, { x: x0, y: y0 });
    const spine = x0 + STACK_INDENT / 2;
    m.children.forEach((c, i) => {
      const y = y0 + NODE_H + V_GAP / 2 + i * (NODE_H + STACK_GAP);
      place(c, x0 + STACK_INDENT, y, out, lines);
      lines.push({
        from: m.node.contact.id,
        to: c.node.contact.id,
        d: `M${spine},${y0 + NODE_H} V${y + NODE_H / 2} H${x0 + STACK_INDENT}`,
      });
    });
    return;
  }
  const childrenWidth = m.children.reduce((s, c) => s + c.w, 0) + H_GAP * Math.max(0, m.children.length - 1);
  const x = x0 + (m.w - NODE_W) / 2;
  out.set(m.node.contact.id, { x, y: y0 });
  let cx = x0 + (m.w - childrenWidth) / 2;
  const childY = y0 + NODE_H + V_GAP;
  for (const c of m.children) {
    place(c, cx, childY, out, lines);
    const target = out.get(c.node.contact.id)!;
    const mid = y0 + NODE_H + V_GAP / 2;
    lines.push({
      from: m.node.contact.id,
      to: c.node.contact.id,
      d: `M${x + NODE_W / 2},${y0 + NODE_H} V${mid} H${target.x + NODE_W / 2} V${childY}`,
    });
    cx += c.w + H_GAP;
  }
}

/**
 * The org chart laid out as a tidy tree (subtrees never overlap: each gets its own band), trees of
 * the forest flowing into rows so the map stays about as wide as the page.
 */
export function relationshipMap(account: Account, rules: EspRules): RelationshipMapView {
  const metrics = relationship(account, rules.ruleSet);
  const positions = new Map<string, { x: number; y: number }>();
  const reporting: RelationshipMapView['reporting'] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const tree of orgChart(account.contacts).map(measure)) {
    if (x > 0 && x + tree.w > MAX_ROW_WIDTH) {
      x = 0;
      y += rowHeight + ROW_GAP;
      rowHeight = 0;
    }
    place(tree, x, y, positions, reporting);
    x += tree.w + H_GAP * 2;
    width = Math.max(width, x - H_GAP * 2);
    rowHeight = Math.max(rowHeight, tree.h);
  }
  const decisionMakers = decisionMakerInfluence(account);
  const dmIds = new Set(decisionMakers.map((d) => d.decisionMakerId));
  const levels = rules.ruleSet.relationship.interactionLevels;
  const nodes: MapNode[] = account.contacts.map((c) => {
    const p = positions.get(c.id) ?? { x: 0, y: 0 };
    return {
      id: c.id,
      name: c.name,
      title: c.title ?? null,
      influence: c.influence,
      decisionRole: c.decisionRole ?? null,
      behavior: c.behavior ?? null,
      stance: c.stance,
      interactions90d: c.interactions90d,
      level: interactionLevel(c.interactions90d, levels).level,
      competitorStances: account.competitors.map((k) => ({ id: k.id, name: k.name, stance: c.competitorStances[k.id] ?? null })),
      reportsTo: c.reportsTo ?? null,
      decisionMaker: dmIds.has(c.id),
      x: p.x,
      y: p.y,
    };
  });
  const known = new Set(account.contacts.map((c) => c.id));
  return {
    nodes,
    reporting,
    influence: account.influenceLinks.filter((l) => known.has(l.from) && known.has(l.to) && l.from !== l.to),
    width: Math.max(width, NODE_W),
    height: account.contacts.length ? y + rowHeight : 0,
    nodeWidth: NODE_W,
    nodeHeight: NODE_H,
    competitors: metrics.competitors,
    closeness: metrics.closeness,
    advantage: metrics.advantage,
    decisionMakers: decisionMakers.map((d) => ({
      id: d.decisionMakerId,
      influencers: d.influencers.map((i) => ({ id: i.contactId, strength: i.strength, distance: i.distance })),
    })),
  };
}
