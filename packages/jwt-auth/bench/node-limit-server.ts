// Child process of the service benchmark: the "node limit", a hand-written node:http verifier that checks the
// signature of every request with crypto.verify on a KeyObject built once, reads `sub` and `exp` with JSON.parse, and
// answers what orders-api's GET /orders answers a user without orders. No cache, no strict parsing, no claim rules:
// the least a service can do per request and still call itself a verifier.
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';

const alg = process.argv[2] as 'RS256' | 'ES256' | 'EdDSA';
const key: KeyObject = createPublicKey({ key: JSON.parse(process.argv[3]) as JsonWebKey, format: 'jwk' });
const keyInput = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
const hash = alg === 'EdDSA' ? null : 'sha256';
const ORDERS = JSON.stringify({ orders: [] });

function userOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
  const token = authorization.slice(7);
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot1 < 0 || dot2 < 0) return undefined;
  const signature = Buffer.from(token.slice(dot2 + 1), 'base64url');
  if (!verify(hash, Buffer.from(token.slice(0, dot2)), keyInput, signature)) return undefined;
  const claims = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString()) as {
    sub?: string;
    exp?: number;
  };
  return typeof claims.exp === 'number' && claims.exp > Date.now() / 1000 ? claims.sub : undefined;
}

const server = createServer((request, response) => {
  let user: string | undefined;
  try {
    user = userOf(request.headers.authorization);
  } catch {
    user = undefined;
  }
  if (user === undefined) {
    response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(ORDERS);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
