import type { Response } from 'express';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** A link in the page header. */
export interface NavLink {
  readonly href: string;
  readonly label: string;
}

/** What every page shows around its content. */
export interface PageFrame {
  /** The app's title, e.g. `Web Portal`. */
  readonly appTitle: string;
  /** Links of the app (e.g. Orders). */
  readonly nav: readonly NavLink[];
  /** Who is signed in, if anyone. */
  readonly signedInAs?: string;
}

/** A full page; `body` is HTML the caller has escaped. */
export function renderPage(frame: PageFrame, title: string, body: string): string {
  const links = [{ href: '/', label: 'Home' }, ...frame.nav]
    .map((link) => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>`)
    .join(' ');
  const account = frame.signedInAs
    ? `<span class="who">Signed in as <strong>${escapeHtml(frame.signedInAs)}</strong></span>
<form method="post" action="/logout" class="inline"><button type="submit">Sign out</button></form>`
    : '<a href="/login">Sign in</a>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - ${escapeHtml(frame.appTitle)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}header{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #ccc;padding-bottom:.5rem}header .app{font-weight:bold}header .account{margin-left:auto;display:flex;gap:.5rem;align-items:center}.inline{display:inline}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}.error{color:#b00020}</style>
</head>
<body>
<header><span class="app">${escapeHtml(frame.appTitle)}</span> ${links}<span class="account">${account}</span></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** Sends an HTML page with headers that forbid caching, framing, sniffing and scripts. */
export function sendHtml(response: Response, status: number, html: string): void {
  response
    .status(status)
    .setHeader('Content-Type', 'text/html; charset=utf-8')
    .setHeader('Cache-Control', 'no-store')
    .setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    )
    .setHeader('X-Frame-Options', 'DENY')
    .setHeader('X-Content-Type-Options', 'nosniff')
    .setHeader('Referrer-Policy', 'no-referrer')
    .send(html);
}

/** Redirects without caching. */
export function sendRedirect(response: Response, location: string, status: 302 | 303 = 302): void {
  response.status(status).setHeader('Cache-Control', 'no-store').setHeader('Location', location).end();
}

/** The error page: 401 (sign in again), 403 (not allowed), 502/503 (a service is down). */
export function renderErrorPage(frame: PageFrame, status: number, title: string, message: string): string {
  const hint =
    status === 401
      ? '<p><a href="/login">Sign in again</a></p>'
      : status === 403
        ? '<p>Ask an administrator for access, or sign in as someone who has it.</p>'
        : '<p>Try again in a moment.</p>';
  return renderPage(
    frame,
    title,
    `<p class="error" role="alert">${escapeHtml(message)}</p>\n<p>HTTP ${status}</p>\n${hint}`,
  );
}
