import { Logger, type LoggerService } from '@nestjs/common';
import { JwtAuthConfigError } from '../errors/auth.errors';
import { logSafe } from '../errors/log-safe';
import { ConfigProblems } from '../errors/config-problems';
import { DEFAULT_ROLES_CLAIMS, parseClaimPath } from '../jwt/claim-requirements';
import type { KeySourceEvent } from '../keys/key-source.interface';
import { ISSUER_OPTION_NAMES, VERIFIER_OPTION_NAMES, verifierOptionProblems } from '../verification/issuer-config';
import type { IssuerOptions, VerifierOptions } from '../verification/verifier-options.interface';
import type { JwtAuthModuleOptions, RejectionLogLevel, TokenExtractor } from './jwt-auth-options.interface';

/** Top-level fields of the single-issuer shorthand; `clockTolerance` is verifier-wide and stays where it is. */
const SHORTHAND_KEYS = ISSUER_OPTION_NAMES.filter(
  (name): name is Exclude<(typeof ISSUER_OPTION_NAMES)[number], 'clockTolerance'> => name !== 'clockTolerance',
);

const MODULE_ONLY_KEYS = [
  'realm',
  'extractors',
  'logger',
  'rejectionLogLevel',
  'authenticateBeforeBody',
  'rolesClaims',
  'issuers',
  ...SHORTHAND_KEYS,
] as const;

/** Every member JwtAuthModule options may have; anything else is refused by name. */
const MODULE_OPTION_NAMES: readonly string[] = [...new Set([...MODULE_ONLY_KEYS, ...VERIFIER_OPTION_NAMES])];

/** The module extras: given to forRoot() / forRootAsync() themselves, never inside the options. */
const MODULE_EXTRAS = ['globalGuard', 'isGlobal'] as const;

const REJECTION_LOG_LEVELS: readonly RejectionLogLevel[] = ['off', 'verbose', 'debug', 'log', 'warn'];

// RFC 7235 quoted-string content without quote and backslash, so the realm needs no escaping.
const REALM_PATTERN = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/**
 * The module options after boot-time validation: the verifier's options (issuers normalised, key-source events
 * logged) and what the guard, the error mapping and the passport strategy need. Also the DI token for them.
 * The constructor throws {@link JwtAuthConfigError} naming the option and the fix.
 */
export class ResolvedJwtAuthOptions {
  /** Options handed to `AccessTokenVerifier`. */
  readonly verifierOptions: VerifierOptions;
  /** `WWW-Authenticate` realm, when configured. */
  readonly realm: string | undefined;
  /** Extra HTTP token extractors. */
  readonly extractors: readonly TokenExtractor[];
  /** Where rejections and key-source events are logged. */
  readonly logger: LoggerService;
  /** Authenticate guarded HTTP requests before their body is read (with `globalGuard`). */
  readonly authenticateBeforeBody: boolean;
  /** Claim paths `@Roles` / `@AnyRole` read roles from, as segments. */
  readonly rolesClaims: readonly (readonly string[])[];

  /** Level of the per-rejection log line, or `off`. */
  readonly rejectionLogLevel: RejectionLogLevel;

