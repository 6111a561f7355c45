/**
 * Stage 2, grade (ESP-PLUS.md "Grade: composite score"): bands, weights, the composite score rounded
 * to 2 decimals, the threshold tier policy, per-industry rule sets and the quota mode.
 * Every expected number is written out by hand from ESP-PLUS.md, never computed from the rule files.
 */
import { describe, expect, it } from 'vitest';
import {
  bandScore,
  compositeScore,
  decideAccount,
  evaluatePortfolio,
  explainAccount,
  grade,
  rankByQuota,
  rankQuotaIndustries,
  tierFromThresholds,
  type Account,
  type Dimension,
  type EspRules,
} from '../engine/index.js';
import { account, bookWith, defaultBook, rulesWith } from './helpers/accounts.js';

const book = defaultBook();
const star = book.forIndustry('*');

/** Scores of one dimension for a raw value, through the whole grade (not just the band helper). */
function dimensionScore(rules: EspRules, d: Dimension, value: number): number {
  const field = { revenue: 'revenueWithUs', potential: 'potential', demonstration: 'demonstration', winnability: 'winnability' }[
    d
  ];
  return grade(account({ [field]: value }), rules).dimensions[d];
}

// [min, score] of `*`, from the table of ESP-PLUS.md.
const STAR_BANDS: Record<Dimension, [number, number][]> = {
  revenue: [
    [20_000_000, 100],
    [10_000_000, 85],
    [5_000_000, 70],
    [1_000_000, 50],
    [200_000, 30],
    [1, 10],
  ],
  potential: [
    [100_000_000, 100],
    [50_000_000, 85],
    [20_000_000, 70],
    [5_000_000, 50],
    [1_000_000, 30],
    [1, 10],
  ],
  demonstration: [
    [80, 100],
    [60, 75],
    [40, 50],
    [20, 25],
  ],
  winnability: [
    [80, 100],
    [60, 75],
    [40, 50],
    [20, 25],
  ],
};

describe('bands of the fallback rule set `*`', () => {
  for (const d of ['revenue', 'potential', 'demonstration', 'winnability'] as const) {
    const bands = STAR_BANDS[d];
    bands.forEach(([min, score], i) => {
      const below = i + 1 < bands.length ? bands[i + 1]![1] : 0;
      // Amounts step by 1 unit, ratings (0–100, decimals allowed) by 0.01.
      const step = d === 'revenue' || d === 'potential' ? 1 : 0.01;
      it(`${d}: exactly ${min} scores ${score}; ${min - step} scores ${below}`, () => {
        expect(dimensionScore(star, d, min)).toBe(score);
        expect(dimensionScore(star, d, min - step)).toBe(below);
      });
    });
    it(`${d}: 0 scores 0`, () => {
      expect(dimensionScore(star, d, 0)).toBe(0);
    });
  }

  it('a value below every band scores 0 (0.5 of revenue, 19.99 of demonstration)', () => {
    expect(dimensionScore(star, 'revenue', 0.5)).toBe(0);
    expect(dimensionScore(star, 'potential', 0.99)).toBe(0);
    expect(dimensionScore(star, 'demonstration', 19.99)).toBe(0);
    expect(dimensionScore(star, 'winnability', 19.99)).toBe(0);
  });

  it('values far above the top band score 100', () => {
    expect(dimensionScore(star, 'revenue', 1e12)).toBe(100);
    expect(dimensionScore(star, 'demonstration', 100)).toBe(100);
  });

  it('bandScore checks from the highest min down; below every band is 0', () => {
    const bands = [
      { min: 10, score: 90 },
      { min: 5, score: 40 },
    ];
    expect(bandScore(10, bands)).toBe(90);
    expect(bandScore(9.99, bands)).toBe(40);
    expect(bandScore(5, bands)).toBe(40);
    expect(bandScore(4.99, bands)).toBe(0);
    expect(bandScore(-1, bands)).toBe(0);
  });

  it('a missing grade input scores as 0', () => {
    expect(grade(account({ potential: null }), star).dimensions.potential).toBe(0);
  });
});

