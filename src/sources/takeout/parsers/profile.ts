/**
 * `Your Profile/Profile.csv`: the Fitbit profile id, the IANA time zone, the weight unit setting
 * and the height. Read before the main pass (it can come late in the archive).
 */
import { clip } from '../../../util/clip.js';
import { readCsv } from '../csv.js';
import { FileFormatError, num, type ProfileInfo } from './common.js';
import { normName, type CsvStream } from './csv-samples.js';

function clean(s: string | undefined): string | null {
  const t = s?.trim();
  return t && t.toLowerCase() !== 'null' ? t : null;
}

export async function readProfileCsv(stream: CsvStream, file: string): Promise<ProfileInfo> {
  for await (const batch of readCsv(stream, file)) {
    const h = batch.header.map(normName);
    const iId = h.indexOf('id'),
      iTz = h.indexOf('timezone');
    if (iId < 0 && iTz < 0)
      throw new FileFormatError(file, `unexpected CSV header "${clip(batch.header.join(','))}" (line 1): expected columns "id" and "timezone"`);
    const row = batch.rows[0];
    if (!row) break;
    const iUnit = h.indexOf('weight unit'),
      iH = h.indexOf('height'),
      iHu = h.indexOf('height unit');
    let heightCm: number | null = null;
    const hv = num(row[iH]);
    if (iH >= 0 && Number.isFinite(hv) && hv > 0) {
      // Profile.csv height is in centimetres (METRIC) — inches for some US files
      const unit = (row[iHu] ?? '').toUpperCase();
      heightCm = unit.includes('INCH') || unit === 'US' ? hv * 2.54 : hv;
    }
    return {
      id: clean(row[iId]),
      timezone: clean(row[iTz]),
      weightUnit: clean(row[iUnit])?.toUpperCase() ?? null,
      heightCm,
    };
  }
  throw new FileFormatError(file, 'no profile row');
}
