import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { randomToken, tokenDigest } from '../crypto/opaque-token';
import { CLOCK } from '../identity.constants';

/** A login form in progress: its CSRF token and the authorization request waiting for it. */
export interface LoginTransaction {
  /** Value of the hidden `csrf_token` field. */
  readonly csrfToken: string;
  /** Pending authorization request to resume after login, if any. */
  readonly requestId: string | undefined;
}

/** Lifetime of a login form. */
export const LOGIN_TTL_SECONDS = 600;

/**
 * Login transactions keyed by a random cookie: the CSRF token is valid only together with the
 * cookie of the browser that fetched the form, which also defeats login CSRF.
 */
@Injectable()
export class LoginTransactionStore {
  private readonly transactions: ExpiringMap<LoginTransaction>;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {
    this.transactions = new ExpiringMap(clock);
  }

  /** Starts a transaction and returns its cookie value with the transaction. */
  start(requestId: string | undefined): { cookie: string; transaction: LoginTransaction } {
    const cookie = randomToken();
    const transaction = { csrfToken: randomToken(), requestId };
    this.transactions.set(tokenDigest(cookie), transaction, this.clock.now() + LOGIN_TTL_SECONDS * 1000);
    return { cookie, transaction };
  }

  /** The live transaction of a cookie value, if any. */
  find(cookie: string | undefined): LoginTransaction | undefined {
    return cookie ? this.transactions.get(tokenDigest(cookie)) : undefined;
  }

  /** Ends a transaction. */
  finish(cookie: string | undefined): void {
    if (cookie) this.transactions.delete(tokenDigest(cookie));
  }
}
