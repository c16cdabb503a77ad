import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SsoSystem } from '@nest-sso/sso-demo';

/** The repository root: the built apps are in `<root>/dist/apps`. */
export const ROOT_DIR = join(__dirname, '..', '..', '..', '..');

/** Start the built system quietly; every suite gets its own (own ports, own identity keys under tmp/). */
export function startSystem(): Promise<SsoSystem> {
  return SsoSystem.start({ rootDir: ROOT_DIR });
}

interface ManifestKey {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
}

/**
 * Sign an access token with the identity service's own current ES256 key, read from its DATA_DIR: a token that
 * differs from a real web-app token only in the claims given, e.g. an `exp` in the past. This is how the suite
 * gets an expired token without moving a clock or sleeping.
 */
export function mintWithIdentityKey(system: SsoSystem, claims: Record<string, unknown>): string {
  const keysDir = join(system.identityDataDir, 'keys');
  const manifest = JSON.parse(readFileSync(join(keysDir, 'manifest.json'), 'utf8')) as { keys: ManifestKey[] };
  const key = manifest.keys.find((entry) => entry.alg === 'ES256' && entry.state === 'current');
  if (!key) throw new Error('identity has no current ES256 key');
  const privateKey = createPrivateKey(readFileSync(join(keysDir, `${key.kid}.pem`)));
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'at+jwt', kid: key.kid };
  const payload = {
    iss: system.issuer,
    sub: 'alice',
    aud: ['orders-api', 'inventory-service'],
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    client_id: 'web-app',
    scope: 'openid orders:read orders:write inventory:read inventory:reserve',
    ...claims,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** An HTTP call reduced to what the assertions look at. */
export async function call(
  method: string,
  url: string,
  token?: string,
  body?: unknown,
): Promise<{
  status: number;
  challenge: string | null;
  body: Record<string, unknown>;
}> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
