// Whole seconds since the epoch, the unit of every stored time. Passed down
// explicitly rather than read from the environment: a dialplan can
// Set(ENV(...)) before it runs the AGI script, so nothing a call inherits may
// move the clock its rules run on.
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/**
 * A time as people read it, in the CLI and in audit details alike: always
 * UTC and labelled so. Several PBXs in other zones write one audit log, and
 * a detail is written once but read anywhere, so no local zone can be right.
 */
export function shownTime(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
