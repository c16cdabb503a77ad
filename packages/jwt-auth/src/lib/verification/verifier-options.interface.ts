import type { KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from '../jws/algorithms';
import type { Jwk, JwkSet } from '../keys/jwk';
import type { KeySource, KeySourceListener } from '../keys/key-source.interface';
import type { RemoteJwksOptions } from '../keys/remote-jwks.options';
import type { X509TrustOptions } from '../keys/x509/x509-trust.options';

/**
 * A locally configured verification key: a PEM string (SPKI public key, PKCS#1 RSA public key or X.509
 * certificate), a `KeyObject`, a JWK, a JWKS, a file holding any of these, or a PEM / `KeyObject` with its `kid`.
 */
export type StaticKeyInput =
  | string
  | KeyObject
  | Jwk
  | JwkSet
  | { readonly path: string }
  | { readonly key: string | KeyObject; readonly kid?: string; readonly alg?: JwsAlgorithm };

/** Which header `typ` values are accepted. */
export type TokenTypePolicy =
  /** Absent, `JWT`, or `at+jwt` (any case, optional `application/` prefix); every other explicit type is refused. */
  | 'access-token-or-jwt'
  /** Only `at+jwt` / `application/at+jwt` (RFC 9068 section 2.1). */
  | 'strict';

/**
 * A claim profile: `'rfc9068'` is RFC 9068 strictly (`sub`, `client_id`, `iat` and `jti` required, and `typ` must be
 * `at+jwt` unless `tokenType` says otherwise).
 */
export type ClaimProfile = 'rfc9068';

/** Everything that is trusted about one token issuer. */
export interface IssuerOptions {
  /** The exact `iss` value (compared as a string: no normalisation of case or trailing slash). */
  readonly issuer: string;
  /** Accepted audiences; a token is accepted when any `aud` member equals one of them exactly. */
  readonly audience: string | readonly string[];
  /**
   * Exact allow-list of JWS algorithms for this issuer.
   * @default every asymmetric algorithm (RS/PS/ES 256/384/512, EdDSA); `HS*` must be listed explicitly with `secret`.
   */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Fetch keys from this JWKS URL (https, unless `allowInsecureHttp`). */
  readonly jwksUri?: string;
  /** Find `jwks_uri` through OIDC discovery at `<issuer>/.well-known/openid-configuration`. @default true when no other key source is set */
  readonly discovery?: boolean;
  /** Locally configured public keys. */
  readonly keys?: StaticKeyInput | readonly StaticKeyInput[];
  /** HMAC secret for `HS*` algorithms: at least as long as the hash output; weak values refuse to construct. */
  readonly secret?: string | Buffer | KeyObject;
  /**
   * X.509 trust store: tokens whose header carries `x5c`, `x5t` / `x5t#S256` or `jwk` are verified through it
   * (RFC 5280 path validation to these anchors). Alone, it is the issuer's only key source: no discovery, no JWKS.
   * Without it, a token carrying `x5c` or `jwk` is refused.
   */
  readonly trust?: X509TrustOptions;
  /** A custom key source (for example the jwks-rsa adapter). */
  readonly keySource?: KeySource;
  /** Claim that carries granted scopes: `scope`, `scp`, or `both` (their union). @default 'scope' */
  readonly scopeClaim?: 'scope' | 'scp' | 'both';
  /** Header `typ` policy. @default 'access-token-or-jwt' */
  readonly tokenType?: TokenTypePolicy;
  /**
   * Require `sub` as a non-empty string (RFC 9068 section 2.2). Turn off only for an issuer that leaves it out and an
   * application that never keys anything by subject: callers without `sub` are then indistinguishable.
   * @default true
   */
  readonly requireSubject?: boolean;
  /** Claim profile; `'rfc9068'` also requires `client_id`, `iat` and `jti` and defaults `tokenType` to `'strict'`. */
  readonly profile?: ClaimProfile;
  /** Claims that must be present (not null) in every token. @default [] */
  readonly requiredClaims?: readonly string[];
  /** Refuse tokens whose `iat` is older than this many seconds (requires `iat`). */
  readonly maxTokenAge?: number;
  /** Clock tolerance in seconds for `exp`, `nbf` and `iat`, at most 300. @default 60 (or the verifier-wide value) */
  readonly clockTolerance?: number;
  /** Allow `http:` JWKS and discovery URLs (loopback development and tests only). @default false */
  readonly allowInsecureHttp?: boolean;
  /** Limits and timings of remote key fetching. */
  readonly fetch?: RemoteJwksOptions;
}

/** Options of {@link AccessTokenVerifier}: one or more issuers plus verifier-wide limits. */
export interface VerifierOptions {
  /** The trusted issuers; the unverified `iss` selects exactly one of them. */
  readonly issuers: readonly IssuerOptions[];
  /** Longest accepted token, in characters, checked before any decoding. @default 8192 */
  readonly maxTokenLength?: number;
  /** Default clock tolerance in seconds for issuers that set none. @default 60 */
  readonly clockTolerance?: number;
  /**
   * Memory for remembering successfully verified tokens, so a client that presents the same token again skips the
   * signature check. A hit still re-checks every time-based claim and that the verifying key is still served by the
   * issuer's key source, so the verdict equals a fresh verification. Each entry is charged 1 KiB plus 2 bytes per
   * token character (an upper estimate of the heap it keeps, ~2.4 KB for a typical token); tokens presented again
   * are kept over tokens seen once (CLOCK eviction). `0` disables the cache.
   * @default 33554432 (32 MiB, about 13,000 typical tokens)
   */
  readonly verifiedTokenCacheMaxBytes?: number;
  /**
   * An additional bound on the number of remembered tokens; `0` disables the cache.
   * @default no bound besides {@link verifiedTokenCacheMaxBytes}
   */
  readonly verifiedTokenCacheSize?: number;
  /** Receives key-source state changes (stale, failing, recovered, members rejected). */
  readonly onKeySourceEvent?: (issuer: string, ...event: Parameters<KeySourceListener>) => void;
  /** Clock in milliseconds since the epoch; for tests. @default Date.now */
  readonly now?: () => number;
}
