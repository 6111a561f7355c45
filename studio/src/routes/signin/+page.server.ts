import { fail, redirect } from '@sveltejs/kit';
import {
  checkCredentials,
  clearSessionCookie,
  endSession,
  SESSION_COOKIE,
  setSessionCookie,
  setUserLocale,
  startSession,
} from '$lib/server/auth.js';
import { takeSignInLocale } from '$lib/server/locale.js';
import { db } from '$lib/server/db.js';
import { safeReturnPath } from '$lib/server/guards.js';
import { signInThrottle } from '$lib/server/sign-in-throttle.js';
import { DerivationsBusy } from '$db/auth/password.js';
import type { MessageKey } from '$i18n/catalog.js';
import type { Actions, PageServerLoad } from './$types.js';

const HOME = '/portfolio';

export const load: PageServerLoad = ({ locals, url }) => {
  if (locals.user) redirect(303, safeReturnPath(url.searchParams.get('next'), HOME));
  return { signedOut: url.searchParams.has('signedout'), needed: url.searchParams.has('next') };
};

export const actions: Actions = {
  default: async ({ request, cookies, url, getClientAddress, setHeaders }) => {
    const form = await request.formData();
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    if (!email || !password) return fail(400, { email, error: 'auth.error.missing' satisfies MessageKey });

    // Throttled before any password is derived: a burst of guesses costs no scrypt work.
    const address = getClientAddress();
    const throttled = (seconds: number) => {
      setHeaders({ 'retry-after': String(seconds) });
      return fail(429, { email, error: 'security.throttled' satisfies MessageKey, seconds });
    };
    const wait = signInThrottle.retryAfterSeconds(email, address);
    if (wait > 0) return throttled(wait);

    const database = await db();
    let user;
    try {
      user = await checkCredentials(database, email, password);
    } catch (e) {
      if (e instanceof DerivationsBusy) return throttled(1);
      throw e;
    }
    if (!user) {
      signInThrottle.failed(email, address);
      return fail(400, { email, error: 'auth.error.invalid' satisfies MessageKey });
    }
    signInThrottle.succeeded(email);

    // A session that was there before signing in is never reused (session fixation).
    const previous = cookies.get(SESSION_COOKIE);
    if (previous) {
      await endSession(database, previous);
      clearSessionCookie(cookies, url);
    }
    // The language picked on this page (before signing in) becomes the user's own.
    const chosen = takeSignInLocale(cookies, url);
    if (chosen && chosen !== user.locale) await setUserLocale(database, user.id, chosen);
    const { token, expiresAt } = await startSession(database, user.id);
    setSessionCookie(cookies, url, token, expiresAt);
    redirect(303, safeReturnPath(url.searchParams.get('next'), HOME));
  },
};
