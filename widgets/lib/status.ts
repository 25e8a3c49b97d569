/**
 * What a view says about itself: the progress line and label rate, the
 * status line and the error box, the toast after each key.
 */

import { h, now } from "./dom";
import type { Progress } from "./protocol";
import { shownItemId, valueText } from "./text";

/**
 * A brief note of what a key just did ("✓ cat → item-12"), over the corner of
 * the stage: one line that a CSS animation fades out. It never takes the
 * focus and costs one node per key. Test hooks: `.wb-toast` with data-toast
 * (the last text), data-kind and data-count (notes shown so far).
 */
export class Toast {
  readonly el: HTMLElement;
  private count = 0;

  constructor() {
    this.el = h("div", { class: "wb-toast", attrs: { role: "status", "data-count": "0" } });
    this.el.hidden = true;
  }

  show(text: string, kind: string): void {
    this.count += 1;
    this.el.hidden = false;
    this.el.dataset.toast = text;
    this.el.dataset.kind = kind;
    this.el.dataset.count = String(this.count);
    // A new node starts the fade again, without a style recalculation in the key handler.
    this.el.replaceChildren(h("span", { class: "wb-toast-line", text }));
  }
}

/** The toast's text for a label of `itemId`: "✓ cat → item-12" ("✓ cat" for a content-hash id). */
export function labelToast(kind: "label" | "skip" | "undo", value: unknown, itemId: string): string {
  const id = shownItemId(itemId);
  if (kind === "skip") return id ? `skipped ${id}` : "skipped";
  if (kind === "undo") return id ? `↶ undone: ${id}` : "↶ undone";
  const text = Array.isArray(value) && !value.length ? "(none)" : valueText(value);
  return id ? `✓ ${text} → ${id}` : `✓ ${text}`;
}

/** Labels per minute over the last `windowMs` from a list of label times (ms). */
export function ratePerMinute(times: number[], at: number, windowMs = 5 * 60_000): number | null {
  const recent = times.filter((t) => at - t <= windowMs);
  if (recent.length < 2) return null;
  const span = Math.max(at - recent[0], 10_000);
  return (recent.length / span) * 60_000;
}

/** `done/total done · N left · R labels/min`: the progress line both views show. */
export function progressText({ done, total }: Progress, labelTimes: number[]): string {
  const rate = ratePerMinute(labelTimes, now());
  return (
    `${done}/${total} done · ${Math.max(0, total - done)} left · ` +
    (rate === null ? "– labels/min" : `${rate.toFixed(1)} labels/min`)
  );
}

/** Keep the last five errors; a non-final one says it will be retried. */
export function pushError(errors: string[], text: string, final: boolean): void {
  errors.push(final ? text : `${text} (will retry)`);
  if (errors.length > 5) errors.shift();
}

/** Paint the status line (saved state, then `notes`) and the error box. */
export function paintStatus(
  statusLine: HTMLElement,
  errorBox: HTMLElement,
  unsaved: number,
  notes: (string | null | undefined | false)[],
  errors: string[],
): void {
  const bits = [unsaved ? `${unsaved} unsaved` : "all labels saved", ...notes.filter(Boolean)];
  statusLine.textContent = bits.join(" · ");
  statusLine.classList.toggle("wb-pending", unsaved > 0);
  errorBox.replaceChildren(...errors.map((e) => h("div", { class: "wb-error", text: e })));
}
