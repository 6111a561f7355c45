/** Stage 3, classify (客户分类 / 九宫格): nine-box of potential × contribution → class A–D. */
import type { AccountClass, Level } from '../model.js';
import type { RuleSet } from '../ruleset-format/schema.js';
import type { DimensionScores } from './grade.js';

export interface ClassifyResult {
  class: AccountClass;
  contributionLevel: Level;
  potentialLevel: Level;
}

export function level(score: number, cuts: RuleSet['classify']['cuts']): Level {
  if (score < cuts.M) return 'L';
  if (score < cuts.H) return 'M';
  return 'H';
}

/** Matrix rows are potential H, M, L (as the method's table reads); columns contribution L, M, H. */
const ROW: Record<Level, number> = { H: 0, M: 1, L: 2 };
const COLUMN: Record<Level, number> = { L: 0, M: 1, H: 2 };

export function matrixCell(potential: Level, contribution: Level): { row: number; column: number } {
  return { row: ROW[potential], column: COLUMN[contribution] };
}

/** Contribution is the revenue dimension score, potential the potential dimension score. */
export function classify(dimensions: DimensionScores, rules: RuleSet): ClassifyResult {
  const { cuts } = rules.classify;
  const contributionLevel = level(dimensions.revenue, cuts);
  const potentialLevel = level(dimensions.potential, cuts);
  return { class: classOf(potentialLevel, contributionLevel, rules), contributionLevel, potentialLevel };
}

/** The nine-box cell's class. */
export function classOf(potentialLevel: Level, contributionLevel: Level, rules: RuleSet): AccountClass {
  return rules.classify.matrix[ROW[potentialLevel]]![COLUMN[contributionLevel]]!;
}
