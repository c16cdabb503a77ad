import { AuthError, AuthErrorCode, sharedAuthError, valueOrThrow, type AuthErrorDetails } from '../errors/auth.errors';
import { printableOrUndefined } from '../errors/log-safe';
import { TokenParser, type ParsedCompactJws } from '../jws/compact';
import { checkProtectedHeader, type CheckedHeader, type X509HeaderParams } from '../jws/header';
import { keyNotFound, verifyWithCandidates } from './verify-jws';
import { validateClaims, validateTimeClaims } from '../jwt/claims';
import { createPrincipal, freezeHeader, type AuthPrincipal, type PrincipalHeader } from '../jwt/principal';
import { ScopeReader } from '../jwt/scopes';
import { checkTokenType } from '../jwt/token-type';
import type { KeyLookup, KeySourceState } from '../keys/key-source.interface';
import type { VerificationKey } from '../keys/verification-key';
import { normalizeVerifierOptions, type IssuerRuntime } from './issuer-config';
import { VerifiedTokenCache, type VerifiedTokenCacheState, type VerifiedTokenEntry } from './verified-token.cache';
import type { JsonObject } from '../json/strict-json';
import type { VerifierOptions } from './verifier-options.interface';
import type { VerificationObserver } from './verification-observer.interface';

/** What {@link AccessTokenVerifier.verifyOutcome} settles to: the principal, or the refusal as a value. */
export type VerificationOutcome = AuthPrincipal | AuthError;

// Bounded like the parser's header cache: only accepted headers are kept, and a flood of them only clears it.
const ACCEPTED_HEADER_LIMIT = 256;

/** A protected header segment that passed the header rules and typ policy of an issuer. */
interface AcceptedHeader {
  readonly segment: string;
  readonly issuer: IssuerRuntime;
  readonly checked: CheckedHeader;
  readonly lookup: KeyLookup;
  readonly principalHeader: PrincipalHeader;
  /** The refusal when no key of the issuer fits: a function of the header and the issuer, so built once. */
  readonly keyNotFound: AuthError;
}

/**
 * Validates JWT access tokens offline against one or more configured issuers: strict compact parsing, issuer
 * selection by the unverified `iss` (exact, configured issuers only, so an unknown issuer never causes a fetch), the
 * issuer's algorithm allow-list and keys, signature, then claims. Framework-free.
 *
 * @example
 * const verifier = new AccessTokenVerifier({
 *   issuers: [{ issuer: 'https://id.example.com', audience: 'orders-api' }], // keys via OIDC discovery
 * });
 * const principal = await verifier.verify(token); // rejects with AuthError
 */
export class AccessTokenVerifier {
  private readonly issuers: Map<string, IssuerRuntime>;
  // With one issuer, the unverified `iss` is compared to it: no hashing of a fresh string for a Map lookup.
  private readonly onlyIssuer: IssuerRuntime | undefined;
  // The hot path's state, owned here and shared with no other verifier: the token parser (scratch buffer, parsed
  // headers, JSON name cache), the scope splits, and the headers each issuer accepted (decision 008).
  private readonly parser: TokenParser;
  private readonly scopeReader = new ScopeReader();
  private readonly acceptedHeaders = new Map<string, AcceptedHeader>();
  private lastAccepted: AcceptedHeader | undefined;
  private readonly now: () => number;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly cache: VerifiedTokenCache;
  // Undefined unless observe() was called: the hot path then pays one field read per outcome, no clock read.
  private observer: VerificationObserver | undefined;
  private readonly observers: VerificationObserver[] = [];
  // Refusals that carry nothing of the token are built once and shared (frozen): constructing an Error costs more than
  // the rest of such a refusal (decision 023).
  private readonly untrustedIssuer = sharedAuthError(
    new AuthError(AuthErrorCode.ISSUER_INVALID, 'token issuer is not trusted'),
  );

  /** @throws JwtAuthConfigError when the options are invalid (the message names the option and the fix). */
  constructor(options: VerifierOptions) {
    const { issuers, maxTokenLength, verifiedTokenCacheSize, verifiedTokenCacheMaxBytes } =
      normalizeVerifierOptions(options);
    this.issuers = issuers;
    this.onlyIssuer = issuers.size === 1 ? issuers.values().next().value : undefined;
    this.cache = new VerifiedTokenCache(verifiedTokenCacheMaxBytes, verifiedTokenCacheSize);
    this.parser = new TokenParser({ maxTokenLength });
    this.now = options.now ?? Date.now;
    const listener = options.onKeySourceEvent;
    if (listener) {
      for (const runtime of issuers.values()) {
        const unsubscribe = runtime.keySource.subscribe?.((event) => {
          try {
            listener(runtime.issuer, event);
          } catch {
            // A failing listener must never break key handling.
          }
        });
        if (unsubscribe) this.unsubscribers.push(unsubscribe);
      }
    }
  }

