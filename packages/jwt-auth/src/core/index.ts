// @nest-sso/jwt-auth/core: the framework-free core. Nothing here imports @nestjs/*; a lint rule keeps it so.

// Errors
export { JwtAuthError, isJwtAuthError } from '../lib/errors/jwt-auth.error';
export { AuthError, AuthErrorCode, JwtAuthConfigError, isAuthError } from '../lib/errors/auth.errors';
export type { AuthErrorDetails, BearerErrorCode, ConfigProblem } from '../lib/errors/auth.errors';
export { logSafe, MAX_LOGGED_LENGTH } from '../lib/errors/log-safe';

// JSON and JWS
export type { JsonObject, JsonValue } from '../lib/json/strict-json';
export {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  SUPPORTED_ALGORITHMS,
  isSupportedAlgorithm,
} from '../lib/jws/algorithms';
export type { AsymmetricAlgorithm, JwsAlgorithm, SymmetricAlgorithm } from '../lib/jws/algorithms';
export { DEFAULT_MAX_TOKEN_LENGTH } from '../lib/jws/compact';
export { MAX_KID_LENGTH } from '../lib/jws/header';

// JWT
export type { AuthPrincipal, JwtClaims, PrincipalHeader } from '../lib/jwt/principal';
export { assertScopes, extractScopes, hasAllScopes, hasAnyScope } from '../lib/jwt/scopes';
export type { ScopeClaim, ScopeRequirement } from '../lib/jwt/scopes';
export {
  DEFAULT_ROLES_CLAIMS,
  RolesClaims,
  assertClaims,
  assertRoles,
  createClaimRequirement,
  extractRoles,
  meetsClaimRequirement,
  parseClaimPath,
  readClaim,
} from '../lib/jwt/claim-requirements';
export type { ClaimPath, ClaimPredicate, ClaimRequirement, RoleRequirement } from '../lib/jwt/claim-requirements';

// Keys
export { importJwk, importJwkSet } from '../lib/keys/jwk';
export type { ImportedKeySet, Jwk, JwkImportOptions, JwkSet, RejectedJwk } from '../lib/keys/jwk';
export type {
  KeyLookup,
  KeySource,
  KeySourceEvent,
  KeySourceListener,
  KeySourceState,
  KeySourceStatus,
} from '../lib/keys/key-source.interface';
export { KeyRejectedError, toVerificationKey } from '../lib/keys/verification-key';
export type { KeyImportPolicy, VerificationKey } from '../lib/keys/verification-key';
export { importHmacSecret, importStaticKeys, StaticKeySource } from '../lib/keys/static.key-source';
export { RemoteJwksKeySource } from '../lib/keys/remote-jwks.key-source';
export { DiscoveryKeySource } from '../lib/keys/discovery.key-source';
export { REMOTE_JWKS_DEFAULTS } from '../lib/keys/remote-jwks.options';
export type { RemoteJwksOptions } from '../lib/keys/remote-jwks.options';
export {
  JwksRsaKeySource,
  type JwksRsaClient,
  type JwksRsaKeySourceOptions,
  type JwksRsaSigningKey,
} from '../lib/keys/jwks-rsa.key-source';
export { X509TrustStore } from '../lib/keys/x509/x509-trust-store';
export type { X509TrustContext } from '../lib/keys/x509/x509-trust-store';
export { X509_TRUST_DEFAULTS } from '../lib/keys/x509/x509-trust.options';
export type { X509CertificateInput, X509CrlInput, X509TrustOptions } from '../lib/keys/x509/x509-trust.options';
export type { RevocationMode } from '../lib/keys/x509/path-validation';
export type { X509HeaderParams } from '../lib/jws/header';

// Verification
export { AccessTokenVerifier, type VerificationOutcome } from '../lib/verification/access-token-verifier';
export { verifyCompactJws } from '../lib/verification/verify-jws';
export type { VerificationObserver } from '../lib/verification/verification-observer.interface';
export { BACKCHANNEL_LOGOUT_EVENT, LogoutTokenVerifier } from '../lib/verification/logout-token-verifier';
export type { LogoutTokenClaims, LogoutTokenVerifierOptions } from '../lib/verification/logout-token-verifier';
export type { JwsVerifyOptions, VerifiedJws } from '../lib/verification/verify-jws';
export {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_VERIFIED_TOKEN_CACHE_BYTES,
  MAX_CLOCK_TOLERANCE,
} from '../lib/verification/issuer-config';
export type { VerifiedTokenCacheState } from '../lib/verification/verified-token.cache';
export type {
  ClaimProfile,
  IssuerOptions,
  StaticKeyInput,
  TokenTypePolicy,
  VerifierOptions,
} from '../lib/verification/verifier-options.interface';

// Service-to-service clients
export { ClientCredentialsTokenProvider, TokenRequestError } from '../lib/client/client-credentials.token-provider';
export type { ClientCredentialsOptions } from '../lib/client/client-credentials.token-provider';

// Bearer tokens on HTTP (RFC 6750)
export { extractBearerToken } from '../lib/bearer/bearer-credentials';
export { formatWwwAuthenticate } from '../lib/bearer/www-authenticate';
