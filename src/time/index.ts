/**
 * Time: durations, calendar dates, offsets and IANA zones, and the injectable clock. The ground
 * floor of the code base: this module imports nothing else from src/.
 */
export * from './constants.js';
export * from './clock.js';
export * from './dates.js';
export * from './zone.js';
