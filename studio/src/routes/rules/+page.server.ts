import { db } from '$lib/server/db.js';
import { indexLoad } from '$lib/server/rules.js';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = indexLoad(db);
