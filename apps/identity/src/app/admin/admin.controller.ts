import {
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Query,
  UnauthorizedException,
  BadRequestException,
} from '@nestjs/common';
import { IdentityConfig } from '../config/identity.config';
import { safeEqual } from '../crypto/opaque-token';
import { IDENTITY_CONFIG } from '../identity.constants';
import { SigningKeyManager } from '../keys/signing-key.manager';
import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../keys/signing-algorithm';
import { SigningKeyRecord } from '../keys/signing-key.store';
import { PrivateCa } from '../pki/private-ca';

/** `POST /admin/rotate`: rotates signing keys on demand; enabled only when `ADMIN_TOKEN` is set. */
@Controller('admin')
export class AdminController {
  private readonly logger = new Logger(AdminController.name);

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    private readonly keys: SigningKeyManager,
    @Inject(PrivateCa) private readonly ca: PrivateCa,
  ) {}

  /**
   * Revokes the current token-signing certificate of the private CA: a fresh one signs from now on, and the new CRL
   * (file and `GET /pki/intermediate-ca.crl`) lists the revoked serial.
   */
  @Post('revoke-signing-cert')
  @HttpCode(200)
  async revokeSigningCertificate(
    @Headers('x-admin-token') token: string | undefined,
  ): Promise<{ revoked: string; current: string }> {
    this.checkAdmin(token, 'revoke-signing-cert');
    const result = await this.ca.revokeSigningCertificate();
    this.logger.log(`signing certificate ${result.revoked} revoked; ${result.current} signs now`);
    return result;
  }

  private checkAdmin(token: string | undefined, action: string): void {
    // Disabled looks like absent: no hint that an admin surface exists.
    if (this.config.adminToken === undefined) throw new NotFoundException();
    if (typeof token !== 'string' || !safeEqual(token, this.config.adminToken)) {
      this.logger.warn(`admin ${action} refused: bad or missing x-admin-token`);
      throw new UnauthorizedException();
    }
  }

  /** Rotates the keys of `?alg=` (or all algorithms) when header `x-admin-token` carries the admin secret. */
  @Post('rotate')
  @HttpCode(200)
  async rotate(
    @Headers('x-admin-token') token: string | undefined,
    @Query('alg') alg: unknown,
  ): Promise<{ keys: SigningKeyRecord[] }> {
    // Disabled looks like absent: no hint that an admin surface exists.
    if (this.config.adminToken === undefined) throw new NotFoundException();
    if (typeof token !== 'string' || !safeEqual(token, this.config.adminToken)) {
      this.logger.warn('admin rotate refused: bad or missing x-admin-token');
      throw new UnauthorizedException();
    }
    if (alg === undefined) return { keys: await this.keys.rotate() };
    if (!isSigningAlgorithm(alg)) throw new BadRequestException(`alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
    return { keys: await this.keys.rotate(alg) };
  }
}
