/**
 * One request to the kernel and its answer: the bookkeeping every view shares
 * for a message it sends with a `req` number and waits for (`need` in the
 * item supply, `page` in the gallery, `cards` in the review widget, `examples`
 * in the classify guidelines, `seen` in the notes strip). An answer counts
 * only when it carries the number of the request still open (an older answer,
 * or one for another view, is ignored); a request left unanswered for the
 * timeout may be asked again.
 */

/** An open request: its number, when it was sent, and what the view needs to know about it. */
export type Open<E> = { req: number; at: number } & E;

export class Ask<E extends object = Record<never, never>> {
  private open: Open<E> | null = null;

  /** The open request, or null. */
  get pending(): Open<E> | null {
    return this.open;
  }

  /** Request `req` is sent at `at` (it replaces any open one: a later answer to that is ignored). */
  start(req: number, at: number, extra: E = {} as E): void {
    this.open = { req, at, ...extra } as Open<E>;
  }

  /** `req` is the open request's number. */
  answers(req: unknown): boolean {
    return this.open !== null && req === this.open.req;
  }

  /** The answer (or error) for `req` came: true (and the request is closed) when it is the open one. */
  settle(req: unknown): boolean {
    if (!this.answers(req)) return false;
    this.open = null;
    return true;
  }

  /** A request is open and younger than `timeout` ms at `t`: do not ask again yet. */
  fresh(t: number, timeout: number): boolean {
    return this.open !== null && t - this.open.at < timeout;
  }

  /** A request is open and older than `timeout` ms at `t`: ask it again. */
  overdue(t: number, timeout: number): boolean {
    return this.open !== null && t - this.open.at > timeout;
  }

  clear(): void {
    this.open = null;
  }
}