  /**
   * Verify an access token and return its frozen principal.
   * Rejects only with {@link AuthError}; any unexpected failure becomes `validation_failed` (401).
   */
  verify(token: string): Promise<AuthPrincipal> {
    const outcome = this.verifyOutcome(token);
    if (outcome instanceof Promise) return outcome.then(valueOrThrow);
    return outcome instanceof AuthError ? Promise.reject(outcome) : Promise.resolve(outcome);
  }

  /**
   * {@link verify} with the refusal as a value: the principal or the {@link AuthError}, at once when the keys are at
   * hand (a cache hit, cached keys, any refusal before a key fetch), else a promise of either. Never throws or
   * rejects. For callers on a hot path that refuse often: a rejected promise costs more than the rest of a refusal
   * (decision 023).
   */
  verifyOutcome(token: string): VerificationOutcome | Promise<VerificationOutcome> {
    const cached = typeof token === 'string' ? this.cache.get(token) : undefined;
    if (cached) {
      const hit = this.recheck(cached);
      if (hit instanceof Promise) return hit.then((principal) => principal ?? this.verifyAfterMiss(token));
      if (hit !== undefined) return hit;
      return this.verifyAfterMiss(token);
    }
    return this.verifyFully(token);
  }

  // A cache hit is only as good as a fresh verification: the signature is a pure function of token and key, and the
  // other claims were checked against the issuer's fixed policy, so it suffices to re-check the time-based claims and
  // that the key is still served (a rotated-out key retires its tokens at once). `undefined`: expired, key gone or
  // source failing, and the full path names the precise error. A hit allocates nothing: an allocation shared with the
  // miss path would be pretenured by V8 once misses fill the cache, and every hit would then leave its garbage in old
  // space (decision 006).
  private recheck(cached: VerifiedTokenEntry): AuthPrincipal | undefined | Promise<AuthPrincipal | undefined> {
    const issuer = this.issuers.get(cached.issuer);
    if (issuer === undefined) return undefined;
    try {
      validateTimeClaims(cached.claims, issuer.claims, this.now() / 1000);
      const served = this.keysAtHand(issuer, cached.x509, cached.lookup);
      if (served !== undefined) return this.stillServed(cached, served);
      // Promise.resolve: a custom key source may answer with a plain array.
      return Promise.resolve(issuer.keySource.getKeys(cached.lookup)).then(
        (keys) => this.stillServed(cached, keys),
        () => undefined,
      );
    } catch {
      return undefined;
    }
  }

  private stillServed(cached: VerifiedTokenEntry, served: readonly VerificationKey[]): AuthPrincipal | undefined {
    if (!served.includes(cached.key)) return undefined;
    this.observer?.cacheHit(cached.issuer);
    return cached.principal;
  }

  private verifyAfterMiss(token: string): VerificationOutcome | Promise<VerificationOutcome> {
    this.cache.delete(token);
    return this.verifyFully(token);
  }

  // Runs start to end without a suspension when the keys are at hand; only a key fetch makes it asynchronous.
  private verifyFully(token: string): VerificationOutcome | Promise<VerificationOutcome> {
    const startedAt = this.observer === undefined ? 0 : performance.now();
    let issuer: IssuerRuntime | undefined;
    let header: CheckedHeader | undefined;
    try {
      const parsed = this.parser.parse(token);
      // The payload is read before the signature only to pick the issuer; nothing in it is trusted until verified.
      const claims = this.parser.parsePayload(parsed);
      issuer = this.issuerFor(claims['iss']);
      if (!issuer) return this.refused(this.untrustedIssuer, undefined, startedAt);
      const accepted = this.acceptHeader(parsed, issuer);
      header = accepted.checked;
      const candidates = this.keysAtHand(issuer, header.x509, accepted.lookup);
      if (candidates !== undefined) return this.finish(token, parsed, claims, accepted, candidates, startedAt);
      const trusted = issuer;
      return Promise.resolve(issuer.keySource.getKeys(accepted.lookup)).then(
        (keys) => this.finish(token, parsed, claims, accepted, keys, startedAt),
        (error: unknown) =>
          this.refused(this.withContext(AuthError.from(error), trusted, accepted.checked), trusted, startedAt),
      );
    } catch (error) {
      return this.refused(this.withContext(AuthError.from(error), issuer, header), issuer, startedAt);
    }
  }

