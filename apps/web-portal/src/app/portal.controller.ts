import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { escapeHtml, renderPage, sendHtml, sendRedirect, WebSessionService } from '@nest-sso/oidc-web';
import type { Request, Response } from 'express';

interface Order {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
  readonly status: string;
  readonly createdAt: string;
}

const SKUS = ['SKU-1', 'SKU-2', 'SKU-3'];

/** The portal's pages: who is signed in, and their orders (read from and placed in orders-api with their token). */
@Controller()
export class PortalController {
  constructor(private readonly web: WebSessionService) {}

  /** Home: who is signed in, or a sign-in link. */
  @Get()
  home(@Req() request: Request, @Res() response: Response): void {
    const session = this.web.current(request);
    const body = session
      ? `<p>Welcome, <strong>${escapeHtml(session.name)}</strong> (<code>${escapeHtml(session.sub)}</code>).</p>
<p>Granted scopes: <code>${escapeHtml(session.scopes.join(' '))}</code></p>
<p>Access token renewed ${session.refreshCount} time(s); it stays on this server, never in your browser.</p>
<p><a href="/orders">Your orders</a></p>`
      : '<p>You are not signed in.</p>\n<p><a href="/login">Sign in</a> with the identity service.</p>';
    sendHtml(response, 200, renderPage(this.web.frame(session), 'Web Portal', body));
  }

  /** The person's orders from `GET /orders` of orders-api. */
  @Get('orders')
  async orders(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = await this.web.requireSession(request, response, '/orders');
    if (!session) return;
    const result = await this.web.callOrdersApi(session, '/orders');
    if (!result.ok) return this.web.sendError(response, session, result.status, result.title, result.message);
    const orders = ((result.body as { orders?: Order[] } | undefined)?.orders ?? []) as Order[];
    const rows = orders
      .map(
        (order) =>
          `<tr><td>${escapeHtml(order.id)}</td><td>${escapeHtml(order.sku)}</td><td>${escapeHtml(order.quantity)}</td><td>${escapeHtml(order.status)}</td><td>${escapeHtml(order.createdAt)}</td></tr>`,
      )
      .join('\n');
    const table =
      orders.length === 0
        ? '<p class="empty">No orders yet.</p>'
        : `<table id="orders"><thead><tr><th>Order</th><th>SKU</th><th>Quantity</th><th>Status</th><th>Placed</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
    const form = `<h2>Place an order</h2>
<form method="post" action="/orders">
<label>SKU <select name="sku">${SKUS.map((sku) => `<option>${sku}</option>`).join('')}</select></label>
<label>Quantity <input name="quantity" type="number" min="1" max="10" value="1"></label>
<button type="submit">Order</button>
</form>`;
    const title = `Orders of ${session.name}`;
    sendHtml(response, 200, renderPage(this.web.frame(session), title, `${table}\n${form}`));
  }

  /** Places an order through `POST /orders` of orders-api, then shows the list. */
  @Post('orders')
  async place(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = await this.web.requireSession(request, response, '/orders');
    if (!session) return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const sku = typeof body['sku'] === 'string' && SKUS.includes(body['sku']) ? body['sku'] : SKUS[0];
    const quantity = Number(body['quantity']);
    const result = await this.web.callOrdersApi(session, '/orders', {
      method: 'POST',
      body: { sku, quantity: Number.isInteger(quantity) && quantity > 0 && quantity <= 10 ? quantity : 1 },
    });
    if (!result.ok) return this.web.sendError(response, session, result.status, result.title, result.message);
    sendRedirect(response, '/orders', 303);
  }
}
