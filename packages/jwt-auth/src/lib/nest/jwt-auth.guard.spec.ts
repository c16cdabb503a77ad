import { inspect } from 'node:util';
import { HttpException, type ExecutionContext, type LoggerService } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RpcException, TcpContext } from '@nestjs/microservices';
import { AuthError } from '../errors/auth.errors';
import type { AuthPrincipal } from '../jwt/principal';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import {
  TestIssuer,
  createContextOfType,
  createHttpContext,
  createHttpRequest,
  createHttpResponse,
  createRpcContext,
} from '../../testing';
import { getAccessToken, getAuthPrincipal } from './auth-context';
import { AnyScope, OptionalAuth, Public, Scopes } from './auth.decorator';
import { BearerAuthException } from './bearer-auth.exception';
import { currentUserFactory } from './current-user.decorator';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { JwtAuthGuard } from './jwt-auth.guard';
import { createRpcAuthEnvelope } from './transports/rpc-auth-envelope';

@Scopes('orders:read')
class OrdersController {
  list(): void {
    // decorated only
  }

  @Scopes('orders:write')
  create(): void {
    // decorated only
  }

  @AnyScope('a', 'b')
  either(): void {
    // decorated only
  }

  @Public()
  health(): void {
    // decorated only
  }
}

class ProfileController {
  @OptionalAuth()
  maybe(): void {
    // decorated only
  }

  @OptionalAuth()
  @Scopes('profile')
  maybeScoped(): void {
    // decorated only
  }

  strict(): void {
    // decorated only
  }
}

const silentLogger = (): LoggerService & { messages: string[] } => {
  const messages: string[] = [];
  const push = (message: unknown) => void messages.push(String(message));
  return { messages, log: push, warn: push, error: push, debug: push, verbose: push };
};

