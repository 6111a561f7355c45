import { i18nSettings } from '$lib/server/locale.js';
import type { LayoutServerLoad } from './$types.js';

export const load: LayoutServerLoad = ({ locals }) => ({
  user: locals.user,
  i18n: i18nSettings(locals.locale),
});
