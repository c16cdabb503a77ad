import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { GrantRefusedError, ProviderUnavailableError, RelyingParty } from './relying-party';
import { webAppConfigFromEnv, type WebAppConfig } from './web-app.config';

// A loopback provider serving only its discovery document, with the endpoints a test gives it.
async function provider(
  endpoints: (issuer: string) => Record<string, string>,
): Promise<{ server: Server; issuer: string }> {
  let issuer = '';
  const server = createServer((request, response) => {
    if (request.url !== '/.well-known/openid-configuration') return void response.writeHead(404).end();
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ issuer, ...endpoints(issuer) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, issuer };
}

function relyingParty(issuer: string, idTokenAlg: WebAppConfig['idTokenAlg'] = 'RS256'): RelyingParty {
  const config: WebAppConfig = {
    name: 'web-portal',
    title: 'Web Portal',
    port: 0,
    publicUrl: undefined,
    issuer,
    clientId: 'web-portal',
    clientSecret: 'secret',
    signInMissing: [],
    scope: 'openid',
    idTokenAlg,
    allowInsecureHttp: true,
    ordersApiUrl: undefined,
    refreshMarginSeconds: 60,
    sessionTtlSeconds: 3600,
  };
  return new RelyingParty(config);
}

describe('RelyingParty discovery with allowInsecureHttp', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  it('accepts plain http endpoints on loopback hosts', async () => {
    const { server, issuer } = await provider((iss) => ({
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      jwks_uri: `${iss}/jwks`,
    }));
    servers.push(server);
    const metadata = (await relyingParty(issuer).provider()).serverMetadata();
    expect(metadata.token_endpoint).toBe(`${issuer}/token`);
  });

  it.each(['token_endpoint', 'authorization_endpoint', 'userinfo_endpoint', 'end_session_endpoint'])(
    'refuses a loopback provider whose %s is plain http on another host',
    async (name) => {
      const { server, issuer } = await provider((iss) => ({
        authorization_endpoint: `${iss}/authorize`,
        token_endpoint: `${iss}/token`,
        jwks_uri: `${iss}/jwks`,
        [name]: 'http://id.example.com/endpoint',
      }));
      servers.push(server);
      const error = await relyingParty(issuer)
        .provider()
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as Error).message).toContain(`${name} "http://id.example.com/endpoint"`);
    },
  );
});

// A loopback provider that completes a code exchange with an ID token signed by `alg` (what identity does for a client
// registered with id_token_signed_response_alg).
async function signingProvider(
  alg: 'ES256' | 'EdDSA',
  supported: string[],
): Promise<{ server: Server; issuer: string; nonce: { value: string } }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg, use: 'sig' };
  const nonce = { value: '' };
  let issuer = '';
  const server = createServer((request, response) => {
    const json = (body: unknown): void =>
      void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (request.url === '/.well-known/openid-configuration') {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        id_token_signing_alg_values_supported: supported,
      });
    }
    if (request.url === '/jwks') return json({ keys: [jwk] });
    if (request.url === '/token' && request.method === 'POST') {
      request.resume();
      void new SignJWT({ nonce: nonce.value })
        .setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience('web-portal')
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey)
        .then((idToken) => json({ access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken }));
      return;
    }
    return json({ error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, issuer, nonce };
}

describe("RelyingParty: the client's registered id_token_signed_response_alg", () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

  async function signIn(rp: RelyingParty, nonce: { value: string }): Promise<unknown> {
    const checks = RelyingParty.newChecks();
    nonce.value = checks.nonce;
    const callback = new URL(`http://127.0.0.1:1/callback?code=c&state=${encodeURIComponent(checks.state)}`);
    return rp.callback(callback, checks).then(
      (tokens) => tokens,
      (reason: unknown) => reason,
    );
  }

  it.each(['ES256', 'EdDSA'] as const)(
    'accepts %s ID tokens when configured with it, and refuses them under the RS256 default',
    async (alg) => {
      const { server, issuer, nonce } = await signingProvider(alg, ['RS256', 'ES256', 'EdDSA']);
      servers.push(server);
      const accepted = await signIn(relyingParty(issuer, alg), nonce);
      expect(accepted).toMatchObject({ accessToken: 'at', claims: { sub: 'alice', aud: 'web-portal' } });
      const refused = await signIn(relyingParty(issuer), nonce);
      expect(refused).toBeInstanceOf(GrantRefusedError);
    },
  );

  it('fails discovery, naming the variable, when the provider does not list the configured algorithm', async () => {
    const { server, issuer } = await signingProvider('ES256', ['RS256']);
    servers.push(server);
    const error = await relyingParty(issuer, 'ES256')
      .provider()
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toContain(
      'does not sign ID tokens with ES256 (OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG)',
    );
  });

  it('reads OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG with the default RS256, and refuses an unknown or symmetric one', () => {
    const defaults = { name: 'web-portal', title: 'Web Portal', port: 0, clientId: 'web-portal', scope: 'openid' };
    expect(webAppConfigFromEnv({}, defaults).idTokenAlg).toBe('RS256');
    expect(webAppConfigFromEnv({ OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG: 'EdDSA' }, defaults).idTokenAlg).toBe('EdDSA');
    for (const bad of ['HS256', 'none', 'es256']) {
      expect(() => webAppConfigFromEnv({ OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG: bad }, defaults)).toThrow(
        `OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG: must be one of RS256`,
      );
    }
  });
});
