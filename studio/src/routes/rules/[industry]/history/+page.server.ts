import { db } from '$lib/server/db.js';
import { historyActions, historyLoad } from '$lib/server/rules.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = historyLoad(db);
export const actions: Actions = historyActions(db);