describe('JwtAuthGuard', () => {
  let issuer: TestIssuer;
  let verifier: AccessTokenVerifier;
  let logger: ReturnType<typeof silentLogger>;
  let guard: JwtAuthGuard;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256', 'EdDSA'] });
  });

  beforeEach(() => {
    logger = silentLogger();
    const options = new ResolvedJwtAuthOptions({
      ...issuer.issuerOptions('static'),
      realm: 'unit',
      logger,
      rejectionLogLevel: 'debug',
    });
    verifier = new AccessTokenVerifier(options.verifierOptions);
    guard = new JwtAuthGuard(new Reflector(), verifier, options);
  });

  afterEach(() => verifier.close());

  const http = (
    handler: keyof OrdersController | keyof ProfileController,
    headers: Record<string, string | string[]> = {},
  ) => {
    const cls = handler in OrdersController.prototype ? OrdersController : ProfileController;
    const request = createHttpRequest(headers);
    const response = createHttpResponse();
    const context = createHttpContext(request, {
      handler: (cls.prototype as unknown as Record<string, () => void>)[handler],
      class: cls,
      response,
    });
    return { request, response, context };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const rejection = async (context: ExecutionContext): Promise<unknown> => {
    try {
      await guard.canActivate(context);
    } catch (error) {
      return error;
    }
    throw new Error('the guard let the call through');
  };

  it('keeps the raw token of an HTTP request out of JSON, util.inspect and its keys', async () => {
    const token = issuer.sign({ sub: 'ann', scope: 'orders:read' });
    const { request, context } = http('list', bearer(token));
    await expect(guard.canActivate(context)).resolves.toBe(true);
    // The request as a logger would print it, its headers aside: the token is reachable only through the API.
    const rest = Object.fromEntries(
      Reflect.ownKeys(request).flatMap((key) =>
        key === 'headers' || key === 'rawHeaders'
          ? []
          : [[key, (request as unknown as Record<PropertyKey, unknown>)[key]]],
      ),
    );
    expect(Object.getOwnPropertySymbols(rest).length).toBeGreaterThan(0);
    expect(JSON.stringify(rest)).not.toContain(token);
    expect(inspect(rest, { depth: 10, showHidden: true })).not.toContain(token);
    expect(Object.values(rest)).not.toContain(token);
    expect(getAccessToken(context)).toBe(token);
  });

  it('attaches the principal to request.user and remembers the raw token', async () => {
    const token = issuer.sign({ sub: 'ann', scope: 'orders:read' });
    const { request, context } = http('list', bearer(token));
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect((request.user as AuthPrincipal).subject).toBe('ann');
    expect(getAuthPrincipal(context)).toBe(request.user);
    expect(getAccessToken(context)).toBe(token);
    expect(currentUserFactory('sub', context)).toBe('ann');
    expect(currentUserFactory('__proto__', context)).toBeUndefined();
  });

  it('refuses a missing token with 401 and the realm-only challenge set on the response', async () => {
    const { response, context } = http('list');
    const error = (await rejection(context)) as BearerAuthException;
    expect(error).toBeInstanceOf(BearerAuthException);
    expect(error.getStatus()).toBe(401);
    expect(error.code).toBe('token_missing');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="unit"');
  });

  it('enforces the class scope and the method scope together', async () => {
    const onlyWrite = issuer.sign({ scope: 'orders:write' });
    expect(((await rejection(http('create', bearer(onlyWrite)).context)) as BearerAuthException).getStatus()).toBe(403);
    const onlyRead = issuer.sign({ scope: 'orders:read' });
    expect(((await rejection(http('create', bearer(onlyRead)).context)) as BearerAuthException).getStatus()).toBe(403);
    await expect(
      guard.canActivate(http('create', bearer(issuer.sign({ scope: 'orders:read orders:write' }))).context),
    ).resolves.toBe(true);
  });

  it('enforces @AnyScope on top of the class scope', async () => {
    await expect(
      guard.canActivate(http('either', bearer(issuer.sign({ scope: 'orders:read b' }))).context),
    ).resolves.toBe(true);
    expect(
      (
        (await rejection(
          http('either', bearer(issuer.sign({ scope: 'orders:read c' }))).context,
        )) as BearerAuthException
      ).code,
    ).toBe('insufficient_scope');
  });

  it('lets @Public through without looking at the token', async () => {
    await expect(guard.canActivate(http('health', bearer('garbage')).context)).resolves.toBe(true);
  });

  it('serves @OptionalAuth anonymously, clearing any earlier request.user, but refuses bad tokens', async () => {
    const { request, context } = http('maybe');
    request.user = { forged: true };
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toBeUndefined();
    expect(getAccessToken(context)).toBeUndefined();
    expect(((await rejection(http('maybe', bearer('a.b.c')).context)) as BearerAuthException).getStatus()).toBe(401);
  });

  it('still requires a token under @OptionalAuth when scopes are declared', async () => {
    expect(((await rejection(http('maybeScoped').context)) as BearerAuthException).code).toBe('token_missing');
  });

  it('refuses two Authorization headers with 400 invalid_request', async () => {
    const token = issuer.sign({ scope: 'orders:read' });
    const { response, context } = http('list', { Authorization: [`Bearer ${token}`, `Bearer ${token}`] });
    const error = (await rejection(context)) as BearerAuthException;
    expect(error.getStatus()).toBe(400);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('fails closed on execution contexts it does not know', async () => {
    for (const type of ['something', 'kafka-direct']) {
      const error = await rejection(
        createContextOfType(type, [{}, {}], { handler: ProfileController.prototype.strict, class: ProfileController }),
      );
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).status).toBe(401);
    }
  });

  it('turns an unexpected throw into a 401, never a pass or a 500', async () => {
    jest.spyOn(verifier, 'verify').mockRejectedValueOnce(new RangeError('boom'));
    const error = (await rejection(http('strict', bearer(issuer.sign({}))).context)) as BearerAuthException;
    expect(error.getStatus()).toBe(401);
    expect(error.code).toBe('validation_failed');
  });

  it('still answers 401 when the logger throws', async () => {
    logger.debug = () => {
      throw new Error('logger down');
    };
    const error = (await rejection(http('strict', bearer('x.y.z')).context)) as BearerAuthException;
    expect(error).toBeInstanceOf(HttpException);
    expect(error.getStatus()).toBe(401);
  });

  it('logs rejections with code, iss, kid and alg at debug, never the token', async () => {
    const token = issuer.sign({}, { expiresIn: -100, alg: 'EdDSA' });
    await rejection(http('strict', bearer(token)).context);
    expect(logger.messages).toEqual([expect.stringMatching(/code=token_expired iss=".+" kid="eddsa-.+" alg="EdDSA"/)]);
    for (const segment of token.split('.')) expect(logger.messages.join('\n')).not.toContain(segment);
  });

  it('logs only the fields a rejected token had', async () => {
    await rejection(http('strict', bearer('x.y.z')).context);
    expect(logger.messages).toEqual([expect.stringMatching(/: code=token_malformed$/)]);
  });

  it('logs nothing per rejection unless rejectionLogLevel is set, and then at that level', async () => {
    const quiet = new ResolvedJwtAuthOptions({ ...issuer.issuerOptions('static'), logger });
    expect(quiet.rejectionLogLevel).toBe('off');
    const levels: string[] = [];
    const record = (level: string) => () => void levels.push(level);
    const leveled = {
      log: record('log'),
      warn: record('warn'),
      error: record('error'),
      debug: record('debug'),
      verbose: record('verbose'),
    };
    for (const [options, expected] of [
      [quiet, []],
      [new ResolvedJwtAuthOptions({ ...issuer.issuerOptions('static'), logger: leveled }), []],
      [
        new ResolvedJwtAuthOptions({
          ...issuer.issuerOptions('static'),
          logger: leveled,
          rejectionLogLevel: 'verbose',
        }),
        ['verbose'],
      ],
    ] as const) {
      levels.length = 0;
      const quietGuard = new JwtAuthGuard(new Reflector(), verifier, options);
      await expect(quietGuard.canActivate(http('strict', bearer('x.y.z')).context)).rejects.toBeInstanceOf(
        HttpException,
      );
      expect(levels).toEqual(expected);
    }
    expect(logger.messages).toEqual([]);
  });

  it('authenticates RPC calls from the envelope and attaches the principal to the transport context', async () => {
    const ctx = new TcpContext([{} as never, 'p']);
    const token = issuer.sign({ sub: 'svc', scope: 'orders:read' });
    const context = createRpcContext(createRpcAuthEnvelope(token, { id: 1 }), ctx, {
      handler: OrdersController.prototype.list,
      class: OrdersController,
    });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(currentUserFactory(undefined, context)).toMatchObject({ subject: 'svc' });
    expect(getAccessToken(context)).toBe(token);
    // A second call on another context object sees nothing.
    expect(getAuthPrincipal(createRpcContext({}, new TcpContext([{} as never, 'p'])))).toBeUndefined();
  });

  it('answers RPC failures with an RpcException carrying status and code', async () => {
    const context = createRpcContext({ id: 1 }, new TcpContext([{} as never, 'p']), {
      handler: OrdersController.prototype.list,
      class: OrdersController,
    });
    const error = (await rejection(context)) as RpcException;
    expect(error).toBeInstanceOf(RpcException);
    expect(error.getError()).toEqual({ status: 401, code: 'token_missing', message: expect.any(String) });
  });

  it('exposes protected hooks for subclasses', async () => {
    class TenantGuard extends JwtAuthGuard {
      protected override checkScopes(
        principal: AuthPrincipal,
        requirements: Parameters<JwtAuthGuard['checkScopes']>[1],
      ): void {
        super.checkScopes(principal, requirements);
        if (principal.claims['tenant'] !== 'acme') throw new AuthError('insufficient_scope', 'wrong tenant');
      }
    }
    const tenantGuard = new TenantGuard(
      new Reflector(),
      verifier,
      new ResolvedJwtAuthOptions({ ...issuer.issuerOptions('static'), logger }),
    );
    await expect(
      tenantGuard.canActivate(http('list', bearer(issuer.sign({ scope: 'orders:read', tenant: 'acme' }))).context),
    ).resolves.toBe(true);
    await expect(
      tenantGuard.canActivate(http('list', bearer(issuer.sign({ scope: 'orders:read', tenant: 'evil' }))).context),
    ).rejects.toMatchObject({
      code: 'insufficient_scope',
    });
  });
});
