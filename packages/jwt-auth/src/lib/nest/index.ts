export { JwtAuthModule } from './jwt-auth.module';
export type {
  JwtAuthModuleExtras,
  JwtAuthModuleOptions,
  JwtAuthOptionsFactory,
  RejectionLogLevel,
  TokenExtractor,
} from './jwt-auth-options.interface';
export { JwtAuthGuard } from './jwt-auth.guard';
export { ScopesGuard } from './scopes.guard';
export { AnyRole, AnyScope, OptionalAuth, Public, RequireClaim, Roles, Scopes } from './auth.decorator';
export { AccessToken, CurrentUser, RpcData } from './current-user.decorator';
export { getAccessToken, getAuthPrincipal } from './auth-context';
export { BearerAuthException, type BearerAuthErrorBody } from './bearer-auth.exception';
export { BearerAuthExceptionFilter } from './bearer-auth-exception.filter';
export {
  toGraphqlError,
  toHttpException,
  toRpcException,
  toWsException,
  type GrpcAuthErrorPayload,
  type RpcAuthErrorPayload,
} from './auth-error.mapper';
export { createRpcAuthEnvelope, type RpcAuthEnvelope } from './transports/rpc-auth-envelope';
export * from './relay';
export { WS_CLOSE_UNAUTHENTICATED } from './transports/ws.transport';
export { WS_BEARER_PROTOCOL, WsAuthenticator, type WsAuthenticationOptions } from './ws-authenticator';
export { GraphqlAuth, type GraphqlWsAuthOptions } from './graphql-auth';
