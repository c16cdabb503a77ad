import type { CookieOptions, Request } from 'express';

/** Name of the SSO session cookie. */
export const SESSION_COOKIE = 'identity_session';

/** Name of the cookie binding a login form to its CSRF token. */
export const LOGIN_COOKIE = 'identity_login';

/** Reads one cookie from the request header; the last occurrence wins, malformed encodings are ignored. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    try {
      found = decodeURIComponent(part.slice(separator + 1).trim());
    } catch {
      continue;
    }
  }
  return found;
}

/** Attributes of the cookies this service sets: HttpOnly, SameSite=Lax, Path=/, Secure when the issuer is https. */
export function cookieOptions(issuer: string, maxAgeSeconds: number): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: issuer.startsWith('https:'),
    maxAge: maxAgeSeconds * 1000,
  };
}
