/**
 * Following `nextPageToken` as the live API pages: only a page WITHOUT a token ends a list. A page
 * may be empty and still carry a token (seen live over past ranges: `{"nextPageToken":"…"}`, the
 * points on the next page), and the last page may be a bare `{}`. So nothing may stop on an empty
 * page; what stops a server that keeps sending tokens is this guard: the same token twice, more
 * than `maxPages` pages, or more than `maxEmptyInARow` pages in a row without points.
 */
import { UnexpectedResponseError } from './errors.js';

/** Pages one list (one window of the sync, one probe, one `*All` iteration) may take. */
export const MAX_PAGES_PER_LIST = 2000;
/** Pages in a row without points (the live API sends one before the data of a past range). */
export const MAX_EMPTY_PAGES_IN_A_ROW = 25;

export interface PageGuardLimits {
  maxPages?: number;
  maxEmptyInARow?: number;
}

export class PageGuard {
  private readonly seen = new Set<string>();
  private pages: number;
  private emptyInARow = 0;
  private readonly maxPages: number;
  private readonly maxEmpty: number;

  /**
   * `what`: the list in words (path, data type and window) for the error; `pagesSoFar`: pages
   * already fetched (a resumed window).
   */
  constructor(
    private readonly what: string,
    pagesSoFar = 0,
    limits: PageGuardLimits = {},
  ) {
    this.pages = pagesSoFar;
    this.maxPages = limits.maxPages ?? MAX_PAGES_PER_LIST;
    this.maxEmpty = limits.maxEmptyInARow ?? MAX_EMPTY_PAGES_IN_A_ROW;
  }

  /**
   * Call after each page with its point count and its `nextPageToken` (null: the last page).
   * Throws an `UnexpectedResponseError` when following `next` would loop or run away.
   */
  next(points: number, next: string | null): void {
    this.pages++;
    this.emptyInARow = points > 0 ? 0 : this.emptyInARow + 1;
    if (next === null) return;
    let why: string | null = null;
    if (this.seen.has(next)) why = 'sent the same page token twice';
    else if (this.pages >= this.maxPages) why = `kept sending page tokens for ${this.pages} pages`;
    else if (this.emptyInARow >= this.maxEmpty) why = `sent ${this.emptyInARow} pages in a row without data points, each with a page token`;
    if (why !== null) {
      throw new UnexpectedResponseError(
        200,
        null,
        next.slice(0, 200),
        `the Google Health API ${why} (${this.what}); stopping instead of looping — try again later, and report it if it persists`,
      );
    }
    this.seen.add(next);
  }
}
