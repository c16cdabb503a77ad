import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AccessTokenVerifier, type IssuerOptions } from '../src/index';
import { instrumentVerifier } from '../src/otel/index';
import { tokenSet } from './core.bench';
import { compare, type BenchResult } from './measure';

/**
 * The cost of metrics: the same verification with `instrumentVerifier` on a real OpenTelemetry SDK (Prometheus
 * reader) against an uninstrumented verifier, in the same run. The ratio is instrumented / uninstrumented.
 */
export async function benchMetrics(): Promise<BenchResult[]> {
  const set = tokenSet('ES256');
  const issuer: IssuerOptions = {
    issuer: set.issuer,
    audience: set.audience,
    algorithms: ['ES256'],
    keys: { key: set.verifyKey, kid: 'bench-key' },
  };
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const results: BenchResult[] = [];
  for (const cacheSize of [0, 1000]) {
    const plain = new AccessTokenVerifier({ issuers: [issuer], verifiedTokenCacheSize: cacheSize });
    const observed = new AccessTokenVerifier({ issuers: [issuer], verifiedTokenCacheSize: cacheSize });
    const metrics = instrumentVerifier(observed, { meterProvider: provider });
    let i = 0;
    let j = 0;
    const n = set.tokens.length;
    results.push(
      await compare(
        cacheSize === 0 ? 'metrics: verify ES256, instrumented / plain' : 'metrics: cache hit, instrumented / plain',
        () => observed.verify(set.tokens[i++ % n]),
        () => plain.verify(set.tokens[j++ % n]),
        { rounds: 11 },
      ),
    );
    const { resourceMetrics } = await exporter.collect();
    if (resourceMetrics.scopeMetrics.length === 0) throw new Error('the instrumented verifier recorded nothing');
    metrics.close();
    plain.close();
    observed.close();
  }
  await provider.shutdown();
  return results;
}
