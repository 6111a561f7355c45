/**
 * The fast account reader (engine/fast-parse.ts) against zod, differentially: on valid generated
 * accounts it answers zod's exact value (same keys, same order), sharing the parts of the input
 * that already are exactly that and copying the rest; on thousands of inputs with one part changed
 * to something unusual or wrong it either answers zod's value or declines (undefined), never
 * accepting what zod rejects; so `parseAccounts`, which hands every declined input to zod, reports
 * the same problems with the same paths.
 */
import { describe, expect, it } from 'vitest';
import { generateAccounts } from '../db/demo/generate.js';
import { compileFastReader } from '../engine/fast-parse.js';
import { accountSchema, contactSchema, MAX_TEXT_LENGTH, type Account } from '../engine/model.js';
import { EVALUATION_REQUIRED, parseAccounts } from '../engine/accounts-input.js';

const read = compileFastReader(accountSchema);

/** A value as a tree of [key, value] pairs in key order, so equal means equal keys in equal order. */
function ordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(ordered);
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => [k, ordered(x)]);
  return v;
}

/** The reader agrees with zod on `input`: zod's value, or declined; counts which. */
function agree(input: unknown, tally: { fast: number; declined: number; rejected: number }) {
  const zod = accountSchema.safeParse(input);
  const fast = read(input);
  if (!zod.success) tally.rejected++;
  if (fast === undefined) {
    tally.declined++;
    return;
  }
  tally.fast++;
  expect(zod.success, `accepted what zod rejects: ${JSON.stringify(input)?.slice(0, 300)}`).toBe(true);
  expect(ordered(fast)).toEqual(ordered(zod.data));
  expect(fast).toStrictEqual(zod.data);
}

const LONG = 'x'.repeat(MAX_TEXT_LENGTH + 1);
/** Replacements tried at every place of an account: wrong types, bounds, odd strings and objects. */
const ODD: unknown[] = [
  null,
  undefined,
  '',
  ' ',
  ' padded ',
  'plain',
  LONG,
  'x'.repeat(MAX_TEXT_LENGTH),
  0,
  -1,
  0.5,
  1,
  2,
  3,
  5,
  6,
  100,
  101,
  -2,
  -3,
  1e300,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  [null],
  {},
  { hooli: 1 },
  { hooli: 3 },
  { ' ': 0 },
  Object.create(null) as object,
  new Date(0),
  'active',
  'coach',
  'results',
];

/** Every place (path) in a JSON value, objects' keys and arrays' items, depth first. */
function places(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) places(x, [...at, k], out);
  return out;
}

