/** DI token of the validated {@link IdentityConfig}. */
export const IDENTITY_CONFIG = Symbol('IDENTITY_CONFIG');

/** DI token of the {@link Clock} every expiry decision reads. */
export const CLOCK = Symbol('CLOCK');

/** DI token of the {@link Directory} loaded from the seed file. */
export const DIRECTORY = Symbol('DIRECTORY');
