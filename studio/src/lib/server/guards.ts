/**
 * Access control for loads, actions and endpoints. Hidden buttons are not access control: every
 * server entry point checks the role itself, and the hooks refuse mutations on admin-only paths.
 */
import { error } from '@sveltejs/kit';
import type { Role, SessionUser } from '../user.js';

export type { Role };

/** What each role may do: an admin may do everything a manager may. */
const RANK: Record<Role, number> = { manager: 1, admin: 2 };

/** Paths whose every page, action and endpoint is for admins only. */
export const ADMIN_PATHS = ['/rules'] as const;

export function isAdminPath(pathname: string): boolean {
  return ADMIN_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

export function hasRole(user: SessionUser | null, role: Role): boolean {
  return user !== null && RANK[user.role] >= RANK[role];
}

/** `App.Locals`, or anything else that carries the signed-in user. */
interface WithUser {
  user: SessionUser | null;
}

// The error page words these by status (`error.401`, `error.403`) in the user's language.

/** The signed-in user; the hooks already sent signed-out visitors to sign in, this narrows the type. */
export function requireUser(locals: WithUser): SessionUser {
  if (!locals.user) error(401, 'Sign-in required');
  return locals.user;
}

/** The signed-in user when they have at least `role`, else a 403. */
export function requireRole(locals: WithUser, role: Role): SessionUser {
  const user = requireUser(locals);
  if (!hasRole(user, role)) error(403, 'Forbidden');
  return user;
}

/**
 * A same-site path to return to after sign-in or a language switch. Anything else (another origin,
 * a protocol-relative `//host`, a backslash trick) falls back, so these parameters cannot be used
 * to send users to another site.
 */
export function safeReturnPath(value: string | null | undefined, fallback = '/'): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  try {
    const url = new URL(value, 'http://localhost');
    if (url.origin !== 'http://localhost') return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}
