/**
 * Links that change a few query parameters of the current page. Any change but the page number
 * itself goes back to page 1: page 7 of another filter is rarely what the user wants.
 */
export function hrefWith(url: URL, changes: Record<string, string | number | null | undefined>): string {
  const next = new URL(url);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') next.searchParams.delete(key);
    else next.searchParams.set(key, String(value));
  }
  if (!('page' in changes)) next.searchParams.delete('page');
  // Empty parameters left by a submitted filter form only make links longer.
  for (const [key, value] of [...next.searchParams]) if (value === '') next.searchParams.delete(key);
  return `${next.pathname}${next.search}`;
}
