import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import { firstValueFrom, of, type Observable } from 'rxjs';
import { ClientCredentialsTokenProvider } from '../../client/client-credentials.token-provider';
import { ClientCredentialsModule } from './client-credentials.module';
import { TokenRelay, type RelayClient } from './token-relay';
import { currentAccessToken, runWithAccessToken } from './token-relay.context';
import { TokenRelayError, TokenRelayErrorCode } from './token-relay.errors';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

/** A client that records what it was asked to send, as ClientProxy would serialize it. */
class RecordingClient implements RelayClient {
  readonly sent: { kind: string; pattern: unknown; data: unknown }[] = [];
  send<TResult>(pattern: unknown, data: unknown): Observable<TResult> {
    this.sent.push({ kind: 'send', pattern, data });
    return of({ ok: true } as TResult);
  }
  emit<TResult>(pattern: unknown, data: unknown): Observable<TResult> {
    this.sent.push({ kind: 'emit', pattern, data });
    return of(undefined as TResult);
  }
}

function relayError(fn: () => unknown): TokenRelayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenRelayError) return error;
    throw error;
  }
  throw new Error('expected a TokenRelayError');
}

describe('TokenRelay', () => {
  const relay = new TokenRelay();

  it('builds the Authorization header from an explicit token and replaces any authorization in extra headers', () => {
    expect(relay.authorization(TOKEN)).toBe(`Bearer ${TOKEN}`);
    expect(
      relay.headers(TOKEN, {
        Accept: 'application/json',
        AUTHORIZATION: 'Basic eDp5',
      }),
    ).toEqual({
      Accept: 'application/json',
      authorization: `Bearer ${TOKEN}`,
    });
  });

  it('refuses to relay without a token, outside a relayed call', () => {
    expect(relay.currentToken()).toBeUndefined();
    expect(relayError(() => relay.headers()).code).toBe(TokenRelayErrorCode.TOKEN_MISSING);
    expect(relayError(() => relay.envelope({ sku: 'A' })).code).toBe(TokenRelayErrorCode.TOKEN_MISSING);
    expect(relayError(() => relay.headers('')).code).toBe(TokenRelayErrorCode.TOKEN_MISSING);
  });

  it.each(['a b', `${TOKEN}\r\nx-injected: 1`, 'a,b', '"quoted"', 'tok\u00e9n'])(
    'refuses %j, which cannot travel as one bearer credential, without echoing it',
    (bad) => {
      const error = relayError(() => relay.headers(bad));
      expect(error.code).toBe(TokenRelayErrorCode.TOKEN_MALFORMED);
      expect(error.message).not.toContain(bad);
    },
  );

  it('uses the current token inside runWithAccessToken, across awaits, and forgets it outside', async () => {
    const seen = await runWithAccessToken(TOKEN, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.resolve();
      return relay.headers();
    });
    expect(seen).toEqual({ authorization: `Bearer ${TOKEN}` });
    expect(currentAccessToken()).toBeUndefined();
  });

  it('keeps concurrent calls apart', async () => {
    const tokens = Array.from({ length: 25 }, (_, i) => `tok-${i}.p.s`);
    const seen = await Promise.all(
      tokens.map((token, i) =>
        runWithAccessToken(token, async () => {
          await new Promise((resolve) => setTimeout(resolve, (i * 7) % 11));
          return relay.token();
        }),
      ),
    );
    expect(seen).toEqual(tokens);
  });

  it('prefers an explicit token over the current one', () => {
    runWithAccessToken('outer.p.s', () => {
      expect(relay.token('explicit.p.s')).toBe('explicit.p.s');
      expect(relay.token()).toBe('outer.p.s');
    });
  });

  it('wraps send and emit payloads in the RPC auth envelope, reading the token when called', async () => {
    const client = new RecordingClient();
    const reply = runWithAccessToken(TOKEN, () =>
      relay.send<{ ok: boolean }>(client, 'inventory.reserve', {
        sku: 'A',
        quantity: 2,
      }),
    );
    // Subscribed outside the call: the envelope was already built with the caller's token.
    await expect(firstValueFrom(reply)).resolves.toEqual({ ok: true });
    await firstValueFrom(relay.emit(client, 'inventory.audit', { sku: 'A' }, 'explicit.p.s'));
    expect(client.sent).toEqual([
      {
        kind: 'send',
        pattern: 'inventory.reserve',
        data: {
          headers: { authorization: `Bearer ${TOKEN}` },
          data: { sku: 'A', quantity: 2 },
        },
      },
      {
        kind: 'emit',
        pattern: 'inventory.audit',
        data: {
          headers: { authorization: 'Bearer explicit.p.s' },
          data: { sku: 'A' },
        },
      },
    ]);
  });

  it('does not call the client at all when there is no token', () => {
    const client = new RecordingClient();
    expect(() => relay.send(client, 'x', {})).toThrow(TokenRelayError);
    expect(client.sent).toEqual([]);
  });
});

describe('runWithAccessToken', () => {
  it('refuses an empty token', () => {
    expect(() => runWithAccessToken('', () => 1)).toThrow(TypeError);
  });
});

describe('ClientCredentialsModule', () => {
  let server: Server;
  let tokenEndpoint: string;
  const requests: { authorization: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push({ authorization: request.headers.authorization, body });
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            access_token: `cc-token-${requests.length}`,
            token_type: 'Bearer',
            expires_in: 300,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tokenEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('provides a caching token provider built from async options', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClientCredentialsModule.forRootAsync({
          useFactory: () => ({
            tokenEndpoint,
            clientId: 'worker',
            clientSecret: 's3cret',
            scope: 'inventory:read',
            allowInsecureHttp: true,
          }),
        }),
      ],
    }).compile();
    const tokens = moduleRef.get(ClientCredentialsTokenProvider);
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    expect(a).toBe('cc-token-1');
    expect(b).toBe('cc-token-1');
    await expect(tokens.getToken()).resolves.toBe('cc-token-1');
    expect(requests).toHaveLength(1);
    expect(requests[0].authorization).toBe(`Basic ${Buffer.from('worker:s3cret').toString('base64')}`);
    expect(new URLSearchParams(requests[0].body).get('scope')).toBe('inventory:read');
    await moduleRef.close();
  });

  it('refuses to boot with an http token endpoint unless allowed', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          ClientCredentialsModule.forRoot({
            tokenEndpoint,
            clientId: 'worker',
            clientSecret: 's3cret',
          }),
        ],
      }).compile(),
    ).rejects.toThrow(/must use https/);
  });
});
