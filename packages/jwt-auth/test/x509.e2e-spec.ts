import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { JwtAuthModule } from '../src';
import { mint, pkiKey, signX509Token, type Minted, type PkiKey } from '../src/lib/__fixtures__/pki';
import { MeController } from './fixtures';

jest.setTimeout(30_000);

const ISSUER = 'https://pki-issuer.test';

describe('JwtAuthModule with an X.509 trust store only (forRoot shorthand, HTTP)', () => {
  let app: INestApplication;
  let leafKey: PkiKey;
  let root: Minted, inter: Minted, leaf: Minted;

  beforeAll(async () => {
    const [rootKey, interKey] = await Promise.all([pkiKey('ES256'), pkiKey('ES256')]);
    leafKey = await pkiKey('ES256');
    root = await mint({ subject: 'CN=E2E Root', key: rootKey, ca: true });
    inter = await mint({ subject: 'CN=E2E Intermediate', key: interKey, issuer: root, ca: true });
    leaf = await mint({ subject: 'CN=tokens.e2e.test', key: leafKey, issuer: inter, dns: ['tokens.e2e.test'] });
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: ISSUER,
          audience: 'api',
          trust: { anchors: [root.pem], leafName: 'tokens.e2e.test' },
          globalGuard: true,
        }),
      ],
      controllers: [MeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(() => app?.close());

  const get = (token: string) => request(app.getHttpServer()).get('/me/strict').set('Authorization', `Bearer ${token}`);

  it('accepts a token whose x5c chains to the configured root', async () => {
    const res = await get(signX509Token(leafKey, { x5c: [leaf.b64, inter.b64] }, { sub: 'carol' }, ISSUER)).expect(200);
    expect(res.body).toEqual({ sub: 'carol' });
  });

  it('answers 401 invalid_token for a self-made chain and for a kid-only token (no key source to ask)', async () => {
    const fakeKey = await pkiKey('ES256');
    const fakeRoot = await mint({ subject: 'CN=E2E Root', key: fakeKey, ca: true });
    const fakeLeaf = await mint({
      subject: 'CN=tokens.e2e.test',
      key: fakeKey,
      issuer: fakeRoot,
      dns: ['tokens.e2e.test'],
    });
    const forged = await get(signX509Token(fakeKey, { x5c: [fakeLeaf.b64, fakeRoot.b64] }, {}, ISSUER)).expect(401);
    expect(forged.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const kidOnly = await get(signX509Token(leafKey, { kid: 'any' }, {}, ISSUER)).expect(401);
    expect(kidOnly.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });
});
