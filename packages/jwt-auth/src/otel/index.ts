// @nest-sso/jwt-auth/otel: verifier metrics through the OpenTelemetry metrics API (an optional peer dependency).
export {
  instrumentVerifier,
  JWT_AUTH_ATTRIBUTES,
  JWT_AUTH_METER_NAME,
  JWT_AUTH_METRICS,
  type VerifierMetrics,
  type VerifierMetricsOptions,
} from '../lib/metrics/verifier-metrics';
