import { db } from '$lib/server/db.js';
import { validateHandler } from '$lib/server/rules.js';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = validateHandler(db);