  constructor(options: JwtAuthModuleOptions) {
    if (options === null || typeof options !== 'object') {
      throw new JwtAuthConfigError(
        'options',
        'the module options are missing',
        'pass an options object to JwtAuthModule.forRoot() or return one from the forRootAsync() factory',
      );
    }
    const problems = new ConfigProblems();
    for (const extra of MODULE_EXTRAS) {
      if (extra in options) {
        problems.add(
          extra,
          'it was returned by the forRootAsync() factory, where it cannot change the module definition any more',
          `pass ${extra} next to useFactory/useClass: JwtAuthModule.forRootAsync({ ${extra}: true, useFactory })`,
        );
      }
    }
    problems.rejectUnknown('', options, MODULE_OPTION_NAMES, 'JwtAuthModule', MODULE_EXTRAS);
    this.realm = problems.check(() => validateRealm(options.realm));
    this.extractors = problems.check(() => validateExtractors(options.extractors)) ?? [];
    this.logger = problems.check(() => validateLogger(options.logger)) ?? new Logger('JwtAuth');
    this.rejectionLogLevel = problems.check(() => validateRejectionLogLevel(options.rejectionLogLevel)) ?? 'off';
    this.authenticateBeforeBody =
      problems.check(() => validateBoolean('authenticateBeforeBody', options.authenticateBeforeBody)) ?? true;
    this.rolesClaims = problems.check(() => validateRolesClaims(options.rolesClaims)) ?? DEFAULT_ROLES_CLAIMS;
    const verifierOptions = problems.check(() => toVerifierOptions(options, this.logger));
    // The verifier's own checks run here too, so that one error lists every problem, in the names the caller used:
    // with the single-issuer shorthand, `issuers[0].audience` is the top-level `audience`.
    const shorthand = verifierOptions !== undefined && options.issuers === undefined;
    for (const { option, problem, fix } of verifierOptions ? verifierOptionProblems(verifierOptions) : []) {
      problems.add(shorthand ? option.replace(/^issuers\[0\]\./, '') : option, problem, fix);
    }
    problems.throwIfAny();
    this.verifierOptions = verifierOptions as VerifierOptions;
  }
}

function validateRolesClaims(value: unknown): readonly (readonly string[])[] {
  if (value === undefined) return DEFAULT_ROLES_CLAIMS;
  if (!Array.isArray(value) || value.length === 0) {
    throw new JwtAuthConfigError(
      'rolesClaims',
      'it must be a non-empty list of claim paths',
      "e.g. rolesClaims: ['realm_access.roles', RolesClaims.keycloakClient('orders-api')]",
    );
  }
  return Object.freeze(value.map((path: unknown, i) => parseClaimPath(path, `rolesClaims[${i}]`)));
}

function validateRealm(realm: unknown): string | undefined {
  if (realm === undefined) return undefined;
  if (typeof realm !== 'string' || !REALM_PATTERN.test(realm)) {
    throw new JwtAuthConfigError(
      'realm',
      'it must be a string of printable ASCII without `"` or `\\`',
      'use a plain realm name such as "orders-api"',
    );
  }
  return realm;
}

function validateExtractors(extractors: unknown): readonly TokenExtractor[] {
  if (extractors === undefined) return [];
  if (!Array.isArray(extractors)) {
    throw new JwtAuthConfigError(
      'extractors',
      'it must be an array of functions',
      'pass e.g. [ExtractJwt.fromUrlQueryParameter("access_token")]',
    );
  }
  extractors.forEach((extractor, index) => {
    if (typeof extractor !== 'function') {
      throw new JwtAuthConfigError(
        `extractors[${index}]`,
        'it is not a function',
        'pass functions of the form (request) => string | null',
      );
    }
  });
  return Object.freeze([...(extractors as TokenExtractor[])]);
}

function validateLogger(logger: unknown): LoggerService | undefined {
  if (logger === undefined) return undefined;
  const candidate = logger as Partial<LoggerService> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.log !== 'function' ||
    typeof candidate.error !== 'function' ||
    typeof candidate.warn !== 'function'
  ) {
    throw new JwtAuthConfigError(
      'logger',
      'it is not a Nest LoggerService (log, warn and error methods)',
      'pass new Logger("JwtAuth") or an app logger',
    );
  }
  return candidate as LoggerService;
}

function validateRejectionLogLevel(level: unknown): RejectionLogLevel {
  if (level === undefined) return 'off';
  if (!(REJECTION_LOG_LEVELS as readonly unknown[]).includes(level)) {
    throw new JwtAuthConfigError(
      'rejectionLogLevel',
      `${JSON.stringify(level)} is not a level`,
      `use one of ${REJECTION_LOG_LEVELS.join(', ')}`,
    );
  }
  return level as RejectionLogLevel;
}

