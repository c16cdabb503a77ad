import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { isJsonObject } from '../jws/strict-json';
import { checkFetchUrl, FetchError, fetchJson } from './http-fetch';
import type {
  KeyLookup,
  KeySource,
  KeySourceEvent,
  KeySourceListener,
  KeySourceState,
  KeySourceStatus,
} from './key-source.interface';
import {
  backoffDelay,
  checkConfiguredUrl,
  describeFailure,
  emitEvent,
  RemoteJwksKeySource,
  resolveRemoteOptions,
  type RemoteKeySourceOptions,
} from './remote-jwks.key-source';
import type { RemoteJwksOptions } from './remote-jwks.options';
import type { VerificationKey } from './verification-key';

const WELL_KNOWN_PATH = '/.well-known/openid-configuration';

/** Thrown by {@link readDiscoveryDocument}; the message never repeats document content. */
export class DiscoveryDocumentError extends Error {
  override readonly name = 'DiscoveryDocumentError';
}

/**
 * Check an OpenID Provider configuration document and return its `jwks_uri`: the document's `issuer` must equal
 * `issuer` exactly (OpenID Connect Discovery 1.0 section 4.3, no case or trailing-slash normalisation) and `jwks_uri`
 * must obey the same URL rules as any fetch (https unless allowed, no credentials).
 * @throws DiscoveryDocumentError
 */
export function readDiscoveryDocument(document: unknown, issuer: string, allowInsecureHttp: boolean): string {
  if (!isJsonObject(document)) throw new DiscoveryDocumentError('discovery document is not a JSON object');
  if (document['issuer'] !== issuer) throw new DiscoveryDocumentError('discovery document names a different issuer');
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string') throw new DiscoveryDocumentError('discovery document has no jwks_uri string');
  try {
    checkFetchUrl(jwksUri, allowInsecureHttp);
  } catch (error) {
    throw new DiscoveryDocumentError(`jwks_uri refused: ${(error as FetchError).message}`);
  }
  return jwksUri;
}

/**
 * Keys of an OpenID Connect issuer found through discovery: fetches `<issuer>/.well-known/openid-configuration`,
 * checks it names exactly this issuer, then serves keys from its `jwks_uri` through a {@link RemoteJwksKeySource}.
 * The document is cached for `discoveryTtlMs`, refreshed in the background after that, and kept for up to
 * `maxStaleMs` more while refreshes fail.
 * @example
 * const source = new DiscoveryKeySource('https://id.example.com/realms/main', { algorithms: new Set(['RS256']) });
 */
export class DiscoveryKeySource implements KeySource {
  /** The discovery document URL derived from the issuer. */
  readonly discoveryUrl: string;

  private readonly options: RemoteKeySourceOptions;
  private readonly settings: Readonly<Required<RemoteJwksOptions>>;
  private readonly allowInsecureHttp: boolean;
  private readonly now: () => number;
  private readonly listeners = new Set<KeySourceListener>();
  private readonly abort = new AbortController();

  private jwks: RemoteJwksKeySource | undefined;
  private unsubscribeJwks: (() => void) | undefined;
  private discoveredAt: number | undefined;
  private lastAttemptAt: number | undefined;
  private lastError: string | undefined;
  private lastFailure: unknown;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private inFlight: Promise<boolean> | undefined;
  private reportedStatus: KeySourceStatus = 'fresh';
  private closed = false;

  /**
   * @param issuer the exact issuer identifier: `https:` (or `http:` with `allowInsecureHttp`), no query or fragment.
   * @throws JwtAuthConfigError for a bad issuer URL or option
   */
  constructor(
    /** The configured issuer, compared exactly with the document's `issuer`. */
    readonly issuer: string,
    options: RemoteKeySourceOptions = {},
  ) {
    this.allowInsecureHttp = options.allowInsecureHttp === true;
    checkConfiguredUrl('issuer', issuer, this.allowInsecureHttp);
    // OpenID Connect Discovery 1.0 section 2: the issuer has no query or fragment component.
    if (issuer.includes('?') || issuer.includes('#')) {
      throw new JwtAuthConfigError('issuer', 'an issuer for discovery has no query or fragment', 'configure the exact issuer identifier, or set jwksUri instead');
    }
    this.settings = resolveRemoteOptions(options);
    this.options = options;
    this.now = options.now ?? Date.now;
    this.discoveryUrl = `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}${WELL_KNOWN_PATH}`;
  }

