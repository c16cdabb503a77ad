import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { OAuthError } from './oauth.errors';

/** Maps every failure of the token endpoint to an RFC 6749 section 5.2 JSON answer; nothing escapes as an HTML 500. */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(OAuthErrorFilter.name);

  /** Writes `{error, error_description}` with `Cache-Control: no-store`. */
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = this.toOAuthError(exception);
    if (error.status === 401 && error.usedBasicAuth) {
      response.setHeader('WWW-Authenticate', 'Basic realm="identity", charset="UTF-8"');
    }
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Pragma', 'no-cache');
    response.status(error.status).json({ error: error.code, error_description: error.description });
  }

  private toOAuthError(exception: unknown): OAuthError {
    if (exception instanceof OAuthError) return exception;
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      return new OAuthError('invalid_request', 'the request could not be processed');
    }
    // Only the error class: a message can quote its input, and the input here may hold secrets, codes or tokens.
    this.logger.error(`token endpoint failed: ${(exception as Error)?.name ?? 'unknown error'}`);
    return new OAuthError('server_error', 'unexpected error');
  }
}
