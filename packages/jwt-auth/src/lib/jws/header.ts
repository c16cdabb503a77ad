import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { algorithmSpec, type AlgorithmSpec } from './algorithms';
import type { JsonObject } from '../json/strict-json';

/** Longest accepted `kid`, in the token header and in a JWK; a `kid` is only ever an exact lookup key. */
export const MAX_KID_LENGTH = 256;

/** The header values the verifier acts on, after {@link checkProtectedHeader}. */
export interface CheckedHeader {
  readonly alg: AlgorithmSpec;
  readonly kid: string | undefined;
  readonly typ: string | undefined;
  /** The X.509 / embedded-key members, present only when the issuer has a trust store and the header carries any. */
  readonly x509: X509HeaderParams | undefined;
}

/** The unverified `x5c`, `x5t`, `x5t#S256` and `jwk` members of a header, for the issuer's trust store to judge. */
export interface X509HeaderParams {
  readonly x5c: unknown;
  readonly x5t: unknown;
  readonly x5tS256: unknown;
  readonly jwk: unknown;
}

/**
 * Apply the header rules of SECURITY.md: `alg` exactly on the allow-list (`none` never), `crit` and `b64` refused
 * (no extension is understood), `cty: JWT` nesting refused, `kid` a bounded string. `jku` and `x5u` are never read:
 * the application, not the token, picks the key. `x5c`, `x5t`, `x5t#S256` and `jwk` are handed on only when
 * `hasTrustStore` (the issuer's trust store validates them); otherwise a token carrying `x5c` or `jwk` is refused,
 * since it asks to be trusted through a key it brings itself, and the thumbprints are ignored (hints, as `kid`).
 * @throws AuthError
 */
export function checkProtectedHeader(
  header: JsonObject,
  allowed: ReadonlySet<string>,
  hasTrustStore = false,
): CheckedHeader {
  const alg = header['alg'];
  if (typeof alg !== 'string') throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS header has no "alg"');
  const spec = allowed.has(alg) ? algorithmSpec(alg) : undefined;
  if (!spec) {
    throw new AuthError(AuthErrorCode.ALGORITHM_NOT_ALLOWED, 'JWS algorithm is not allowed for this issuer', {
      alg: alg.length <= 16 ? alg : undefined,
    });
  }
  if (header['crit'] !== undefined)
    throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'JWS "crit" extensions are not supported');
  if (header['b64'] !== undefined)
    throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'JWS "b64" (unencoded payload) is not supported');
  if (header['zip'] !== undefined) throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'JWS "zip" is not supported');
  const cty = header['cty'];
  if (
    cty !== undefined &&
    (typeof cty !== 'string' || cty.toUpperCase() === 'JWT' || cty.toLowerCase() === 'application/jwt')
  ) {
    throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'nested tokens ("cty": "JWT") are not accepted');
  }
  const kid = header['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw new AuthError(
      AuthErrorCode.TOKEN_MALFORMED,
      `JWS "kid" must be a string of 1 to ${MAX_KID_LENGTH} characters`,
    );
  }
  const typ = header['typ'];
  if (typ !== undefined && typeof typ !== 'string')
    throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "typ" must be a string');
  return {
    alg: spec,
    kid: kid as string | undefined,
    typ: typ as string | undefined,
    x509: x509Params(header, hasTrustStore),
  };
}

function x509Params(header: JsonObject, hasTrustStore: boolean): X509HeaderParams | undefined {
  const x5c = header['x5c'];
  const jwk = header['jwk'];
  if (!hasTrustStore) {
    if (x5c !== undefined || jwk !== undefined) {
      throw new AuthError(
        AuthErrorCode.TOKEN_UNSUPPORTED,
        'JWS "x5c" / "jwk" need a trust store for this issuer; keys named by the token are not trusted',
      );
    }
    return undefined;
  }
  const x5t = header['x5t'];
  const x5tS256 = header['x5t#S256'];
  if (x5c === undefined && jwk === undefined && x5t === undefined && x5tS256 === undefined) return undefined;
  return { x5c, x5t, x5tS256, jwk };
}
