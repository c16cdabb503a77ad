import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test-only loopback server and JWK helpers for the key-source specs (excluded from the build). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly origin: string;
  /** Stops listening and drops every open connection, including requests a test is holding. */
  close(): Promise<void>;
}

/** Serve `handler` on 127.0.0.1 at an ephemeral port. */
export async function listenOnLoopback(handler: Handler): Promise<LoopbackServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answer every request with this status, content type and body. */
export function respond(status: number, contentType: string, body: string): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

/** Poll `predicate` on the event loop for up to 3 s. */
export async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(setImmediate);
  }
}

export interface TestJwkPair {
  /** Public JWK with `use: 'sig'` and the `kid`, if any. */
  readonly pub: JsonWebKey;
  /** Private JWK with the same `kid`. */
  readonly priv: JsonWebKey;
}

/** A fresh EC key pair as JWKs (generated per run; no key is committed). */
export function ecJwkPair(kid: string | undefined, namedCurve = 'P-256'): TestJwkPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
  const extra = kid === undefined ? {} : { kid };
  return {
    pub: { ...publicKey.export({ format: 'jwk' }), ...extra, use: 'sig' },
    priv: { ...privateKey.export({ format: 'jwk' }), ...extra },
  };
}
