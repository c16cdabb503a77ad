// Child process of the HTTP and service benchmarks when wrk is not installed: runs autocannon on its own core, on
// request of the parent (IPC), so the load generator never competes with the server it measures.
import autocannon from 'autocannon';

/** One measurement slice, sent by the parent. */
export interface LoadRequest {
  readonly url: string;
  /** Bearer tokens sent in turn, one per request; none: no Authorization header. */
  readonly tokens: readonly string[];
  readonly seconds: number;
  readonly connections: number;
  /** The status every answer must have. */
  readonly status: number;
}

/** What one slice measured. */
export interface LoadResult {
  readonly rps: number;
  readonly p99: number;
  readonly unexpected: number;
  /** Answers received. */
  readonly requests: number;
  /** CPU time of the load generator over the slice's wall time: near 1, the client, not the server, set the rate. */
  readonly loadCpu: number;
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const headers = request.tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  let next = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await autocannon({
    url: request.url,
    connections: request.connections,
    pipelining: 1,
    duration: request.seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          if (headers.length === 0) return req;
          const h = headers[next];
          next = next + 1 === headers.length ? 0 : next + 1;
          return { ...req, headers: h };
        },
      },
    ],
  });
  const stats = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  let unexpected = result.errors + result.timeouts;
  for (const [code, { count }] of Object.entries(stats)) if (Number(code) !== request.status) unexpected += count;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    unexpected,
    requests: result.requests.total,
    loadCpu: cpuSeconds(process.cpuUsage(cpu)) / (Number(process.hrtime.bigint() - start) / 1e9),
  };
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

process.on('message', (message: LoadRequest) => {
  run(message).then(
    (result) => process.send?.({ result }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
