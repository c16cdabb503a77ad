import { readFile } from 'node:fs/promises';
import { isSecretHash } from '../crypto/secret-hash';
import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../keys/signing-algorithm';
import { isScopeToken } from '../oauth/scopes';
import { Directory, GRANT_TYPES, GrantType, RegisteredClient, User } from './directory';

/** Thrown when the seed file is missing or invalid; the message lists every problem with its JSON path. */
export class SeedError extends Error {
  constructor(file: string, problems: readonly string[]) {
    super(`Invalid seed file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SeedError';
  }
}

const IDENTIFIER = /^[A-Za-z0-9._@-]{1,64}$/;
const USER_FIELDS = ['username', 'sub', 'name', 'password_hash', 'scopes'];
const CLIENT_FIELDS = [
  'client_id',
  'name',
  'type',
  'client_secret_hash',
  'alg',
  'grant_types',
  'redirect_uris',
  'scopes',
  'audiences',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'id_token_signed_response_alg',
];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBoundedString(value: unknown, max = 256): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isRedirectUri(value: unknown): value is string {
  if (!isBoundedString(value, 2048)) return false;
  try {
    const url = new URL(value);
    // RFC 6749 section 3.1.2: absolute, no fragment; plain http only where traffic stays on the machine.
    const isSecureTransport =
      url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
    return isSecureTransport && !value.includes('#');
  } catch {
    return false;
  }
}

class SeedReader {
  readonly problems: string[] = [];

  unknownFields(where: string, value: Json, known: readonly string[]): void {
    for (const field of Object.keys(value)) {
      if (!known.includes(field)) this.problems.push(`${where}.${field}: unknown field (allowed: ${known.join(', ')})`);
    }
  }

  stringArray(where: string, value: unknown, check: (item: unknown) => boolean, hint: string): string[] {
    if (!Array.isArray(value)) {
      this.problems.push(`${where}: must be an array (${hint})`);
      return [];
    }
    value.forEach((item, index) => {
      if (!check(item)) this.problems.push(`${where}[${index}]: ${hint}`);
    });
    return value.filter(check) as string[];
  }

  user(value: unknown, index: number): User | undefined {
    const where = `users[${index}]`;
    if (!isObject(value)) {
      this.problems.push(`${where}: must be an object`);
      return undefined;
    }
    this.unknownFields(where, value, USER_FIELDS);
    const { username, sub, name, password_hash: passwordHash } = value;
    if (typeof username !== 'string' || !IDENTIFIER.test(username)) {
      this.problems.push(`${where}.username: 1-64 characters of A-Z a-z 0-9 . _ @ -`);
    }
    if (sub !== undefined && !isBoundedString(sub)) this.problems.push(`${where}.sub: a non-empty string`);
    if (name !== undefined && !isBoundedString(name)) this.problems.push(`${where}.name: a non-empty string`);
    if (!isSecretHash(passwordHash)) {
      this.problems.push(`${where}.password_hash: an scrypt hash (npx tsx apps/identity/scripts/hash-secret.ts)`);
    }
    const scopes =
      value.scopes === undefined
        ? undefined
        : this.stringArray(`${where}.scopes`, value.scopes, isScopeToken, 'an RFC 6749 scope token');
    if (typeof username !== 'string' || !isSecretHash(passwordHash)) return undefined;
    return {
      username,
      sub: typeof sub === 'string' ? sub : username,
      name: typeof name === 'string' ? name : username,
      passwordHash,
      ...(scopes && { scopes: [...new Set(scopes)] }),
    };
  }

  client(value: unknown, index: number): RegisteredClient | undefined {
    const where = `clients[${index}]`;
    if (!isObject(value)) {
      this.problems.push(`${where}: must be an object`);
      return undefined;
    }
    this.unknownFields(where, value, CLIENT_FIELDS);
    const before = this.problems.length;
    const clientId = value.client_id;
    if (typeof clientId !== 'string' || !IDENTIFIER.test(clientId)) {
      this.problems.push(`${where}.client_id: 1-64 characters of A-Z a-z 0-9 . _ @ -`);
    }
    if (value.name !== undefined && !isBoundedString(value.name))
      this.problems.push(`${where}.name: a non-empty string`);
    const type = value.type;
    if (type !== 'public' && type !== 'confidential') this.problems.push(`${where}.type: "public" or "confidential"`);
    const secretHash = value.client_secret_hash;
    if (type === 'confidential' && !isSecretHash(secretHash)) {
      this.problems.push(`${where}.client_secret_hash: confidential clients need an scrypt hash of their secret`);
    }
    if (type === 'public' && secretHash !== undefined) {
      this.problems.push(
        `${where}.client_secret_hash: public clients have no secret; remove it or make the client confidential`,
      );
    }
    if (!isSigningAlgorithm(value.alg)) this.problems.push(`${where}.alg: one of ${SIGNING_ALGORITHMS.join(', ')}`);
    const idTokenAlg = value.id_token_signed_response_alg ?? 'RS256';
    if (!isSigningAlgorithm(idTokenAlg)) {
      this.problems.push(
        `${where}.id_token_signed_response_alg: one of ${SIGNING_ALGORITHMS.join(', ')} (default RS256)`,
      );
    }
    const isGrantType = (item: unknown) => (GRANT_TYPES as readonly unknown[]).includes(item);
    const grantTypes = this.stringArray(
      `${where}.grant_types`,
      value.grant_types,
      isGrantType,
      `one of ${GRANT_TYPES.join(', ')}`,
    ) as GrantType[];
    if (grantTypes.length === 0) this.problems.push(`${where}.grant_types: at least one grant type`);
    if (type === 'public' && grantTypes.includes('client_credentials')) {
      this.problems.push(`${where}.grant_types: client_credentials needs a confidential client`);
    }
    if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
      this.problems.push(`${where}.grant_types: refresh_token is only issued with authorization_code`);
    }
    const redirectUris = this.stringArray(
      `${where}.redirect_uris`,
      value.redirect_uris ?? [],
      isRedirectUri,
      'an absolute https URL (http only on loopback) without fragment',
    );
    if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
      this.problems.push(`${where}.redirect_uris: authorization_code needs at least one redirect URI`);
    }
    const scopes = this.stringArray(`${where}.scopes`, value.scopes, isScopeToken, 'an RFC 6749 scope token');
    if (scopes.length === 0) this.problems.push(`${where}.scopes: at least one scope`);
    const audiences = this.stringArray(
      `${where}.audiences`,
      value.audiences,
      (item) => isBoundedString(item),
      'a non-empty string',
    );
    if (audiences.length === 0) this.problems.push(`${where}.audiences: at least one audience`);
    const postLogoutRedirectUris = this.stringArray(
      `${where}.post_logout_redirect_uris`,
      value.post_logout_redirect_uris ?? [],
      isRedirectUri,
      'an absolute https URL (http only on loopback) without fragment',
    );
    const backchannelLogoutUri = value.backchannel_logout_uri;
    if (backchannelLogoutUri !== undefined && !isRedirectUri(backchannelLogoutUri)) {
      this.problems.push(
        `${where}.backchannel_logout_uri: an absolute https URL (http only on loopback) without fragment`,
      );
    }
    if (this.problems.length > before) return undefined;
    return {
      clientId: clientId as string,
      name: typeof value.name === 'string' ? value.name : (clientId as string),
      type: type as RegisteredClient['type'],
      ...(type === 'confidential' && { secretHash: secretHash as string }),
      alg: value.alg as RegisteredClient['alg'],
      idTokenAlg: idTokenAlg as RegisteredClient['idTokenAlg'],
      grantTypes: [...new Set(grantTypes)],
      redirectUris,
      scopes: [...new Set(scopes)],
      audiences: [...new Set(audiences)],
      postLogoutRedirectUris,
      ...(typeof backchannelLogoutUri === 'string' && { backchannelLogoutUri }),
    };
  }
}

const VARIABLE = /\$\{([A-Z][A-Z0-9_]{0,63})\}/g;

/**
 * Replaces `${NAME}` in every string of the seed with `variables[NAME]` (the client URLs that are only known at run
 * time, e.g. `${WEB_PORTAL_URL}/callback`); an unknown name is a problem, never an empty string.
 */
export function substituteSeedVariables(
  value: unknown,
  variables: Readonly<Record<string, string>>,
  problems: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, name: string) => {
      const replacement = variables[name];
      if (replacement === undefined) {
        problems.push(`${whole}: unknown variable (known: ${Object.keys(variables).join(', ') || 'none'})`);
        return whole;
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substituteSeedVariables(item, variables, problems));
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteSeedVariables(item, variables, problems)]),
    );
  }
  return value;
}

/** Validates a parsed seed document into a {@link Directory}; throws {@link SeedError} listing every problem. */
export function parseSeed(document: unknown, file = 'seed'): Directory {
  const reader = new SeedReader();
  const users = new Map<string, User>();
  const clients = new Map<string, RegisteredClient>();
  if (!isObject(document)) throw new SeedError(file, ['the document must be an object with "users" and "clients"']);
  reader.unknownFields('$', document, ['users', 'clients']);
  if (!Array.isArray(document.users)) reader.problems.push('users: must be an array');
  if (!Array.isArray(document.clients)) reader.problems.push('clients: must be an array');
  (Array.isArray(document.users) ? document.users : []).forEach((value, index) => {
    const user = reader.user(value, index);
    if (user && users.has(user.username))
      reader.problems.push(`users[${index}].username: duplicate "${user.username}"`);
    else if (user) users.set(user.username, user);
  });
  (Array.isArray(document.clients) ? document.clients : []).forEach((value, index) => {
    const client = reader.client(value, index);
    if (client && clients.has(client.clientId))
      reader.problems.push(`clients[${index}].client_id: duplicate "${client.clientId}"`);
    else if (client) clients.set(client.clientId, client);
  });
  if (reader.problems.length > 0) throw new SeedError(file, reader.problems);
  return { users, clients };
}

/** Reads the seed file at `path`, substitutes `${NAME}` variables and validates it. */
export async function loadSeed(path: string, variables: Readonly<Record<string, string>> = {}): Promise<Directory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SeedError(path, [
      `cannot be read (${(error as NodeJS.ErrnoException).code}); set SEED_FILE to an existing file`,
    ]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SeedError(path, [`is not valid JSON: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const substituted = substituteSeedVariables(document, variables, problems);
  if (problems.length > 0) throw new SeedError(path, problems);
  return parseSeed(substituted, path);
}
