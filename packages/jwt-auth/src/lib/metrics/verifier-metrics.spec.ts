import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TestIssuer } from '../../testing';
import { listenOnLoopback, type LoopbackServer } from '../__fixtures__/jwks-server';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { instrumentVerifier } from './verifier-metrics';

/** Samples of a Prometheus text exposition, as `name{labels}` -> value. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('instrumentVerifier (OpenTelemetry SDK, Prometheus exposition)', () => {
  const MINUTE = 60_000;
  let clock = Date.now();
  let issuer: TestIssuer;
  let server: LoopbackServer;
  let up = true;
  let verifier: AccessTokenVerifier;
  let exporter: PrometheusExporter;
  let provider: MeterProvider;

  async function scrape(): Promise<Map<string, number>> {
    const { resourceMetrics } = await exporter.collect();
    return parseExposition(new PrettySerializer().serialize(resourceMetrics));
  }
  class PrettySerializer extends PrometheusSerializer {
    constructor() {
      super(undefined, false, undefined, true, true);
    }
  }

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'], issuer: 'https://id.example.test', audience: 'api' });
    server = await listenOnLoopback((_req, res) => {
      if (!up) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()));
    });
    verifier = new AccessTokenVerifier({
      issuers: [
        {
          issuer: issuer.issuerUrl,
          audience: 'api',
          algorithms: ['ES256'],
          jwksUri: `${server.origin}/jwks`,
          allowInsecureHttp: true,
          fetch: { cacheTtlMs: 10 * MINUTE, refreshAheadMs: MINUTE, cooldownMs: 30_000, backoffInitialMs: 1000 },
        },
      ],
      verifiedTokenCacheSize: 2,
      now: () => clock,
    });
    exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new MeterProvider({ readers: [exporter] });
    instrumentVerifier(verifier, { meterProvider: provider, now: () => clock });
    await verifier.warmUp();
  });

  afterAll(async () => {
    verifier?.close();
    await provider?.shutdown();
    await server?.close();
  });

  it('counts outcomes by issuer and error code, cache hits and misses, evictions and key fetches', async () => {
    const tokens = [issuer.sign({ sub: 'alice' }), issuer.sign({ sub: 'bob' }), issuer.sign({ sub: 'carol' })];
    for (const token of tokens) await verifier.verify(token); // 3 misses; the third evicts the first
    await verifier.verify(tokens[2]); // hit
    await verifier.verify(tokens[1]); // hit
    const refused = [
      issuer.sign({}, { expiresIn: -3600 }), // token_expired
      issuer.sign({ aud: 'other' }), // audience_invalid... whatever the code, it is labelled with it
      issuer.sign({ iss: 'https://evil.example' }), // issuer_invalid, no issuer label
      'not-a-token',
    ];
    const codes: string[] = [];
    for (const token of refused) {
      await verifier.verify(token).then(
        () => codes.push('accepted'),
        (error: { code: string }) => codes.push(error.code),
      );
    }
    const m = await scrape();
    const iss = `jwt_auth_issuer="${issuer.issuerUrl}"`;
    expect(m.get(`jwt_auth_verifications_total{${iss},jwt_auth_outcome="accepted",jwt_auth_cache_result="miss"}`)).toBe(
      3,
    );
    expect(m.get(`jwt_auth_verifications_total{${iss},jwt_auth_outcome="accepted",jwt_auth_cache_result="hit"}`)).toBe(
      2,
    );
    expect(
      m.get(
        `jwt_auth_verifications_total{${iss},jwt_auth_outcome="rejected",error_type="${codes[0]}",jwt_auth_cache_result="miss"}`,
      ),
    ).toBe(1);
    expect(
      m.get(
        `jwt_auth_verifications_total{${iss},jwt_auth_outcome="rejected",error_type="${codes[1]}",jwt_auth_cache_result="miss"}`,
      ),
    ).toBe(1);
    // A token naming an unconfigured issuer, or none, is counted without an issuer label.
    expect(
      m.get(
        `jwt_auth_verifications_total{jwt_auth_outcome="rejected",error_type="${codes[2]}",jwt_auth_cache_result="miss"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(codes[2]).toBe('issuer_invalid');
    // Full verifications are timed (3 accepted, 4 refused); cache hits are not.
    expect(m.get('jwt_auth_verification_duration_count')).toBe(7);
    expect(m.get(`jwt_auth_cache_requests_total{${iss},jwt_auth_cache_result="hit"}`)).toBe(2);
    expect(m.get(`jwt_auth_cache_requests_total{${iss},jwt_auth_cache_result="miss"}`)).toBe(5);
    expect(m.get('jwt_auth_cache_evictions_total')).toBe(1);
    expect(m.get('jwt_auth_cache_entries')).toBe(2);
    expect(m.get(`jwt_auth_key_source_fetches_total{${iss},jwt_auth_fetch_result="success"}`)).toBe(1);
    expect(m.get(`jwt_auth_key_source_fetches_total{${iss},jwt_auth_fetch_result="failure"}`)).toBe(0);
    expect(m.get(`jwt_auth_key_source_status{${iss},jwt_auth_key_source_status="fresh"}`)).toBe(1);
    expect(m.get(`jwt_auth_key_source_status{${iss},jwt_auth_key_source_status="stale"}`)).toBe(0);
    // No claim value is ever a label.
    const text = [...m.keys()].join('\n');
    for (const leaked of ['alice', 'bob', 'carol', 'evil.example', 'not-a-token']) expect(text).not.toContain(leaked);
  });

  it('counts unknown-kid refetches suppressed by the cooldown, failed fetches, stale keys served and their age', async () => {
    const unknownKid = issuer.sign({}, { kid: 'rotated-in-later' });
    clock += 31_000; // past the cooldown since the first fetch
    await expect(verifier.verify(unknownKid)).rejects.toMatchObject({ status: 401 }); // one refetch
    await expect(verifier.verify(unknownKid)).rejects.toMatchObject({ status: 401 }); // inside the cooldown
    let m = await scrape();
    const iss = `jwt_auth_issuer="${issuer.issuerUrl}"`;
    expect(m.get(`jwt_auth_key_source_refetches_suppressed_total{${iss}}`)).toBe(1);
    expect(m.get(`jwt_auth_key_source_fetches_total{${iss},jwt_auth_fetch_result="success"}`)).toBe(2);

    up = false;
    clock += 10 * MINUTE; // the refresh is due; it fails in the background and the last keys keep serving
    await verifier.verify(issuer.sign({}, { expiresIn: 24 * 3600 }));
    for (let i = 0; i < 200 && verifier.getKeySourceStates()[issuer.issuerUrl].consecutiveFailures === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await verifier.verify(issuer.sign({}, { expiresIn: 24 * 3600 }));
    await verifier.verify(issuer.sign({}, { expiresIn: 24 * 3600 }));
    m = await scrape();
    expect(m.get(`jwt_auth_key_source_fetches_total{${iss},jwt_auth_fetch_result="failure"}`)).toBe(1);
    expect(m.get(`jwt_auth_key_source_stale_served_total{${iss}}`)).toBe(2);
    expect(m.get(`jwt_auth_key_source_status{${iss},jwt_auth_key_source_status="stale"}`)).toBe(1);
    expect(m.get(`jwt_auth_key_source_time_since_success{${iss}}`)).toBeGreaterThanOrEqual(600);
  });

  it('stops recording once closed, and a throwing observer never changes a verdict', async () => {
    const other = new AccessTokenVerifier({ issuers: [issuer.issuerOptions('static')] });
    const otherExporter = new PrometheusExporter({ preventServerStart: true });
    const otherProvider = new MeterProvider({ readers: [otherExporter] });
    const handle = instrumentVerifier(other, { meterProvider: otherProvider });
    other.observe({
      cacheHit: () => {
        throw new Error('broken observer');
      },
      verified: () => {
        throw new Error('broken observer');
      },
      rejected: () => {
        throw new Error('broken observer');
      },
    });
    await expect(other.verify(issuer.sign({ sub: 'dave' }))).resolves.toMatchObject({ subject: 'dave' });
    await expect(other.verify('x.y.z')).rejects.toMatchObject({ status: 401 });
    const series = 'jwt_auth_verification_duration_count';
    const count = async () =>
      parseExposition(new PrettySerializer().serialize((await otherExporter.collect()).resourceMetrics)).get(series);
    expect(await count()).toBe(2);
    handle.close();
    await other.verify(issuer.sign({ sub: 'erin' }));
    expect(await count()).toBe(2);
    other.close();
    await otherProvider.shutdown();
  });
});
