import { db } from '$lib/server/db.js';
import { editorActions, editorLoad } from '$lib/server/rules.js';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = editorLoad(db);
export const actions: Actions = editorActions(db);
