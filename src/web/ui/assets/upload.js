// @ts-check
// Takeout upload: drop one or several archive parts (or pick them); each streams to the bridge
// (PUT, the browser reads the file from disk as it sends: nothing is held in memory), in pieces
// of PIECE bytes, since a proxy in front (Home Assistant's ingress) may cap a request's body; then
// the batch goes through the same importer as the drop folder; a progress bar and the summary.
import * as api from './api.js';
import { importLine } from './overview.js';
import { bytes, h, num } from './util.js';

const ACCEPT = /\.(zip|tgz|tar\.gz)$/i;
/** Bytes per PUT (the bridge's UPLOAD_PIECE_BYTES): below the 16 MiB HA's ingress has allowed a body. */
const PIECE = 8 * 1024 * 1024;

/** @type {import('./app.js').Page} */
export async function renderUpload(main, ctx) {
  const input = h('input', { type: 'file', id: 'files', multiple: true, accept: '.zip,.tgz,.tar.gz,application/zip,application/gzip' });
  const drop = h(
    'label',
    { class: 'dropzone', id: 'dropzone', for: 'files' },
    h('strong', {}, 'Drop the parts of a Google Takeout export here'),
    h('span', { class: 'muted' }, ' or click to choose them (.zip, .tgz; several parts at once)'),
  );
  const list = h('ul', { class: 'files' });
  const start = h('button', { type: 'button', id: 'start', disabled: true }, 'Upload and import');
  const bar = h('progress', { id: 'progress', max: 1, value: 0, hidden: true });
  const state = h('p', { id: 'upload-state', class: 'muted' });
  const summary = h('div', { id: 'summary' });
  main.append(
    h('h2', {}, 'Upload a Takeout export'),
    h(
      'p',
      { class: 'muted' },
      'The files go through the same importer as the drop folder; the store keeps one copy of every sample, so uploading an export again adds nothing.',
    ),
    drop,
    input,
    list,
    h('div', { class: 'toolbar' }, start, bar),
    state,
    summary,
  );
  /** @type {File[]} */
  let files = [];
  /** @param {FileList | null} fl */
  const pick = (fl) => {
    const all = [...(fl ?? [])];
    const bad = all.filter((f) => !ACCEPT.test(f.name));
    files = all.filter((f) => ACCEPT.test(f.name));
    list.replaceChildren(
      ...files.map((f) => h('li', {}, `${f.name} · ${bytes(f.size)}`)),
      ...bad.map((f) => h('li', { class: 'bad' }, `${f.name}: not a .zip, .tgz or .tar.gz archive; left out`)),
    );
    start.disabled = files.length === 0;
  };
  input.addEventListener('change', () => pick(input.files));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    pick(e.dataTransfer?.files ?? null);
  });

  let stopped = false;
  /** @type {XMLHttpRequest | null} */
  let xhr = null;
  start.addEventListener('click', () => {
    start.disabled = true;
    input.disabled = true;
    void run().catch((/** @type {unknown} */ e) => {
      state.className = 'bad';
      state.textContent = `Upload failed: ${e instanceof Error ? e.message : String(e)}`;
      state.dataset.state = 'failed';
      start.disabled = false;
      input.disabled = false;
    });
  });

  async function run() {
    const total = files.reduce((n, f) => n + f.size, 0);
    bar.hidden = false;
    bar.max = total || 1;
    bar.value = 0;
    state.className = 'muted';
    state.textContent = 'Starting…';
    /** @type {{ id: string }} */
    const batch = await api.send('POST', 'uploads');
    let sent = 0;
    for (const f of files) {
      state.textContent = `Uploading ${f.name} (${bytes(f.size)})…`;
      const url = `api/uploads/${encodeURIComponent(batch.id)}/files/${encodeURIComponent(f.name)}`;
      for (let offset = 0; offset === 0 || offset < f.size; offset += PIECE) {
        const end = Math.min(f.size, offset + PIECE);
        const q = `?offset=${offset}${offset === 0 ? `&size=${f.size}` : ''}${end >= f.size ? '&last=1' : ''}`;
        const at = sent + offset;
        await put(url + q, f.name, f.slice(offset, end), (n) => {
          bar.value = at + n;
          state.textContent = `Uploading ${f.name}: ${bytes(at + n)} of ${bytes(total)}`;
        });
        if (stopped) return;
      }
      sent += f.size;
      bar.value = sent;
    }
    /** @type {api.ImportJob} */
    let job = await api.send('POST', `uploads/${encodeURIComponent(batch.id)}/import`);
    bar.value = 0;
    while (!stopped) {
      show(job);
      if (job.state === 'done' || job.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 700));
      job = await api.get(`uploads/${encodeURIComponent(batch.id)}`);
    }
    start.disabled = false;
    input.disabled = false;
  }

  /** @param {api.ImportJob} job */
  function show(job) {
    const p = job.progress;
    if (p && p.total > 0) {
      bar.max = p.total;
      bar.value = p.done;
    }
    state.className = job.state === 'failed' ? 'bad' : job.state === 'done' ? 'ok' : 'muted';
    state.dataset.state = job.state;
    state.textContent =
      job.state === 'done'
        ? 'Imported.'
        : job.state === 'failed'
          ? `Import failed: ${job.error ?? 'unknown error'}`
          : `${job.state === 'queued' ? 'Waiting for the importer' : 'Importing'}${p ? `: ${p.unit === 'bytes' ? `${bytes(p.done)} of ${bytes(p.total)}` : `${num(p.done)} of ${num(p.total)} files`}` : ''}…`;
    if (job.state === 'done') bar.value = bar.max;
    const s = job.summary;
    summary.replaceChildren(
      h('p', {}, importLine(job, ctx.status.now, ctx.zone)),
      s
        ? h(
            'dl',
            { class: 'summary' },
            h('dt', {}, 'Accounts'),
            h('dd', {}, s.accounts.join(', ') || '—'),
            h('dt', {}, 'Samples added'),
            h('dd', { id: 'samples-added' }, num(s.samples_added)),
            h('dt', {}, 'Days'),
            h('dd', {}, num(s.days)),
            h('dt', {}, 'Time zones used'),
            h('dd', {}, s.time_zones.map((z) => `${z.zone} (${z.files} files)`).join(', ') || '—'),
            h('dt', {}, 'Unknown files'),
            h(
              'dd',
              {},
              s.unknown_files.length
                ? h('details', {}, h('summary', {}, String(s.unknown_files.length)), h('ul', {}, ...s.unknown_files.map((f) => h('li', {}, f))))
                : 'none',
            ),
            h('dt', {}, 'Failed files'),
            h('dd', {}, s.failed_files.length ? h('ul', { class: 'bad' }, ...s.failed_files.map((f) => h('li', {}, `${f.file}: ${f.error}`))) : 'none'),
          )
        : '',
      job.state === 'done' && ctx.account ? h('p', {}, h('a', { href: ctx.link('coverage') }, 'See the coverage')) : '',
    );
  }

  /**
   * PUTs a piece of a file with upload progress (fetch has none); the browser streams it from disk.
   * @param {string} url @param {string} name @param {Blob} body @param {(sent: number) => void} onProgress
   * @returns {Promise<void>}
   */
  function put(url, name, body, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      xhr = x;
      x.open('PUT', url);
      x.setRequestHeader('x-csrf-token', api.csrfToken());
      x.setRequestHeader('content-type', 'application/octet-stream');
      x.upload.addEventListener('progress', (e) => onProgress(e.loaded));
      x.addEventListener('load', () => {
        xhr = null;
        if (x.status >= 200 && x.status < 300) resolve();
        else {
          let msg = x.responseText.trim();
          try {
            /** @type {{ error?: unknown }} */
            const body = JSON.parse(msg);
            msg = String(body.error ?? msg);
          } catch {
            /* plain text */
          }
          reject(new Error(`${name}: ${x.status} ${msg}`));
        }
      });
      x.addEventListener('error', () => reject(new Error(`${name}: the connection failed`)));
      x.addEventListener('abort', () => reject(new Error(`${name}: aborted`)));
      x.send(body);
    });
  }

  return () => {
    stopped = true;
    xhr?.abort();
  };
}
