import { fail, redirect } from '@sveltejs/kit';
import {
  checkCredentials,
  clearSessionCookie,
  endSession,
  SESSION_COOKIE,
  setSessionCookie,
  startSession,
} from '$lib/server/auth.js';
import { db } from '$lib/server/db.js';
import { safeReturnPath } from '$lib/server/guards.js';
import type { MessageKey } from '$i18n/catalog.js';
import type { Actions, PageServerLoad } from './$types';

const HOME = '/portfolio';

export const load: PageServerLoad = ({ locals, url }) => {
  if (locals.user) redirect(303, safeReturnPath(url.searchParams.get('next'), HOME));
  return { signedOut: url.searchParams.has('signedout'), needed: url.searchParams.has('next') };
};

export const actions: Actions = {
  default: async ({ request, cookies, url }) => {
    const form = await request.formData();
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    if (!email || !password) return fail(400, { email, error: 'auth.error.missing' satisfies MessageKey });

    const database = await db();
    const user = await checkCredentials(database, email, password);
    if (!user) return fail(400, { email, error: 'auth.error.invalid' satisfies MessageKey });

    // A session that was there before signing in is never reused (session fixation).
    const previous = cookies.get(SESSION_COOKIE);
    if (previous) {
      await endSession(database, previous);
      clearSessionCookie(cookies, url);
    }
    const { token, expiresAt } = await startSession(database, user.id);
    setSessionCookie(cookies, url, token, expiresAt);
    redirect(303, safeReturnPath(url.searchParams.get('next'), HOME));
  },
};
