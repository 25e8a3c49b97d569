/**
 * DOM helpers shared by the widgets. Text from data only ever goes in through
 * textContent; attributes are set one by one.
 */

import type { ClassSpec, Progress, WireItem } from "./protocol";
import { toBytes } from "./protocol";
import { keyLabel } from "./keys";
import { renderMarkdown } from "./markdown";

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  title?: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: (Node | null | undefined)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) node.setAttribute(k, v);
  for (const c of children) if (c) node.appendChild(c);
  return node;
}

/**
 * A class chip: colour swatch, name, key. A class named by its own key (the
 * digits "0".."9", a letter) shows the key once, as the name: no "7 [7]".
 */
export function classChip(c: ClassSpec): HTMLElement {
  const key = keyLabel(c.key);
  const chip = h("div", {
    class: "wb-class",
    attrs: { "data-class": c.name, role: "button", "aria-pressed": "false", "aria-label": key ? `${c.name} (key ${key})` : c.name },
    title: c.description || c.name,
  });
  const swatch = h("span", { class: "wb-swatch" });
  swatch.style.background = safeColor(c.color);
  chip.append(swatch);
  if (key && namedByKey(c.name, key)) {
    chip.append(h("kbd", { class: "wb-key wb-class-name", text: c.name }));
    return chip;
  }
  chip.append(h("span", { class: "wb-class-name", text: c.name }));
  if (key) chip.append(h("kbd", { class: "wb-key", text: key }));
  return chip;
}

/** The class name is the key's label ("7" and 7, "a" and a; Caps Lock aside): shown once. */
export function namedByKey(name: string, key: string): boolean {
  return name === key || (name.length === 1 && name.toLowerCase() === key.toLowerCase());
}

/**
 * Ids the kernel made from content (workbench/items.py: 16 hex digits of a
 * hash, "-k" for the k-th copy within one call) say nothing to a person;
 * the ids a user gave are shown as they are.
 */
export function isContentHashId(id: string): boolean {
  return /^[0-9a-f]{16}(?:-[0-9]+)?$/.test(id);
}

/** The item id as a caption shows it: the user's id, or "" for a content hash. */
export function shownItemId(id: string): string {
  return isContentHashId(id) ? "" : id;
}

/** Colour of a class by name, for badges (FALLBACK_COLOR for an unknown class or colour). */
export function colorOf(classes: ClassSpec[], name: unknown): string {
  const c = classes.find((x) => x.name === name);
  return safeColor(c?.color);
}

/** The colour of a class with none, or with one that is not a plain colour. */
export const FALLBACK_COLOR = "#999999";

