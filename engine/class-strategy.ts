/**
 * The nine-box's classes and what the ESP+ method does with each (seed §3.2.2.2, 客户分类): the C
 * accounts, high potential but not yet high contribution, are the ones to grow (重点提升); A and B
 * are mature, kept with a reasonable investment (维系); D have little potential and are not worth a
 * large investment. The studio shows it in every nine-box; the strategy rules decide per account.
 */
import type { AccountClass, InvestmentLevel, Strategy } from './model.js';

export const CLASS_STRATEGY: Readonly<Record<AccountClass, { strategy: Strategy; investment: InvestmentLevel }>> = {
  A: { strategy: 'retain', investment: 'medium' },
  B: { strategy: 'retain', investment: 'medium' },
  C: { strategy: 'grow', investment: 'high' },
  D: { strategy: 'retain', investment: 'low' },
};
