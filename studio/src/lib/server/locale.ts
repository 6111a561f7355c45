/** Locale and formatting settings that come from the deployment or the visitor. */
import { DEFAULT_CURRENCY, type I18nSettings } from '../i18n/index.js';
import type { Locale } from '$i18n/catalog.js';

/** Remembers a language picked before signing in (signed-in users keep theirs on their record). */
export const LOCALE_COOKIE = 'esp_locale';

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
