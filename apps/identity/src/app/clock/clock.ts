/** A source of the current time, injectable so tests can move time without sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds since the Unix epoch, as JWT NumericDate claims carry them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
