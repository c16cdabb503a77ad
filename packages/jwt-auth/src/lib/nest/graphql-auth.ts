import { Injectable } from '@nestjs/common';
import { formatWwwAuthenticate } from '../bearer/www-authenticate';
import { collectBearerTokens, singleToken } from '../bearer/bearer-credentials';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { graphqlErrorCode } from './auth-error.mapper';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { connectionParamsAuthorization } from './transports/graphql.transport';
import { WS_CLOSE_UNAUTHENTICATED } from './transports/ws.transport';

/** Options of {@link GraphqlAuth.graphqlWsOptions}. */
export interface GraphqlWsAuthOptions {
  /** Accept connections without a token (their operations reach only `@Public()` resolvers). @default false */
  readonly allowAnonymous?: boolean;
}

type Duck = Record<string, unknown>;

/** A graphql-ws `next` payload carrying only errors (GraphQL's formatted-error shape). */
export interface GraphqlErrorResult {
  readonly errors: { readonly message: string; readonly extensions: Record<string, unknown> }[];
}

function isObject(value: unknown): value is Duck {
  return typeof value === 'object' && value !== null;
}

interface GraphqlWsContext {
  readonly connectionParams?: unknown;
  readonly extra?: unknown;
}

function closeSocket(context: GraphqlWsContext, reason: string): void {
  const socket = isObject(context.extra) ? context.extra['socket'] : undefined;
  if (isObject(socket) && typeof socket['close'] === 'function') {
    (socket['close'] as (code: number, reason: string) => void).call(socket, WS_CLOSE_UNAUTHENTICATED, reason);
  }
}

interface ApolloResponseLike {
  readonly response: {
    readonly body: { readonly kind: string; readonly singleResult?: { data?: unknown; errors?: readonly unknown[] } };
    readonly http: { status?: number; readonly headers: { set(name: string, value: string): unknown } };
  };
}

/**
 * GraphQL glue around `JwtAuthGuard` (which guards resolvers itself): graphql-ws options that check the token in
 * `connectionParams.authorization` when a subscription socket connects and again before every event, and an Apollo
 * Server plugin that turns a response refused as a whole into HTTP 401 with `WWW-Authenticate`.
 * @example
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver, imports: [JwtAuthModule.forRoot(options)], inject: [GraphqlAuth],
 *   useFactory: (auth: GraphqlAuth) => ({
 *     autoSchemaFile: true, plugins: [auth.apolloPlugin()],
 *     context: ({ req, connectionParams }) => ({ req, connectionParams }),
 *     subscriptions: { 'graphql-ws': auth.graphqlWsOptions() },
 *   }),
 * })
 */
@Injectable()
export class GraphqlAuth {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly options: ResolvedJwtAuthOptions,
  ) {}

  private async verifyConnection(context: GraphqlWsContext, allowAnonymous: boolean): Promise<void> {
    const token = singleToken(collectBearerTokens(connectionParamsAuthorization(context.connectionParams)));
    if (token === undefined) {
      if (allowAnonymous) return;
      throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
    }
    await this.verifier.verify(token);
  }

  /**
   * `onConnect` / `onNext` for `subscriptions['graphql-ws']`: a connection with a missing (unless allowed), invalid
   * or expired token is closed with 4401 and the error code as the reason; before each event the token is checked
   * again (the verified-token cache makes that cheap), and once it has expired the subscriber receives an
   * `UNAUTHENTICATED` error instead of the event and the socket is closed.
   */
  graphqlWsOptions(options: GraphqlWsAuthOptions = {}): {
    onConnect: (context: GraphqlWsContext) => Promise<boolean>;
    onNext: (context: GraphqlWsContext) => Promise<GraphqlErrorResult | undefined>;
  } {
    const allowAnonymous = options.allowAnonymous === true;
    return {
      onConnect: async (context) => {
        try {
          await this.verifyConnection(context, allowAnonymous);
          return true;
        } catch (error) {
          closeSocket(context, AuthError.from(error).code);
          return false;
        }
      },
      onNext: async (context) => {
        try {
          await this.verifyConnection(context, allowAnonymous);
          return undefined;
        } catch (error) {
          const authError = AuthError.from(error);
          // Closed after this event has gone out as the error; closing right away would drop it.
          setImmediate(() => closeSocket(context, authError.code));
          return {
            errors: [
              {
                message: authError.message,
                extensions: { code: graphqlErrorCode(authError), status: authError.status, authCode: authError.code },
              },
            ],
          };
        }
      },
    };
  }

  /**
   * An Apollo Server plugin: when every error of a response is `UNAUTHENTICATED` and no field produced data (no
   * operation could run at all), the HTTP status becomes 401 with the RFC 6750 `WWW-Authenticate` challenge.
   */
  apolloPlugin(): { requestDidStart(): Promise<{ willSendResponse(context: ApolloResponseLike): Promise<void> }> } {
    const realm = this.options.realm;
    return {
      requestDidStart: async () => ({
        willSendResponse: async ({ response }) => {
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const errors = result?.errors ?? [];
          if (errors.length === 0) return;
          const codes = errors.map((e) => (isObject(e) && isObject(e['extensions']) ? e['extensions'] : {}));
          if (!codes.every((ext) => ext['code'] === 'UNAUTHENTICATED' && typeof ext['authCode'] === 'string')) return;
          const data = result?.data;
          if (isObject(data) && Object.values(data).some((value) => value !== null)) return;
          const first = codes[0] as Duck;
          const authError = new AuthError(first['authCode'] as AuthErrorCode, String((errors[0] as Duck)['message']));
          // After the other willSendResponse hooks (Apollo runs them together): @nestjs/apollo's own plugin resets the
          // status of any response with `data` to 200 unless preserveHttpStatusForExecutionErrors is false.
          await Promise.resolve();
          response.http.status = 401;
          response.http.headers.set('www-authenticate', formatWwwAuthenticate(authError, realm));
        },
      }),
    };
  }
}
