import { randomUUID } from 'node:crypto';

/** An order, as orders-api answers with it. */
export interface Order {
  /** Order id. */
  readonly id: string;
  /** Ordered SKU. */
  readonly sku: string;
  /** Ordered units. */
  readonly quantity: number;
  /** Always `reserved`: an order exists only once inventory-service reserved its stock. */
  readonly status: 'reserved';
  /** inventory-service's reservation id. */
  readonly reservationId: string;
  /** `sub` of the user who placed it. */
  readonly createdBy: string;
  /** `iss` of the token that placed it: a subject is unique only within its issuer. */
  readonly issuer: string;
  /** ISO timestamp. */
  readonly createdAt: string;
}

/** In-memory orders, per user: keyed by issuer and subject (a sample service: nothing survives a restart). */
export class OrdersStore {
  private readonly orders: Order[] = [];

  /** A fresh order id. */
  nextId(): string {
    return `ord-${randomUUID()}`;
  }

  /** Keep an order. */
  add(order: Order): Order {
    this.orders.push(order);
    return order;
  }

  /** The orders of one user (`iss` and `sub` both match), oldest first. */
  forUser(issuer: string, sub: string): Order[] {
    return this.orders.filter((order) => order.issuer === issuer && order.createdBy === sub);
  }
}
