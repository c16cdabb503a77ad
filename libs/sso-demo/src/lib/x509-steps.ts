import 'reflect-metadata';
import { createPrivateKey, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { clientCredentialsToken, type TokenResponse } from './oauth-client';
import type { ScenarioTarget } from './sso-system';

x509.cryptoProvider.set(webcrypto as never);

/** The seed client whose tokens the identity signs with its private CA (`X509_CLIENTS`). */
export const PARTNER_GATEWAY = { clientId: 'partner-gateway', clientSecret: 'partner-gateway-secret' } as const;

/** The CA names of the identity's private PKI, copied by the self-made chain to look as real as possible. */
const ROOT_NAME = 'CN=Nest SSO Demo Root CA,O=nest-sso';
const INTERMEDIATE_NAME = 'CN=Nest SSO Demo Token CA,O=nest-sso';
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

interface X509Step {
  readonly title: string;
  readonly run: (target: ScenarioTarget) => Promise<string>;
}

async function getMe(
  target: ScenarioTarget,
  token: string,
): Promise<{ status: number; sub?: unknown; challenge: string | null }> {
  const response = await fetch(`${target.ordersX509Url}/me`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, sub: body['sub'], challenge: response.headers.get('www-authenticate') };
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}

function partnerToken(target: ScenarioTarget): Promise<TokenResponse> {
  return clientCredentialsToken(
    target.identityUrl,
    PARTNER_GATEWAY.clientId,
    PARTNER_GATEWAY.clientSecret,
    'orders:read',
  );
}

/** An attacker's chain: a root and intermediate carrying the real CA names, a leaf, and a token signed by it. */
async function selfMadeChainToken(issuer: string): Promise<string> {
  const keys = await Promise.all([0, 1, 2].map(() => webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])));
  const [rootKeys, caKeys, leafKeys] = keys as unknown as webcrypto.CryptoKeyPair[];
  const ca = (
    subject: string,
    issuerName: string,
    signer: webcrypto.CryptoKey,
    publicKey: webcrypto.CryptoKey,
    isCa: boolean,
  ) =>
    x509.X509CertificateGenerator.create({
      subject,
      issuer: issuerName,
      publicKey: publicKey as never,
      signingKey: signer as never,
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(isCa, undefined, true)],
    });
  const root = await ca(ROOT_NAME, ROOT_NAME, rootKeys.privateKey, rootKeys.publicKey, true);
  const intermediate = await ca(INTERMEDIATE_NAME, ROOT_NAME, rootKeys.privateKey, caKeys.publicKey, true);
  const leaf = await ca(
    'CN=tokens.identity.nest-sso.test',
    INTERMEDIATE_NAME,
    caKeys.privateKey,
    leafKeys.publicKey,
    false,
  );
  const b64 = (cert: x509.X509Certificate) => Buffer.from(cert.rawData).toString('base64');
  const now = Math.floor(Date.now() / 1000);
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${segment({ alg: 'ES256', typ: 'at+jwt', x5c: [b64(leaf), b64(intermediate), b64(root)] })}.${segment({
    iss: issuer,
    aud: 'orders-api',
    sub: 'mallory',
    client_id: 'partner-gateway',
    scope: 'orders:read',
    iat: now,
    exp: now + 300,
  })}`;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/**
 * The X.509 part of the scenario, against the second orders-api that trusts nothing but the identity's root CA
 * certificate (no JWKS, no discovery): self-contained `x5c` tokens accepted, a self-made chain refused, a revoked
 * signing certificate's tokens refused once the new CRL file is in place, and, once identity is down, still accepted.
 */
export function x509Steps(): { whileIdentityUp: X509Step[]; afterIdentityStopped: X509Step[] } {
  let current: string | undefined;
  return {
    whileIdentityUp: [
      {
        title:
          "partner-gateway's x5c token is accepted by an orders-api that trusts only the root CA (no JWKS, no discovery)",
        async run(target) {
          const token = (await partnerToken(target)).access_token;
          const header = headerOf(token);
          check(
            Array.isArray(header['x5c']) && header['kid'] === undefined,
            `token header ${JSON.stringify(Object.keys(header))}`,
          );
          const me = await getMe(target, token);
          check(me.status === 200 && me.sub === 'partner-gateway', `GET /me answered ${me.status}`);
          current = token;
          return `ES256 token with x5c (${(header['x5c'] as unknown[]).length} certificates) and x5t#S256; GET /me 200 sub=partner-gateway`;
        },
      },
      {
        title: 'a token with a self-made certificate chain (copied CA names) is refused',
        async run(target) {
          const me = await getMe(target, await selfMadeChainToken(target.issuer));
          check(me.status === 401 && me.challenge?.includes('invalid_token'), `GET /me answered ${me.status}`);
          return `401 ${me.challenge}`;
        },
      },
      {
        title: 'identity revokes its signing certificate: the old tokens are refused once the new CRL is in place',
        async run(target) {
          const old = current as string;
          const { revoked, current: serial } = await target.revokeSigningCertificate();
          const fresh = (await partnerToken(target)).access_token;
          check(
            headerOf(fresh)['x5t#S256'] !== headerOf(old)['x5t#S256'],
            'the new token still uses the revoked certificate',
          );
          // orders-api re-reads the CRL file when it changes (checked every few seconds); poll until it has.
          const deadline = Date.now() + 20_000;
          let status = 200;
          while (Date.now() < deadline && status === 200) {
            status = (await getMe(target, old)).status;
            if (status === 200) await new Promise((resolve) => setTimeout(resolve, 250));
          }
          check(status === 401, `the revoked certificate's token still answered ${status} after 20 s`);
          const me = await getMe(target, fresh);
          check(me.status === 200, `the fresh certificate's token answered ${me.status}`);
          current = fresh;
          return `serial ${revoked.slice(0, 8)}… revoked: its token 401; new certificate ${serial.slice(0, 8)}…: 200`;
        },
      },
    ],
    afterIdentityStopped: [
      {
        title: 'identity stopped: the trust-store-only orders-api still accepts x5c tokens (no outbound call)',
        async run(target) {
          const me = await getMe(target, current as string);
          check(me.status === 200, `GET /me answered ${me.status}`);
          return 'GET /me 200 with the identity unreachable';
        },
      },
    ],
  };
}
