import * as publicApi from '../../index';
import { ClientCredentialsTokenProvider, TokenRequestError } from '../client/client-credentials.token-provider';
import { parseStrictJson, StrictJsonError } from '../json/strict-json';
import { readDiscoveryDocument, DiscoveryDocumentError } from '../keys/discovery.key-source';
import { checkFetchUrl, FetchError } from '../keys/http-fetch';
import { importHmacSecret } from '../keys/static.key-source';
import { KeyRejectedError } from '../keys/verification-key';
import { TokenRelay } from '../nest/relay/token-relay';
import { TokenRelayError } from '../nest/relay/token-relay.errors';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { AuthError, JwtAuthConfigError } from './auth.errors';
import { isJwtAuthError, JwtAuthError } from './jwt-auth.error';

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
};

describe('JwtAuthError', () => {
  it('is the one base of every error the package throws, each with its stable code', async () => {
    const verifier = new AccessTokenVerifier({
      issuers: [{ issuer: 'https://id.test', audience: 'api', discovery: true }],
    });
    const cases: [unknown, abstract new (...args: never[]) => Error, string][] = [
      [await verifier.verify('x.y.z').catch((error: unknown) => error), AuthError, 'token_malformed'],
      [thrown(() => new AccessTokenVerifier({ issuers: [] })), JwtAuthConfigError, 'config_invalid'],
      [thrown(() => new ClientCredentialsTokenProvider({} as never)), JwtAuthConfigError, 'config_invalid'],
      [thrown(() => importHmacSecret('short')), KeyRejectedError, 'key_rejected'],
      [
        new TokenRequestError('token endpoint answered 400', 'invalid_client', 400),
        TokenRequestError,
        'token_request_failed',
      ],
      [thrown(() => new TokenRelay().token()), TokenRelayError, 'relay_token_missing'],
      [thrown(() => new TokenRelay().token('a b')), TokenRelayError, 'relay_token_malformed'],
      [thrown(() => parseStrictJson('{"a":1,"a":2}')), StrictJsonError, 'json_invalid'],
      [thrown(() => checkFetchUrl('ftp://id.test/jwks', false)), FetchError, 'fetch_failed'],
      [
        thrown(() => readDiscoveryDocument({ issuer: 'https://other.test' }, 'https://id.test', false)),
        DiscoveryDocumentError,
        'discovery_document_invalid',
      ],
    ];
    verifier.close();
    for (const [error, type, code] of cases) {
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(JwtAuthError);
      expect(isJwtAuthError(error)).toBe(true);
      expect((error as JwtAuthError).code).toBe(code);
      expect((error as Error).name).toBe(type.name);
    }
    expect(isJwtAuthError(new Error('plain'))).toBe(false);
  });

  it('is exported with every public error class, each a subclass of it', () => {
    expect(publicApi.JwtAuthError).toBe(JwtAuthError);
    for (const type of [
      publicApi.AuthError,
      publicApi.JwtAuthConfigError,
      publicApi.KeyRejectedError,
      publicApi.TokenRequestError,
      publicApi.TokenRelayError,
    ]) {
      expect(type.prototype).toBeInstanceOf(JwtAuthError);
    }
  });
});
