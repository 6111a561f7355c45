/**
 * The accounts CSV's fast path: a hand-written check that recognises an account row that
 * `accountSchema` certainly accepts and builds exactly the value zod would return. Anything it is
 * not sure about (a bad value, an unexpected key or shape) it hands back undefined, and the caller
 * runs zod, which stays the one source of truth for what is valid and for every problem message.
 *
 * Why: zod costs about as much as reading and converting the cells, and a 100,000-row import is
 * almost entirely valid rows. test/import-accounts.test.ts checks both paths against each other.
 */
import { ACCOUNT_STATUSES, type Account } from '../../engine/model.js';

const STATUSES: ReadonlySet<unknown> = new Set(ACCOUNT_STATUSES);

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isAmount: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isRating: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;
const isCount: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The optional scalar fields in the schema's order (zod's output follows the shape's key order). */
const BEFORE_LISTS: readonly (readonly [keyof Account, Check])[] = [
  ['industry', isString],
  ['region', isString],
  ['status', (v) => STATUSES.has(v)],
  ['ownerId', isString],
  ['parentId', isString],
  ['employees', isCount],
  ['companyRevenue', isAmount],
  ['revenueWithUs', isAmount],
  ['potential', isAmount],
  ['demonstration', isRating],
  ['winnability', isRating],
];

/** Keys this path knows how to produce; any other key in the input defers to zod. */
const KNOWN = new Set<string>(['id', 'name', ...BEFORE_LISTS.map(([k]) => k), 'competitors', 'competitorsNoneKnown', 'previousCloseness']);
const COMPETITOR_KEYS = new Set(['id', 'name', 'share', 'theirOffer', 'ourEdge']);

/** `id` in the schema trims; an id that trimming would change is left to zod. */
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.trim() === v;

function competitor(c: unknown): Record<string, unknown> | undefined {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return undefined;
  const o = c as Record<string, unknown>;
  for (const k in o) if (!COMPETITOR_KEYS.has(k)) return undefined;
  const { id, name, share, theirOffer, ourEdge } = o;
  if (!isId(id) || typeof name !== 'string' || name.length === 0) return undefined;
  if (share !== undefined && !(typeof share === 'number' && Number.isFinite(share) && share >= 0 && share <= 1)) return undefined;
  const out: Record<string, unknown> = { id, name, share: share ?? 0 };
  // `nullish()`: an absent key stays absent, a null stays null.
  if ('theirOffer' in o) {
    if (theirOffer !== null && theirOffer !== undefined && typeof theirOffer !== 'string') return undefined;
    out['theirOffer'] = theirOffer;
  }
  if ('ourEdge' in o) {
    if (ourEdge !== null && ourEdge !== undefined && typeof ourEdge !== 'string') return undefined;
    out['ourEdge'] = ourEdge;
  }
  return out;
}

/**
 * `accountSchema.parse(input)` for an input that certainly parses, else undefined. The input is
 * what the CSV cell readers produce: present, non-empty cells only, already typed.
 */
export function fastCsvAccount(input: Record<string, unknown>): Account | undefined {
  for (const k in input) if (!KNOWN.has(k)) return undefined;
  const { id, name } = input;
  if (!isId(id) || typeof name !== 'string' || name.length === 0) return undefined;
  const out: Record<string, unknown> = { id, name };
  for (const [key, ok] of BEFORE_LISTS) {
    if (!(key in input)) continue;
    const v = input[key];
    if (v !== null && v !== undefined && !ok(v)) return undefined;
    out[key] = v;
  }
  out['contacts'] = [];
  const listed = input['competitors'];
  if (listed === undefined) {
    out['competitors'] = [];
  } else {
    if (!Array.isArray(listed)) return undefined;
    const competitors = new Array<unknown>(listed.length);
    for (let i = 0; i < listed.length; i++) {
      const c = competitor(listed[i]);
      if (!c) return undefined;
      competitors[i] = c;
    }
    out['competitors'] = competitors;
  }
  const noneKnown = input['competitorsNoneKnown'];
  if (noneKnown !== undefined && typeof noneKnown !== 'boolean') return undefined;
  out['competitorsNoneKnown'] = noneKnown ?? false;
  out['influenceLinks'] = [];
  if ('previousCloseness' in input) {
    const v = input['previousCloseness'];
    if (v !== null && v !== undefined && !isRating(v)) return undefined;
    out['previousCloseness'] = v;
  }
  return out as Account;
}
