/**
 * The reference checks of an account (`accountReferenceIssues`: duplicate ids, unknown contacts and
 * competitors, reporting lines that loop), which scan short lists and walk reporting lines without
 * allocating, against the checks written plainly with sets and the full loop walk: the same issues
 * in the same order for thousands of random accounts, short (scanned) and long (mapped), with
 * repeated ids, unknown references, self-reports and loops. A repeated contact id must not hide a
 * loop the full walk finds.
 */
import { describe, expect, it } from 'vitest';
import { accountReferenceIssues, accountSchema, type Account, type AccountReferenceIssue } from '../engine/model.js';
import { formatReportingLoop, mayHaveReportingLoop, reportingLoops } from '../engine/reporting-loops.js';
import { idPositions } from '../engine/id-positions.js';

/** The checks as a plain reading of their definition: sets of ids, every loop by the full walk. */
function plainIssues(account: Account): AccountReferenceIssue[] {
  const issues: AccountReferenceIssue[] = [];
  const add = (path: (string | number)[], code: AccountReferenceIssue['code'], message: string, params: Record<string, string> = {}) =>
    issues.push({ path, code, params, message });
  const contactIds = new Set<string>();
  account.contacts.forEach((c, i) => {
    if (contactIds.has(c.id)) add(['contacts', i, 'id'], 'contact.duplicateId', `duplicate contact id "${c.id}"`, { id: c.id });
    contactIds.add(c.id);
  });
  const competitorIds = new Set<string>();
  account.competitors.forEach((c, i) => {
    if (competitorIds.has(c.id)) add(['competitors', i, 'id'], 'competitor.duplicateId', `duplicate competitor id "${c.id}"`, { id: c.id });
    competitorIds.add(c.id);
  });
  account.contacts.forEach((c, i) => {
    if (c.reportsTo != null && !contactIds.has(c.reportsTo)) add(['contacts', i, 'reportsTo'], 'contact.unknown', `unknown contact "${c.reportsTo}"`, { id: c.reportsTo });
    if (c.reportsTo === c.id) add(['contacts', i, 'reportsTo'], 'contact.reportsToSelf', 'a contact cannot report to itself');
    for (const k of Object.keys(c.competitorStances))
      if (!competitorIds.has(k)) add(['contacts', i, 'competitorStances', k], 'competitor.unknown', `unknown competitor "${k}"`, { id: k });
  });
  for (const loop of reportingLoops(account.contacts)) {
    const chain = formatReportingLoop(loop.chain);
    add(['contacts', loop.index, 'reportsTo'], 'reportingLoop', `the reporting line loops: ${chain}`, { chain });
  }
  account.influenceLinks.forEach((l, i) => {
    if (!contactIds.has(l.from)) add(['influenceLinks', i, 'from'], 'contact.unknown', `unknown contact "${l.from}"`, { id: l.from });
    if (!contactIds.has(l.to)) add(['influenceLinks', i, 'to'], 'contact.unknown', `unknown contact "${l.to}"`, { id: l.to });
  });
  return issues;
}

/** A small seeded generator (mulberry32), so a failure replays. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}

/** A random account: ids drawn from a pool a bit larger than the list (some repeat), references
 * mostly to contacts of the account (so lines and loops form), some unknown, some to themselves. */
function randomAccount(r: ReturnType<typeof random>, long: boolean): Account {
  const n = long ? 17 + r.int(30) : r.int(9);
  const pool = Math.max(1, Math.round(n * (r.chance(0.5) ? 1 : 1.3)));
  const ids = Array.from({ length: n }, (_, i) => (r.chance(0.85) ? `c${i}` : `c${r.int(pool)}`));
  const k = long ? 17 + r.int(10) : r.int(4);
  const competitorIds = Array.from({ length: k }, (_, i) => (r.chance(0.9) ? `k${i}` : `k${r.int(k)}`));
  const pick = (list: string[], unknown: string) => (list.length > 0 && r.chance(0.9) ? list[r.int(list.length)]! : unknown);
  return accountSchema.parse({
    id: 'a',
    name: 'A',
    contacts: ids.map((id) => ({
      id,
      name: id,
      influence: 3,
      stance: 0,
      reportsTo: r.chance(0.25) ? null : pick(ids, 'nobody'),
      competitorStances: Object.fromEntries(Array.from({ length: r.int(3) }, () => [pick(competitorIds, 'ghost'), 1])),
    })),
    competitors: competitorIds.map((id) => ({ id, name: id })),
    influenceLinks: Array.from({ length: r.int(4) }, () => ({ from: pick(ids, 'x1'), to: pick(ids, 'x2') })),
  });
}

const contact = (id: string, reportsTo: string | null) => ({ id, name: id, influence: 3, stance: 0, reportsTo });

describe('account reference checks', () => {
  it('give the plain checks\' issues, in order, for random short and long accounts', () => {
    const r = random(42);
    const seen = { loops: 0, duplicates: 0, unknown: 0, self: 0, clean: 0, long: 0 };
    for (let i = 0; i < 6_000; i++) {
      const long = i % 10 === 0;
      const account = randomAccount(r, long);
      const issues = accountReferenceIssues(account);
      expect(issues).toEqual(plainIssues(account));
      const codes = new Set(issues.map((x) => x.code));
      if (codes.has('reportingLoop')) seen.loops++;
      if (codes.has('contact.duplicateId')) seen.duplicates++;
      if (codes.has('contact.unknown') || codes.has('competitor.unknown')) seen.unknown++;
      if (codes.has('contact.reportsToSelf')) seen.self++;
      if (issues.length === 0) seen.clean++;
      if (long && codes.has('reportingLoop')) seen.long++;
    }
    // The sample reaches every kind of issue, clean accounts, and loops in long (mapped) lists.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(20);
  });

  it('say "no loop" only when the full walk finds none', () => {
    const r = random(7);
    for (let i = 0; i < 6_000; i++) {
      const { contacts } = randomAccount(r, i % 10 === 0);
      if (!mayHaveReportingLoop(contacts, idPositions(contacts))) expect(reportingLoops(contacts)).toEqual([]);
    }
  });

  it('a repeated contact id does not hide a loop the full walk finds', () => {
    // By first positions, b → a (the first "a", at the top): no loop. The full walk names contacts
    // by id and follows "a" to its last holder, which reports to b: b → a → b.
    const contacts = [contact('b', 'a'), contact('a', null), contact('a', 'b')];
    const account = accountSchema.parse({ id: 'x', name: 'X', contacts });
    expect(reportingLoops(account.contacts)).toEqual([{ index: 0, chain: ['b', 'a', 'b'] }]);
    expect(accountReferenceIssues(account).map((i) => i.code)).toEqual(['contact.duplicateId', 'reportingLoop']);
  });

  it('find a loop among unique ids, and not a contact reporting to itself', () => {
    const loop = accountSchema.parse({ id: 'x', name: 'X', contacts: [contact('c1', 'c3'), contact('c2', 'c1'), contact('c3', 'c2'), contact('c4', 'c1')] });
    expect(accountReferenceIssues(loop)).toEqual([
      expect.objectContaining({ path: ['contacts', 0, 'reportsTo'], code: 'reportingLoop', params: { chain: 'c1 → c3 → c2 → c1' } }),
    ]);
    const self = accountSchema.parse({ id: 'x', name: 'X', contacts: [contact('c1', 'c1'), contact('c2', 'c1')] });
    expect(accountReferenceIssues(self).map((i) => i.code)).toEqual(['contact.reportsToSelf']);
    expect(mayHaveReportingLoop(self.contacts, undefined)).toBe(false);
  });
});
