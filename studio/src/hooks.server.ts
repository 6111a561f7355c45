import { error, redirect, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { isLocale, negotiateLocale, translate, type Locale } from '$i18n/catalog.js';
import { accountSnapshot } from '$db/repositories/account-snapshots.js';
import { clearSessionCookie, resumeSession, SESSION_COOKIE, setSessionCookie } from '$lib/server/auth.js';
import { closeDatabase, database, db } from '$lib/server/db.js';
import { hasRole, isAdminPath } from '$lib/server/guards.js';
import { logIncident } from '$lib/server/incidents.js';
import { MAX_REQUEST_BYTES } from '$lib/server/limits.js';
import { LOCALE_COOKIE } from '$lib/server/locale.js';

/** What a signed-out visitor may use: the sign-in page and the language switch it shows. */
const PUBLIC_PATHS = new Set(['/signin', '/locale']);

export const init: ServerInit = async () => {
  const started = await database();
  // The what-if of `*` reads every account into a snapshot the first time (seconds at 100,000):
  // read it now, in the background, so an admin's first what-if finds it. Start is not delayed;
  // a failure (no tables yet) is only logged, the what-if then reads as it would have.
  void accountSnapshot(started.db, { all: true }).catch((e: unknown) => logIncident(e, 'warming the account snapshot'));
  // adapter-node emits this after SIGTERM/SIGINT once in-flight requests are done; PGlite must be
  // closed to leave its data directory consistent.
  process.once('sveltekit:shutdown', () => void closeDatabase());
};

function isReadOnly(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

function isFormPost(request: Request): boolean {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data' || type === 'text/plain';
}

export const handle: Handle = async ({ event, resolve }) => {
  const { cookies, url, request } = event;
  event.locals.user = null;

  const token = cookies.get(SESSION_COOKIE);
  if (token) {
    const session = await resumeSession(await db(), token);
    if (session) {
      event.locals.user = session.user;
      if (session.renewed) setSessionCookie(cookies, url, token, session.expiresAt);
    } else {
      clearSessionCookie(cookies, url);
    }
  }

  const user = event.locals.user;
  const chosen = cookies.get(LOCALE_COOKIE);
  event.locals.locale = user?.locale ?? (isLocale(chosen) ? chosen : negotiateLocale(request.headers.get('accept-language')));

  if (!user && !PUBLIC_PATHS.has(url.pathname)) {
    // Pages, their data requests and form actions (with or without JavaScript) go to sign-in and
    // come back; a script calling an endpoint gets a plain 401 it can act on.
    if (isReadOnly(request.method) || isFormPost(request)) {
      const next = `${url.pathname}${url.search}`;
      redirect(303, next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`);
    }
    return new Response('Sign-in required', { status: 401, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }

  // Admin-only pages check the role in their layout load (which renders the error page in the
  // app's shell); actions and endpoints are refused here as well, since actions skip layout loads.
  if (isAdminPath(url.pathname) && !isReadOnly(request.method) && !hasRole(user, 'admin')) {
    error(403, 'Forbidden');
  }

  if (Number(request.headers.get('content-length') ?? 0) > MAX_REQUEST_BYTES) return tooLarge(event.locals.locale);

  const response = await resolve(event, {
    transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale),
  });
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  // Pages and data for a signed-in user must not be kept by shared caches or the browser's
  // history cache, where the next user of the machine would find them.
  if (user) response.headers.set('cache-control', 'private, no-store');
  return response;
};

function limitText(): string {
  return `${MAX_REQUEST_BYTES / 1024} KiB`;
}

function tooLarge(locale: Locale): Response {
  const text = translate(locale, 'security.tooLarge', { limit: limitText() });
  return new Response(text, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
}

export const handleError: HandleServerError = ({ error: e, status, message }) => {
  // 404s are routine; anything else is a bug or an outage: logged under an id, and only the id
  // reaches the user (a database error's text names tables and parameters).
  if (status === 404) return { message, key: 'error.404' };
  // A streamed body that ran over adapter-node's limit, which equals MAX_REQUEST_BYTES.
  if (status === 413) return { message: 'Payload Too Large', key: 'security.tooLarge', params: { limit: limitText() } };
  const incident = logIncident(e, `unexpected error (${status})`);
  return { message: `Internal error, reference ${incident}`, key: 'error.500', incident };
};
