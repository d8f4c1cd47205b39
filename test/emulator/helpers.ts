/** A started emulator and a tiny authenticated client for the emulator tests. */
import { startGoogleEmulator, ALL_READ_SCOPES, type GoogleEmulator, type GoogleEmulatorOptions } from '../../src/emulator/index.js';
import { companionsOf, type Companions } from '../../src/emulator/health-api/sources.js';
import { syntheticDay } from '../../src/synthetic/model.js';
import { OffsetMap } from '../../src/synthetic/time.js';

export const TZ = 'America/New_York';
export const SEED = 7;
export const FIRST = '2024-03-08';
export const LAST = '2024-03-11';
/** Well after LAST: every point is visible. */
export const LATER = Date.UTC(2024, 2, 20, 12);

export interface Client {
  emu: GoogleEmulator;
  token: string;
  get(path: string, q?: Record<string, string | number>): Promise<Answer>;
  post(path: string, body: unknown): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined for a non-JSON body. */
  body: unknown;
}

async function answer(r: Response): Promise<Answer> {
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, text, body };
}

/**
 * The tests of shapes and page layouts read single pages of past ranges: they run with the
 * variant `emptyPages: 'none'` unless `opts.variant` says otherwise; the default (an empty first
 * page with a token, as seen live) has its own contract tests.
 */
export const NO_EMPTY_PAGES = { emptyPages: 'none' } as const;

export async function startClient(opts: GoogleEmulatorOptions = {}, scopes: readonly string[] = ALL_READ_SCOPES): Promise<Client> {
  const emu = await startGoogleEmulator({
    seed: SEED,
    timezone: TZ,
    firstDay: FIRST,
    lastDay: LAST,
    clock: () => LATER,
    ...opts,
    variant: { ...NO_EMPTY_PAGES, ...opts.variant },
  });
  const token = emu.issueTokens(scopes).access_token;
  const auth = { authorization: `Bearer ${token}` };
  return {
    emu,
    token,
    get: async (path, q = {}) => {
      const u = new URL(emu.url + path);
      for (const [k, v] of Object.entries(q)) u.searchParams.set(k, String(v));
      return answer(await fetch(u, { headers: auth }));
    },
    post: async (path, body) =>
      answer(
        await fetch(emu.url + path, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    close: () => emu.close(),
  };
}

export const dp = (type: string, verb = ''): string => `/v4/users/me/dataTypes/${type}/dataPoints${verb}`;
export const day = (date: string) => syntheticDay({ seed: SEED, date, timezone: TZ });

/** The companion sources' truth of a day (served with the default `shapes: live`). */
export function companions(date: string): Companions {
  const d = day(date);
  return companionsOf(d, new OffsetMap(TZ, d.start - 86_400_000, d.end + 86_400_000));
}
export const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** Every page of a list / reconcile. */
export async function allPages(c: Client, path: string, q: Record<string, string | number> = {}): Promise<Record<string, unknown>[]> {
  const pages: Record<string, unknown>[] = [];
  let token = '';
  for (let i = 0; i < 1000; i++) {
    const a = await c.get(path, token ? { ...q, pageToken: token } : q);
    if (a.status !== 200) throw new Error(`${path}: ${a.status} ${a.text}`);
    const page = a.body as Record<string, unknown> & { nextPageToken?: string };
    pages.push(page);
    if (!page.nextPageToken) return pages;
    token = page.nextPageToken;
  }
  throw new Error('too many pages');
}

export function pointsOf(pages: Record<string, unknown>[]): Record<string, unknown>[] {
  return pages.flatMap((p) => (p.dataPoints as Record<string, unknown>[] | undefined) ?? []);
}
