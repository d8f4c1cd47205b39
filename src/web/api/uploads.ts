/**
 * Takeout uploads through the web UI (placeholder; the upload routes follow).
 */
export interface ImportJob {
  id: string;
  files: { name: string; bytes: number }[];
  state: 'uploading' | 'queued' | 'importing' | 'done' | 'failed';
  progress: { done: number; total: number; unit: 'bytes' | 'files' } | null;
  started_at: number | null;
  finished_at: number | null;
  summary: {
    accounts: string[];
    samples_added: number;
    days: number;
    time_zones: { zone: string; files: number }[];
    unknown_files: string[];
    failed_files: { file: string; error: string }[];
  } | null;
  error: string | null;
}
