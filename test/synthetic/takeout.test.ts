import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import tarStream from 'tar-stream';
import { generateTakeout, hrvSummaryFileName, syntheticDay, dayTotals, rangeTotals, TRACKER, jsonHeartRate } from '../../src/synthetic/index.js';

const TZ = 'America/New_York';
const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fb-synth-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(root, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
  }
  return out.sort();
}

async function digest(root: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of await walk(root))
    m.set(
      f,
      createHash('sha256')
        .update(await readFile(join(root, f)))
        .digest('hex'),
    );
  return m;
}

function zipEntries(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`${file}: no zip file`));
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(e2 ?? new Error(`${entry.fileName}: no stream`));
          const chunks: Buffer[] = [];
          rs.on('data', (c: Buffer) => chunks.push(c));
          rs.on('end', () => {
            if (out.has(entry.fileName)) return reject(new Error(`duplicate entry ${entry.fileName}`));
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
          rs.on('error', reject);
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function tgzEntries(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    const ex = tarStream.extract();
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', reject);
    createReadStream(file).pipe(createGunzip()).pipe(ex);
  });
}

function csvRows(text: string): string[][] {
  return text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((l) => l.length)
    .slice(1)
    .map((l) => l.split(','));
}

/** `MM/DD/YY HH:MM:SS` of instant t in zone tz, by Intl (independent of the generator's code). */
function fitbitLocal(t: number, tz: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: '2-digit',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(t))
      .map((x) => [x.type, x.value]),
  );
  return `${p.month}/${p.day}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}
function fitbitUtc(t: number): string {
  return fitbitLocal(t, 'UTC');
}

const F = 'Takeout/Fitbit';

test('dir output is byte-identical for the same options; a day is the same in a 3- and a 10-day run', async () => {
  const [a, b, c] = [await tmp(), await tmp(), await tmp()];
  const ra = await generateTakeout({ out: a, format: 'dir', days: 3, seed: 3 });
  await generateTakeout({ out: b, format: 'dir', days: 3, seed: 3 });
  await generateTakeout({ out: c, format: 'dir', days: 10, seed: 3 });
  const [da, db, dc] = [await digest(a), await digest(b), await digest(c)];
  assert.deepEqual([...da], [...db]);
  assert.ok(ra.files.length === da.size);
  for (const f of [
    `${F}/Global Export Data/heart_rate-2026-04-29.json`,
    `${F}/Global Export Data/heart_rate-2026-04-30.json`,
    `${F}/Physical Activity_GoogleData/heart_rate_2026-04-29.csv`,
    `${F}/Heart Rate Variability/Heart Rate Variability Details - 2026-04-30.csv`,
    `${F}/Oxygen Saturation (SpO2)/Minute SpO2 - 2026-04-28.csv`,
  ]) {
    assert.ok(da.has(f), `missing ${f}`);
    assert.equal(da.get(f), dc.get(f), `${f} differs between the 3- and the 10-day run`);
  }
  // a different seed changes the data
  const d = await tmp();
  await generateTakeout({ out: d, format: 'dir', days: 3, seed: 4 });
  assert.notEqual((await digest(d)).get(`${F}/Global Export Data/heart_rate-2026-04-30.json`), da.get(`${F}/Global Export Data/heart_rate-2026-04-30.json`));
});

test('the JSON and CSV layers hold the same samples at the same instants', async () => {
  const out = await tmp();
  const r = await generateTakeout({ out, format: 'dir', days: 4, endDate: '2026-04-10', seed: 11 });
  const root = join(out, F);
  const profileText = (await readFile(join(root, 'Your Profile/Profile.csv'), 'utf8')).split('\n');
  const header = profileText[0]!.split(',');
  const profile = profileText[1]!.split(',');
  assert.equal(profile.length, header.length);
  const tz = profile[header.indexOf('timezone')];
  assert.equal(tz, TZ);

  // heart rate: JSON (UTC stamps, per local day) vs CSV (per UTC day)
  const csvHr = new Map<string, string>();
  for (const f of await readdir(join(root, 'Physical Activity_GoogleData'))) {
    if (!/^heart_rate_\d{4}-\d{2}-\d{2}\.csv$/.test(f)) continue;
    for (const [ts, bpm, src] of csvRows(await readFile(join(root, 'Physical Activity_GoogleData', f), 'utf8'))) {
      assert.match(ts ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.match(bpm ?? '', /^\d+\.0$/);
      assert.equal(src, TRACKER);
      csvHr.set(fitbitUtc(Date.parse(ts as string)), bpm as string);
    }
  }
  let jsonHr = 0;
  let hrDisagree = 0;
  for (const date of ['2026-04-07', '2026-04-08', '2026-04-09', '2026-04-10']) {
    const recs = JSON.parse(await readFile(join(root, `Global Export Data/heart_rate-${date}.json`), 'utf8')) as {
      dateTime: string;
      value: { bpm: number; confidence: number };
    }[];
    assert.ok(recs.length >= 12_000 && recs.length <= 40_000);
    for (const x of recs) {
      // the same value, but for the rare same-instant layer disagreement (quirks.ts)
      const csv = Number(csvHr.get(x.dateTime));
      assert.equal(
        jsonHeartRate(11, Date.parse(`20${x.dateTime.slice(6, 8)}-${x.dateTime.slice(0, 2)}-${x.dateTime.slice(3, 5)}T${x.dateTime.slice(9)}Z`), csv),
        x.value.bpm,
        `heart rate at ${x.dateTime}`,
      );
      if (csv !== x.value.bpm) {
        hrDisagree++;
        assert.ok(Math.abs(csv - x.value.bpm) <= 4);
      }
      jsonHr++;
    }
    // a local day in UTC stamps: EDT midnight is 04:00Z
    assert.ok(recs[0]!.dateTime.startsWith(`${date.slice(5, 7)}/${date.slice(8)}/26 04:`), recs[0]!.dateTime);
  }
  assert.equal(jsonHr, r.stats.samples['json.heart_rate']);
  assert.ok(hrDisagree <= 1 + jsonHr / 5000, `${hrDisagree} heart-rate layer disagreements in ${jsonHr}`);
  assert.ok(csvHr.size > jsonHr, 'the CSV layer also has the partial day after the last full day');
  const hrTotal = Object.values(r.stats.totals.heart_rate ?? {}).reduce((a, b) => a + b.count, 0);
  assert.equal(hrTotal, csvHr.size);

  // steps / distance: JSON has zero minutes, CSV only non-zero rows, per source
  const csvByKind = async (kind: string): Promise<Map<string, { v: number; src: string }[]>> => {
    const m = new Map<string, { v: number; src: string }[]>();
    for (const [ts, v, src] of csvRows(await readFile(join(root, `Physical Activity_GoogleData/${kind}_2026-04-01.csv`), 'utf8'))) {
      const k = fitbitUtc(Date.parse(ts as string));
      m.set(k, [...(m.get(k) ?? []), { v: Number(v), src: src as string }]);
    }
    return m;
  };
  const steps = await csvByKind('steps');
  const distance = await csvByKind('distance');
  const sources = new Set([...steps.values()].flat().map((x) => x.src));
  assert.deepEqual([...sources].sort(), ['Fitbit App', 'Inspire 3']);
  const jsSteps = JSON.parse(await readFile(join(root, 'Global Export Data/steps-2026-04-07.json'), 'utf8')) as { dateTime: string; value: string }[];
  const jsDist = JSON.parse(await readFile(join(root, 'Global Export Data/distance-2026-04-07.json'), 'utf8')) as { dateTime: string; value: string }[];
  assert.equal(jsSteps.length, 4 * 1440);
  assert.ok(
    jsSteps.some((x) => x.value === '0'),
    'zero minutes in JSON',
  );
  let nonZero = 0;
  jsSteps.forEach((x, i) => {
    assert.equal(typeof x.value, 'string');
    const d = jsDist[i]!;
    assert.equal(d.dateTime, x.dateTime);
    if (x.value === '0') {
      assert.ok(
        !(steps.get(x.dateTime) ?? []).length || (steps.get(x.dateTime) ?? []).every((r) => r.src === 'Fitbit App'),
        'zero JSON minute with a tracker row',
      );
      return;
    }
    nonZero++;
    const rows = steps.get(x.dateTime) ?? [];
    const row = rows.find((r) => r.v === Number(x.value));
    assert.ok(row, `steps ${x.dateTime} ${x.value} not in the CSV layer`);
    const drow = (distance.get(x.dateTime) ?? []).find((r) => r.src === row.src);
    assert.ok(drow && Math.abs(drow.v - Number(d.value) / 100) < 1e-9, `distance ${x.dateTime}: ${d.value} cm vs ${drow?.v} m`);
  });
  assert.ok(nonZero > 100);

  // altitude: JSON feet (sparse) == CSV gain in mm at the same UTC minute
  const alt = new Map(
    csvRows(await readFile(join(root, 'Physical Activity_GoogleData/altitude_2026-04-01.csv'), 'utf8')).map((x) => [
      fitbitUtc(Date.parse(x[0] as string)),
      Number(x[1]),
    ]),
  );
  const jsAlt = JSON.parse(await readFile(join(root, 'Global Export Data/altitude-2026-04-07.json'), 'utf8')) as { dateTime: string; value: string }[];
  for (const x of jsAlt) {
    assert.ok(Number(x.value) > 0, 'altitude JSON is sparse');
    assert.equal(alt.get(x.dateTime), Math.round(Number(x.value) * 304.8), `altitude ${x.dateTime}`);
  }

  // calories: JSON LOCAL stamps == CSV Z stamps converted to the profile's zone
  const calCsv = new Map<string, string>();
  for (const [ts, v] of csvRows(await readFile(join(root, 'Physical Activity_GoogleData/calories_2026-04-01.csv'), 'utf8'))) {
    calCsv.set(fitbitLocal(Date.parse(ts as string), tz), v as string);
  }
  const jsCal = JSON.parse(await readFile(join(root, 'Global Export Data/calories-2026-04-07.json'), 'utf8')) as { dateTime: string; value: string }[];
  assert.equal(jsCal.length, 4 * 1440);
  assert.equal(jsCal[0]!.dateTime, '04/07/26 00:00:00');
  let calDisagree = 0;
  for (const x of jsCal) {
    const csv = Number(calCsv.get(x.dateTime));
    if (csv !== Number(x.value)) calDisagree++;
    assert.ok(Math.abs(csv - Number(x.value)) < 0.4, `calories ${x.dateTime}`);
  }
  assert.ok(calDisagree <= 3, `${calDisagree} calories layer disagreements`);

  // sleep: JSON local startTime/endTime == the UserSleeps sleep_session_v1 row's instants
  const sleeps = JSON.parse(await readFile(join(root, 'Global Export Data/sleep-2026-04-07.json'), 'utf8')) as {
    logId: number;
    startTime: string;
    endTime: string;
    levels: { data: unknown[] };
  }[];
  const us = csvRows(await readFile(join(root, 'Health Fitness Data_GoogleData/UserSleeps_2026-04-01.csv'), 'utf8'));
  const v1 = us.filter((u) => u[14] === 'sleep_session_v1');
  assert.equal(v1.length, sleeps.length);
  assert.ok(us.length >= 2 * sleeps.length, 'UserSleeps lists each sleep once per algorithm version');
  for (const s of sleeps) {
    // UserSleeps ids differ from the JSON logIds: join on the start instant
    const loc = `${s.startTime.slice(5, 7)}/${s.startTime.slice(8, 10)}/${s.startTime.slice(2, 4)} ${s.startTime.slice(11, 19)}`;
    const row = v1.find((u) => fitbitLocal(Date.parse(u[10]!.replace(' ', 'T').replace('+0000', 'Z')), TZ) === loc);
    assert.ok(row, `sleep ${s.logId} (${loc}) in UserSleeps`);
    const endLoc = `${s.endTime.slice(5, 7)}/${s.endTime.slice(8, 10)}/${s.endTime.slice(2, 4)} ${s.endTime.slice(11, 19)}`;
    assert.equal(fitbitLocal(Date.parse(row[12]!.replace(' ', 'T').replace('+0000', 'Z')), TZ), endLoc);
    assert.match(row[0]!, /^\d{19}$/);
    assert.equal(row[9], '-04:00');
    assert.ok(s.levels.data.length > 0);
  }

  // HRV details (naive LOCAL) vs heart_rate_variability CSV (Z); Minute SpO2 vs oxygen_saturation CSV
  const hrvCsv = new Map<string, string>();
  for (const [ts, rmssd] of csvRows(await readFile(join(root, 'Physical Activity_GoogleData/heart_rate_variability_2026-04-01.csv'), 'utf8'))) {
    hrvCsv.set(fitbitLocal(Date.parse(ts as string), TZ), rmssd as string);
  }
  const details = csvRows(await readFile(join(root, 'Heart Rate Variability/Heart Rate Variability Details - 2026-04-08.csv'), 'utf8'));
  assert.ok(details.length > 40);
  for (const [ts, rmssd] of details) {
    const s = ts as string;
    const k = `${s.slice(5, 7)}/${s.slice(8, 10)}/${s.slice(2, 4)} ${s.slice(11, 19)}`;
    assert.equal(Number(hrvCsv.get(k)), Number(rmssd), `HRV at ${s}`);
  }
  const spo2Csv = new Map(
    csvRows(await readFile(join(root, 'Physical Activity_GoogleData/oxygen_saturation_2026-04-01.csv'), 'utf8')).map((r) => [r[0], Number(r[1])]),
  );
  const minute = csvRows(await readFile(join(root, 'Oxygen Saturation (SpO2)/Minute SpO2 - 2026-04-08.csv'), 'utf8'));
  assert.ok(minute.length > 250);
  for (const [ts, v] of minute) assert.equal(spo2Csv.get(ts), Number(v), `SpO2 at ${ts}`);

  // daily files: resting heart rate JSON vs CSV
  const rhrJson = JSON.parse(await readFile(join(root, 'Global Export Data/resting_heart_rate-2026-04-07.json'), 'utf8')) as {
    dateTime: string;
    value: { date: string | null; value: number };
  }[];
  assert.equal(rhrJson.length, 365, 'the year chunk is padded with empty entries');
  assert.ok(rhrJson.slice(4).every((x) => x.value.date === null && x.value.value === 0));
  assert.equal(rhrJson[364]?.dateTime, '04/06/27 00:00:00');
  const rhrCsv = csvRows(await readFile(join(root, 'Physical Activity_GoogleData/daily_resting_heart_rate.csv'), 'utf8'));
  assert.equal(rhrCsv.length, rhrJson.filter((x) => x.value.date !== null).length);
  for (const x of rhrJson) if (x.value.date) assert.ok(rhrCsv.some((row) => Number(row[1]) === x.value.value));

  // truth totals agree with a day's model
  const d7 = syntheticDay({ seed: 11, date: '2026-04-07', timezone: TZ });
  assert.equal(
    dayTotals(d7).heart_rate?.[TRACKER]?.count,
    (JSON.parse(await readFile(join(root, 'Global Export Data/heart_rate-2026-04-07.json'), 'utf8')) as unknown[]).length,
  );
});

test('DST days: 23 and 25 hour local days in the JSON layer', async () => {
  const out = await tmp();
  await generateTakeout({ out, format: 'dir', days: 2, endDate: '2026-03-08', seed: 5 });
  const out2 = await tmp();
  await generateTakeout({ out: out2, format: 'dir', days: 2, endDate: '2026-11-01', seed: 5 });
  const spring = JSON.parse(await readFile(join(out, F, 'Global Export Data/calories-2026-03-07.json'), 'utf8')) as { dateTime: string }[];
  assert.equal(spring.length, 1440 + 1380);
  assert.ok(!spring.some((x) => x.dateTime.startsWith('03/08/26 02:')), 'no 02:xx local stamps on spring-forward day');
  const fall = JSON.parse(await readFile(join(out2, F, 'Global Export Data/calories-2026-10-31.json'), 'utf8')) as { dateTime: string }[];
  assert.equal(fall.length, 1440 + 1500);
  assert.equal(fall.filter((x) => x.dateTime === '11/01/26 01:30:00').length, 2, 'the repeated hour appears twice');
  const hr = JSON.parse(await readFile(join(out2, F, 'Global Export Data/heart_rate-2026-11-01.json'), 'utf8')) as { dateTime: string }[];
  assert.ok(hr[0]!.dateTime.startsWith('11/01/26 04:'), 'local midnight EDT = 04:00Z');
  assert.ok(hr.at(-1)!.dateTime.startsWith('11/02/26 04:'), 'next local midnight EST = 05:00Z');
  const steps = JSON.parse(await readFile(join(out, F, 'Global Export Data/steps-2026-03-07.json'), 'utf8')) as { dateTime: string }[];
  assert.equal(steps[1440]!.dateTime, '03/08/26 05:00:00');
  assert.equal(steps.at(-1)!.dateTime, '03/09/26 03:59:00');
});

test('zip and tgz are readable, hold the same files as the folder, and keep the odd names', async () => {
  const out = await tmp();
  const endDate = '2026-04-06';
  const zr = await generateTakeout({ out: join(out, 'z'), format: 'zip', days: 7, endDate });
  const tr = await generateTakeout({ out: join(out, 't'), format: 'tgz', days: 7, endDate });
  const dr = await generateTakeout({ out: join(out, 'd'), format: 'dir', days: 7, endDate });
  assert.equal(zr.files.length, 1);
  assert.match(zr.files[0]!, /takeout-20260407T120000Z-001\.zip$/);
  assert.match(tr.files[0]!, /takeout-20260407T120000Z-001\.tgz$/);
  const z = await zipEntries(zr.files[0]!);
  const t = await tgzEntries(tr.files[0]!);
  const d = await digest(join(out, 'd'));
  assert.deepEqual([...z.keys()].sort(), [...d.keys()]);
  assert.deepEqual([...t.keys()].sort(), [...d.keys()]);
  assert.equal(dr.stats.entries, d.size);
  for (const [name, data] of z) assert.equal(createHash('sha256').update(data).digest('hex'), d.get(name), name);
  for (const [name, data] of t) assert.equal(createHash('sha256').update(data).digest('hex'), d.get(name), name);
  const names = [...z.keys()];
  for (const n of [
    `${F}/Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-.csv`,
    `${F}/Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(5).csv`,
    `${F}/Physical Activity_GoogleData/heart_rate_2026-03-31.csv`,
    `${F}/Physical Activity_GoogleData/steps_2026-03-01.csv`,
    `${F}/Physical Activity_GoogleData/steps_2026-04-01.csv`,
    `${F}/Physical Activity_GoogleData/steps_readme.txt`,
    `${F}/Global Export Data/steps-2026-03-31.json`,
    `${F}/Your Profile/Profile.csv`,
    `${F}/Paired Devices/Paired Devices.csv`,
  ])
    assert.ok(names.includes(n), `missing ${n}`);
  assert.equal(hrvSummaryFileName('2026-04-06'), 'Daily Heart Rate Variability Summary - 2026-04-(5).csv');
  assert.equal(hrvSummaryFileName('2026-04-01'), 'Daily Heart Rate Variability Summary - 2026-04-.csv');
  const tiny = names.filter((n) => n.includes('/Biometrics/'));
  assert.ok(tiny.length >= 1);
  for (const n of tiny) assert.equal(z.get(n)?.length, 7);
  assert.ok(names.some((n) => n.includes('Oxygen Saturation (SpO2)/Daily SpO2 - ')));
  assert.ok(names.some((n) => n.includes('Temperature/Computed Temperature - ')));
  // same options → same archive bytes
  const zr2 = await generateTakeout({ out: join(out, 'z2'), format: 'zip', days: 7, endDate });
  assert.deepEqual(await readFile(zr2.files[0]!), await readFile(zr.files[0]!));
  const tr2 = await generateTakeout({ out: join(out, 't2'), format: 'tgz', days: 7, endDate });
  assert.deepEqual(await readFile(tr2.files[0]!), await readFile(tr.files[0]!));
});

test('parts split the export over several zips; CRLF and BOM options', async () => {
  const out = await tmp();
  const progress: number[] = [];
  const r = await generateTakeout({ out, format: 'zip', days: 6, parts: 3, crlf: true, bom: true, onProgress: (n) => progress.push(n) });
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
  assert.equal(r.files.length, 3);
  r.files.forEach((f, i) => assert.match(f, new RegExp(`takeout-20260501T120000Z-00${i + 1}\\.zip$`)));
  const all = new Map<string, Buffer>();
  for (const f of r.files) {
    assert.ok((await stat(f)).size > 0);
    for (const [k, v] of await zipEntries(f)) {
      assert.ok(!all.has(k), `${k} in two parts`);
      all.set(k, v);
    }
  }
  assert.equal(all.size, r.stats.entries);
  const csv = all.get(`${F}/Physical Activity_GoogleData/calories_2026-04-01.csv`)!.toString('utf8');
  assert.ok(csv.startsWith('\ufefftimestamp,calories,data source\r\n'));
  assert.ok(!/[^\r]\n/.test(csv), 'every line ends with CRLF');
  const json = all.get(`${F}/Global Export Data/steps-2026-04-25.json`)!.toString('utf8');
  assert.ok(json.startsWith('[{'), 'JSON files get no BOM');
  // default: LF, no BOM
  const out2 = await tmp();
  await generateTakeout({ out: out2, format: 'dir', days: 1 });
  const plain = await readFile(join(out2, F, 'Physical Activity_GoogleData/calories_2026-04-01.csv'), 'utf8');
  assert.ok(plain.startsWith('timestamp,calories,data source\n'));
  assert.ok(!plain.includes('\r'));
});

test('stats.totals is the truth of the range; bad options are refused', async () => {
  const out = await tmp();
  const r = await generateTakeout({ out, format: 'dir', days: 3, endDate: '2026-06-03', seed: 9, partialDay: false });
  assert.deepEqual(r.stats.totals, rangeTotals({ seed: 9, timezone: TZ, startDate: '2026-06-01', days: 3 }));
  assert.equal(r.stats.startDate, '2026-06-01');
  assert.equal(r.stats.samples['csv.heart_rate'], r.stats.totals.heart_rate?.[TRACKER]?.count);
  const last = csvRows(await readFile(join(out, F, 'Physical Activity_GoogleData/heart_rate_2026-06-04.csv'), 'utf8')).at(-1)?.[0] ?? '';
  assert.ok(last < '2026-06-04T04:00:00Z', `no partial day, last row ${last}`);
  await assert.rejects(generateTakeout({ out, format: 'dir', days: 1, timezone: 'Mars/Olympus' }), /IANA time zone/);
  await assert.rejects(generateTakeout({ out, format: 'dir', days: 0 }), /days must be at least 1/);
  await assert.rejects(generateTakeout({ out, format: 'dir', days: 1, endDate: '30.04.2026' }), /YYYY-MM-DD/);
});

test('another root folder and CSV families in their own folders', async () => {
  const out = await tmp();
  await generateTakeout({ out, format: 'dir', days: 2, root: 'Takeout/Google Health', familyFolders: true });
  const files = await walk(out);
  for (const f of [
    'Takeout/Google Health/Physical Activity_GoogleData/Heart Rate/heart_rate_2026-04-30.csv',
    'Takeout/Google Health/Physical Activity_GoogleData/Steps/steps_2026-04-01.csv',
    'Takeout/Google Health/Physical Activity_GoogleData/Daily Resting Heart Rate/daily_resting_heart_rate.csv',
    'Takeout/Google Health/Physical Activity_GoogleData/Steps/steps_readme.txt',
    'Takeout/Google Health/Global Export Data/heart_rate-2026-04-30.json',
  ])
    assert.ok(files.includes(f), `missing ${f}`);
  const readme = await readFile(join(out, 'Takeout/Google Health/Physical Activity_GoogleData/Steps/steps_readme.txt'), 'utf8');
  assert.ok(readme.startsWith('Time Series Data Export'));
});
