/**
 * What Home Assistant accepts for a sensor's device class: the units and state classes allowed
 * with each device class the bridge uses (and a few neighbours), and the rules the discovery
 * payloads must follow. The discovery builder checks every payload against this before
 * publishing, and the tests check every payload that reaches the broker.
 *
 * Source of the tables: Home Assistant core, `homeassistant/components/sensor/const.py`
 * (`DEVICE_CLASS_UNITS`, `DEVICE_CLASS_STATE_CLASSES`, `NON_NUMERIC_DEVICE_CLASSES`; read
 * 2026 at commit 00eb6680fbf6bdf7af2499095f2e74fca980a148, https://github.com/home-assistant/core).
 * Binary sensor device classes: `homeassistant/components/binary_sensor/__init__.py`
 * (`BinarySensorDeviceClass`). Only the entries the bridge may need are transcribed; a device
 * class missing here is rejected rather than guessed.
 */

export type StateClass = 'measurement' | 'total' | 'total_increasing';

const ALL_STATE_CLASSES: readonly StateClass[] = ['measurement', 'total', 'total_increasing'];

export interface DeviceClassRule {
  /** Units allowed (null in the set: no unit allowed / required). */
  units: ReadonlySet<string | null>;
  stateClasses: ReadonlySet<StateClass>;
}

function rule(units: (string | null)[], stateClasses: readonly StateClass[]): DeviceClassRule {
  return { units: new Set(units), stateClasses: new Set(stateClasses) };
}

/** const.py: DEVICE_CLASS_UNITS / DEVICE_CLASS_STATE_CLASSES (subset). */
export const SENSOR_DEVICE_CLASSES: Readonly<Record<string, DeviceClassRule>> = {
  // Non-numeric: NON_NUMERIC_DEVICE_CLASSES; no unit, no state class (empty sets in const.py).
  date: rule([null], []),
  enum: rule([null], []),
  timestamp: rule([null], []),
  // UnitOfTime DAYS, HOURS, MINUTES, SECONDS, MILLISECONDS; set(SensorStateClass).
  duration: rule(['d', 'h', 'min', 's', 'ms'], ALL_STATE_CLASSES),
  // set(UnitOfLength); set(SensorStateClass).
  distance: rule(['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in', 'ft'], ALL_STATE_CLASSES),
  // set(UnitOfEnergy) (calories since 2024); {TOTAL, TOTAL_INCREASING}: energy is never a measurement.
  energy: rule(['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'], ['total', 'total_increasing']),
  // set(UnitOfMass); {MEASUREMENT, TOTAL, TOTAL_INCREASING}.
  weight: rule(['µg', 'mg', 'g', 'kg', 'oz', 'lb', 'st'], ALL_STATE_CLASSES),
  // set(UnitOfTemperature); {MEASUREMENT}.
  temperature: rule(['°C', '°F', 'K'], ['measurement']),
  // {PERCENTAGE}; {MEASUREMENT}.
  battery: rule(['%'], ['measurement']),
  humidity: rule(['%'], ['measurement']),
};

/** binary_sensor/__init__.py: BinarySensorDeviceClass (subset). */
export const BINARY_SENSOR_DEVICE_CLASSES: ReadonlySet<string> = new Set([
  'battery',
  'connectivity',
  'moving',
  'occupancy',
  'presence',
  'problem',
  'running',
  'update',
]);

/**
 * Units that have no Home Assistant device class: a sensor in one of these units must not set
 * one (there is no "heart rate" or "steps" class; picking a near one would make HA convert or
 * reject the unit).
 */
export const UNITS_WITHOUT_DEVICE_CLASS: ReadonlySet<string> = new Set(['bpm', 'steps', 'floors', 'breaths/min', 'requests']);

/** Problems of one discovery payload (empty = fine). `component` is `sensor` or `binary_sensor`. */
export function discoveryProblems(component: string, p: Record<string, unknown>): string[] {
  const out: string[] = [];
  const dc = p.device_class as string | undefined;
  const sc = p.state_class as string | undefined;
  const unit = p.unit_of_measurement as string | undefined;
  for (const k of ['unique_id', 'object_id', 'default_entity_id', 'state_topic', 'name', 'device', 'origin']) {
    if (p[k] === undefined || p[k] === null || p[k] === '') out.push(`missing ${k}`);
  }
  if (typeof p.object_id === 'string' && p.default_entity_id !== `${component}.${p.object_id}`) {
    out.push(`default_entity_id ${String(p.default_entity_id)} is not ${component}.${p.object_id}`);
  }
  if (p.entity_category !== undefined && p.entity_category !== 'diagnostic')
    out.push(`entity_category ${String(p.entity_category)} (sensors may only be diagnostic)`);
  const dev = p.device as Record<string, unknown> | undefined;
  if (dev) {
    if (!Array.isArray(dev.identifiers) || dev.identifiers.length === 0) out.push('device without identifiers');
    for (const k of ['name', 'manufacturer', 'model', 'sw_version']) if (typeof dev[k] !== 'string') out.push(`device without ${k}`);
  }
  if (component === 'binary_sensor') {
    if (dc !== undefined && !BINARY_SENSOR_DEVICE_CLASSES.has(dc)) out.push(`unknown binary_sensor device_class ${dc}`);
    if (unit !== undefined || sc !== undefined) out.push('binary_sensor with a unit or state class');
    return out;
  }
  if (component !== 'sensor') return [...out, `unexpected component ${component}`];
  if (sc !== undefined && !(ALL_STATE_CLASSES as readonly string[]).includes(sc)) out.push(`unknown state_class ${sc}`);
  if (dc === undefined) {
    if (unit === undefined && p.options !== undefined) out.push('options without device_class enum');
    return out;
  }
  const r = SENSOR_DEVICE_CLASSES[dc];
  if (!r) return [...out, `device_class ${dc} is not in the table of allowed device classes`];
  if (!r.units.has(unit ?? null)) out.push(`device_class ${dc} does not allow unit ${unit === undefined ? '(none)' : unit}`);
  if (unit === undefined && !r.units.has(null)) out.push(`device_class ${dc} without a unit`);
  if (sc !== undefined && !r.stateClasses.has(sc as StateClass)) out.push(`device_class ${dc} does not allow state_class ${sc}`);
  if (unit !== undefined && UNITS_WITHOUT_DEVICE_CLASS.has(unit)) out.push(`unit ${unit} must not have a device_class`);
  if (dc === 'enum') {
    if (!Array.isArray(p.options) || p.options.length === 0) out.push('enum sensor without options');
  } else if (p.options !== undefined) out.push(`options on a ${dc} sensor`);
  return out;
}
