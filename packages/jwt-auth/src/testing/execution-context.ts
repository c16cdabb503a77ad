import type { ContextType, ExecutionContext, Type } from '@nestjs/common';
import type { HttpArgumentsHost, RpcArgumentsHost, WsArgumentsHost } from '@nestjs/common/interfaces';

/** Which handler and controller a test context reports (decorator metadata is read from them). */
export interface TestContextTarget {
  /** The handler function, e.g. `Controller.prototype.method`. @default an undecorated function */
  readonly handler?: (...args: never[]) => unknown;
  /** The controller class. @default an undecorated class */
  readonly class?: Type<unknown>;
}

class UndecoratedController {
  handle(): void {
    // Stands in for a handler without metadata.
  }
}

class TestExecutionContext implements ExecutionContext {
  constructor(
    private readonly type: string,
    private readonly args: unknown[],
    private readonly target: TestContextTarget,
  ) {}

  getClass<T = unknown>(): Type<T> {
    return (this.target.class ?? UndecoratedController) as Type<T>;
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- the ExecutionContext signature.
  getHandler(): Function {
    return this.target.handler ?? UndecoratedController.prototype.handle;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  switchToHttp(): HttpArgumentsHost {
    return {
      getRequest: <T>() => this.args[0] as T,
      getResponse: <T>() => this.args[1] as T,
      getNext: <T>() => this.args[2] as T,
    };
  }

  switchToRpc(): RpcArgumentsHost {
    return { getData: <T>() => this.args[0] as T, getContext: <T>() => this.args[1] as T };
  }

  switchToWs(): WsArgumentsHost {
    return {
      getClient: <T>() => this.args[0] as T,
      getData: <T>() => this.args[1] as T,
      getPattern: () => this.args[this.args.length - 1] as string,
    };
  }

  getType<T extends string = ContextType>(): T {
    return this.type as T;
  }
}

/** A fake HTTP request: lower-cased `headers` (first value wins, as in Node) and `rawHeaders` with every value. */
export interface TestHttpRequest {
  /** Lower-cased headers, first value only. */
  headers: Record<string, string | undefined>;
  /** Every header line, as Node keeps them. */
  rawHeaders: string[];
  /** Set by the guard. */
  user?: unknown;
  /** Anything else a test needs on the request (query, body, ...). */
  [member: string]: unknown;
}

/**
 * Build a request object the way Node presents one: repeated headers all appear in `rawHeaders`.
 * @example createHttpRequest({ authorization: ['Bearer a', 'Bearer b'] })
 */
export function createHttpRequest(
  headers: Readonly<Record<string, string | readonly string[]>> = {},
  extra: Record<string, unknown> = {},
): TestHttpRequest {
  const request: TestHttpRequest = { headers: {}, rawHeaders: [], ...extra };
  for (const [name, value] of Object.entries(headers)) {
    const values = typeof value === 'string' ? [value] : [...value];
    for (const v of values) request.rawHeaders.push(name, v);
    request.headers[name.toLowerCase()] ??= values[0];
  }
  return request;
}

/** A fake response that records headers set with `header()` (Express / Fastify style). */
export interface TestHttpResponse {
  /** Headers set so far, by lower-cased name. */
  readonly headers: Record<string, string>;
  /** Set one header. */
  header(name: string, value: string): TestHttpResponse;
}

/** Build a response recording the headers a guard sets. */
export function createHttpResponse(): TestHttpResponse {
  const response: TestHttpResponse = {
    headers: {},
    header(name: string, value: string) {
      response.headers[name.toLowerCase()] = value;
      return response;
    },
  };
  return response;
}

/**
 * An `ExecutionContext` of type `http` for guard and decorator unit tests.
 * @example createHttpContext(createHttpRequest({ authorization: `Bearer ${token}` }), { handler: Ctl.prototype.get, class: Ctl })
 */
export function createHttpContext(
  request: object,
  target: TestContextTarget & { readonly response?: object } = {},
): ExecutionContext {
  return new TestExecutionContext('http', [request, target.response ?? createHttpResponse(), () => undefined], target);
}

/**
 * An `ExecutionContext` of type `rpc`: `data` is the payload, `ctx` the transport context (e.g. `new TcpContext(...)`,
 * `new NatsContext([subject, headers])`, gRPC `Metadata`).
 */
export function createRpcContext(data: unknown, ctx?: unknown, target: TestContextTarget = {}): ExecutionContext {
  return new TestExecutionContext('rpc', [data, ctx], target);
}

/** An `ExecutionContext` of any other type (e.g. `ws`, `graphql`), to check that guards fail closed. */
export function createContextOfType(
  type: string,
  args: unknown[] = [],
  target: TestContextTarget = {},
): ExecutionContext {
  return new TestExecutionContext(type, args, target);
}
