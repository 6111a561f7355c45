import { db } from '$lib/server/db.js';
import { benchActions, benchLoad } from '$lib/server/rules.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = benchLoad(db);
export const actions: Actions = benchActions(db);
