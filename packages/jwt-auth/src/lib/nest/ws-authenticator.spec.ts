import type { AuthError } from '../errors/auth.errors';
import { socketIoHandshakeTokens } from './transports/ws.transport';
import { wsUpgradeTokens } from './ws-authenticator';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AuthError).code;
  }
};

describe('socket.io handshake tokens', () => {
  it('reads auth.token as a raw token and the Authorization header as Bearer', () => {
    expect(socketIoHandshakeTokens({ auth: { token: 'a.b.c' }, headers: {} })).toEqual(['a.b.c']);
    expect(socketIoHandshakeTokens({ headers: { authorization: 'Bearer d.e.f' } })).toEqual(['d.e.f']);
    expect(socketIoHandshakeTokens({ auth: { token: 'a.b.c' }, headers: { authorization: 'Bearer d.e.f' } })).toEqual([
      'd.e.f',
      'a.b.c',
    ]);
    expect(socketIoHandshakeTokens({ auth: {}, headers: {} })).toEqual([]);
  });

  it('refuses a non-string auth token and a non-string header', () => {
    expect(code(() => socketIoHandshakeTokens({ auth: { token: 42 } }))).toBe('token_malformed');
    expect(code(() => socketIoHandshakeTokens({ auth: { token: { toString: () => 'x' } } }))).toBe('token_malformed');
    expect(code(() => socketIoHandshakeTokens({ headers: { authorization: ['Bearer a', 7] } }))).toBe(
      'token_malformed',
    );
  });
});

describe('ws upgrade tokens', () => {
  it('reads the Authorization header and the bearer subprotocol pair', () => {
    expect(wsUpgradeTokens({ headers: { authorization: 'Bearer a.b.c' } })).toEqual(['a.b.c']);
    expect(wsUpgradeTokens({ headers: { 'sec-websocket-protocol': 'bearer, d.e.f' } })).toEqual(['d.e.f']);
    expect(wsUpgradeTokens({ headers: { 'sec-websocket-protocol': 'chat, v2' } })).toEqual([]);
  });

  it('refuses a bearer subprotocol without a token and a repeated Authorization header', () => {
    expect(code(() => wsUpgradeTokens({ headers: { 'sec-websocket-protocol': 'bearer' } }))).toBe('token_malformed');
    const repeated = {
      headers: { authorization: 'Bearer a.b.c' },
      rawHeaders: ['Authorization', 'Bearer a.b.c', 'authorization', 'Bearer d.e.f'],
    };
    expect(code(() => wsUpgradeTokens(repeated))).toBe('multiple_tokens');
  });
});
