import { Controller, Get, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AnyScope, JwtAuthGuard, JwtAuthModule, Public, Scopes } from '../src';
import { addJwtBearerScheme, documentJwtAuth } from '../src/swagger';
import { TestIssuer } from '../src/testing';

@Controller('items')
@Scopes('items:read')
class ItemsController {
  @Get()
  list() {
    return [];
  }

  @Post()
  @Scopes('items:write')
  create() {
    return {};
  }

  @Post('bulk')
  @AnyScope('items:admin', 'items:import')
  bulk() {
    return {};
  }

  @Get('catalog')
  @Public()
  catalog() {
    return [];
  }
}

@Controller('me')
class MeController {
  @Get()
  me() {
    return {};
  }
}

@Controller('local')
@UseGuards(JwtAuthGuard)
class LocalGuardController {
  @Get()
  get() {
    return {};
  }
}

@Controller('me')
class OtherMeController {
  @Get()
  me() {
    return {};
  }
}

async function documentOf(
  globalGuard: boolean,
  controllers: (new () => object)[],
): Promise<{ app: INestApplication; document: OpenAPIObject }> {
  const issuer = await TestIssuer.create({ algorithms: ['ES256'] });
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard })],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  documentJwtAuth(app);
  const document = SwaggerModule.createDocument(app, addJwtBearerScheme(new DocumentBuilder().setTitle('t')).build());
  return { app, document };
}

describe('documentJwtAuth (@nestjs/swagger)', () => {
  it('declares the bearer scheme and gives each route its scopes and 401 / 403 responses', async () => {
    const { app, document } = await documentOf(true, [ItemsController, MeController]);
    try {
      expect(document.components?.securitySchemes?.['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
      const op = (path: string, method: 'get' | 'post') =>
        document.paths[path][method] as { security?: unknown; responses: Record<string, unknown> };
      // Controller and handler scopes are both required: one requirement object with both.
      expect(op('/items', 'get').security).toEqual([{ bearer: ['items:read'] }]);
      expect(op('/items', 'post').security).toEqual([{ bearer: ['items:read', 'items:write'] }]);
      // @AnyScope: alternatives, each with the controller's scope.
      expect(op('/items/bulk', 'post').security).toEqual([
        { bearer: ['items:read', 'items:admin'] },
        { bearer: ['items:read', 'items:import'] },
      ]);
      expect(op('/items', 'get').responses['401']).toBeDefined();
      expect(op('/items', 'get').responses['403']).toBeDefined();
      // Protected by the global guard without scopes: a token, no scope, so 401 but no 403.
      expect(op('/me', 'get').security).toEqual([{ bearer: [] }]);
      expect(op('/me', 'get').responses['401']).toBeDefined();
      expect(op('/me', 'get').responses['403']).toBeUndefined();
      // @Public: no requirement, no 401.
      expect(op('/items/catalog', 'get').security).toBeUndefined();
      expect(op('/items/catalog', 'get').responses['401']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('without a global guard, documents only routes guarded by JwtAuthGuard or carrying scopes', async () => {
    const { app, document } = await documentOf(false, [OtherMeController, LocalGuardController]);
    try {
      expect(document.paths['/me'].get?.security).toBeUndefined();
      expect(document.paths['/local'].get?.security).toEqual([{ bearer: [] }]);
    } finally {
      await app.close();
    }
  });
});
