import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import {
  billingWorkerToken,
  fetchJwks,
  kidOf,
  makeTempDir,
  ManualClock,
  startIdentity,
  TestIdentity,
  verifyAccessToken,
} from '../../testing/identity.harness';

async function issueToken(identity: TestIdentity): Promise<string> {
  const response = await billingWorkerToken(identity);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function publishedKids(identity: TestIdentity): Promise<string[]> {
  return (await fetchJwks(identity)).keys.map((key) => key.kid as string);
}

function manifest(dataDir: string): { keys: { kid: string; alg: string; state: string }[] } {
  return JSON.parse(readFileSync(join(dataDir, 'keys', 'manifest.json'), 'utf8'));
}

describe('signing key rotation', () => {
  const ttl = 600;
  const margin = 120;
  let identity: TestIdentity;

  afterEach(() => identity?.close());

  it('publishes the next key before it signs and keeps a retired key until its tokens have expired', async () => {
    identity = await startIdentity({ accessTokenTtlSeconds: ttl, retiredKeyMarginSeconds: margin });
    const before = await publishedKids(identity);
    const oldToken = await issueToken(identity);
    const oldKid = kidOf(oldToken);
    expect(before).toContain(oldKid);
    const issuedAt = identity.clock.now();

    identity.clock.advanceSeconds(30);
    await identity.app.rotateKeys();
    const newToken = await issueToken(identity);
    const newKid = kidOf(newToken);
    expect(newKid).not.toBe(oldKid);
    // The key that signs after rotation was already in the JWKS before it: verifiers had it cached.
    expect(before).toContain(newKid);

    const after = await publishedKids(identity);
    expect(after).toContain(oldKid);
    expect(after.filter((kid) => !before.includes(kid))).toHaveLength(3);
    await expect(verifyAccessToken(identity, oldToken)).resolves.toBeDefined();
    await expect(verifyAccessToken(identity, newToken)).resolves.toBeDefined();
    expect(identity.app.keyStates().find((key) => key.kid === oldKid)?.state).toBe('retired');

    // Until retiredAt + TTL + margin the retired key is still published...
    identity.clock.advanceSeconds(ttl + margin - 1);
    expect(await publishedKids(identity)).toContain(oldKid);
    expect(existsSync(join(identity.dataDir, 'keys', `${oldKid}.pem`))).toBe(true);

    // ...then it is unpublished and its private key deleted.
    identity.clock.advanceSeconds(2);
    const pruned = await publishedKids(identity);
    expect(pruned).not.toContain(oldKid);
    expect(pruned).toContain(newKid);
    expect(existsSync(join(identity.dataDir, 'keys', `${oldKid}.pem`))).toBe(false);
    expect(manifest(identity.dataDir).keys.map((key) => key.kid)).not.toContain(oldKid);
    // Checked at a time the token was still within exp: the refusal is about the missing key.
    await expect(verifyAccessToken(identity, oldToken, undefined, issuedAt + 1000)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
  });

  it('stores private keys as 0600 PEM files in a 0700 directory, never in the manifest', async () => {
    identity = await startIdentity();
    await identity.app.rotateKeys('ES256');
    const directory = join(identity.dataDir, 'keys');
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    const { keys } = manifest(identity.dataDir);
    expect(keys).toHaveLength(7);
    for (const key of keys) {
      const file = join(directory, `${key.kid}.pem`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    const text = readFileSync(join(directory, 'manifest.json'), 'utf8');
    expect(text).not.toMatch(/PRIVATE KEY|"d"/);
    expect(statSync(join(directory, 'manifest.json')).mode & 0o777).toBe(0o600);
    expect(
      keys
        .filter((key) => key.alg === 'ES256')
        .map((key) => key.state)
        .sort(),
    ).toEqual(['current', 'next', 'retired']);
  });

  it('keeps its keys across a restart with the same DATA_DIR', async () => {
    const dataDir = makeTempDir();
    const clock = new ManualClock();
    identity = await startIdentity({ dataDir }, clock);
    const token = await issueToken(identity);
    const kidsBefore = (await publishedKids(identity)).sort();
    await identity.close({ keepData: true });

    identity = await startIdentity({ dataDir }, clock);
    expect((await publishedKids(identity)).sort()).toEqual(kidsBefore);
    // The token's `iss` names the old port; what matters is that the new process still publishes its key.
    const jwks = await fetchJwks(identity);
    expect(jwks.keys.map((key) => key.kid)).toContain(kidOf(token));
    expect(kidOf(await issueToken(identity))).toBe(kidOf(token));
  });

  it('verifies a token issued before a restart when the issuer is fixed', async () => {
    const dataDir = makeTempDir();
    const clock = new ManualClock();
    const issuer = 'http://127.0.0.1:1';
    identity = await startIdentity({ dataDir, issuer }, clock);
    const token = await issueToken(identity);
    await identity.close({ keepData: true });
    identity = await startIdentity({ dataDir, issuer }, clock);
    const { payload } = await verifyAccessToken(identity, token, 'inventory-service');
    expect(payload.iss).toBe(issuer);
  });

  it('catches up on a rotation that fell due while the service was stopped', async () => {
    const dataDir = makeTempDir();
    const clock = new ManualClock();
    identity = await startIdentity({ dataDir, rotationPeriodSeconds: 3600 }, clock);
    const token = await issueToken(identity);
    await identity.close({ keepData: true });

    clock.advanceSeconds(3601);
    identity = await startIdentity({ dataDir, rotationPeriodSeconds: 3600 }, clock);
    const rotated = await issueToken(identity);
    expect(kidOf(rotated)).not.toBe(kidOf(token));
    expect(await publishedKids(identity)).toContain(kidOf(token));
  });

  it('refuses to start on a key file that others can read, or one that does not match its kid', async () => {
    const dataDir = makeTempDir();
    identity = await startIdentity({ dataDir });
    const [first, second] = manifest(dataDir).keys.filter((key) => key.alg === 'EdDSA');
    await identity.close({ keepData: true });
    identity = undefined as unknown as TestIdentity;

    const firstFile = join(dataDir, 'keys', `${first.kid}.pem`);
    chmodSync(firstFile, 0o644);
    await expect(startIdentity({ dataDir })).rejects.toThrow(/accessible by group or others; run: chmod 600/);
    chmodSync(firstFile, 0o600);

    writeFileSync(firstFile, readFileSync(join(dataDir, 'keys', `${second.kid}.pem`)), { mode: 0o600 });
    await expect(startIdentity({ dataDir })).rejects.toThrow(/does not match its kid/);
  });
});

describe('POST /admin/rotate', () => {
  let identity: TestIdentity;

  afterEach(() => identity.close());

  it('is absent when ADMIN_TOKEN is not configured', async () => {
    identity = await startIdentity();
    const response = await fetch(`${identity.app.url}/admin/rotate`, {
      method: 'POST',
      headers: { 'x-admin-token': 'x'.repeat(32) },
    });
    expect(response.status).toBe(404);
  });

  it('rotates only with the admin token', async () => {
    const adminToken = 'admin-token-for-tests-0123456789';
    identity = await startIdentity({ adminToken });
    const url = `${identity.app.url}/admin/rotate`;
    const before = identity.app
      .keyStates()
      .filter((key) => key.state === 'current')
      .map((key) => key.kid);

    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { 'x-admin-token': `${adminToken}x` } })).status).toBe(401);
    expect((await fetch(`${url}?alg=HS256`, { method: 'POST', headers: { 'x-admin-token': adminToken } })).status).toBe(
      400,
    );
    expect(
      identity.app
        .keyStates()
        .filter((key) => key.state === 'current')
        .map((key) => key.kid),
    ).toEqual(before);

    const response = await fetch(`${url}?alg=RS256`, { method: 'POST', headers: { 'x-admin-token': adminToken } });
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: { kid: string; alg: string; state: string }[] };
    const current = keys.filter((key) => key.state === 'current');
    expect(current.filter((key) => key.alg === 'RS256')[0].kid).not.toBe(before[0]);
    expect(current.filter((key) => key.alg !== 'RS256').map((key) => key.kid)).toEqual(before.slice(1));
    expect(JSON.stringify(keys)).not.toMatch(/privateKey|PRIVATE/);
  });
});
