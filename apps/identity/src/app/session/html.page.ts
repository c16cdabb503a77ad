import type { Response } from 'express';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** A page with the service's layout; `body` is HTML the caller has escaped. */
export function renderPage(title: string, body: string): string {
  return layout(title, body);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}.error{color:#b00020}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** What the login form shows. */
export interface LoginPageModel {
  /** Hidden CSRF token. */
  readonly csrfToken: string;
  /** Application the user signs in to, if the login continues an authorization request. */
  readonly clientName?: string;
  /** Username to prefill after a failed attempt. */
  readonly username?: string;
  /** Error to show. */
  readonly error?: string;
}

/** The login form; it posts back to `login` relative to the current URL. */
export function renderLoginPage(model: LoginPageModel): string {
  const intro = model.clientName
    ? `<p>Sign in to continue to <strong>${escapeHtml(model.clientName)}</strong>.</p>`
    : '<p>Sign in to the identity service.</p>';
  const error = model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : '';
  return layout(
    'Sign in',
    `${intro}
${error}
<form method="post" action="login">
<input type="hidden" name="csrf_token" value="${escapeHtml(model.csrfToken)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="${escapeHtml(model.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/**
 * "You are signed in as ...": shown by `GET /login` when a session exists and no application is waiting; its sign-out
 * form carries the session's CSRF token.
 */
export function renderSignedInPage(name: string, csrfToken: string): string {
  return layout(
    'Signed in',
    `<p>You are signed in as <strong>${escapeHtml(name)}</strong>.</p>
<form method="post" action="logout">
<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">
<button type="submit">Sign out</button>
</form>`,
  );
}

/** A page with a title and a message. */
export function renderMessagePage(title: string, message: string): string {
  return layout(title, `<p>${escapeHtml(message)}</p>`);
}

/** Sends an HTML page with headers that forbid caching, framing, sniffing and script execution. */
export function sendHtml(response: Response, status: number, html: string): void {
  response
    .status(status)
    .setHeader('Content-Type', 'text/html; charset=utf-8')
    .setHeader('Cache-Control', 'no-store')
    .setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    )
    .setHeader('X-Frame-Options', 'DENY')
    .setHeader('X-Content-Type-Options', 'nosniff')
    .setHeader('Referrer-Policy', 'no-referrer')
    .send(html);
}

/** Redirects without letting the answer be cached (it may carry a code). */
export function sendRedirect(response: Response, status: 302 | 303, location: string): void {
  response.status(status).setHeader('Cache-Control', 'no-store').setHeader('Location', location).end();
}
