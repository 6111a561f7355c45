import { error, redirect } from '@sveltejs/kit';
import { isLocale } from '$i18n/catalog.js';
import { setUserLocale } from '$lib/server/auth.js';
import { db } from '$lib/server/db.js';
import { isSameOrigin, safeReturnPath } from '$lib/server/guards.js';
import { LOCALE_COOKIE, rememberSignInLocale } from '$lib/server/locale.js';
import type { RequestHandler } from './$types.js';

/**
 * Switches the language: stored on the user when signed in (it follows them to other browsers),
 * and in a cookie either way (so the sign-in page keeps it after signing out). Chosen while signed
 * out, it is also kept for the sign-in, which stores it on the user who signs in.
 */
export const POST: RequestHandler = async ({ request, cookies, locals, url }) => {
  if (!isSameOrigin(request, url)) error(403, { message: 'Cross-site language switch refused', key: 'security.crossSite' });
  const form = await request.formData();
  const locale = form.get('locale');
  if (!isLocale(locale)) error(400, { message: 'Unknown locale', key: 'error.generic' });
  if (locals.user) await setUserLocale(await db(), locals.user.id, locale);
  else rememberSignInLocale(cookies, url, locale);
  cookies.set(LOCALE_COOKIE, locale, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    maxAge: 60 * 60 * 24 * 365,
  });
  redirect(303, safeReturnPath(String(form.get('next') ?? ''), '/'));
};
