import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { TestIssuer } from '../../testing';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtAuthModule } from './jwt-auth.module';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';

@Controller()
class OpenController {
  @Get()
  get() {
    return { ok: true };
  }
}

@Injectable()
class NeedsVerifier {
  constructor(readonly verifier: AccessTokenVerifier) {}
}

describe('JwtAuthModule', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
  });

  it('registers APP_GUARD only with globalGuard', () => {
    const plain = JwtAuthModule.forRoot(issuer.issuerOptions('static'));
    expect(plain.providers).not.toContainEqual(expect.objectContaining({ provide: APP_GUARD }));
    expect(plain.global).toBe(false);
    const guarded = JwtAuthModule.forRootAsync({
      globalGuard: true,
      isGlobal: true,
      useFactory: () => issuer.issuerOptions('static'),
    });
    expect(guarded.providers).toContainEqual({ provide: APP_GUARD, useExisting: JwtAuthGuard });
    expect(guarded.global).toBe(true);
  });

  it('strips the extras from the options handed to the factory-free path', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true, isGlobal: true })],
    }).compile();
    expect(moduleRef.get(ResolvedJwtAuthOptions).verifierOptions.issuers[0].issuer).toBe(issuer.issuerUrl);
    await moduleRef.close();
  });

  it('without globalGuard leaves routes open (the app opts in per controller)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot(issuer.issuerOptions('static'))],
      controllers: [OpenController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).get('/').expect(200);
    await app.close();
  });

  it('with globalGuard protects every route', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true })],
      controllers: [OpenController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).get('/').expect(401);
    await request(app.getHttpServer()).get('/').set('Authorization', `Bearer ${issuer.sign()}`).expect(200);
    await app.close();
  });

  it('makes the verifier injectable in feature modules when isGlobal', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), isGlobal: true })],
      providers: [NeedsVerifier],
    }).compile();
    const principal = await moduleRef.get(NeedsVerifier).verifier.verify(issuer.sign({ sub: 'di' }));
    expect(principal.subject).toBe('di');
    await moduleRef.close();
  });
});
