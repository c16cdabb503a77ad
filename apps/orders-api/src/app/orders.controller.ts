import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Optional,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { AccessToken, CurrentUser, Scopes, type AuthPrincipal } from '@nest-sso/jwt-auth';
import {
  INVENTORY_SCOPES,
  InventoryClient,
  InventoryContractError,
  parseReserveStockRequest,
} from '@nest-sso/inventory-contracts';
import { inventoryErrorToHttp, inventoryNotConfigured } from './inventory-error.mapper';
import { OrdersStore, type Order } from './orders.store';

/** Whose orders these are: issuer and subject together (a `sub` is unique only within its issuer). */
function ownerOf(user: AuthPrincipal): { issuer: string; subject: string } {
  // The verifier requires `sub` (RFC 9068 profile); checked again because the store must never file under nobody.
  if (!user.subject) throw new UnauthorizedException();
  return { issuer: user.issuer, subject: user.subject };
}

/** Orders of the signed-in user; placing one reserves stock in inventory-service with the user's relayed token. */
@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersStore,
    // Absent when orders-api runs without INVENTORY_PORT: listing works, placing an order answers 503.
    @Optional() private readonly inventory?: InventoryClient,
  ) {}

  /** The caller's orders. */
  @Get()
  @ApiOkResponse({ description: 'The orders placed by the caller (`sub`)' })
  @Scopes('orders:read')
  list(@CurrentUser() user: AuthPrincipal): { orders: Order[] } {
    const { issuer, subject } = ownerOf(user);
    return { orders: this.orders.forUser(issuer, subject) };
  }

  /** Place an order: `{ sku, quantity }`. */
  @Post()
  @HttpCode(201)
  @Scopes('orders:write')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['sku', 'quantity'],
      properties: { sku: { type: 'string', example: 'SKU-1' }, quantity: { type: 'integer', minimum: 1, example: 1 } },
    },
  })
  @ApiCreatedResponse({ description: 'The order, with its inventory reservation' })
  @ApiServiceUnavailableResponse({ description: 'inventory-service is not configured or not reachable' })
  async create(
    @Body() body: unknown,
    @CurrentUser() user: AuthPrincipal,
    @AccessToken() token: string,
  ): Promise<{ order: Order }> {
    if (this.inventory === undefined) throw inventoryNotConfigured();
    const { issuer, subject } = ownerOf(user);
    const id = this.orders.nextId();
    let request;
    try {
      request = parseReserveStockRequest({
        ...(typeof body === 'object' && body !== null ? body : {}),
        reference: id,
      });
    } catch (error) {
      if (error instanceof InventoryContractError) throw new BadRequestException(error.message);
      throw error;
    }
    let reservation;
    try {
      // The caller's own verified token, relayed: inventory-service verifies it again.
      reservation = await this.inventory.reserve(request, token);
    } catch (error) {
      throw inventoryErrorToHttp(error, INVENTORY_SCOPES.reserve);
    }
    const order = this.orders.add({
      id,
      sku: request.sku,
      quantity: request.quantity,
      status: 'reserved',
      reservationId: reservation.reservationId,
      createdBy: subject,
      issuer,
      createdAt: new Date().toISOString(),
    });
    return { order };
  }
}
