import { Controller, Get, Inject } from '@nestjs/common';
import { WEB_APP_CONFIG } from './web-app.constants';
import type { WebAppConfig } from './web-app.config';

/** `GET /health`: liveness, and whether sign-in is configured (which variables are missing when not). */
@Controller('health')
export class HealthController {
  constructor(@Inject(WEB_APP_CONFIG) private readonly config: WebAppConfig) {}

  /** Always 200 while the process serves requests. */
  @Get()
  health(): { status: 'ok'; signIn: 'configured' | 'not configured'; missing?: readonly string[] } {
    const missing = this.config.signInMissing;
    return missing.length === 0
      ? { status: 'ok', signIn: 'configured' }
      : { status: 'ok', signIn: 'not configured', missing };
  }
}
