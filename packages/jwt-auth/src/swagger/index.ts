// @nest-sso/jwt-auth/swagger: the bearer scheme and per-route scopes in @nestjs/swagger documents (optional peer).
export {
  addJwtBearerScheme,
  documentJwtAuth,
  JWT_BEARER_SCHEME,
  type JwtAuthOpenApiOptions,
} from '../lib/nest/openapi/jwt-auth.openapi';
