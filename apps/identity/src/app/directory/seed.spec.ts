import { readFileSync } from 'node:fs';
import { DEFAULT_SEED_FILE } from '../../identity-paths';
import { verifySecret } from '../crypto/secret-hash';
import { loadSeed, parseSeed, SeedError } from './seed';

describe('seed file', () => {
  it('ships a valid seed whose hashes match the credentials documented in the README', async () => {
    const directory = await loadSeed(DEFAULT_SEED_FILE, {
      WEB_PORTAL_URL: 'http://127.0.0.1:3100',
      ADMIN_CONSOLE_URL: 'http://127.0.0.1:3200',
    });
    const hashOf = (value: string | undefined) => value ?? 'missing';
    await expect(verifySecret('alice-password', hashOf(directory.users.get('alice')?.passwordHash))).resolves.toBe(
      true,
    );
    await expect(verifySecret('bob-password', hashOf(directory.users.get('bob')?.passwordHash))).resolves.toBe(true);
    await expect(
      verifySecret('billing-worker-secret', hashOf(directory.clients.get('billing-worker')?.secretHash)),
    ).resolves.toBe(true);
    expect(directory.clients.get('web-app')).toMatchObject({
      type: 'public',
      audiences: ['orders-api', 'inventory-service'],
      redirectUris: ['http://127.0.0.1/callback'],
    });
    expect(directory.clients.get('billing-worker')).toMatchObject({ alg: 'EdDSA', audiences: ['inventory-service'] });
    for (const [id, base] of [
      ['web-portal', 'http://127.0.0.1:3100'],
      ['admin-console', 'http://127.0.0.1:3200'],
    ]) {
      const client = directory.clients.get(id);
      await expect(verifySecret(`${id}-secret`, hashOf(client?.secretHash))).resolves.toBe(true);
      expect(client).toMatchObject({
        type: 'confidential',
        redirectUris: [`${base}/callback`],
        postLogoutRedirectUris: [`${base}/signed-out`],
        backchannelLogoutUri: `${base}/backchannel-logout`,
      });
    }
    expect(directory.clients.get('admin-console')?.scopes).toContain('inventory:admin');
    expect(directory.users.get('bob')?.scopes).not.toContain('inventory:admin');
    expect(directory.users.get('alice')?.scopes).toBeUndefined();
    expect(readFileSync(DEFAULT_SEED_FILE, 'utf8')).not.toMatch(/alice-password|billing-worker-secret|portal-secret/);
  });

  it('defaults ID tokens to RS256 and refuses an unknown id_token_signed_response_alg', async () => {
    const directory = await loadSeed(DEFAULT_SEED_FILE, {
      WEB_PORTAL_URL: 'http://127.0.0.1:3100',
      ADMIN_CONSOLE_URL: 'http://127.0.0.1:3200',
    });
    expect(directory.clients.get('web-portal')?.idTokenAlg).toBe('RS256');
    const client = {
      client_id: 'c',
      type: 'public',
      alg: 'ES256',
      id_token_signed_response_alg: 'HS256',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      scopes: ['openid'],
      audiences: ['a'],
    };
    expect(() => parseSeed({ users: [], clients: [client] })).toThrow(/id_token_signed_response_alg: one of/);
  });

  it('substitutes ${NAME} variables and refuses an unknown one instead of leaving it empty', async () => {
    await expect(loadSeed(DEFAULT_SEED_FILE, { WEB_PORTAL_URL: 'http://127.0.0.1:1' })).rejects.toThrow(
      /\$\{ADMIN_CONSOLE_URL\}: unknown variable/,
    );
  });

  it('reports every problem with its JSON path', () => {
    const document = {
      users: [{ username: 'bad name', password_hash: 'plaintext' }],
      clients: [
        {
          client_id: 'c1',
          type: 'public',
          alg: 'HS256',
          grant_types: ['client_credentials'],
          scopes: ['a b'],
          audiences: [],
          client_secret_hash: 'x',
        },
        {
          client_id: 'c2',
          type: 'public',
          alg: 'ES256',
          grant_types: ['authorization_code'],
          redirect_uris: ['http://evil.example/cb', 'https://ok.example/cb#frag'],
          scopes: ['a'],
          audiences: ['api'],
          extra: 1,
        },
      ],
    };
    let message = '';
    try {
      parseSeed(document);
    } catch (error) {
      expect(error).toBeInstanceOf(SeedError);
      message = (error as Error).message;
    }
    for (const expected of [
      'users[0].username',
      'users[0].password_hash',
      'clients[0].client_secret_hash: public clients have no secret',
      'clients[0].alg',
      'clients[0].grant_types: client_credentials needs a confidential client',
      'clients[0].scopes[0]',
      'clients[0].audiences: at least one audience',
      'clients[1].extra: unknown field',
      'clients[1].redirect_uris[0]',
      'clients[1].redirect_uris[1]',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('refuses a missing seed file with a hint', async () => {
    await expect(loadSeed('/nonexistent/seed.json')).rejects.toThrow(/set SEED_FILE/);
  });
});
