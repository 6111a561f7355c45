/**
 * Reporting lines that loop back (c1 reports to c3, c3 to c2, c2 to c1): an org chart is a tree,
 * and a loop has no top for the relationship map or the coverage of the decision-makers. The one
 * check every input path uses (account and contact imports, `esp evaluate`, the contact editor),
 * as the reference issue `reportingLoop`.
 */
import { positionOf } from './id-positions.js';
import type { Contact } from './model.js';

export interface ReportingLoop {
  /** Index of the loop's first contact in list order. */
  index: number;
  /** The loop from that contact back to it: `['c1', 'c3', 'c2', 'c1']`. */
  chain: string[];
}

/** How a loop is named in messages: `c1 → c3 → c2 → c1`. */
export function formatReportingLoop(chain: readonly string[]): string {
  return chain.join(' → ');
}

/**
 * Every loop once, started at its member that comes first in the list. A contact reporting to
 * itself is left to its own check (`contact.reportsToSelf`); references to unknown contacts end a
 * line rather than loop.
 */
export function reportingLoops(contacts: readonly Pick<Contact, 'id' | 'reportsTo'>[]): ReportingLoop[] {
  const index = new Map(contacts.map((c, i) => [c.id, i]));
  const done = new Set<string>();
  const loops: ReportingLoop[] = [];
  for (const start of contacts) {
    if (done.has(start.id)) continue;
    const line: string[] = [];
    const onLine = new Set<string>();
    let at: Pick<Contact, 'id' | 'reportsTo'> | undefined = start;
    while (at && !onLine.has(at.id) && !done.has(at.id)) {
      line.push(at.id);
      onLine.add(at.id);
      const up: number | undefined = at.reportsTo == null ? undefined : index.get(at.reportsTo);
      at = up === undefined ? undefined : contacts[up];
    }
    for (const id of line) done.add(id);
    if (!at || !onLine.has(at.id)) continue;
    const members = line.slice(line.indexOf(at.id));
    if (members.length < 2) continue;
    // Name the loop from its member that comes first in the list, so each loop reads the same
    // whichever contact the walk entered it by.
    const first = members.reduce((a, b) => (index.get(a)! <= index.get(b)! ? a : b));
    const from = members.indexOf(first);
    const chain = [...members.slice(from), ...members.slice(0, from), first];
    loops.push({ index: index.get(first)!, chain });
  }
  return loops.sort((a, b) => a.index - b.index);
}

/** Walk marks, one per contact, reused from check to check (grown, never shrunk). */
let marks = new Int32Array(64);

/**
 * False only when `reportingLoops(contacts)` finds no loop, answered without allocating: the usual
 * account has none, and the full walk builds maps, sets and lines. True when a loop exists, and
 * whenever contact ids repeat: the full walk names contacts by id, so with a repeated id it may find
 * a loop the positions below do not show (test/engine-reference-checks.test.ts).
 * `positions` is `idPositions(contacts)`.
 */
export function mayHaveReportingLoop(contacts: readonly Pick<Contact, 'id' | 'reportsTo'>[], positions: Map<string, number> | undefined): boolean {
  const n = contacts.length;
  for (let i = 1; i < n; i++) if (positionOf(contacts, positions, contacts[i]!.id, i) >= 0) return true;
  if (marks.length < n) marks = new Int32Array(Math.max(n, 2 * marks.length));
  marks.fill(0, 0, n);
  // Each walk up the reporting lines marks its contacts with its own number; it ends at the top,
  // at an unknown manager or at a contact an earlier walk marked. Meeting its own mark again is a
  // loop, unless the contact reports to itself (left to `contact.reportsToSelf`).
  for (let start = 0; start < n; start++) {
    if (marks[start] !== 0) continue;
    const walk = start + 1;
    let at = start;
    for (;;) {
      marks[at] = walk;
      const manager = contacts[at]!.reportsTo;
      if (manager == null) break;
      const up = positionOf(contacts, positions, manager);
      if (up < 0) break;
      if (marks[up] === walk) {
        if (up !== at) return true;
        break;
      }
      if (marks[up] !== 0) break;
      at = up;
    }
  }
  return false;
}
