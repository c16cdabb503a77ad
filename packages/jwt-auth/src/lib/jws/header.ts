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
}

/**
 * Apply the header rules of SECURITY.md: `alg` exactly on the allow-list (`none` never), `crit` and `b64` refused
 * (no extension is understood), `cty: JWT` nesting refused, `kid` a bounded string. `jwk`, `jku`, `x5u`, `x5c` are
 * never read: the application, not the token, picks the key.
 * @throws AuthError
 */
export function checkProtectedHeader(header: JsonObject, allowed: ReadonlySet<string>): CheckedHeader {
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
  return { alg: spec, kid: kid as string | undefined, typ: typ as string | undefined };
}
