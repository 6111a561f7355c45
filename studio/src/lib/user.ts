/** The signed-in user as pages and components see it (never the password hash). */
export type Role = 'admin' | 'manager';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  locale: 'zh-CN' | 'en';
}

/**
 * Whether the page's signed-in user (`page.data.user`, from the root layout) is an admin: for
 * showing identifiers on hover, never for access (the server checks every request).
 */
export function viewsAsAdmin(pageData: Record<string, unknown>): boolean {
  return (pageData['user'] as SessionUser | null | undefined)?.role === 'admin';
}
