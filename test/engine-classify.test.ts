/**
 * Stage 3, classify (ESP-PLUS.md "Classify: nine-box"): contribution = the revenue dimension score,
 * potential = the potential dimension score; L below 40, M from 40 to below 70, H from 70.
 *
 *   potential \ contribution   L  M  H
 *   H                          C  C  A
 *   M                          D  B  A
 *   L                          D  D  B
 */
import { describe, expect, it } from 'vitest';
import { classify, decideAccount, level, matrixCell, type DimensionScores } from '../engine/index.js';
import { account, defaultBook, rulesWith } from './helpers/accounts.js';

const rules = defaultBook().forIndustry('*');
const rs = rules.ruleSet;
const dims = (revenue: number, potential: number): DimensionScores => ({ revenue, potential, demonstration: 0, winnability: 0 });

describe('levels: L < 40 ≤ M < 70 ≤ H', () => {
  it('exactly at the cuts', () => {
    const cuts = rs.classify.cuts;
    expect(cuts).toEqual({ M: 40, H: 70 });
    expect(level(0, cuts)).toBe('L');
    expect(level(39.99, cuts)).toBe('L');
    expect(level(40, cuts)).toBe('M');
    expect(level(69.99, cuts)).toBe('M');
    expect(level(70, cuts)).toBe('H');
    expect(level(100, cuts)).toBe('H');
  });
});

describe('the nine cells of the default matrix', () => {
  // [contribution score, potential score, class]; one cell per line
  const cells: [number, number, 'A' | 'B' | 'C' | 'D', string][] = [
    [39.99, 70, 'C', 'potential H × contribution L'],
    [40, 70, 'C', 'potential H × contribution M'],
    [70, 70, 'A', 'potential H × contribution H'],
    [39.99, 69.99, 'D', 'potential M × contribution L'],
    [40, 40, 'B', 'potential M × contribution M'],
    [70, 40, 'A', 'potential M × contribution H'],
    [0, 39.99, 'D', 'potential L × contribution L'],
    [69.99, 0, 'D', 'potential L × contribution M'],
    [100, 39.99, 'B', 'potential L × contribution H'],
  ];
  for (const [contribution, potential, cls, label] of cells) {
    it(`${label} → ${cls} (scores ${contribution} / ${potential})`, () => {
      expect(classify(dims(contribution, potential), rs).class).toBe(cls);
    });
  }

  it('reports the levels and the matrix cell (rows potential H, M, L; columns contribution L, M, H)', () => {
    expect(classify(dims(40, 70), rs)).toEqual({ class: 'C', contributionLevel: 'M', potentialLevel: 'H' });
    expect(matrixCell('H', 'L')).toEqual({ row: 0, column: 0 });
    expect(matrixCell('L', 'H')).toEqual({ row: 2, column: 2 });
    expect(matrixCell('M', 'M')).toEqual({ row: 1, column: 1 });
  });

  it('ignores demonstration and winnability', () => {
    expect(classify({ revenue: 10, potential: 10, demonstration: 100, winnability: 100 }, rs).class).toBe('D');
  });
});

describe('end to end from raw amounts (bands of *)', () => {
  // revenue 5,000,000 → 70 (H); potential 20,000,000 → 70 (H): A
  it('band scores that land exactly on the H cut (70) are H', () => {
    const d = decideAccount(account({ revenueWithUs: 5_000_000, potential: 20_000_000 }), rules);
    expect(d).toMatchObject({ contributionLevel: 'H', potentialLevel: 'H', class: 'A' });
  });
  // revenue 4,999,999 → 50 (M); potential 19,999,999 → 50 (M): B
  it('one unit below the band that reaches H is M', () => {
    const d = decideAccount(account({ revenueWithUs: 4_999_999, potential: 19_999_999 }), rules);
    expect(d).toMatchObject({ contributionLevel: 'M', potentialLevel: 'M', class: 'B' });
  });
  // revenue 999,999 → 30 (L); potential 100,000,000 → 100 (H): C
  it('high potential with low contribution is C', () => {
    expect(decideAccount(account({ revenueWithUs: 999_999, potential: 100_000_000 }), rules).class).toBe('C');
  });
  // revenue 20,000,000 → 100 (H); potential 999,999 → 30 (L): B
  it('high contribution with low potential is B', () => {
    expect(decideAccount(account({ revenueWithUs: 20_000_000, potential: 999_999 }), rules).class).toBe('B');
  });
  it('an industry scales the bands and so the class (finance: 5,000,000 → 50, M)', () => {
    const finance = defaultBook().forIndustry('finance');
    // finance: 5,000,000 ≥ 2,000,000 → 50 (M); 20,000,000 ≥ 10,000,000 → 50 (M): B (A in *)
    expect(decideAccount(account({ industry: 'finance', revenueWithUs: 5_000_000, potential: 20_000_000 }), finance).class).toBe(
      'B',
    );
  });
});

describe('rule sets can change the cuts and the matrix', () => {
  it('custom cuts move the levels', () => {
    const r = rulesWith({ classify: { cuts: { M: 50, H: 85 } } }).ruleSet;
    expect(classify(dims(49.99, 85), r)).toEqual({ class: 'C', contributionLevel: 'L', potentialLevel: 'H' });
    expect(classify(dims(50, 84.99), r)).toEqual({ class: 'B', contributionLevel: 'M', potentialLevel: 'M' });
  });
  it('a custom matrix is read rows potential H, M, L and columns contribution L, M, H', () => {
    const r = rulesWith({
      classify: {
        matrix: [
          ['A', 'B', 'C'],
          ['D', 'A', 'B'],
          ['C', 'D', 'A'],
        ],
      },
    }).ruleSet;
    expect(classify(dims(0, 100), r).class).toBe('A'); // H row, L column
    expect(classify(dims(100, 100), r).class).toBe('C'); // H row, H column
    expect(classify(dims(0, 0), r).class).toBe('C'); // L row, L column
    expect(classify(dims(50, 0), r).class).toBe('D'); // L row, M column
  });
});
