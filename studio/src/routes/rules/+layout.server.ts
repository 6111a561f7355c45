import { requireRole } from '$lib/server/guards.js';
import type { LayoutServerLoad } from './$types.js';

// Every page under /rules is for admins; the hooks also refuse non-admin actions and endpoints here.
export const load: LayoutServerLoad = ({ locals }) => {
  requireRole(locals, 'admin');
};
