import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { KeySource } from '../keys/key-source.interface';
import { StaticKeySource } from '../keys/static.key-source';
import type { VerificationKey } from '../keys/verification-key';
import { payloadOf, TokenParser, type CompactParseOptions, type ParsedCompactJws } from '../jws/compact';
import { checkProtectedHeader, type CheckedHeader } from '../jws/header';
import { verifySignature } from '../jws/signature';
import type { JsonObject } from '../json/strict-json';

/** The `key_not_found` refusal for a header, naming the issuer when known. */
export function keyNotFound(header: CheckedHeader, issuer?: string): AuthError {
  return new AuthError(AuthErrorCode.KEY_NOT_FOUND, 'no key of the issuer matches the token', {
    issuer,
    kid: header.kid,
    alg: header.alg.name,
  });
}

/**
 * Return the candidate key that verifies the signature of a token `parser` parsed.
 * @throws AuthError `key_not_found` or `signature_invalid`
 */
export function verifyWithCandidates(
  parser: TokenParser,
  parsed: ParsedCompactJws,
  header: CheckedHeader,
  candidates: readonly VerificationKey[],
  issuer?: string,
): VerificationKey {
  if (candidates.length === 0) throw keyNotFound(header, issuer);
  const alg = header.alg;
  let signer: VerificationKey | undefined;
  parser.withSignedBytes(parsed, (signingInput, signature) => {
    for (const key of candidates) {
      if (verifySignature(alg, key, signingInput, signature)) {
        signer = key;
        return true;
      }
    }
    return false;
  });
  if (signer !== undefined) return signer;
  throw new AuthError(AuthErrorCode.SIGNATURE_INVALID, 'token signature is invalid', {
    issuer,
    kid: header.kid,
    alg: header.alg.name,
  });
}

/**
 * Resolve the candidate keys for a checked header and return the one that verifies the signature.
 * @throws AuthError `key_not_found`, `signature_invalid` or `keys_unavailable`
 */
export async function verifyWithKeySource(
  parser: TokenParser,
  parsed: ParsedCompactJws,
  header: CheckedHeader,
  source: KeySource,
): Promise<VerificationKey> {
  return verifyWithCandidates(parser, parsed, header, await source.getKeys({ kid: header.kid, alg: header.alg.name }));
}

/** Options of {@link verifyCompactJws}. */
export interface JwsVerifyOptions extends CompactParseOptions {
  /** Exact allow-list of `alg` values. */
  readonly algorithms: Iterable<string>;
}

/** A verified JWS: header, payload bytes and the key that verified it. */
export interface VerifiedJws {
  readonly header: JsonObject;
  readonly payload: Buffer;
  readonly key: VerificationKey;
}

/**
 * Verify a compact JWS (any payload, not only JWTs) under the same strict parsing, header and key rules the access
 * token verifier uses. Rejects only with `AuthError`. Keeps nothing between calls.
 */
export async function verifyCompactJws(
  token: string,
  keys: KeySource | readonly VerificationKey[],
  options: JwsVerifyOptions,
): Promise<VerifiedJws> {
  try {
    const parser = new TokenParser(options);
    const parsed = parser.parse(token);
    const header = checkProtectedHeader(parsed.header, new Set(options.algorithms));
    const source = Array.isArray(keys) ? new StaticKeySource(keys as readonly VerificationKey[]) : (keys as KeySource);
    const key = await verifyWithKeySource(parser, parsed, header, source);
    return { header: parsed.header, payload: payloadOf(parsed), key };
  } catch (error) {
    throw AuthError.from(error);
  }
}
