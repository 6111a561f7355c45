/**
 * Reporting lines that loop back (c1 reports to c3, c3 to c2, c2 to c1): an org chart is a tree,
 * and a loop has no top for the relationship map or the coverage of the decision-makers. The one
 * check every input path uses (account and contact imports, `esp evaluate`, the contact editor),
 * as the reference issue `reportingLoop`.
 */
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
