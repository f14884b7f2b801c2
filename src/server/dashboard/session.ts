// The dashboard's session cookie: a browser cannot send a bearer token on a page load, so the
// API token is exchanged once (POST /ui/login) for a cookie whose value is an HMAC of it.
// Stateless: nothing to store, and changing the token ends every session.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../routes.js';
import type { HttpRequest } from '../http-types.js';

export const SESSION_COOKIE = 'flotilla_session';

export function sessionValue(apiToken: string): string {
  return createHmac('sha256', apiToken).update('flotilla dashboard session v1').digest('hex');
}

/** The Set-Cookie header for a signed-in browser: not readable by script, never sent cross-site. */
export function sessionCookie(apiToken: string): string {
  return `${SESSION_COOKIE}=${sessionValue(apiToken)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200`;
}

function cookie(req: HttpRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** True when no token is configured, or the request carries the session cookie or the bearer token. */
export function signedIn(req: HttpRequest, apiToken: string | undefined): boolean {
  if (apiToken === undefined) return true;
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Bearer ') && constantTimeEqual(header.slice(7), apiToken)) return true;
  return constantTimeEqual(cookie(req, SESSION_COOKIE) ?? '', sessionValue(apiToken));
}
