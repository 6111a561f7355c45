/**
 * The accounts CSV's fast path: a hand-written reading of one row that recognises an account
 * `accountSchema` certainly accepts and builds exactly the value zod would return (same keys, same
 * order, same defaults). A row it is not sure about — any bad or unusual cell — it hands back as
 * undefined, and the caller reads it the general way (cell readers, then zod), which stays the one
 * source of truth for what is valid and for every problem message.
 *
 * Why: a 100,000-row import is almost all valid rows, and for those the general way — a keyed
 * object per row, then zod walking it — cost about as much as parsing the CSV.
 * test/import-accounts.test.ts checks both ways give the same records and problems.
 */
import { ACCOUNT_STATUSES, type Account, type Competitor } from '../../engine/model.js';
import * as cell from './cells.js';

const STATUSES: ReadonlySet<string> = new Set(ACCOUNT_STATUSES);

/** A cell's value, `undefined` for an empty cell (the key stays absent), or FAIL. */
const FAIL = Symbol('fail');
type Read<T> = T | undefined | typeof FAIL;

function text(raw: string | undefined): Read<string> {
  const c = cell.text(raw ?? '');
  return c.ok && c.value !== null ? c.value : undefined;
}

function count(raw: string | undefined): Read<number> {
  const c = cell.integer(raw ?? '');
  if (!c.ok) return FAIL;
  if (c.value === null) return undefined;
  return c.value >= 0 ? c.value : FAIL;
}

function amount(raw: string | undefined, max: number): Read<number> {
  const c = cell.number(raw ?? '');
  if (!c.ok) return FAIL;
  if (c.value === null) return undefined;
  return Number.isFinite(c.value) && c.value >= 0 && c.value <= max ? c.value : FAIL;
}

function competitorList(raw: string | undefined): Read<Competitor[]> {
  // A JSON cell may carry anything: zod reads it.
  if ((raw ?? '').trimStart().startsWith('[')) return FAIL;
  const c = cell.parseCompetitorsCell(raw ?? '');
  if (!c.ok) return FAIL;
  if (c.value === null) return undefined;
  const out: Competitor[] = [];
  const ids = new Set<string>();
  for (const k of c.value) {
    const share = k.share ?? 0;
    if (!Number.isFinite(share) || share < 0 || share > 1 || ids.has(k.id!)) return FAIL;
    ids.add(k.id!);
    out.push({ id: k.id!, name: k.name!, share });
  }
  return out;
}

export type FastRow = (fields: readonly string[]) => Account | undefined;

/**
 * A reader for rows of a file whose header put the documented columns at `index`. Absent columns
 * and empty cells leave their key out, as the general reading does.
 */
export function fastAccountRow(index: ReadonlyMap<string, number>): FastRow {
  const at = (name: string) => index.get(name) ?? -1;
  const [id, name, industry, region, status, ownerId, parentId, employees] = [
    at('id'),
    at('name'),
    at('industry'),
    at('region'),
    at('status'),
    at('ownerId'),
    at('parentId'),
    at('employees'),
  ];
  const [companyRevenue, revenueWithUs, potential, demonstration, winnability] = [
    at('companyRevenue'),
    at('revenueWithUs'),
    at('potential'),
    at('demonstration'),
    at('winnability'),
  ];
  const [solution, businessValue, competitors, competitorsNoneKnown, previousCloseness] = [
    at('solution'),
    at('businessValue'),
    at('competitors'),
    at('competitorsNoneKnown'),
    at('previousCloseness'),
  ];

  // Straight-line stores in the schema's key order, one site per key: every row of a file takes
  // the same path, so the objects share a shape (a keyed store per cell is what made the general
  // reading slow).
  return (f) => {
    const idValue = text(f[id]);
    const nameValue = text(f[name]);
    if (idValue === undefined || idValue === FAIL || nameValue === undefined || nameValue === FAIL) return undefined;
    const out: Record<string, unknown> = { id: idValue, name: nameValue };
    if (industry >= 0) {
      const v = text(f[industry]);
      if (v !== undefined) out['industry'] = (v as string).toLowerCase();
    }
    if (region >= 0) {
      const v = text(f[region]);
      if (v !== undefined) out['region'] = v;
    }
    if (status >= 0) {
      const v = text(f[status]);
      if (v !== undefined) {
        const s = (v as string).toLowerCase();
        if (!STATUSES.has(s)) return undefined;
        out['status'] = s;
      }
    }
    if (ownerId >= 0) {
      const v = text(f[ownerId]);
      if (v !== undefined) out['ownerId'] = v;
    }
    if (parentId >= 0) {
      const v = text(f[parentId]);
      // An account that is its own parent is a problem the general reading words.
      if (v === idValue) return undefined;
      if (v !== undefined) out['parentId'] = v;
    }
    if (employees >= 0) {
      const v = count(f[employees]);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['employees'] = v;
    }
    if (companyRevenue >= 0) {
      const v = amount(f[companyRevenue], Infinity);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['companyRevenue'] = v;
    }
    if (revenueWithUs >= 0) {
      const v = amount(f[revenueWithUs], Infinity);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['revenueWithUs'] = v;
    }
    if (potential >= 0) {
      const v = amount(f[potential], Infinity);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['potential'] = v;
    }
    if (demonstration >= 0) {
      const v = amount(f[demonstration], 100);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['demonstration'] = v;
    }
    if (winnability >= 0) {
      const v = amount(f[winnability], 100);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['winnability'] = v;
    }
    if (solution >= 0) {
      const v = text(f[solution]);
      if (v !== undefined) out['solution'] = v;
    }
    if (businessValue >= 0) {
      const v = text(f[businessValue]);
      if (v !== undefined) out['businessValue'] = v;
    }
    out['contacts'] = [];
    if (competitors >= 0) {
      const v = competitorList(f[competitors]);
      if (v === FAIL) return undefined;
      out['competitors'] = v ?? [];
    } else {
      out['competitors'] = [];
    }
    if (competitorsNoneKnown >= 0) {
      const v = cell.boolean(f[competitorsNoneKnown] ?? '');
      if (!v.ok) return undefined;
      out['competitorsNoneKnown'] = v.value ?? false;
    } else {
      out['competitorsNoneKnown'] = false;
    }
    out['influenceLinks'] = [];
    if (previousCloseness >= 0) {
      const v = amount(f[previousCloseness], 100);
      if (v === FAIL) return undefined;
      if (v !== undefined) out['previousCloseness'] = v;
    }
    return out as Account;
  };
}
