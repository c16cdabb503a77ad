import { Catch, NotFoundException, type ArgumentsHost, type INestApplication } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Answers the router's own 404 (Nest's `Cannot GET /path`, which quotes the request path back) with a bare
 * `{ statusCode: 404, message: 'Not Found' }`; every other exception goes to Nest's handling unchanged.
 */
@Catch(NotFoundException)
export class NotFoundWithoutPathFilter extends BaseExceptionFilter {
  override catch(exception: NotFoundException, host: ArgumentsHost): void {
    if (host.getType() === 'http') {
      const request = host.switchToHttp().getRequest<{ method?: string; url?: string; originalUrl?: string }>();
      const routerMessages = [request.originalUrl, request.url].map((url) => `Cannot ${request.method} ${url}`);
      if (routerMessages.includes(exception.message)) {
        super.catch(new NotFoundException(), host);
        return;
      }
    }
    super.catch(exception, host);
  }
}

/**
 * What a sample service's HTTP side says about itself, cut to nothing: no `X-Powered-By`, and 404 answers that do not
 * echo the path. Call before `listen()`.
 */
export function hardenHttpApp(nest: INestApplication): void {
  const adapter = nest.getHttpAdapter();
  const instance = adapter.getInstance() as { disable?: (setting: string) => unknown };
  if (adapter.getType() === 'express') instance.disable?.('x-powered-by');
  nest.useGlobalFilters(new NotFoundWithoutPathFilter(adapter));
}
