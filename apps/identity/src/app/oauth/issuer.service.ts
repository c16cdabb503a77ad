import { Inject, Injectable } from '@nestjs/common';
import { IdentityConfig } from '../config/identity.config';
import { IDENTITY_CONFIG } from '../identity.constants';

/** Holds the issuer identifier, which may only be known once the server has bound its port. */
@Injectable()
export class IssuerService {
  private value: string | undefined;

  constructor(@Inject(IDENTITY_CONFIG) config: IdentityConfig) {
    this.value = config.issuer;
  }

  /** The issuer identifier (`iss`), exactly as published in discovery and tokens. */
  get issuer(): string {
    // Fail closed: signing a token with a guessed issuer would be worse than refusing to sign.
    if (this.value === undefined) throw new Error('issuer is not known before the server listens');
    return this.value;
  }

  /** Sets the issuer derived from the bound address, unless one was configured. */
  bindDefault(origin: string): void {
    this.value ??= origin;
  }

  /** The absolute URL of an endpoint path served by this issuer. */
  endpoint(path: string): string {
    return `${this.issuer.replace(/\/+$/, '')}${path}`;
  }
}
