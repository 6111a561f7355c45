/** Locale and formatting settings that come from the deployment or the visitor. */
import type { Cookies } from '@sveltejs/kit';
import { DEFAULT_CURRENCY, type I18nSettings } from '../i18n/index.js';
import { isLocale, type Locale } from '$i18n/catalog.js';

/** Remembers a language picked before signing in (signed-in users keep theirs on their record). */
export const LOCALE_COOKIE = 'esp_locale';

/**
 * A language chosen while signed out: the next sign-in in this browser stores it on the user.
 * Separate from LOCALE_COOKIE, which also outlives a sign-out: a sign-in page merely shown in the
 * last user's language must not change the next user's own choice.
 */
export const SIGN_IN_LOCALE_COOKIE = 'esp_signin_locale';

const SIGN_IN_LOCALE_OPTIONS = (url: URL) =>
  ({ path: '/signin', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' }) as const;

/** Called by the language switch for a signed-out visitor. */
export function rememberSignInLocale(cookies: Cookies, url: URL, locale: Locale): void {
  cookies.set(SIGN_IN_LOCALE_COOKIE, locale, { ...SIGN_IN_LOCALE_OPTIONS(url), maxAge: 60 * 60 * 24 });
}

/** The language chosen before this sign-in, if any; the choice is used once. */
export function takeSignInLocale(cookies: Cookies, url: URL): Locale | null {
  const chosen = cookies.get(SIGN_IN_LOCALE_COOKIE);
  if (chosen === undefined) return null;
  cookies.delete(SIGN_IN_LOCALE_COOKIE, SIGN_IN_LOCALE_OPTIONS(url));
  return isLocale(chosen) ? chosen : null;
}

function validCurrency(code: string | undefined): string {
  if (!code || !/^[A-Za-z]{3}$/.test(code)) return DEFAULT_CURRENCY;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return code.toUpperCase();
  } catch {
    return DEFAULT_CURRENCY;
  }
}

function validTimeZone(zone: string | undefined): string {
  const fallback = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return fallback;
  }
}

/** Read per request (cheap) so tests and restarts with another environment see the change. */
export function i18nSettings(locale: Locale): I18nSettings {
  return {
    locale,
    currency: validCurrency(process.env['ESP_CURRENCY']),
    timeZone: validTimeZone(process.env['ESP_TIMEZONE'] ?? process.env['TZ']),
  };
}
