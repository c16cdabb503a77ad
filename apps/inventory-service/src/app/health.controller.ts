import { Controller, Get } from '@nestjs/common';
import { AccessTokenVerifier, Public } from '@nest-sso/jwt-auth';

/** `GET /health`: public liveness plus the state of the issuer keys (never any key material). */
@Controller('health')
export class HealthController {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  @Get()
  @Public()
  health() {
    const keys = Object.fromEntries(
      Object.entries(this.verifier.getKeySourceStates()).map(
        ([issuer, state]) => [
          issuer,
          { status: state.status, keyCount: state.keyCount },
        ],
      ),
    );
    return { status: 'ok', service: 'inventory-service', keys };
  }
}