  /** Keys for a token header, from the discovered JWKS (see {@link RemoteJwksKeySource.getKeys}). */
  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    const jwks = await this.currentJwks();
    return jwks.getKeys(lookup);
  }

  /** A snapshot for health checks; `url` is the JWKS URL once discovered. */
  getState(): KeySourceState {
    const inner = this.jwks?.getState();
    const usable = inner !== undefined && inner.status !== 'failing' && this.isDocumentUsable();
    const discoveryFailing = this.consecutiveFailures > 0;
    const attempts = [inner?.lastAttemptAt, this.lastAttemptAt].filter((at): at is number => at !== undefined);
    return Object.freeze({
      kind: 'discovery',
      url: inner?.url ?? this.discoveryUrl,
      status: !usable ? 'failing' : discoveryFailing ? 'stale' : inner.status,
      keyIds: usable ? inner.keyIds : [],
      keyCount: usable ? inner.keyCount : 0,
      lastSuccessAt: inner?.lastSuccessAt,
      lastAttemptAt: attempts.length > 0 ? Math.max(...attempts) : undefined,
      lastError: discoveryFailing ? this.lastError : (inner?.lastError ?? this.lastError),
      consecutiveFailures: this.consecutiveFailures + (inner?.consecutiveFailures ?? 0),
      rejectedKeys: inner?.rejectedKeys,
    });
  }

  /** Fetch the discovery document and the key set once; never rejects. */
  async warmUp(): Promise<void> {
    try {
      const jwks = await this.currentJwks();
      await jwks.warmUp();
    } catch {
      // Failures are recorded in the state and reported to listeners.
    }
  }

  /** Receive state changes and dropped-member reports; returns the unsubscribe function. */
  subscribe(listener: KeySourceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Abort fetches under way and stop fetching. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.abort.abort();
    this.unsubscribeJwks?.();
    this.jwks?.close();
  }

  private async currentJwks(): Promise<RemoteJwksKeySource> {
    if (this.jwks && this.isDocumentUsable()) {
      if (this.isRediscoveryDue()) void this.discover();
      return this.jwks;
    }
    if (!this.inFlight && (this.closed || this.isBackingOff())) throw this.unavailable();
    await this.discover();
    if (!this.jwks || !this.isDocumentUsable()) throw this.unavailable();
    return this.jwks;
  }

  private isDocumentUsable(): boolean {
    return this.discoveredAt !== undefined && this.now() - this.discoveredAt <= this.settings.discoveryTtlMs + this.settings.maxStaleMs;
  }

  private isBackingOff(): boolean {
    return this.consecutiveFailures > 0 && this.now() < this.retryAt;
  }

  private isRediscoveryDue(): boolean {
    if (this.inFlight || this.closed || this.isBackingOff() || this.discoveredAt === undefined) return false;
    return this.now() - this.discoveredAt >= this.settings.discoveryTtlMs;
  }

  private discover(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.inFlight ??= this.fetchDocument().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchDocument(): Promise<boolean> {
    this.lastAttemptAt = this.now();
    let jwksUri: string;
    try {
      const document = await fetchJson(this.discoveryUrl, {
        timeoutMs: this.settings.timeoutMs,
        maxBodyBytes: this.settings.maxBodyBytes,
        allowInsecureHttp: this.allowInsecureHttp,
        signal: this.abort.signal,
      });
      jwksUri = readDiscoveryDocument(document, this.issuer, this.allowInsecureHttp);
    } catch (error) {
      if (!this.closed) this.recordFailure(error);
      return false;
    }
    if (this.jwks?.url !== jwksUri) this.replaceJwks(jwksUri);
    this.discoveredAt = this.now();
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    this.reportStatus();
    return true;
  }

  private replaceJwks(jwksUri: string): void {
    this.unsubscribeJwks?.();
    this.jwks?.close();
    const jwks = new RemoteJwksKeySource(jwksUri, { ...this.options, now: this.now });
    this.unsubscribeJwks = jwks.subscribe((event) => this.onJwksEvent(event));
    this.jwks = jwks;
  }

  private onJwksEvent(event: KeySourceEvent): void {
    if (event.type === 'refreshed' || event.type === 'keys-rejected') this.emit({ type: event.type, state: this.getState() });
    this.reportStatus();
  }

  private recordFailure(error: unknown): void {
    this.lastError = error instanceof DiscoveryDocumentError ? error.message : describeFailure(error);
    this.lastFailure = error;
    this.consecutiveFailures += 1;
    this.retryAt = this.now() + backoffDelay(this.consecutiveFailures, this.settings.backoffInitialMs, this.settings.backoffMaxMs);
    this.reportStatus();
  }

  private reportStatus(): void {
    const state = this.getState();
    // Between a successful discovery and the first JWKS fetch nothing is usable yet, but nothing has failed either.
    if (state.status === this.reportedStatus || (state.status === 'failing' && state.consecutiveFailures === 0)) return;
    this.reportedStatus = state.status;
    const error = state.lastError ?? 'the discovery document expired';
    if (state.status === 'fresh') this.emit({ type: 'recovered', state });
    else if (state.status === 'stale') this.emit({ type: 'stale', state, error });
    else this.emit({ type: 'failing', state, error });
  }

  private unavailable(): AuthError {
    this.reportStatus();
    return new AuthError(AuthErrorCode.KEYS_UNAVAILABLE, 'Signing keys are unavailable', {}, { cause: this.lastFailure });
  }

  private emit(event: KeySourceEvent): void {
    emitEvent(this.listeners, event);
  }
}