describe('composite score', () => {
  it('uses the default weights 0.35 / 0.30 / 0.15 / 0.20', () => {
    // revenue 10,000,000 → 85, potential 20,000,000 → 70, demonstration 60 → 75, winnability 20 → 25
    // 0.35·85 + 0.30·70 + 0.15·75 + 0.20·25 = 29.75 + 21 + 11.25 + 5 = 67
    const g = grade(account({ revenueWithUs: 10_000_000, potential: 20_000_000, demonstration: 60, winnability: 20 }), star);
    expect(g.dimensions).toEqual({ revenue: 85, potential: 70, demonstration: 75, winnability: 25 });
    expect(g.score).toBe(67);
    expect(g.tier).toBe('T2');
  });

  it('is rounded to 2 decimals (half up), not truncated', () => {
    const thirds = rulesWith({
      grade: { weights: { revenue: 0.3333, potential: 0.3333, demonstration: 0.3334, winnability: 0 } },
    });
    // 0.3333·85 + 0.3333·70 + 0.3334·50 = 28.3305 + 23.331 + 16.67 = 68.3315 → 68.33
    expect(
      grade(account({ revenueWithUs: 10_000_000, potential: 20_000_000, demonstration: 40, winnability: 0 }), thirds).score,
    ).toBe(68.33);
    // 0.3333·50 + 0.3333·30 + 0.3334·25 = 16.665 + 9.999 + 8.335 = 34.999 → 35
    expect(
      grade(account({ revenueWithUs: 1_000_000, potential: 1_000_000, demonstration: 20, winnability: 0 }), thirds).score,
    ).toBe(35);
    // 0.3333·30 + 0.3333·85 + 0.3334·75 = 9.999 + 28.3305 + 25.005 = 63.3345 → 63.33
    expect(
      grade(account({ revenueWithUs: 200_000, potential: 50_000_000, demonstration: 60, winnability: 0 }), thirds).score,
    ).toBe(63.33);
  });

  it('compositeScore rounds away float noise (0.1·… sums)', () => {
    // 0.1·70 + 0.2·70 + 0.3·70 + 0.4·70 = 70 (in floats 70.00000000000001 or so)
    expect(
      compositeScore(
        { revenue: 70, potential: 70, demonstration: 70, winnability: 70 },
        { revenue: 0.1, potential: 0.2, demonstration: 0.3, winnability: 0.4 },
      ),
    ).toBe(70);
  });

  it('an account with every input 0 scores 0, T4', () => {
    const g = grade(account({ revenueWithUs: 0, potential: 0, demonstration: 0, winnability: 0 }), star);
    expect(g.score).toBe(0);
    expect(g.tier).toBe('T4');
  });
});

