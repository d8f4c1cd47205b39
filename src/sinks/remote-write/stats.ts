/**
 * The remote-write client's counters, in a module of their own so the extension can show them
 * (zeros before the first pass) without loading the client and its HTTP stack.
 */
export interface ClientStats {
  /** Samples the receiver accepted. */
  samplesSent: number;
  /** Samples the receiver rejected on their own (isolated by bisection). */
  samplesRejected: number;
  /** HTTP requests made (including retries and bisection halves). */
  requests: number;
  /** Requests repeated after a 5xx / 429 / network error / configuration error. */
  retries: number;
  /** Compressed bytes of the accepted requests. */
  bytesSent: number;
  /** Unix ms of the last accepted request, null if none. */
  lastSuccessAt: number | null;
  /** The last failure (cleared by the next success). */
  lastError: string | null;
}

/** Counters before anything was sent. */
export function emptyClientStats(): ClientStats {
  return { samplesSent: 0, samplesRejected: 0, requests: 0, retries: 0, bytesSent: 0, lastSuccessAt: null, lastError: null };
}