/** A deep copy of `v` with the place `at` set to `value` (removed when `value` is the REMOVE marker). */
const REMOVE = Symbol('remove');
function changed(v: unknown, at: readonly (string | number)[], value: unknown): unknown {
  if (at.length === 0) return value;
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = at.at(-1)!;
  if (value === REMOVE) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

describe('fast account reader', () => {
  it('builds zod\'s exact value for generated accounts, in the schema\'s key order', () => {
    const tally = { fast: 0, declined: 0, rejected: 0 };
    let shared = 0;
    for (const a of generateAccounts(1_500, 3)) {
      const input = JSON.parse(JSON.stringify(a)) as Account;
      agree(input, tally);
      // Contacts, competitors and links are written in the schema's order: shared, not copied.
      const fast = read(input)!;
      expect(fast.contacts).toBe(input.contacts);
      expect(fast.competitors).toBe(input.competitors);
      expect(fast.influenceLinks).toBe(input.influenceLinks);
      if (fast === input) shared++;
    }
    expect(tally).toEqual({ fast: 1_500, declined: 0, rejected: 0 });
    // The generator writes an account's keys in another order than the schema's: each is a copy.
    expect(shared).toBe(0);
  });

  it('shares an object only when it already is zod\'s value for it, else copies it', () => {
    const contact = { id: 'c1', name: 'Cy', title: null, reportsTo: null, influence: 3, decisionRole: null, behavior: null, stance: 0, competitorStances: {}, interactions90d: 0 };
    // Every key of the schema, in its order (zod's own output, through JSON).
    const nulls = Object.fromEntries(Object.keys(accountSchema.shape).map((k) => [k, null]));
    const full = { ...nulls, id: 'a1', name: 'Alpha', contacts: [contact], competitors: [], competitorsNoneKnown: false, influenceLinks: [] };
    const exact = JSON.parse(JSON.stringify(accountSchema.parse(full))) as Account;
    expect(Object.keys(exact)).toEqual(Object.keys(accountSchema.shape));
    expect(read(exact)).toBe(exact);
    // With an optional key absent the account is a copy (only complete objects are shared).
    const { region: _region, ...partial } = exact;
    expect(read(partial)).not.toBe(partial);
    expect(read(partial)!.contacts).toBe(exact.contacts);
    // An extra key (zod drops it), a missing default (zod fills it), another key order: copies.
    for (const other of [{ ...contact, extra: 1 }, { ...contact, interactions90d: undefined }, Object.fromEntries(Object.entries(contact).reverse())]) {
      const input = { ...exact, contacts: [contact, other] };
      const fast = read(input)!;
      expect(fast).toStrictEqual(accountSchema.parse(input));
      expect(fast).not.toBe(input);
      expect(fast.contacts).not.toBe(input.contacts);
      expect(fast.contacts[0]).toBe(contact);
      expect(fast.contacts[1]).not.toBe(other);
    }
  });

  it('fills defaults and leaves absent optional keys out, as zod does', () => {
    const tally = { fast: 0, declined: 0, rejected: 0 };
    const minimal = { id: 'a1', name: 'Alpha', contacts: [{ id: 'c1', name: 'Cy', influence: 3, stance: 0 }], competitors: [{ id: 'k', name: 'K' }] };
    agree(minimal, tally);
    agree({ ...minimal, industry: undefined, extra: 'dropped', influenceLinks: [{ from: 'c1', to: 'c1' }] }, tally);
    expect(tally.fast).toBe(2);
    const fast = read(minimal)!;
    expect(Object.keys(fast)).toEqual(['id', 'name', 'contacts', 'competitors', 'competitorsNoneKnown', 'influenceLinks']);
    expect(Object.keys(fast.contacts[0]!)).toEqual(['id', 'name', 'influence', 'stance', 'competitorStances', 'interactions90d']);
    // Each account gets its own default objects, never a shared one.
    expect(read(minimal)!.influenceLinks).not.toBe(fast.influenceLinks);
  });

  it('agrees with zod when any one place of an account holds something unusual or wrong', () => {
    const [base] = generateAccounts(40, 9).filter((a) => a.contacts.length >= 2 && a.competitors.length >= 1 && a.influenceLinks.length >= 1);
    const account = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    const tally = { fast: 0, declined: 0, rejected: 0 };
    let tried = 0;
    for (const at of places(account)) {
      for (const value of [REMOVE, ...ODD]) {
        agree(changed(account, at, value), tally);
        tried++;
      }
    }
    // Extra keys, and keys the reader must not take as its own.
    agree({ ...account, unknown: 1 }, tally);
    agree(JSON.parse(`{"__proto__": {"polluted": 1}, "id": "p", "name": "P"}`), tally);
    const stances = JSON.parse('{"__proto__": 1}');
    agree(changed(account, ['contacts', 0, 'competitorStances'], stances), tally);
    agree(changed(account, ['contacts', 0, 'competitorStances'], { [Symbol('s')]: 1 }), tally);
    agree(changed(account, ['contacts', 0, 'competitorStances'], { 10: 1, b: -1, 2: 0 }), tally);
    agree(changed(account, ['contacts', 0, 'id'], 'c1 '), tally);
    agree(changed(account, ['contacts'], [undefined]), tally);
    agree(Object.assign(Object.create({ inherited: true }), account), tally);
    for (const top of [null, 'account', 1, [], [account]]) agree(top, tally);
    expect(tried).toBeGreaterThan(3_000);
    // The sample reaches all three outcomes: built fast, declined and rejected by zod.
    expect(tally.fast).toBeGreaterThan(500);
    expect(tally.rejected).toBeGreaterThan(1_000);
    expect(tally.declined).toBeGreaterThanOrEqual(tally.rejected);
  });

  it('reads any object schema the same way (a contact alone)', () => {
    const readContact = compileFastReader(contactSchema);
    const contact = { id: 'c1', name: 'Cy', title: null, influence: 5, stance: 2, competitorStances: { k: -2 } };
    expect(readContact(contact)).toStrictEqual(contactSchema.parse(contact));
    expect(readContact({ ...contact, influence: 6 })).toBeUndefined();
  });

  it('parseAccounts reports the problems zod words, with their paths, beside the accounts read fast', () => {
    const [good, other] = generateAccounts(2, 4);
    const { accounts, issues } = parseAccounts(
      [good, { ...other, employees: -3, contacts: [{ id: ' ', name: 'N', influence: 9, stance: 0 }] }, { id: 'x', name: 'X' }],
      { required: EVALUATION_REQUIRED },
    );
    // An account missing only what evaluation requires is still read (its issues stop the run).
    expect(accounts).toEqual([accountSchema.parse(good), accountSchema.parse({ id: 'x', name: 'X' })]);
    expect(issues.map((i) => `${i.index} ${i.path}: ${i.message}`)).toEqual([
      '1 $.employees: Too small: expected number to be >=0',
      '1 $.contacts[0].id: must be a non-empty id',
      '1 $.contacts[0].influence: Too big: expected number to be <=5',
      ...EVALUATION_REQUIRED.map((f) => `2 $.${f}: is required`),
    ]);
  });
});
