import { Injectable } from '@nestjs/common';
import { RegisteredClient } from '../directory/directory';
import { DirectoryService } from '../directory/directory.service';
import { OAuthError } from './oauth.errors';
import { RequestParams } from './request-params';

interface PresentedCredentials {
  readonly clientId: string | undefined;
  readonly secret: string | undefined;
  readonly usedBasicAuth: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// RFC 6749 section 2.3.1: id and secret are form-urlencoded before being joined for HTTP Basic.
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic +(\S+)\s*$/i.exec(header);
  if (!match || !BASE64.test(match[1])) throw new OAuthError('invalid_client', 'malformed Basic credentials', true);
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) throw new OAuthError('invalid_client', 'malformed Basic credentials', true);
  try {
    return { clientId: formDecode(decoded.slice(0, separator)), secret: formDecode(decoded.slice(separator + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials', true);
  }
}

/**
 * Authenticates the client of a token request: `client_secret_basic`, `client_secret_post`,
 * or `none` (a public client naming itself with `client_id`).
 */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly directory: DirectoryService) {}

  /** The authenticated client; throws `invalid_client` (401) or `invalid_request`. */
  async authenticate(authorization: string | undefined, params: RequestParams): Promise<RegisteredClient> {
    const presented = this.credentials(authorization, params);
    const fail = (description: string) => new OAuthError('invalid_client', description, presented.usedBasicAuth);
    if (presented.clientId === undefined) throw fail('client authentication is required');
    const client = this.directory.findClient(presented.clientId);
    if (presented.secret !== undefined) {
      // Verified even for unknown or public clients so that the answer time does not reveal which it was.
      const isValid = await this.directory.verifyClientSecret(client, presented.secret);
      if (!client || client.type !== 'confidential' || !isValid) throw fail('client authentication failed');
      return client;
    }
    if (!client) throw fail('client authentication failed');
    if (client.type === 'confidential') throw fail('this client must authenticate with its secret');
    return client;
  }

  private credentials(authorization: string | undefined, params: RequestParams): PresentedCredentials {
    const bodyClientId = params.one('client_id');
    const bodySecret = params.one('client_secret');
    if (authorization === undefined) {
      return { clientId: bodyClientId, secret: bodySecret, usedBasicAuth: false };
    }
    if (!/^Basic /i.test(authorization)) {
      throw new OAuthError(
        'invalid_client',
        'only HTTP Basic client authentication is supported in the Authorization header',
        true,
      );
    }
    const basic = parseBasic(authorization);
    // RFC 6749 section 2.3: a client must not use more than one authentication method per request.
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'use either HTTP Basic or client_secret_post, not both');
    }
    if (bodyClientId !== undefined && bodyClientId !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the Basic credentials');
    }
    return { clientId: basic.clientId, secret: basic.secret, usedBasicAuth: true };
  }
}
