/** The current instant as UTC milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/** The wall clock of this machine (Date.now). */
export const systemClock: Clock = () => Date.now();
