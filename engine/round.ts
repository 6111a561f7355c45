/** The one rounding rule of ESP-PLUS.md for scores, closeness and amounts: 2 decimals, half up. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Band minimums scaled by an industry factor are rounded to 6 decimals so that, e.g., 1.2 × 200,000
 * is exactly 240,000 and a value at the band minimum still reaches it.
 */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
