/**
 * Finding an item of a list by id without allocating for the short lists an account holds
 * (contacts, competitors): they are scanned; a list longer than SCAN_LIMIT gets a map of first
 * positions, built once per check, so a huge list stays linear.
 */
const SCAN_LIMIT = 16;

/** The first position of each id, for a list too long to scan; undefined for a short list. */
export function idPositions(items: readonly { id: string }[]): Map<string, number> | undefined {
  if (items.length <= SCAN_LIMIT) return undefined;
  const map = new Map<string, number>();
  for (let i = 0; i < items.length; i++) if (!map.has(items[i]!.id)) map.set(items[i]!.id, i);
  return map;
}

/** The position of the first item with `id` before `end`, or -1; `positions` from `idPositions(items)`. */
export function positionOf(
  items: readonly { id: string }[],
  positions: Map<string, number> | undefined,
  id: string,
  end = items.length,
): number {
  if (positions) {
    const i = positions.get(id);
    return i !== undefined && i < end ? i : -1;
  }
  for (let i = 0; i < end; i++) if (items[i]!.id === id) return i;
  return -1;
}