/** The CSS named colours (CSS Color 4) as #rrggbb; the kernel allows these and hex only. */
export const CSS_COLORS: Readonly<Record<string, string>> = Object.freeze({
  aliceblue: "#f0f8ff", antiquewhite: "#faebd7", aqua: "#00ffff", aquamarine: "#7fffd4", azure: "#f0ffff",
  beige: "#f5f5dc", bisque: "#ffe4c4", black: "#000000", blanchedalmond: "#ffebcd", blue: "#0000ff",
  blueviolet: "#8a2be2", brown: "#a52a2a", burlywood: "#deb887", cadetblue: "#5f9ea0", chartreuse: "#7fff00",
  chocolate: "#d2691e", coral: "#ff7f50", cornflowerblue: "#6495ed", cornsilk: "#fff8dc", crimson: "#dc143c",
  cyan: "#00ffff", darkblue: "#00008b", darkcyan: "#008b8b", darkgoldenrod: "#b8860b", darkgray: "#a9a9a9",
  darkgreen: "#006400", darkgrey: "#a9a9a9", darkkhaki: "#bdb76b", darkmagenta: "#8b008b", darkolivegreen: "#556b2f",
  darkorange: "#ff8c00", darkorchid: "#9932cc", darkred: "#8b0000", darksalmon: "#e9967a", darkseagreen: "#8fbc8f",
  darkslateblue: "#483d8b", darkslategray: "#2f4f4f", darkslategrey: "#2f4f4f", darkturquoise: "#00ced1",
  darkviolet: "#9400d3", deeppink: "#ff1493", deepskyblue: "#00bfff", dimgray: "#696969", dimgrey: "#696969",
  dodgerblue: "#1e90ff", firebrick: "#b22222", floralwhite: "#fffaf0", forestgreen: "#228b22", fuchsia: "#ff00ff",
  gainsboro: "#dcdcdc", ghostwhite: "#f8f8ff", gold: "#ffd700", goldenrod: "#daa520", gray: "#808080",
  green: "#008000", greenyellow: "#adff2f", grey: "#808080", honeydew: "#f0fff0", hotpink: "#ff69b4",
  indianred: "#cd5c5c", indigo: "#4b0082", ivory: "#fffff0", khaki: "#f0e68c", lavender: "#e6e6fa",
  lavenderblush: "#fff0f5", lawngreen: "#7cfc00", lemonchiffon: "#fffacd", lightblue: "#add8e6", lightcoral: "#f08080",
  lightcyan: "#e0ffff", lightgoldenrodyellow: "#fafad2", lightgray: "#d3d3d3", lightgreen: "#90ee90",
  lightgrey: "#d3d3d3", lightpink: "#ffb6c1", lightsalmon: "#ffa07a", lightseagreen: "#20b2aa",
  lightskyblue: "#87cefa", lightslategray: "#778899", lightslategrey: "#778899", lightsteelblue: "#b0c4de",
  lightyellow: "#ffffe0", lime: "#00ff00", limegreen: "#32cd32", linen: "#faf0e6", magenta: "#ff00ff",
  maroon: "#800000", mediumaquamarine: "#66cdaa", mediumblue: "#0000cd", mediumorchid: "#ba55d3",
  mediumpurple: "#9370db", mediumseagreen: "#3cb371", mediumslateblue: "#7b68ee", mediumspringgreen: "#00fa9a",
  mediumturquoise: "#48d1cc", mediumvioletred: "#c71585", midnightblue: "#191970", mintcream: "#f5fffa",
  mistyrose: "#ffe4e1", moccasin: "#ffe4b5", navajowhite: "#ffdead", navy: "#000080", oldlace: "#fdf5e6",
  olive: "#808000", olivedrab: "#6b8e23", orange: "#ffa500", orangered: "#ff4500", orchid: "#da70d6",
  palegoldenrod: "#eee8aa", palegreen: "#98fb98", paleturquoise: "#afeeee", palevioletred: "#db7093",
  papayawhip: "#ffefd5", peachpuff: "#ffdab9", peru: "#cd853f", pink: "#ffc0cb", plum: "#dda0dd",
  powderblue: "#b0e0e6", purple: "#800080", rebeccapurple: "#663399", red: "#ff0000", rosybrown: "#bc8f8f",
  royalblue: "#4169e1", saddlebrown: "#8b4513", salmon: "#fa8072", sandybrown: "#f4a460", seagreen: "#2e8b57",
  seashell: "#fff5ee", sienna: "#a0522d", silver: "#c0c0c0", skyblue: "#87ceeb", slateblue: "#6a5acd",
  slategray: "#708090", slategrey: "#708090", snow: "#fffafa", springgreen: "#00ff7f", steelblue: "#4682b4",
  tan: "#d2b48c", teal: "#008080", thistle: "#d8bfd8", tomato: "#ff6347", turquoise: "#40e0d0", violet: "#ee82ee",
  wheat: "#f5deb3", white: "#ffffff", whitesmoke: "#f5f5f5", yellow: "#ffff00", yellowgreen: "#9acd32",
});

const HEX_COLOR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/**
 * `color` if it is hex (#rgb, #rgba, #rrggbb, #rrggbbaa) or a CSS named colour,
 * else `fallback`. The kernel checks schema colours already; this is the second
 * line: anything else (`url(...)`, `var(...)`, `expression(...)`) never reaches
 * a style, so a schema cannot make the browser fetch or read anything.
 */
export function safeColor(color: unknown, fallback: string = FALLBACK_COLOR): string {
  if (typeof color !== "string") return fallback;
  if (HEX_COLOR.test(color)) return color;
  const lower = color.toLowerCase();
  return Object.prototype.hasOwnProperty.call(CSS_COLORS, lower) ? lower : fallback;
}

