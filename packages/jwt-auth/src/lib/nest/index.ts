export { JwtAuthModule } from './jwt-auth.module';
export { JWT_AUTH_MODULE_OPTIONS } from './jwt-auth.module-definition';
export type {
  JwtAuthModuleExtras,
  JwtAuthModuleOptions,
  JwtAuthOptionsFactory,
  TokenExtractor,
} from './jwt-auth-options.interface';
export { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
export { JwtAuthGuard } from './jwt-auth.guard';
export { ScopesGuard } from './scopes.guard';
export { AnyScope, OptionalAuth, Public, Scopes } from './auth.decorator';
export { AccessToken, CurrentUser } from './current-user.decorator';
export { getAccessToken, getAuthPrincipal } from './auth-context';
export { readScopeRequirements, type ScopeRequirements } from './scope-requirements';
export { BearerAuthException, type BearerAuthErrorBody } from './bearer-auth.exception';
export { BearerAuthExceptionFilter } from './bearer-auth-exception.filter';
export {
  formatWwwAuthenticate,
  toHttpException,
  toRpcErrorPayload,
  toRpcException,
  type GrpcAuthErrorPayload,
  type RpcAuthErrorPayload,
  type RpcTransportKind,
} from './auth-error.mapper';
export type { AuthTransport } from './transports/auth-transport.interface';
export { HttpAuthTransport } from './transports/http.transport';
export { RpcAuthTransport } from './transports/rpc.transport';
export { createRpcAuthEnvelope, RPC_ENVELOPE_DATA, type RpcAuthEnvelope } from './transports/rpc-auth-envelope';
export {
  JwksRsaKeySource,
  type JwksRsaClient,
  type JwksRsaKeySourceOptions,
  type JwksRsaSigningKey,
} from './key-sources/jwks-rsa.key-source';
