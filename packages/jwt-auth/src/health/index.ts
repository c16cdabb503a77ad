// @nest-sso/jwt-auth/health: a @nestjs/terminus health indicator for the issuers' key sources (optional peer).
export {
  describeKeySource,
  KeySourcesHealthIndicator,
  type KeySourceHealth,
  type KeySourcesHealthOptions,
} from '../lib/nest/health/key-sources.health-indicator';