describe('threshold tiers: T1 ≥ 80, T2 ≥ 65, T3 ≥ 45, else T4', () => {
  // 100/50/100/75: 35 + 15 + 15 + 15 = 80
  const at80 = account({ revenueWithUs: 20_000_000, potential: 5_000_000, demonstration: 80, winnability: 60 });
  // 100/50/100/0: 35 + 15 + 15 + 0 = 65
  const at65 = account({ revenueWithUs: 20_000_000, potential: 5_000_000, demonstration: 80, winnability: 0 });
  // 50/50/50/25: 17.5 + 15 + 7.5 + 5 = 45
  const at45 = account({ revenueWithUs: 1_000_000, potential: 5_000_000, demonstration: 40, winnability: 20 });

  it('exactly at each threshold reaches the tier', () => {
    expect(grade(at80, star)).toMatchObject({ score: 80, tier: 'T1' });
    expect(grade(at65, star)).toMatchObject({ score: 65, tier: 'T2' });
    expect(grade(at45, star)).toMatchObject({ score: 45, tier: 'T3' });
  });

  it('0.01 below each threshold falls to the next tier', () => {
    const t = { T1: 80, T2: 65, T3: 45 };
    expect(tierFromThresholds(79.99, t)).toBe('T2');
    expect(tierFromThresholds(64.99, t)).toBe('T3');
    expect(tierFromThresholds(44.99, t)).toBe('T4');
    expect(tierFromThresholds(0, t)).toBe('T4');
    expect(tierFromThresholds(100, t)).toBe('T1');
  });

  it('end to end: thresholds 0.01 above the same scores give the next tier', () => {
    const raised = rulesWith({ grade: { tierPolicy: { thresholds: { T1: 80.01, T2: 65.01, T3: 45.01 } } } });
    expect(grade(at80, raised).tier).toBe('T2');
    expect(grade(at65, raised).tier).toBe('T3');
    expect(grade(at45, raised).tier).toBe('T4');
  });

  it('the tier comes from the rounded score', () => {
    // weights 0.3333/0.3333/0.3334/0: 50/30/25 → 34.999 → 35; threshold T3 = 35 reaches T3
    const r = rulesWith({
      grade: {
        weights: { revenue: 0.3333, potential: 0.3333, demonstration: 0.3334, winnability: 0 },
        tierPolicy: { thresholds: { T1: 80, T2: 65, T3: 35 } },
      },
    });
    expect(
      grade(account({ revenueWithUs: 1_000_000, potential: 1_000_000, demonstration: 20, winnability: 0 }), r),
    ).toMatchObject({
      score: 35,
      tier: 'T3',
    });
  });
});

