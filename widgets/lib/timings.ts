/**
 * Key-to-paint timings (keydown timeStamp to the end of the first frame
 * painted with the new item in the DOM, its layout and paint included: see
 * `afterPaint`), kept in window.__workbenchTimings for benchmarks and browser
 * tests.
 */

import { afterPaint, afterTask, now } from "./dom";

/** Key-to-paint timings for benchmarks: window.__workbenchTimings, the last 2000. */
export const TIMINGS_LIMIT = 2000;

export function recordTiming(itemId: string, ms: number): void {
  const g = globalThis as { __workbenchTimings?: { item_id: string; ms: number }[] };
  pushLast((g.__workbenchTimings ??= []), { item_id: itemId, ms });
}

/** Append `v` to `list`, keeping the last `limit` entries. */
export function pushLast<T>(list: T[], v: T, limit = TIMINGS_LIMIT): void {
  list.push(v);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/**
 * When a key was pressed, on now()'s clock: the event's timeStamp, unless it
 * is epoch-based (old browsers, jsdom); then now.
 */
export function keyTime(ev: Event): number {
  const t = ev.timeStamp;
  const n = now();
  return !(t > 0) || Math.abs(n - t) > 3_600_000 ? n : t;
}

/**
 * Key-to-paint timings of a view that shows one item at a time: each key
 * whose effect the next paint shows is timed from its keydown to the end of
 * the first frame painted with the new item in the DOM.
 */
export class PaintTimings {
  /** keydown timestamps of keys whose effect is not painted yet (one timing each). */
  private keys: number[] = [];
  private frames = new Set<() => void>();

  /** `onTiming(ms)`, when given, gets each timing too. */
  constructor(private readonly onTiming?: (ms: number) => void) {}

  /** The key pressed at `t` (null: no key) leads to the next paint. */
  key(t: number | null): void {
    if (t !== null && this.keys.length < 10000) this.keys.push(t);
  }

  /** The keys waiting lead to no item (none left): nothing to time. */
  forget(): void {
    this.keys = [];
  }

  /**
   * `itemId` is in the DOM: time the keys that led here once the next frame
   * is on screen (`afterPaint`). `inFrame`: put there by an animation frame's
   * callback, so this frame shows it; timed in the first task after it.
   */
  painted(itemId: string, inFrame = false): void {
    if (!this.keys.length) return;
    const keys = this.keys;
    this.keys = [];
    const record = (): void => {
      const at = now();
      for (const t0 of keys) {
        recordTiming(itemId, at - t0);
        this.onTiming?.(at - t0);
      }
    };
    // inFrame: this frame's layout and paint run after the callback that called us.
    const stop = (inFrame ? afterTask : afterPaint)(() => {
      this.frames.delete(stop);
      record();
    });
    this.frames.add(stop);
  }

  cancel(): void {
    for (const stop of this.frames) stop();
    this.frames.clear();
  }
}