function validateBoolean(option: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value as boolean | undefined;
  throw new JwtAuthConfigError(option, 'it must be a boolean', 'remove it to keep the default');
}

function hasShorthand(options: JwtAuthModuleOptions): boolean {
  return SHORTHAND_KEYS.some((key) => options[key] !== undefined);
}

function toVerifierOptions(options: JwtAuthModuleOptions, logger: LoggerService): VerifierOptions {
  let issuers: readonly IssuerOptions[];
  if (options.issuers !== undefined) {
    if (hasShorthand(options)) {
      const used = SHORTHAND_KEYS.filter((key) => options[key] !== undefined).join(', ');
      throw new JwtAuthConfigError(
        'issuers',
        `both issuers and the single-issuer shorthand (${used}) are set`,
        'move the top-level issuer fields into an entry of issuers',
      );
    }
    if (!Array.isArray(options.issuers)) {
      throw new JwtAuthConfigError('issuers', 'it is not an array', 'pass issuers: [{ issuer, audience, ... }]');
    }
    issuers = options.issuers;
  } else if (options.issuer !== undefined) {
    const shorthand: Record<string, unknown> = {};
    for (const key of SHORTHAND_KEYS) if (options[key] !== undefined) shorthand[key] = options[key];
    issuers = [shorthand as unknown as IssuerOptions];
  } else if (hasShorthand(options)) {
    throw new JwtAuthConfigError(
      'issuer',
      'issuer fields are set at the top level but issuer is missing',
      'set issuer to the exact iss value of your tokens',
    );
  } else {
    throw new JwtAuthConfigError(
      'issuer',
      'no issuer is configured',
      'set issuer and audience (single issuer) or issuers: [{ issuer, audience }]',
    );
  }

  const verifierOptions: Record<string, unknown> = {};
  for (const key of VERIFIER_OPTION_NAMES) {
    if (key !== 'issuers' && options[key] !== undefined) verifierOptions[key] = options[key];
  }
  const appListener = options.onKeySourceEvent;
  return {
    ...(verifierOptions as Omit<VerifierOptions, 'issuers'>),
    issuers,
    onKeySourceEvent: (issuer: string, event: KeySourceEvent) => {
      logKeySourceEvent(logger, issuer, event);
      if (appListener) {
        try {
          appListener(issuer, event);
        } catch (error) {
          logger.error(`onKeySourceEvent threw for issuer ${logSafe(issuer)}: ${logSafe(describe(error), 256)}`);
        }
      }
    },
  };
}

/**
 * Log a key-source state change at the level it deserves: stale warns, failing errs, recovered logs. Every string from
 * the issuer's side (URL, kid, reasons, errors) goes through `logSafe`, so a hostile JWKS cannot forge log lines.
 */
export function logKeySourceEvent(logger: LoggerService, issuer: string, event: KeySourceEvent): void {
  const where = `issuer ${logSafe(issuer)}${event.state.url ? ` (${logSafe(event.state.url, 256)})` : ''}`;
  switch (event.type) {
    case 'stale':
      logger.warn(
        `Keys for ${where} could not be refreshed (${logSafe(event.error, 256)}); serving the last good key set`,
      );
      break;
    case 'failing':
      logger.error(
        `Keys for ${where} are unavailable (${logSafe(event.error, 256)}); tokens from this issuer are refused`,
      );
      break;
    case 'recovered':
      logger.log(`Keys for ${where} are available again (${event.state.keyCount} keys)`);
      break;
    case 'keys-rejected': {
      const rejected = (event.state.rejectedKeys ?? [])
        .map((r) => `${r.kid === undefined ? '(no kid)' : `kid ${logSafe(r.kid)}`}: ${logSafe(r.reason, 256)}`)
        .join('; ');
      logger.warn(`Keys for ${where}: members dropped: ${rejected}`);
      break;
    }
    case 'refreshed':
      logger.debug?.(`Keys for ${where} refreshed (${event.state.keyCount} keys)`);
      break;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
