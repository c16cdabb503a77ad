import { generateKeyPairSync } from 'node:crypto';
import { TestIssuer } from '../src/testing/index';

/** The refusals the benches send a guarded route, by row name. */
export interface RefusedTokens {
  /** A valid ES256 token with a character outside b64token: the header's parser refuses it. */
  readonly 'malformed token': string;
  /** An ES256 token of an issuer the service does not trust. */
  readonly 'unknown issuer': string;
  /** An ES256 token of the trusted issuer naming a `kid` its key set does not have. */
  readonly 'unknown kid': string;
}

const claims = { scope: 'orders:read' };

/** Tokens `issuer`'s service refuses, each for one reason, all for `audience`. */
export async function refusedTokens(issuer: TestIssuer, audience: string): Promise<RefusedTokens> {
  const stranger = await TestIssuer.create({ algorithms: ['ES256'], audience, issuer: 'https://other' });
  const [head, payload] = issuer.sign(claims, { alg: 'ES256', expiresIn: 3600 }).split('.');
  return {
    'malformed token': `${head}.${payload}!.AAAA`,
    'unknown issuer': stranger.sign(claims, { alg: 'ES256', expiresIn: 3600 }),
    'unknown kid': issuer.sign(claims, { alg: 'ES256', kid: 'no-such-kid', expiresIn: 3600 }),
  };
}

/** An ES256 token of `issuer` signed with a key that is not the issuer's: it costs one signature check to refuse. */
export function forgedToken(issuer: TestIssuer): string {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return issuer.sign(claims, { alg: 'ES256', expiresIn: 3600, key });
}
