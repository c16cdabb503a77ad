import type { AddressInfo } from 'node:net';
import { Controller, Get, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AnyRole,
  CurrentUser,
  JwtAuthConfigError,
  JwtAuthModule,
  Public,
  RequireClaim,
  Roles,
  RolesClaims,
  Scopes,
} from '../src';
import { TestIssuer } from '../src/testing';

jest.setTimeout(30_000);

@Controller('open')
@Public()
class OpenController {
  @Get('anyone')
  anyone(@CurrentUser() user: unknown) {
    return { anonymous: user === undefined };
  }

  // The handler's own requirement wins over the class-level @Public().
  @Get('scoped')
  @Scopes('reports:read')
  scoped(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Get('admin')
  @Roles('admin')
  admin(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

@Controller('staff')
@AnyRole('admin', 'orders-reader')
class StaffController {
  @Get()
  list() {
    return { ok: true };
  }

  @Get('tenant')
  @RequireClaim('tenant', { equals: 'acme' })
  @RequireClaim(['https://example.com/groups'], { includes: 'billing' })
  tenant() {
    return { tenant: 'acme' };
  }

  @Get('mfa')
  @RequireClaim('acr', function strongAuthentication(acr) {
    return acr === 'urn:mfa';
  })
  mfa() {
    return { mfa: true };
  }
}

async function boot(controllers: Type<unknown>[], issuer: TestIssuer, extra: object = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true, ...extra })],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe('authorization over HTTP: traps, roles and claims', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    app = await boot([OpenController, StaffController], issuer, {
      rolesClaims: [RolesClaims.keycloakRealm, RolesClaims.keycloakClient('orders-api')],
    });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  const get = async (path: string, token?: string) => {
    const response = await fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const realm = (roles: string[], extra: object = {}) => issuer.sign({ sub: 'u1', realm_access: { roles }, ...extra });

  it('a class-level @Public() opens handlers without requirements only', async () => {
    await expect(get('/open/anyone')).resolves.toMatchObject({ status: 200, body: { anonymous: true } });
    await expect(get('/open/scoped')).resolves.toMatchObject({ status: 401, body: { error: 'token_missing' } });
    const noScope = issuer.sign({ sub: 'u1', scope: 'other' });
    await expect(get('/open/scoped', noScope)).resolves.toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    });
    const scoped = issuer.sign({ sub: 'u1', scope: 'reports:read' });
    await expect(get('/open/scoped', scoped)).resolves.toMatchObject({ status: 200, body: { sub: 'u1' } });
    await expect(get('/open/admin')).resolves.toMatchObject({ status: 401 });
  });

  it('@Roles reads the configured Keycloak realm roles; client roles count through their own path', async () => {
    await expect(get('/open/admin', realm(['user']))).resolves.toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope', message: 'token lacks a required role' },
    });
    await expect(get('/open/admin', realm(['admin']))).resolves.toMatchObject({ status: 200, body: { sub: 'u1' } });
    // `roles` at the top level is not configured here: it grants nothing.
    await expect(get('/open/admin', issuer.sign({ sub: 'u1', roles: ['admin'] }))).resolves.toMatchObject({
      status: 403,
    });
    const clientRole = issuer.sign({ resource_access: { 'orders-api': { roles: ['orders-reader'] } } });
    await expect(get('/staff', clientRole)).resolves.toMatchObject({ status: 200 });
    const otherClient = issuer.sign({ resource_access: { billing: { roles: ['orders-reader'] } } });
    await expect(get('/staff', otherClient)).resolves.toMatchObject({ status: 403 });
  });

  it('a 403 for a role carries the insufficient_scope challenge', async () => {
    const { challenge } = await get('/open/admin', realm(['user']));
    expect(challenge).toMatch(/^Bearer .*error="insufficient_scope"/);
  });

  it('@RequireClaim predicates: equals, includes and a function, all of them, with the class role too', async () => {
    const groups = { 'https://example.com/groups': ['billing', 'ops'] };
    await expect(get('/staff/tenant', realm(['admin'], { tenant: 'acme', ...groups }))).resolves.toMatchObject({
      status: 200,
    });
    await expect(get('/staff/tenant', realm(['admin'], { tenant: 'other', ...groups }))).resolves.toMatchObject({
      status: 403,
      body: { error: 'insufficient_scope' },
    });
    await expect(get('/staff/tenant', realm(['admin'], { tenant: 'acme' }))).resolves.toMatchObject({ status: 403 });
    await expect(get('/staff/tenant', realm([], { tenant: 'acme', ...groups }))).resolves.toMatchObject({
      status: 403,
    });
    await expect(get('/staff/mfa', realm(['admin'], { acr: 'urn:mfa' }))).resolves.toMatchObject({ status: 200 });
    await expect(get('/staff/mfa', realm(['admin'], { acr: 'urn:pwd' }))).resolves.toMatchObject({ status: 403 });
  });
});

describe('boot-time refusals', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
  });

  const bootError = async (controllers: Type<unknown>[], extra: object = {}): Promise<unknown> => {
    try {
      const app = await boot(controllers, issuer, extra);
      await app.close();
    } catch (error) {
      return error;
    }
    throw new Error('expected boot to fail');
  };

  it('refuses @Public() and @Scopes() on one handler, naming it', async () => {
    @Controller('x')
    class ConfusedController {
      @Get()
      @Public()
      @Scopes('x:read')
      confused() {
        return {};
      }
    }
    const error = await bootError([ConfusedController]);
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    expect((error as Error).message).toContain('ConfusedController.confused');
    expect((error as Error).message).toMatch(/Fix: remove @Public\(\)/);
  });

  it('refuses @Public() and @Roles() on one class, naming it', async () => {
    @Controller('y')
    @Public()
    @Roles('admin')
    class ConfusedClass {
      @Get()
      list() {
        return {};
      }
    }
    const error = await bootError([ConfusedClass]);
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    expect((error as Error).message).toContain('ConfusedClass');
  });

  it('refuses an invalid rolesClaims path, naming the option', async () => {
    const error = await bootError([OpenController], { rolesClaims: ['realm_access..roles'] });
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    expect((error as Error).message).toContain('rolesClaims[0]');
  });

  it('refuses a malformed decorator when the class is defined', () => {
    expect(() => RequireClaim('tenant', { startsWith: 'a' } as never)).toThrow(JwtAuthConfigError);
    expect(() => Roles()).toThrow(/name at least one role/);
    expect(() => RequireClaim('__proto__.polluted', { equals: 1 })).toThrow(JwtAuthConfigError);
  });
});