describe('industry rule sets', () => {
  // Scaled band minimums written out by hand: * mins × the industry factor.
  const SCALED: Record<string, { revenue: number[]; potential: number[] }> = {
    finance: {
      revenue: [40_000_000, 20_000_000, 10_000_000, 2_000_000, 400_000, 2],
      potential: [200_000_000, 100_000_000, 40_000_000, 10_000_000, 2_000_000, 2],
    },
    energy: {
      revenue: [30_000_000, 15_000_000, 7_500_000, 1_500_000, 300_000, 1.5],
      potential: [150_000_000, 75_000_000, 30_000_000, 7_500_000, 1_500_000, 1.5],
    },
    government: {
      revenue: [24_000_000, 12_000_000, 6_000_000, 1_200_000, 240_000, 1.2],
      potential: [120_000_000, 60_000_000, 24_000_000, 6_000_000, 1_200_000, 1.2],
    },
    manufacturing: {
      revenue: [20_000_000, 10_000_000, 5_000_000, 1_000_000, 200_000, 1],
      potential: [100_000_000, 50_000_000, 20_000_000, 5_000_000, 1_000_000, 1],
    },
    healthcare: {
      revenue: [16_000_000, 8_000_000, 4_000_000, 800_000, 160_000, 0.8],
      potential: [80_000_000, 40_000_000, 16_000_000, 4_000_000, 800_000, 0.8],
    },
    retail: {
      revenue: [12_000_000, 6_000_000, 3_000_000, 600_000, 120_000, 0.6],
      potential: [60_000_000, 30_000_000, 12_000_000, 3_000_000, 600_000, 0.6],
    },
  };
  const SCORES = { revenue: [100, 85, 70, 50, 30, 10], potential: [100, 85, 70, 50, 30, 10] };

  for (const [industry, mins] of Object.entries(SCALED)) {
    for (const d of ['revenue', 'potential'] as const) {
      it(`${industry}: ${d} exactly at each scaled band minimum scores the band, 0.01 below the next one`, () => {
        const rules = book.forIndustry(industry);
        expect(rules.ref.industry).toBe(industry);
        mins[d].forEach((min, i) => {
          expect(dimensionScore(rules, d, min), `${industry} ${d} ${min}`).toBe(SCORES[d][i]);
          expect(dimensionScore(rules, d, min - 0.01), `${industry} ${d} ${min} - 0.01`).toBe(SCORES[d][i + 1] ?? 0);
        });
      });
    }
    it(`${industry}: demonstration and winnability bands are not scaled`, () => {
      const rules = book.forIndustry(industry);
      expect(dimensionScore(rules, 'demonstration', 80)).toBe(100);
      expect(dimensionScore(rules, 'demonstration', 79.99)).toBe(75);
      expect(dimensionScore(rules, 'winnability', 20)).toBe(25);
      expect(dimensionScore(rules, 'winnability', 19.99)).toBe(0);
    });
  }

  it('finance ×2: revenueWithUs 20,000,000 scores 85 in finance and 100 in *', () => {
    expect(dimensionScore(book.forIndustry('finance'), 'revenue', 20_000_000)).toBe(85);
    expect(dimensionScore(star, 'revenue', 20_000_000)).toBe(100);
  });

  it('energy ×1.5: revenueWithUs 1 is below the scaled lowest band (1.5) and scores 0', () => {
    expect(dimensionScore(book.forIndustry('energy'), 'revenue', 1)).toBe(0);
    expect(dimensionScore(star, 'revenue', 1)).toBe(10);
  });

  it('government uses weights 0.25 / 0.30 / 0.25 / 0.20', () => {
    const a = account({
      industry: 'government',
      revenueWithUs: 1_200_000,
      potential: 6_000_000,
      demonstration: 80,
      winnability: 40,
    });
    // government: 50/50/100/50 → 0.25·50 + 0.30·50 + 0.25·100 + 0.20·50 = 12.5 + 15 + 25 + 10 = 62.5 → T3
    expect(grade(a, book.forIndustry('government'))).toMatchObject({
      score: 62.5,
      dimensions: { revenue: 50, potential: 50, demonstration: 100, winnability: 50 },
      tier: 'T3',
    });
    // *: same band scores, weights 0.35/0.30/0.15/0.20 → 17.5 + 15 + 15 + 10 = 57.5
    expect(grade(a, star).score).toBe(57.5);
    expect(book.forIndustry('government').ruleSet.grade.weights).toEqual({
      revenue: 0.25,
      potential: 0.3,
      demonstration: 0.25,
      winnability: 0.2,
    });
  });

  it('government: 1,199,999 revenue is one unit below the scaled band 1,200,000', () => {
    expect(dimensionScore(book.forIndustry('government'), 'revenue', 1_199_999)).toBe(30);
  });

  it('healthcare ×0.8 with T1 ≥ 78, T2 ≥ 62, T3 ≥ 45', () => {
    const hc = book.forIndustry('healthcare');
    // 16,000,000 → 100, 40,000,000 → 85, 40 → 50, 40 → 50: 35 + 25.5 + 7.5 + 10 = 78 → T1 (T2 in *)
    const s78 = account({
      industry: 'healthcare',
      revenueWithUs: 16_000_000,
      potential: 40_000_000,
      demonstration: 40,
      winnability: 40,
    });
    expect(grade(s78, hc)).toMatchObject({ score: 78, tier: 'T1' });
    // 8,000,000 → 85, 40,000,000 → 85, 40 → 50, 60 → 75: 29.75 + 25.5 + 7.5 + 15 = 77.75 → T2
    const s7775 = account({
      industry: 'healthcare',
      revenueWithUs: 8_000_000,
      potential: 40_000_000,
      demonstration: 40,
      winnability: 60,
    });
    expect(grade(s7775, hc)).toMatchObject({ score: 77.75, tier: 'T2' });
    // 4,000,000 → 70, 4,000,000 → 50, 40 → 50, 60 → 75: 24.5 + 15 + 7.5 + 15 = 62 → T2
    const s62 = account({
      industry: 'healthcare',
      revenueWithUs: 4_000_000,
      potential: 4_000_000,
      demonstration: 40,
      winnability: 60,
    });
    expect(grade(s62, hc)).toMatchObject({ score: 62, tier: 'T2' });
    // 4,000,000 → 70, 16,000,000 → 70, 60 → 75, 20 → 25: 24.5 + 21 + 11.25 + 5 = 61.75 → T3
    const s6175 = account({
      industry: 'healthcare',
      revenueWithUs: 4_000_000,
      potential: 16_000_000,
      demonstration: 60,
      winnability: 20,
    });
    expect(grade(s6175, hc)).toMatchObject({ score: 61.75, tier: 'T3' });
    // T3 stays at 45: 800,000 → 50, 4,000,000 → 50, 40 → 50, 20 → 25 = 17.5 + 15 + 7.5 + 5 = 45
    const s45 = account({
      industry: 'healthcare',
      revenueWithUs: 800_000,
      potential: 4_000_000,
      demonstration: 40,
      winnability: 20,
    });
    expect(grade(s45, hc)).toMatchObject({ score: 45, tier: 'T3' });
    // the same score 78 in * is T2
    expect(tierFromThresholds(78, star.ruleSet.grade.tierPolicy.thresholds)).toBe('T2');
  });

  it('retail ×0.6: 12,000,000 revenue scores 100 in retail, 85 in *', () => {
    expect(dimensionScore(book.forIndustry('retail'), 'revenue', 12_000_000)).toBe(100);
    expect(dimensionScore(star, 'revenue', 12_000_000)).toBe(85);
  });

  it('manufacturing decides exactly like * (only the rule set reference differs)', () => {
    const m = book.forIndustry('manufacturing');
    const samples = [
      account({ industry: 'manufacturing' }),
      account({ industry: 'manufacturing', revenueWithUs: 20_000_000, potential: 5_000_000, demonstration: 80, winnability: 60 }),
      account({
        industry: 'manufacturing',
        revenueWithUs: 199_999,
        potential: 50_000_000,
        demonstration: 19,
        winnability: 79.99,
        status: 'prospect',
      }),
    ];
    for (const a of samples) {
      const { ruleSet: r1, ...d1 } = decideAccount(a, m);
      const { ruleSet: r2, ...d2 } = decideAccount(a, star);
      expect(d1).toEqual(d2);
      expect(r1.industry).toBe('manufacturing');
      expect(r2.industry).toBe('*');
    }
  });

  it('an unknown or missing industry uses *', () => {
    expect(book.forIndustry('aerospace').ref.industry).toBe('*');
    expect(book.forIndustry(null).ref.industry).toBe('*');
    expect(book.forIndustry(undefined).ref.industry).toBe('*');
    expect(book.forIndustry('Finance').ref.industry).toBe('*'); // industries are matched exactly
    expect(dimensionScore(book.forIndustry('aerospace'), 'revenue', 20_000_000)).toBe(100);
  });
});

