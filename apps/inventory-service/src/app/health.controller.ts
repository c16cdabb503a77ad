import { Controller, Get } from '@nestjs/common';
import { AccessTokenVerifier, Public } from '@nest-sso/jwt-auth';
import { keyHealth } from '@nest-sso/sso-config';

/** `GET /health`: public liveness plus the state of the issuer keys (never any key material). */
@Controller('health')
export class HealthController {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  @Get()
  @Public()
  health() {
    return { status: 'ok', service: 'inventory-service', keys: keyHealth(this.verifier) };
  }
}
