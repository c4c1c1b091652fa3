// Whole seconds since the epoch, the unit of every stored time. Passed down
// explicitly rather than read from the environment: a dialplan can
// Set(ENV(...)) before it runs the AGI script, so nothing a call inherits may
// move the clock its rules run on.
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);
