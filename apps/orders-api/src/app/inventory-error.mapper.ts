import { HttpException, ServiceUnavailableException } from '@nestjs/common';
import { AuthError, AuthErrorCode, toHttpException } from '@nest-sso/jwt-auth';
import { InventoryCallError } from '@nest-sso/inventory-contracts';

const AUTH_CODES = new Set<string>(Object.values(AuthErrorCode));

/**
 * The HTTP answer for a failed inventory call. The relayed token was the caller's own, so inventory-service's
 * verdict on it is the caller's business: its 401 becomes 401 `invalid_token` and its 403 becomes 403
 * `insufficient_scope` naming the scope inventory-service wanted, both with a `WWW-Authenticate` challenge. Stock
 * problems become 409 / 422; an unreachable or failing inventory-service becomes 503 / 504 / 502.
 */
export function inventoryErrorToHttp(error: unknown, requiredScope: string): HttpException {
  const failure = InventoryCallError.from(error);
  if (failure.status === 401) {
    const code = AUTH_CODES.has(failure.code) ? (failure.code as AuthErrorCode) : AuthErrorCode.VALIDATION_FAILED;
    return toHttpException(new AuthError(code, `inventory-service refused the relayed token (${failure.code})`));
  }
  if (failure.status === 403) {
    return toHttpException(
      new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, `inventory-service requires scope ${requiredScope}`, {
        requiredScopes: [requiredScope],
      }),
    );
  }
  switch (failure.code) {
    case 'insufficient_stock':
      return new HttpException({ statusCode: 409, error: failure.code, message: failure.message }, 409);
    case 'unknown_sku':
      return new HttpException({ statusCode: 422, error: failure.code, message: failure.message }, 422);
    case 'inventory_unavailable':
    case 'inventory_timeout':
      return new HttpException(
        {
          statusCode: failure.status,
          error: failure.code,
          message: failure.message,
        },
        failure.status,
      );
    default:
      return new HttpException(
        {
          statusCode: 502,
          error: 'inventory_error',
          message: 'inventory-service failed to answer',
        },
        502,
      );
  }
}

/** The 503 of a route that needs inventory-service when orders-api runs without `INVENTORY_PORT`. */
export function inventoryNotConfigured(): ServiceUnavailableException {
  return new ServiceUnavailableException({
    statusCode: 503,
    error: 'inventory_not_configured',
    message: 'orders-api runs without inventory-service (INVENTORY_PORT is not set), so it cannot answer this',
  });
}
