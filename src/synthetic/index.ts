export * from './model.js';
export * from './takeout.js';
export * from './quirks.js';
export * from './figures.js';
export * from './writers.js';
export { Dbl, jackson, jacksonArray, type JValue } from './jackson.js';
export { Rng, hash32 } from './prng.js';
export { OffsetMap, fmtFitbit, fmtIsoNaive, fmtIsoZ, localToUtc } from './time.js';
