import { createHash, createPublicKey, generateKeyPair, KeyObject, sign } from 'node:crypto';

/** The JWS algorithms this issuer signs with; each client picks one in the seed. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

/** One of {@link SIGNING_ALGORITHMS}. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A JWK carrying only public members, as published in the JWKS. */
export interface PublicJwk {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: SigningAlgorithm;
  readonly n?: string;
  readonly e?: string;
  readonly crv?: 'P-256' | 'Ed25519';
  readonly x?: string;
  readonly y?: string;
}

/** True when `value` is exactly one of {@link SIGNING_ALGORITHMS}. */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** Generates a fresh private key for `alg` (RSA 2048, P-256 or Ed25519). */
export function generateSigningKey(alg: SigningAlgorithm): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: KeyObject, privateKey: KeyObject) =>
      error ? reject(error) : resolve(privateKey);
    switch (alg) {
      case 'RS256':
        return generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, done);
      case 'ES256':
        return generateKeyPair('ec', { namedCurve: 'P-256' }, done);
      case 'EdDSA':
        return generateKeyPair('ed25519', {}, done);
    }
  });
}

/** Describes why `key` cannot sign `alg`, or returns `undefined` when it fits. */
export function keyMismatch(alg: SigningAlgorithm, key: KeyObject): string | undefined {
  if (key.type !== 'private') return 'not a private key';
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'RS256':
      if (key.asymmetricKeyType !== 'rsa') return `expected an RSA key, found ${key.asymmetricKeyType}`;
      return (details.modulusLength ?? 0) < 2048 ? 'RSA modulus shorter than 2048 bits' : undefined;
    case 'ES256':
      if (key.asymmetricKeyType !== 'ec') return `expected an EC key, found ${key.asymmetricKeyType}`;
      return details.namedCurve === 'prime256v1' ? undefined : `expected curve P-256, found ${details.namedCurve}`;
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519'
        ? undefined
        : `expected an Ed25519 key, found ${key.asymmetricKeyType}`;
  }
}

/** Signs a JWS signing input; ECDSA signatures use the raw r||s form JWS requires (RFC 7518 section 3.4). */
export function signJws(alg: SigningAlgorithm, privateKey: KeyObject, signingInput: Buffer): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', signingInput, privateKey);
    case 'ES256':
      return sign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, signingInput, privateKey);
  }
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A compact JWS of `payload` as JSON with the header `{ alg, typ, kid }` of `key`, signed by it. */
export function signCompactJws(
  key: { readonly alg: SigningAlgorithm; readonly kid: string; readonly privateKey: KeyObject },
  typ: string,
  payload: object,
): string {
  const signingInput = `${encodeSegment({ alg: key.alg, typ, kid: key.kid })}.${encodeSegment(payload)}`;
  const signature = signJws(key.alg, key.privateKey, Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** The RFC 7638 members of a public key, in the lexicographic order the thumbprint needs. */
function thumbprintMembers(privateKey: KeyObject): Record<string, string> {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  switch (jwk.kty) {
    case 'RSA':
      return { e: String(jwk.e), kty: 'RSA', n: String(jwk.n) };
    case 'EC':
      return { crv: String(jwk.crv), kty: 'EC', x: String(jwk.x), y: String(jwk.y) };
    case 'OKP':
      return { crv: String(jwk.crv), kty: 'OKP', x: String(jwk.x) };
    default:
      throw new Error(`unsupported key type ${String(jwk.kty)}`);
  }
}

/** The RFC 7638 SHA-256 JWK thumbprint of the key's public half, used as its `kid`. */
export function keyThumbprint(privateKey: KeyObject): string {
  const canonical = JSON.stringify(thumbprintMembers(privateKey));
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

/**
 * The public JWK of a key pair.
 * Members are copied from an allow-list, so a private member (`d`, `p`, `q`...) can never leak into the JWKS.
 */
export function publicJwk(alg: SigningAlgorithm, privateKey: KeyObject, kid: string): PublicJwk {
  const members = thumbprintMembers(privateKey);
  return Object.freeze({
    kty: members.kty as PublicJwk['kty'],
    kid,
    use: 'sig',
    alg,
    ...(members.n !== undefined && { n: members.n, e: members.e }),
    ...(members.crv !== undefined && { crv: members.crv as PublicJwk['crv'] }),
    ...(members.x !== undefined && { x: members.x }),
    ...(members.y !== undefined && { y: members.y }),
  });
}
