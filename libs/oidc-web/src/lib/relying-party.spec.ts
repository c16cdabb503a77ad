import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderUnavailableError, RelyingParty } from './relying-party';
import type { WebAppConfig } from './web-app.config';

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

function relyingParty(issuer: string): RelyingParty {
  const config: WebAppConfig = {
    name: 'web-portal',
    title: 'Web Portal',
    port: 0,
    publicUrl: undefined,
    issuer,
    clientId: 'web-portal',
    clientSecret: 'secret',
    scope: 'openid',
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
