/**
 * users.getIdentity / getProfile / getSettings and pairedDevices.list / get for the synthetic
 * user, consistent with the Takeout renderer's `Profile.csv` and `Paired Devices.csv`.
 * The user's IANA zone is `Settings.timeZone` (the discovery document's Profile has no time zone
 * field; its Settings "follows the IANA Time Zone Database").
 */
import type { Identity, PairedDevice, Profile, Settings } from '../../sources/google-health/api-types.js';
import { TRACKER, syntheticProfile } from '../../synthetic/model.js';
import { hash32 } from '../../synthetic/prng.js';
import { zoneNamed } from '../../time/index.js';
import { ApiError, notFoundBody } from './errors.js';
import { apiDate, fmtOffsetDuration, fmtTimestamp } from './format.js';
import { decodeToken, encodeToken, pageSizeOf } from './paging.js';

/** Date of birth in the synthetic `Profile.csv`. */
const BIRTH = { y: 1988, m: 2, d: 29 };
/** `device_id` of the synthetic `Paired Devices.csv`. */
export const TRACKER_DEVICE_ID = '2791473641';

export function healthUserIdOf(seed: number): string {
  // a numeric id like Google's, stable per seed
  return `1${String(hash32(`health-user|${seed}`)).padStart(10, '0')}${String(hash32(`hu2|${seed}`) % 100_000_000).padStart(8, '0')}`;
}

export function identity(seed: number): Identity {
  return { name: 'users/me/identity', healthUserId: healthUserIdOf(seed), legacyUserId: syntheticProfile(seed).profileId };
}

export function profile(seed: number, now: number, user: string): Profile {
  const p = syntheticProfile(seed);
  const d = new Date(now);
  let age = d.getUTCFullYear() - BIRTH.y;
  if (d.getUTCMonth() + 1 < BIRTH.m || (d.getUTCMonth() + 1 === BIRTH.m && d.getUTCDate() < BIRTH.d)) age--;
  return {
    name: `users/${user}/profile`,
    age,
    membershipStartDate: apiDate(p.memberSince),
    autoWalkingStrideLengthMm: p.strideWalkCm * 10,
    autoRunningStrideLengthMm: p.strideRunCm * 10,
  };
}

export function settings(timezone: string, now: number, user: string): Settings {
  const s: Settings = {
    name: `users/${user}/settings`,
    timeZone: timezone,
    utcOffset: fmtOffsetDuration(zoneNamed(timezone).offsetAt(now)),
    languageLocale: 'en_US',
    distanceUnit: 'DISTANCE_UNIT_KILOMETERS',
    heightUnit: 'HEIGHT_UNIT_CENTIMETERS',
    weightUnit: 'WEIGHT_UNIT_POUNDS',
    temperatureUnit: 'TEMPERATURE_UNIT_CELSIUS',
    waterUnit: 'WATER_UNIT_ML',
    glucoseUnit: 'GLUCOSE_UNIT_MG_DL',
    swimUnit: 'SWIM_UNIT_METERS',
    autoStrideEnabled: true,
    strideLengthWalkingType: 'STRIDE_LENGTH_TYPE_AUTO',
    strideLengthRunningType: 'STRIDE_LENGTH_TYPE_AUTO',
  };
  return s;
}

function devices(user: string, lastSync: number): PairedDevice[] {
  return [
    {
      name: `users/${user}/pairedDevices/${TRACKER_DEVICE_ID}`,
      deviceType: 'TRACKER',
      deviceVersion: TRACKER,
      batteryStatus: 'High',
      batteryLevel: 82,
      lastSyncTime: fmtTimestamp(Math.floor(lastSync / 1000) * 1000),
      macAddress: 'C4:7F:0E:21:9A:3D',
      features: ['STEPS', 'DISTANCE', 'CALORIES', 'ELEVATION', 'ACTIVE_ZONE_MINUTES', 'HEART_RATE', 'SLEEP', 'SMART_SLEEP', 'SPO2', 'SKIN_TEMPERATURE'],
    },
  ];
}

export function listPairedDevices(url: URL, user: string, lastSync: number): Record<string, unknown> {
  const size = pageSizeOf(url.searchParams.get('pageSize') ?? url.searchParams.get('page_size'), 5, 100);
  const binding = `pairedDevices|${user}`;
  const pos = decodeToken(url.searchParams.get('pageToken') ?? url.searchParams.get('page_token') ?? '', binding);
  const all = devices(user, lastSync);
  const page = all.slice(pos, pos + size);
  const out: Record<string, unknown> = {};
  if (page.length) out.pairedDevices = page;
  if (pos + page.length < all.length) out.nextPageToken = encodeToken(pos + page.length, binding);
  return out;
}

export function getPairedDevice(id: string, user: string, lastSync: number): PairedDevice {
  const d = devices(user, lastSync).find((x) => x.name?.endsWith(`/${id}`));
  if (!d) throw new ApiError(404, notFoundBody(`Unknown paired device '${id}'.`));
  return d;
}
