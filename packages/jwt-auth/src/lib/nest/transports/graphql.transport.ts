import type { ExecutionContext } from '@nestjs/common';
import { AuthError, AuthErrorCode } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import { collectBearerTokens, singleToken } from '../../bearer/bearer-credentials';
import { attachAuthentication, getConnectionAccessToken, type AuthHttpRequest } from '../auth-context';
import { toGraphqlError } from '../auth-error.mapper';
import type { TokenExtractor } from '../jwt-auth-options.interface';
import type { AuthTransport } from './auth-transport.interface';
import { extractHttpTokens } from './http.transport';

type Duck = Record<string, unknown>;

function isObject(value: unknown): value is Duck {
  return typeof value === 'object' && value !== null;
}

/** The `authorization` value(s) of graphql-ws `connectionParams` (any key case). */
export function connectionParamsAuthorization(params: unknown): unknown[] {
  if (!isObject(params)) return [];
  const values: unknown[] = [];
  for (const key of Object.keys(params)) {
    if (key.toLowerCase() !== 'authorization') continue;
    const value = params[key];
    if (value !== undefined && value !== null) values.push(...(Array.isArray(value) ? value : [value]));
  }
  return values;
}

/**
 * GraphQL adapter (`@nestjs/graphql`, Apollo or Mercurius): reads the token from the HTTP request in the GraphQL
 * context (`context.req`: `Authorization` header and the extractors) or, for subscriptions over graphql-ws, from
 * `context.connectionParams.authorization` (`Bearer <token>`); answers with a `GraphQLError` whose
 * `extensions.code` is `UNAUTHENTICATED` / `FORBIDDEN` / `BAD_REQUEST`.
 */
export class GraphqlAuthTransport implements AuthTransport {
  readonly type = 'graphql';

  constructor(private readonly extractors: readonly TokenExtractor[] = []) {}

  extractToken(context: ExecutionContext): string | undefined {
    const gqlContext: unknown = context.getArgByIndex(2);
    if (!isObject(gqlContext)) throw new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The GraphQL context is missing');
    const connectionToken = getConnectionAccessToken(gqlContext);
    if (connectionToken !== undefined) return connectionToken;
    const request = gqlContext['req'] ?? gqlContext['request'];
    const tokens = isObject(request) ? extractHttpTokens(request as AuthHttpRequest, this.extractors) : [];
    tokens.push(...collectBearerTokens(connectionParamsAuthorization(gqlContext['connectionParams'])));
    return singleToken(tokens);
  }

  attach(context: ExecutionContext, principal: AuthPrincipal | undefined, token: string | undefined): void {
    attachAuthentication(context, principal, token);
    const request = (context.getArgByIndex(2) as Duck | undefined)?.['req'];
    // HTTP-minded code (interceptors, loggers) finds the principal where it would on a REST route.
    if (isObject(request)) (request as AuthHttpRequest).user = principal;
  }

  toException(error: AuthError): Promise<unknown> {
    return toGraphqlError(error);
  }
}
