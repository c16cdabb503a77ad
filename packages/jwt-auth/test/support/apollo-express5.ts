// A minimal Apollo Server 5 integration for Express, standing in for `@as-integrations/express5`, which the shared
// node_modules lacks (the lead is asked to add it). It calls Apollo's documented `executeHTTPGraphQLRequest` with the
// real request, as the published integration does; GraphQL tests load it in place of that package.
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';

export function expressMiddleware(
  server: ApolloServer<BaseContext>,
  options?: { context?: (args: { req: Request; res: Response }) => Promise<BaseContext> | BaseContext },
) {
  server.assertStarted('expressMiddleware()');
  const context = options?.context ?? (async () => ({}));
  return (req: Request, res: Response, next: NextFunction): void => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    server
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: req.method.toUpperCase(),
          headers,
          search: new URL(req.url, 'http://127.0.0.1').search,
          body: req.body as unknown,
        },
        context: async () => context({ req, res }),
      })
      .then(async (response) => {
        for (const [key, value] of response.headers) res.setHeader(key, value);
        res.statusCode = response.status ?? 200;
        if (response.body.kind === 'complete') {
          res.send(response.body.string);
          return;
        }
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      })
      .catch(next);
  };
}