  // The signature against the candidate keys, then the claims; a success is remembered.
  private finish(
    token: string,
    parsed: ParsedCompactJws,
    claims: JsonObject,
    accepted: AcceptedHeader,
    candidates: readonly VerificationKey[],
    startedAt: number,
  ): VerificationOutcome {
    const { issuer, checked: header } = accepted;
    try {
      if (candidates.length === 0) return this.refused(accepted.keyNotFound, issuer, startedAt);
      const key = verifyWithCandidates(this.parser, parsed, header, candidates, issuer.issuer);
      const { audience, exp } = validateClaims(claims, issuer.claims, this.now() / 1000);
      const scopes = this.scopeReader.extract(claims, issuer.scopeClaim);
      const sub = claims['sub'];
      const clientId = claims['client_id'];
      const principal = createPrincipal({
        issuer: issuer.issuer,
        subject: typeof sub === 'string' ? sub : undefined,
        // A string aud came back as a fresh list; an array aud is the parser's, frozen already.
        audience: typeof claims['aud'] === 'string' ? Object.freeze(audience) : audience,
        scopes,
        clientId: typeof clientId === 'string' ? clientId : undefined,
        expiresAt: exp,
        claims,
        header: accepted.principalHeader,
      });
      this.cache.set(token, {
        issuer: issuer.issuer,
        principal,
        claims,
        key,
        lookup: accepted.lookup,
        x509: header.x509,
      });
      if (this.observer !== undefined) this.observer.verified(issuer.issuer, performance.now() - startedAt);
      return principal;
    } catch (error) {
      return this.refused(this.withContext(AuthError.from(error), issuer, header), issuer, startedAt);
    }
  }

  // The keys for a lookup without a suspension when they are at hand (X.509 keys always are); `undefined` sends the
  // caller to the key source's async path.
  private keysAtHand(
    issuer: IssuerRuntime,
    x509: X509HeaderParams | undefined,
    lookup: KeyLookup,
  ): readonly VerificationKey[] | undefined {
    return x509 !== undefined ? this.x509Candidates(issuer, x509, lookup.alg) : issuer.keySource.getKeysSync?.(lookup);
  }

