// See https://svelte.dev/docs/kit/types#app.d.ts
import type { MessageKey, Locale } from '$i18n/catalog.js';
import type { SessionUser } from '$lib/user.js';

declare global {
  namespace App {
    interface Locals {
      user: SessionUser | null;
      locale: Locale;
    }
    interface Error {
      message: string;
      /** The catalogue key the error page shows, so errors read in the user's language. */
      key?: MessageKey;
      /** The message's parameters. */
      params?: Record<string, string>;
      /** The id an unexpected error was logged under, shown so support can find it. */
      incident?: string;
    }
  }
}

export {};
