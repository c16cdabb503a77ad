import { createServer, type AddressInfo } from 'node:net';

/** Demo secrets of the seeded web clients (the seed holds only their scrypt hashes). */
export const WEB_CLIENT_SECRETS = {
  'web-portal': 'web-portal-secret',
  'admin-console': 'admin-console-secret',
} as const;

/** The ready lines of the web apps. */
export const WEB_APP_READY = {
  webPortal: /web-portal listening on (http:\/\/127\.0\.0\.1:\d+)/,
  adminConsole: /admin-console listening on (http:\/\/127\.0\.0\.1:\d+)/,
};

/**
 * A free port on 127.0.0.1, found by binding port 0 and releasing it. The web apps' URLs must be known before identity
 * starts (it registers their redirect and back-channel URIs), so this small race with other processes is accepted
 * for the demo; a web app that loses it fails to start with a clear error.
 */
export function reserveLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment of one web app of the demo. */
export function webAppEnv(
  name: keyof typeof WEB_CLIENT_SECRETS,
  url: string,
  issuer: string,
  ordersUrl: string,
): Record<string, string> {
  return {
    PORT: new URL(url).port,
    PUBLIC_URL: url,
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: name,
    OIDC_CLIENT_SECRET: WEB_CLIENT_SECRETS[name],
    // openid-client refuses http: issuers unless told otherwise; the demo runs on loopback only.
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    ORDERS_API_URL: ordersUrl,
  };
}
