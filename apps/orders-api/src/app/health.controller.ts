import { Controller, Get } from '@nestjs/common';
import { Public } from '@nest-sso/jwt-auth';

/** `GET /health`: public liveness only; it names no issuer and no key state (that is for an operator's readiness probe). */
@Controller('health')
export class HealthController {
  @Get()
  @Public()
  health() {
    return { status: 'ok' };
  }
}
