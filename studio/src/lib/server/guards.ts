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

/**
 * True for a path under an admin-only prefix, however it is spelled: the router decodes
 * `/%72ules` to `/rules` and collapses `//` and dot segments, so the check must match the path it
 * will route, not the raw one.
 */
export function isAdminPath(pathname: string): boolean {
  const path = routedPath(pathname);
  return ADMIN_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/** `pathname` percent-decoded segment by segment, with repeated slashes and dot segments collapsed. */
export function routedPath(pathname: string): string {
  const decoded = pathname
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/')
    .replace(/[\\/]+/g, '/');
  return new URL(`http://localhost${decoded.startsWith('/') ? '' : '/'}${decoded}`).pathname;
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
 * to send users to another site. The check runs on the path as the URL parser normalised it: dot
 * segments (`/.//host`, `/a/..//host`) and stripped tabs or newlines collapse into `//host` only
 * after parsing, and a browser would follow that to another host.
 */
export function safeReturnPath(value: string | null | undefined, fallback = '/'): string {
  if (!value || !value.startsWith('/') || value.includes('\\')) return fallback;
  try {
    const url = new URL(value, 'http://localhost');
    if (url.origin !== 'http://localhost' || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}

/**
 * False for a request a browser sent from another site: its `Origin` is another origin, or, without
 * one, `Sec-Fetch-Site` says cross-site. SvelteKit checks this only for form content types; an
 * endpoint that acts without reading a form (sign-out) checks it itself. Clients that send neither
 * header (curl, scripts) are not browsers another site can drive, and pass.
 */
export function isSameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null) return origin === url.origin;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}
