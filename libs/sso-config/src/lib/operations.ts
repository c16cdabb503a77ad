import {
  Controller,
  Get,
  Header,
  Injectable,
  type ModuleMetadata,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AccessTokenVerifier, Public } from '@nest-sso/jwt-auth';
import { KeySourcesHealthIndicator } from '@nest-sso/jwt-auth/health';
import { instrumentVerifier, type VerifierMetrics } from '@nest-sso/jwt-auth/otel';

/**
 * The OpenTelemetry metrics SDK of one service: a `MeterProvider` whose only reader is a Prometheus exporter that
 * starts no server of its own (`preventServerStart`); the service's `GET /metrics` serves its text exposition. The
 * provider is passed to the instrumentation explicitly rather than registered globally, so several services can run
 * in one process (the tests do).
 */
@Injectable()
export class ServiceMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly exporter = new PrometheusExporter({ preventServerStart: true });
  // No otel_scope_* label on every series: the metric names already say which library they come from.
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  /** The SDK meter provider; give it to more instrumentation as needed. */
  readonly meterProvider = new MeterProvider({ readers: [this.exporter] });
  private instrumentation: VerifierMetrics | undefined;

  constructor(private readonly verifier: AccessTokenVerifier) {}

  onModuleInit(): void {
    this.instrumentation = instrumentVerifier(this.verifier, { meterProvider: this.meterProvider });
  }

  /** Collect every instrument now, as Prometheus text. */
  async scrape(): Promise<string> {
    const { resourceMetrics } = await this.exporter.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  async onModuleDestroy(): Promise<void> {
    this.instrumentation?.close();
    await this.meterProvider.shutdown();
  }
}

/**
 * `GET /health/ready` (readiness: 503 while an issuer has no usable keys; a stale key set is up, with a warning) and
 * `GET /metrics` (Prometheus text), both public: they show issuer URLs, key ids and counts, never a token or claim.
 */
@Controller()
export class OperationsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly keys: KeySourcesHealthIndicator,
    private readonly metrics: ServiceMetrics,
  ) {}

  @Get('health/ready')
  @Public()
  @HealthCheck()
  ready() {
    return this.health.check([() => this.keys.isHealthy('jwt-keys')]);
  }

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}

/**
 * What a sample service's root module adds for operations (readiness and metrics), next to its `JwtAuthModule`,
 * whose `AccessTokenVerifier` these parts read: spread into the module's `imports`, `controllers` and `providers`.
 */
export const OPERATIONS = {
  imports: [TerminusModule],
  controllers: [OperationsController],
  providers: [KeySourcesHealthIndicator, ServiceMetrics],
} as const satisfies Pick<ModuleMetadata, 'imports' | 'controllers' | 'providers'>;
