import { db } from '$lib/server/db.js';
import { whatIfActions, whatIfLoad } from '$lib/server/rules.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = whatIfLoad(db);
export const actions: Actions = whatIfActions(db);
