import { error, redirect } from '@sveltejs/kit';
import { clearSessionCookie, endSession, SESSION_COOKIE } from '$lib/server/auth.js';
import { db } from '$lib/server/db.js';
import { isSameOrigin } from '$lib/server/guards.js';
import type { RequestHandler } from './$types.js';

// POST only: a GET link could be triggered by an <img> on another page and sign people out; and
// from this site only, since a cross-site POST without a form body skips SvelteKit's own check.
export const POST: RequestHandler = async ({ cookies, url, request }) => {
  if (!isSameOrigin(request, url)) error(403, { message: 'Cross-site sign-out refused', key: 'security.crossSite' });
  const token = cookies.get(SESSION_COOKIE);
  if (token) await endSession(await db(), token);
  clearSessionCookie(cookies, url);
  redirect(303, '/signin?signedout');
};
