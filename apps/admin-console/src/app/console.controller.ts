import { Controller, Get, Req, Res } from '@nestjs/common';
import { escapeHtml, renderPage, sendHtml, WebSessionService } from '@nest-sso/oidc-web';
import type { Request, Response } from 'express';

interface StockLevel {
  readonly sku: string;
  readonly available: number;
  readonly reserved: number;
}

/** The console's pages: who is signed in, and the inventory (an admin action: orders-api needs `inventory:admin`). */
@Controller()
export class ConsoleController {
  constructor(private readonly web: WebSessionService) {}

  /** Home: who is signed in, or a sign-in link. */
  @Get()
  home(@Req() request: Request, @Res() response: Response): void {
    const session = this.web.current(request);
    const body = session
      ? `<p>Signed in as <strong>${escapeHtml(session.name)}</strong> (<code>${escapeHtml(session.sub)}</code>).</p>
<p>Granted scopes: <code>${escapeHtml(session.scopes.join(' '))}</code></p>
<p><a href="/inventory">Inventory (administrators only)</a></p>`
      : '<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a> with the identity service.</p>';
    sendHtml(response, 200, renderPage(this.web.frame(session), 'Admin Console', body));
  }

  /** Stock levels from inventory-service, read through `GET /admin/inventory` of orders-api. */
  @Get('inventory')
  async inventory(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = await this.web.requireSession(request, response, '/inventory');
    if (!session) return;
    const result = await this.web.callOrdersApi(session, '/admin/inventory');
    if (!result.ok) return this.web.sendError(response, session, result.status, result.title, result.message);
    const levels = ((result.body as { stock?: StockLevel[] } | undefined)?.stock ?? []) as StockLevel[];
    const rows = levels
      .map(
        (level) =>
          `<tr><td>${escapeHtml(level.sku)}</td><td>${escapeHtml(level.available)}</td><td>${escapeHtml(level.reserved)}</td></tr>`,
      )
      .join('\n');
    const table = `<table id="inventory"><thead><tr><th>SKU</th><th>Available</th><th>Reserved</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
    sendHtml(response, 200, renderPage(this.web.frame(session), 'Inventory', table));
  }
}
