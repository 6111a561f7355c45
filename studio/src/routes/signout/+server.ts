import { redirect } from '@sveltejs/kit';
import { clearSessionCookie, endSession, SESSION_COOKIE } from '$lib/server/auth.js';
import { db } from '$lib/server/db.js';
import type { RequestHandler } from './$types.js';

// POST only: a GET link could be triggered by an <img> on another page and sign people out.
export const POST: RequestHandler = async ({ cookies, url }) => {
  const token = cookies.get(SESSION_COOKIE);
  if (token) await endSession(await db(), token);
  clearSessionCookie(cookies, url);
  redirect(303, '/signin?signedout');
};