  // X.509 path: a header with x5c / x5t / x5t#S256 / jwk (only handed on when the issuer has a trust store) gets its
  // one key from that store, after path validation (cached per chain); kid-addressed keys are not consulted.
  private x509Candidates(issuer: IssuerRuntime, params: X509HeaderParams, alg: string): readonly VerificationKey[] {
    if (issuer.trustStore === undefined)
      throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'this issuer has no trust store for X.509 header members');
    return issuer.trustStore.keysFor(params, alg);
  }

  /**
   * Report every verification outcome to `observer` (for metrics, see `@nest-sso/jwt-auth/otel`); returns the
   * function that stops it. A throwing observer is ignored, never the verification.
   */
  observe(observer: VerificationObserver): () => void {
    // Written out rather than wrapped generically: a rest-argument wrapper would allocate on every cache hit.
    const safe: VerificationObserver = {
      cacheHit: (issuer) => {
        try {
          observer.cacheHit(issuer);
        } catch {
          // Metrics must never change a verdict.
        }
      },
      verified: (issuer, durationMs) => {
        try {
          observer.verified(issuer, durationMs);
        } catch {
          // Metrics must never change a verdict.
        }
      },
      rejected: (code, issuer, durationMs) => {
        try {
          observer.rejected(code, issuer, durationMs);
        } catch {
          // Metrics must never change a verdict.
        }
      },
    };
    this.observers.push(safe);
    this.updateObserver();
    return () => {
      const index = this.observers.indexOf(safe);
      if (index >= 0) this.observers.splice(index, 1);
      this.updateObserver();
    };
  }

  // Every refusal of verify() goes through here, so the observer sees each one.
  private refused(error: AuthError, issuer: IssuerRuntime | undefined, startedAt: number): AuthError {
    const observer = this.observer;
    if (observer !== undefined) observer.rejected(error.code, issuer?.issuer, performance.now() - startedAt);
    return error;
  }

  private updateObserver(): void {
    const observers = [...this.observers];
    this.observer =
      observers.length === 0
        ? undefined
        : observers.length === 1
          ? observers[0]
          : {
              cacheHit: (issuer) => observers.forEach((one) => one.cacheHit(issuer)),
              verified: (issuer, durationMs) => observers.forEach((one) => one.verified(issuer, durationMs)),
              rejected: (code, issuer, durationMs) =>
                observers.forEach((one) => one.rejected(code, issuer, durationMs)),
            };
  }

  // The configured issuer whose name the unverified `iss` is exactly, if any.
  private issuerFor(iss: unknown): IssuerRuntime | undefined {
    if (typeof iss !== 'string') return undefined;
    const only = this.onlyIssuer;
    if (only !== undefined) return iss === only.issuer ? only : undefined;
    return this.issuers.get(iss);
  }

  // Tokens of one issuer repeat a handful of header segments. The header rules and the typ policy are a function of
  // the segment and the issuer (its allow-list and typ mode; the parse depth is fixed per verifier), so an accepted
  // header is kept under its segment together with its issuer, with its checked header, key lookup and principal
  // header, and the next token with the same pair skips them. The last pair is compared first: the parser hands out
  // one string per cached segment, so a hit costs two pointer comparisons.
  private acceptHeader(parsed: ParsedCompactJws, issuer: IssuerRuntime): AcceptedHeader {
    const segment = parsed.headerSegment;
    const last = this.lastAccepted;
    if (last !== undefined && last.issuer === issuer && last.segment === segment) return last;
    let accepted = this.acceptedHeaders.get(segment);
    if (accepted === undefined || accepted.issuer !== issuer) {
      const checked = checkProtectedHeader(parsed.header, issuer.algorithms, issuer.trustStore !== undefined);
      checkTokenType(checked.typ, issuer.tokenType);
      accepted = Object.freeze({
        segment,
        issuer,
        checked,
        lookup: Object.freeze({ kid: checked.kid, alg: checked.alg.name }),
        principalHeader: freezeHeader({ alg: checked.alg.name, kid: checked.kid, typ: checked.typ }),
        keyNotFound: sharedAuthError(this.withContext(keyNotFound(checked, issuer.issuer), issuer, checked)),
      });
      if (this.acceptedHeaders.size >= ACCEPTED_HEADER_LIMIT) this.acceptedHeaders.clear();
      this.acceptedHeaders.set(segment, accepted);
    }
    this.lastAccepted = accepted;
    return accepted;
  }

  /** State of every issuer's key source, keyed by issuer, for health checks. */
  getKeySourceStates(): Record<string, KeySourceState> {
    const states: Record<string, KeySourceState> = Object.create(null);
    for (const [name, runtime] of this.issuers) states[name] = runtime.keySource.getState();
    return states;
  }

  /** How full the verified-token cache is (entries and bytes charged against `verifiedTokenCacheMaxBytes`). */
  getVerifiedTokenCacheState(): VerifiedTokenCacheState {
    return this.cache.getState();
  }

  /** Load every issuer's keys ahead of the first request. Never rejects: a down issuer is reported, not fatal. */
  async warmUp(): Promise<void> {
    await Promise.all(
      [...this.issuers.values()].flatMap((runtime) => [
        runtime.keySource.warmUp?.().catch(() => undefined),
        runtime.trustStore !== runtime.keySource ? runtime.trustStore?.warmUp() : undefined,
      ]),
    );
  }

  /** Stop listening to key sources and release their resources. */
  close(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const runtime of this.issuers.values()) {
      runtime.keySource.close?.();
      runtime.trustStore?.close();
    }
  }

  private withContext(
    error: AuthError,
    issuer: IssuerRuntime | undefined,
    header: CheckedHeader | undefined,
  ): AuthError {
    const known = error.details;
    const issuerName = known.issuer ?? issuer?.issuer;
    // Header values are attacker-chosen: only short printable ones are copied into errors (and so into logs).
    const kid = printableOrUndefined(known.kid ?? header?.kid);
    const alg = known.alg ?? header?.alg.name;
    // Refusals are routine: the error is reused when it already carries its context (decision 023).
    if (issuerName === known.issuer && kid === known.kid && alg === known.alg) return error;
    const details: AuthErrorDetails = { ...known, issuer: issuerName, kid, alg };
    return new AuthError(error.code, error.message, details, { cause: error.cause });
  }
}