/** `color` as [r, g, b] (alpha dropped), or `fallback`'s when it is not a plain colour. */
export function colorRgb(color: unknown, fallback: string = FALLBACK_COLOR): [number, number, number] {
  let hex = safeColor(color, fallback);
  if (!hex.startsWith("#")) hex = CSS_COLORS[hex];
  let digits = hex.slice(1);
  if (digits.length <= 4) digits = [...digits.slice(0, 3)].map((d) => d + d).join("");
  const n = parseInt(digits.slice(0, 6), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A value as short text: a class name, or a list of them. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "(none)";
  return String(value);
}

/** A blob: URL for an image item's bytes, or null. Revoke it when the item goes. */
export function imageUrl(item: WireItem, buffers: unknown[]): string | null {
  if (item.kind !== "image" || item.buffer == null) return null;
  const bytes = toBytes(buffers[item.buffer]);
  if (!bytes || typeof URL.createObjectURL !== "function") return null;
  // Copy: the widget manager may reuse the message's buffer.
  const blob = new Blob([bytes.slice()], { type: item.mime || "image/png" });
  return URL.createObjectURL(blob);
}

export function revoke(url: string | null | undefined): void {
  if (url && typeof URL.revokeObjectURL === "function") URL.revokeObjectURL(url);
}

/**
 * Longest side, in CSS px, that a small image is enlarged to: an 8×8 digit
 * shows at 256 px (×32) and a 28×28 one at 252 px (×9), not blown up to the
 * whole box; an image this large or larger is never enlarged.
 */
export const UPSCALE_LIMIT = 256;

/**
 * Size an image to fit `box` px: small images grow by a whole factor with
 * nearest-neighbour pixels (an 8×8 digit stays crisp) up to `upscaleLimit`
 * px, large ones shrink smoothly (and CSS keeps them within the width there is).
 */
export function fitImage(img: HTMLImageElement, width: number, height: number, box: number, upscaleLimit = UPSCALE_LIMIT): void {
  const w = Math.max(1, width || 1);
  const hgt = Math.max(1, height || 1);
  let scale = Math.min(box / w, box / hgt);
  if (scale >= 1) scale = Math.max(1, Math.floor(Math.min(scale, Math.min(box, upscaleLimit) / Math.max(w, hgt))));
  img.style.width = `${Math.round(w * scale)}px`;
  img.style.height = "auto";
  img.style.imageRendering = scale > 1 ? "pixelated" : "auto";
  img.dataset.scale = String(Math.round(scale * 1000) / 1000);
}

/**
 * An item's image, sized to `box` and decoding already, so that showing it
 * later costs no decode in the key handler's frame; url and img are null for
 * an item without image bytes. Revoke the url when the item goes.
 */
export function itemImage(
  item: WireItem,
  buffers: unknown[],
  box: number,
): { url: string | null; img: HTMLImageElement | null } {
  const url = imageUrl(item, buffers);
  if (!url) return { url, img: null };
  const img = h("img", { class: "wb-image", attrs: { alt: item.item_id, draggable: "false" } });
  img.src = url;
  fitImage(img, item.width ?? 0, item.height ?? 0, box);
  const decode = (img as { decode?: () => Promise<void> }).decode;
  if (typeof decode === "function") decode.call(img).catch(() => undefined);
  return { url, img };
}

/** The stage's content for one item: its image or text (or why not), then a caption with its id and `extra`. */
export function itemNode(item: WireItem, img: HTMLImageElement | null, extra: HTMLElement | null = null): HTMLElement {
  const box = h("div", { class: "wb-item", attrs: { "data-kind": item.kind } });
  if (item.kind === "image" && img) box.appendChild(img);
  else if (item.kind === "text") box.appendChild(h("div", { class: "wb-text", text: item.text ?? "" }));
  else box.appendChild(h("div", { class: "wb-item-error", text: item.error || `item ${item.item_id} could not be shown` }));
  // A content-hash id says nothing to a person: not shown (the tooltip has it).
  const id = shownItemId(item.item_id);
  box.title = item.item_id;
  box.appendChild(h("div", { class: "wb-caption" }, [id ? h("span", { class: "wb-item-id", text: id }) : null, extra]));
  return box;
}

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

/** A class example in the browser: the wire fields plus a blob: URL for an image's thumbnail. */
export interface ExampleItem {
  item_id: string;
  kind: string;
  url: string | null;
  width?: number;
  height?: number;
  text?: string;
  error?: string;
}

/** Longest side of an example thumbnail in the guidelines, in CSS px. */
export const EXAMPLE_BOX = 96;

/** One example tile: a thumbnail, a text excerpt, or a placeholder for an item that cannot be shown. */
export function exampleTile(ex: ExampleItem): HTMLElement {
  const tile = h("div", { class: "wb-example", attrs: { "data-item-id": ex.item_id, "data-kind": ex.kind }, title: ex.item_id });
  if (ex.kind === "image" && ex.url) {
    const img = h("img", { class: "wb-example-img", attrs: { alt: ex.item_id, draggable: "false" } });
    img.src = ex.url;
    fitImage(img, ex.width ?? 0, ex.height ?? 0, EXAMPLE_BOX);
    tile.appendChild(img);
  } else if (ex.kind === "text") {
    tile.classList.add("wb-example-text");
    tile.textContent = ex.text ?? "";
  } else {
    tile.classList.add("wb-example-missing");
    tile.title = ex.error || `item ${ex.item_id} cannot be shown`;
    tile.append(h("span", { class: "wb-example-mark", text: "?" }), h("span", { class: "wb-example-id", text: ex.item_id }));
  }
  return tile;
}

/** The guidelines overlay: the Markdown guidelines plus every class with its key and description. */
export function guidelinesOverlay(
  guidelines: string,
  classes: ClassSpec[],
  extraKeys: [string, string][],
  onClose: () => void,
  /** Optional: the node showing a class's examples, put under its description. */
  examplesOf?: (c: ClassSpec) => HTMLElement | null,
): HTMLElement {
  const close = h("button", { class: "wb-close", text: "×", attrs: { type: "button", "aria-label": "Close guidelines" } });
  close.addEventListener("click", onClose);
  const body = h("div", { class: "wb-guidelines-body" });
  if (guidelines && guidelines.trim()) body.appendChild(renderMarkdown(guidelines));
  else body.appendChild(h("p", { class: "wb-muted", text: "No guidelines for this project yet." }));
  const table = h("div", { class: "wb-class-table" });
  for (const c of classes) {
    const row = h("div", { class: "wb-class-row" });
    row.append(classChip(c), h("span", { class: "wb-class-desc", text: c.description || "" }));
    const examples = examplesOf?.(c);
    if (examples) row.appendChild(examples);
    table.appendChild(row);
  }
  const keys = h("div", { class: "wb-keys-help" });
  for (const [k, what] of extraKeys) keys.append(h("kbd", { text: k }), h("span", { text: what }));
  return h("div", { class: "wb-overlay", attrs: { role: "dialog", "aria-label": "Guidelines" } }, [
    h("div", { class: "wb-overlay-head" }, [h("strong", { text: "Guidelines" }), close]),
    body,
    h("h4", { text: "Classes" }),
    table,
    h("h4", { text: "Keys" }),
    keys,
  ]);
}

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
 * whose effect the next paint shows is timed from its keydown to the first
 * animation frame with the new item in the DOM.
 */
export class PaintTimings {
  /** keydown timestamps of keys whose effect is not painted yet (one timing each). */
  private keys: number[] = [];
  private frames = new Set<number>();

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
   * `itemId` is painted: time the keys that led here at the next frame, or
   * now when `inFrame` (painted by an animation frame's callback: on screen
   * at the end of it).
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
    if (inFrame) {
      record();
      return;
    }
    const frame = raf(() => {
      this.frames.delete(frame);
      record();
    });
    this.frames.add(frame);
  }

  cancel(): void {
    for (const id of this.frames) cancelRaf(id);
    this.frames.clear();
  }
}

export function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

export function raf(cb: () => void): number {
  if (typeof requestAnimationFrame === "function") return requestAnimationFrame(cb);
  return setTimeout(cb, 16) as unknown as number;
}

export function cancelRaf(id: number): void {
  if (typeof cancelAnimationFrame === "function") cancelAnimationFrame(id);
  else clearTimeout(id);
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

/** Add a listener and record its removal in `cleanups` (run on destroy). */
export function listen(
  cleanups: (() => void)[],
  target: EventTarget,
  type: string,
  fn: (ev: Event) => void,
): void {
  target.addEventListener(type, fn);
  cleanups.push(() => target.removeEventListener(type, fn));
}
