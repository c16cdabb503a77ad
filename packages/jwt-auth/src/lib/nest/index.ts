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
export { AnyScope, OptionalAuth, Public, Scopes } from './auth.decorator';
export { AccessToken, CurrentUser, RpcData } from './current-user.decorator';
export { getAccessToken, getAuthPrincipal } from './auth-context';
export { BearerAuthException, type BearerAuthErrorBody } from './bearer-auth.exception';
export { BearerAuthExceptionFilter } from './bearer-auth-exception.filter';
export {
  toHttpException,
  toRpcException,
  type GrpcAuthErrorPayload,
  type RpcAuthErrorPayload,
} from './auth-error.mapper';
export { createRpcAuthEnvelope, type RpcAuthEnvelope } from './transports/rpc-auth-envelope';
export * from './relay';