describe('quota mode: rank, then grade', () => {
  const q = { T1: 0.1, T2: 0.2, T3: 0.3 };
  const ranked = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, score: 100 - i, revenueWithUs: 0 }));

  it('N = 10 with quotas 0.1 / 0.2 / 0.3: ceil(1) = 1 T1, ceil(3) = 3, ceil(6) = 6 → 1 T1, 2 T2, 3 T3, 4 T4', () => {
    const r = rankByQuota(ranked(10), q);
    expect(r.order).toEqual(ranked(10).map((a) => a.id));
    expect([...r.tiers.values()]).toEqual(['T1', 'T2', 'T2', 'T3', 'T3', 'T3', 'T4', 'T4', 'T4', 'T4']);
  });

  it('N = 7: ceil(0.7) = 1, ceil(2.1) = 3, ceil(4.2) = 5 → 1 T1, 2 T2, 2 T3, 2 T4', () => {
    const r = rankByQuota(ranked(7), q);
    expect(ranked(7).map((a) => r.tiers.get(a.id))).toEqual(['T1', 'T2', 'T2', 'T3', 'T3', 'T4', 'T4']);
  });

  it('N = 1: ceil(0.1) = 1, the only account is T1', () => {
    const r = rankByQuota(ranked(1), q);
    expect(r.tiers.get('a00')).toBe('T1');
    expect(r.cutoffs).toEqual({ T1: 100, T2: Infinity, T3: Infinity });
  });

  it('N = 0: nothing ranked, every cutoff unreachable', () => {
    const r = rankByQuota([], q);
    expect(r.tiers.size).toBe(0);
    expect(r.cutoffs).toEqual({ T1: Infinity, T2: Infinity, T3: Infinity });
  });

  it('N = 20: ceil(2) = 2, ceil(6) = 6, ceil(12) = 12 (no float overshoot)', () => {
    const r = rankByQuota(ranked(20), q);
    const counts = { T1: 0, T2: 0, T3: 0, T4: 0 };
    for (const t of r.tiers.values()) counts[t]++;
    expect(counts).toEqual({ T1: 2, T2: 4, T3: 6, T4: 8 });
  });

  it('quotas summing to exactly 1 leave no T4', () => {
    const r = rankByQuota(ranked(4), { T1: 0.25, T2: 0.25, T3: 0.5 });
    expect([...r.tiers.values()]).toEqual(['T1', 'T2', 'T3', 'T3']);
  });

  it('ties: same score → higher revenueWithUs first → id ascending', () => {
    const r = rankByQuota(
      [
        { id: 'c', score: 70, revenueWithUs: 100 },
        { id: 'b', score: 70, revenueWithUs: 100 },
        { id: 'a', score: 70, revenueWithUs: 50 },
        { id: 'z', score: 70.01, revenueWithUs: 0 },
        { id: 'd', score: 70, revenueWithUs: 200 },
      ],
      { T1: 0.2, T2: 0.2, T3: 0.2 },
    );
    expect(r.order).toEqual(['z', 'd', 'b', 'c', 'a']);
    // N = 5: ceil(1) = 1, ceil(2) = 2, ceil(3) = 3
    expect(Object.fromEntries(r.tiers)).toEqual({ z: 'T1', d: 'T2', b: 'T3', c: 'T4', a: 'T4' });
  });

  it('cutoffs are the lowest score reached in each tier', () => {
    const r = rankByQuota(ranked(10), q);
    // T1: rank 0 (100); T2: ranks 1–2 (99, 98); T3: ranks 3–5 (97, 96, 95)
    expect(r.cutoffs).toEqual({ T1: 100, T2: 98, T3: 95 });
  });

  it('between reviews an account gets the tier whose last cutoff it reaches', () => {
    const quota = rulesWith({ grade: { tierPolicy: { mode: 'quota' } } });
    const cutoffs = { T1: 70, T2: 50, T3: 40 };
    // score 50 (the default account) reaches T2's cutoff exactly
    expect(grade(account(), quota, { cutoffs }).tier).toBe('T2');
    expect(grade(account(), quota, { cutoffs: { T1: 70, T2: 50.01, T3: 40 } }).tier).toBe('T3');
    // before the first review: the thresholds (50 → T3)
    expect(grade(account(), quota).tier).toBe('T3');
    // a ranked tier wins over everything
    expect(grade(account(), quota, { rankedTier: 'T1', cutoffs }).tier).toBe('T1');
  });

  it('threshold mode ignores quota context', () => {
    expect(grade(account(), star, { rankedTier: 'T1', cutoffs: { T1: 1, T2: 0.5, T3: 0.1 } }).tier).toBe('T3');
  });

  describe('evaluatePortfolio with a quota-mode rule set', () => {
    const quotaBook = bookWith({ ranked: { grade: { tierPolicy: { mode: 'quota' } } } });
    // Ten "ranked" accounts with scores 100, 82.5, …; and two "*" accounts graded by threshold.
    const specs: [string, number, number, number, number][] = [
      // id, revenueWithUs, potential, demonstration, winnability → score (by hand)
      ['r01', 20_000_000, 100_000_000, 80, 80], // 100
      ['r02', 20_000_000, 100_000_000, 40, 40], // 35 + 30 + 7.5 + 10 = 82.5
      ['r03', 10_000_000, 50_000_000, 60, 60], // 29.75 + 25.5 + 11.25 + 15 = 81.5
      ['r04', 5_000_000, 20_000_000, 60, 60], // 24.5 + 21 + 11.25 + 15 = 71.75
      ['r05', 1_000_000, 5_000_000, 40, 40], // 17.5 + 15 + 7.5 + 10 = 50
      ['r06', 1_000_001, 5_000_000, 40, 40], // 50, more revenue than r05
      ['r07', 200_000, 1_000_000, 20, 20], // 10.5 + 9 + 3.75 + 5 = 28.25
      ['r08', 200_000, 1_000_000, 20, 20], // 28.25, tie with r07 → id ascending
      ['r09', 1, 1, 0, 0], // 3.5 + 3 = 6.5
      ['r10', 0, 0, 0, 0], // 0
    ];
    const accounts: Account[] = [
      ...specs.map(([id, revenueWithUs, potential, demonstration, winnability]) =>
        account({ id, industry: 'ranked', revenueWithUs, potential, demonstration, winnability }),
      ),
      account({ id: 's1', industry: 'other' }), // 50 → T3 by threshold
      account({
        id: 's2',
        industry: 'other',
        revenueWithUs: 20_000_000,
        potential: 5_000_000,
        demonstration: 80,
        winnability: 60,
      }), // 80 → T1
    ];

    it('ranks the accounts of the quota set among themselves (N = 10: 1 T1, 2 T2, 3 T3, 4 T4)', () => {
      const decisions = evaluatePortfolio(accounts, quotaBook);
      expect(decisions.map((d) => d.id)).toEqual(accounts.map((a) => a.id)); // input order kept
      const tiers = Object.fromEntries(decisions.map((d) => [d.id, d.tier]));
      // order: r01 100, r02 82.5, r03 81.5, r04 71.75, r06 50 (rev 1,000,001), r05 50, r07 28.25, r08 28.25, r09 6.5, r10 0
      expect(tiers).toMatchObject({
        r01: 'T1',
        r02: 'T2',
        r03: 'T2',
        r04: 'T3',
        r06: 'T3',
        r05: 'T3',
        r07: 'T4',
        r08: 'T4',
        r09: 'T4',
        r10: 'T4',
      });
      // r02 has 82.5 (T1 by threshold) but is T2 by rank; r05 has 50 like s1
      expect(decisions.find((d) => d.id === 'r02')!.score).toBe(82.5);
      expect(tiers).toMatchObject({ s1: 'T3', s2: 'T1' });
    });

    it('the ranked tier drives coverage downstream', () => {
      const d = evaluatePortfolio(accounts, quotaBook).find((x) => x.id === 'r02')!;
      expect(d.coverage).toMatchObject({ line: 'industry', presalesTier: 'priority', track: 'major-project' });
    });

    it('rankQuotaIndustries reports the cutoffs per quota rule set and ignores threshold sets', () => {
      const r = rankQuotaIndustries(accounts, quotaBook);
      expect([...r.cutoffs.keys()]).toEqual(['ranked']);
      expect(r.cutoffs.get('ranked')).toEqual({ T1: 100, T2: 81.5, T3: 50 });
      expect(r.tiers.has('s1')).toBe(false);
    });

    it('the explanation says the tier came from the ranking', () => {
      const a = accounts[1]!;
      const { explanation } = explainAccount(a, quotaBook.forIndustry('ranked'), { quota: { rankedTier: 'T2' } });
      expect(explanation.grade.policy.mode).toBe('quota');
      expect(explanation.grade.tier).toBe('T2');
      expect(explanation.grade.reason).toMatch(/quota/);
    });
  });
});
