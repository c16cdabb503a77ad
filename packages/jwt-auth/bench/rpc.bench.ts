import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { createRpcAuthEnvelope } from '../src/index';
import type { BenchResult } from './measure';

type Kind = 'tcp' | 'nats';

async function startServer(kind: Kind, cacheSize: number) {
  const prefix = `jwt-auth-bench.${randomBytes(4).toString('hex')}`;
  const child = spawn(process.execPath, [join(__dirname, 'rpc-server.js'), kind, String(cacheSize), prefix], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const info = JSON.parse(line) as { port: number; prefix: string; token: string };
  return { ...info, stop: () => child.kill('SIGTERM') };
}

/** Messages per second with `inFlight` concurrent request-response calls for `ms` milliseconds. */
async function messagesPerSecond(client: ClientProxy, pattern: string, payload: unknown, ms: number, inFlight = 32) {
  let done = 0;
  const deadline = Date.now() + ms;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (Date.now() < deadline) {
      await firstValueFrom(client.send(pattern, payload));
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Request-response round trips per second to a message handler behind the global JwtAuthGuard against the same
 * handler marked `@Public()`, over TCP and NATS, in alternating rounds; both receive the same envelope with the token,
 * so only the guard's work differs. The server runs in its own process.
 */
export async function benchRpc(rounds = 5, seconds = 2): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const cases: { kind: Kind; cacheSize: number; name: string }[] = [
    { kind: 'tcp', cacheSize: 1000, name: 'tcp guarded ES256 message' },
    { kind: 'nats', cacheSize: 1000, name: 'nats guarded ES256 message' },
    { kind: 'tcp', cacheSize: 0, name: 'tcp guarded ES256 message (no token cache)' },
  ];
  for (const { kind, cacheSize, name } of cases) {
    const server = await startServer(kind, cacheSize);
    const client =
      kind === 'tcp'
        ? ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: server.port } })
        : ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } });
    try {
      await client.connect();
      const payload = createRpcAuthEnvelope(server.token, { n: 1 });
      const guardedPattern = `${server.prefix}.guarded`;
      const openPattern = `${server.prefix}.open`;
      await messagesPerSecond(client, guardedPattern, payload, 500);
      await messagesPerSecond(client, openPattern, payload, 500);
      const guarded: number[] = [];
      const open: number[] = [];
      for (let r = 0; r < rounds; r++) {
        open.push(await messagesPerSecond(client, openPattern, payload, seconds * 1000));
        guarded.push(await messagesPerSecond(client, guardedPattern, payload, seconds * 1000));
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      const g = median(guarded);
      const o = median(open);
      results.push({
        case: name,
        ops_per_sec: Math.round(g),
        baseline_ops_per_sec: Math.round(o),
        ratio: Number((g / o).toFixed(3)),
      });
    } finally {
      await client.close();
      server.stop();
    }
  }
  return results;
}
