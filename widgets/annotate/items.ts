/**
 * Items of the drawing widget and what this view holds per item. An `Item` is
 * the wire item with its image's bytes and decode state, its coordinate space
 * (the full image's size), its suggestions (the pre-label's shapes) and, in a
 * review of audit issues, its issue. `ItemShapes` keeps each item's shapes as
 * this view knows them (its own list, else the newest label for the item still
 * in the outbox, else the stored label), their undo history, the suggestions
 * dismissed, and which items this view labelled, changed or skipped.
 */

import type { BBox, Shape } from "../lib/geometry";
import { History } from "../lib/history";
import { toBytes, type LabelMessage, type WireItem } from "../lib/protocol";
import { parseShapes } from "./shapes";

/** One suspect of an audit (workbench.audit_shapes.shape_issues): a shape (or a model's overlooked one) or a class confusion. */
export interface Suspect {
  issue?: string;
  shape?: string;
  class?: string;
  suggested?: string;
  bbox?: BBox;
  score?: number;
  pixels?: number;
}

/** `item.issue` in a review of audit issues (AnnotateStream with `issues`). */
export interface IssueInfo {
  position?: number;
  total?: number;
  quality?: number;
  label?: string;
  suggested?: string;
  is_issue?: boolean;
  suspects?: Suspect[];
}

/** `none`: no bytes (or no decoder); `idle`: bytes, not decoded now. */
type ImageState = "none" | "idle" | "loading" | "ready" | "failed";

export interface Item extends WireItem {
  /** The coordinate space of shapes: the full image's size. */
  fullW: number;
  fullH: number;
  blob: Blob | null;
  image: CanvasImageSource | null;
  /** The image scaled down to at most PREVIEW_SIDE px (null when it is not larger): drawn
   * instead of `image` while the view shows fewer screen pixels than it has. */
  preview: CanvasImageSource | null;
  previewW: number;
  closeImage: (() => void) | null;
  imageState: ImageState;
  imageError: string;
  decodeGen: number;
  /** The bytes held are the full-size image. */
  isFull: boolean;
  fullAsk: { req: number; at: number } | null;
  fullFailed: boolean;
  suggestions: Shape[];
  /** Suggestions that arrived while the user was changing this item's shapes: shown when it is shown again. */
  laterPrelabel: WirePrelabel | null;
  /** Set when the item is served for a review of audit issues. */
  issue: IssueInfo | null;
}

function parseIssue(v: unknown): IssueInfo | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as IssueInfo;
  const suspects = Array.isArray(o.suspects) ? o.suspects.filter((x) => x && typeof x === "object") : [];
  return { ...o, suspects };
}

/** An item from the wire, with its image's bytes (copied out of `buffers`) not decoded yet. */
export function makeItem(w: WireItem, buffers: unknown[]): Item {
  const bytes = w.kind === "image" && w.buffer != null ? toBytes(buffers[w.buffer]) : null;
  // Copy: the widget manager may reuse the message's buffer.
  const blob = bytes && typeof Blob !== "undefined" ? new Blob([bytes.slice()], { type: w.mime || "image/png" }) : null;
  const num = (v: unknown): number => (typeof v === "number" && v > 0 ? v : 0);
  const fullW = num(w.full_width) || num(w.width);
  const fullH = num(w.full_height) || num(w.height);
  const pre = w.prelabel && typeof w.prelabel === "object" ? w.prelabel : null;
  return {
    ...w,
    fullW,
    fullH,
    blob,
    image: null,
    preview: null,
    previewW: 0,
    closeImage: null,
    imageState: blob ? "idle" : "none",
    imageError: "",
    decodeGen: 0,
    isFull: !!blob && (!num(w.full_width) || num(w.width) >= num(w.full_width)),
    fullAsk: null,
    fullFailed: false,
    suggestions: parseShapes(pre?.value, "p"),
    laterPrelabel: null,
    issue: parseIssue((w as { issue?: unknown }).issue),
  };
}

/** A model's suggestion as the kernel sends it: the shapes and the item's score. */
export interface WirePrelabel {
  value: unknown;
  score?: number | null;
}

/**
 * Suggestions stored after the item reached the view (a `prelabels` message):
 * they replace the item's suggestions, unless `editing` (the user has changed
 * the item's shapes, or is drawing, dragging or has a suggestion selected on
 * it), when they wait in `laterPrelabel` until the item is shown again
 * (`takeLaterPrelabel`). The user's own shapes are never touched. Returns
 * whether the suggestions shown changed.
 */
export function applyPrelabel(item: Item, pre: WirePrelabel | null | undefined, editing: boolean): boolean {
  if (!pre || typeof pre !== "object") return false;
  if (editing) {
    item.laterPrelabel = pre;
    return false;
  }
  item.laterPrelabel = null;
  item.prelabel = pre as Item["prelabel"];
  item.suggestions = parseShapes(pre.value, "p");
  return true;
}

/** Show the suggestions that waited while the user edited the item (it is shown afresh now). */
export function takeLaterPrelabel(item: Item): boolean {
  return item.laterPrelabel ? applyPrelabel(item, item.laterPrelabel, false) : false;
}

export interface Decoded {
  image: CanvasImageSource;
  width: number;
  height: number;
  preview: CanvasImageSource | null;
  previewW: number;
  close: () => void;
}

/** Longest side of the scaled-down copy of a large image: drawing a 4096² bitmap scaled
 * to a ~1000 px view on every frame costs far more than drawing this copy. */
export const PREVIEW_SIDE = 1536;

/** A copy of the image in `blob` (`w`×`h`) whose longer side is PREVIEW_SIDE, decoded and
 * scaled off the main thread; null when the image is not larger (or its size is unknown).
 * (Scaling an ImageBitmap already decoded runs on the main thread: ~30 ms for 2048².) */
async function previewOf(blob: Blob, w: number, h: number): Promise<ImageBitmap | null> {
  const side = Math.max(w, h);
  if (!(side > PREVIEW_SIDE)) return null;
  const k = PREVIEW_SIDE / side;
  try {
    return await createImageBitmap(blob, {
      resizeWidth: Math.max(1, Math.round(w * k)),
      resizeHeight: Math.max(1, Math.round(h * k)),
      resizeQuality: "medium",
    });
  } catch {
    return null; // a browser without resize options: draw the full bitmap
  }
}

/** Decode image bytes off the main thread where the browser can (createImageBitmap), with a
 * scaled-down preview of a large image (`w`×`h`: its size, when known); null where it
 * cannot decode at all (jsdom). */
export function decodeBlob(blob: Blob, w = 0, h = 0): Promise<Decoded> | null {
  if (typeof createImageBitmap === "function") {
    return Promise.all([createImageBitmap(blob), previewOf(blob, w, h)]).then(([b, p]) => ({
      image: b, width: b.width, height: b.height, preview: p, previewW: p ? p.width : 0,
      close: () => { b.close?.(); p?.close?.(); },
    }));
  }
  if (typeof URL !== "undefined" && typeof URL.createObjectURL === "function" && typeof Image !== "undefined") {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(blob);
      const img = new Image();
      img.onload = () => {
        URL.revokeObjectURL(url);
        const size = { width: img.naturalWidth, height: img.naturalHeight };
        resolve({ image: img, ...size, preview: null, previewW: 0, close: () => undefined });
      };
      img.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error("the image could not be decoded"));
      };
      img.src = url;
    });
  }
  return null;
}

/** Close a decoded image (its bytes stay, to decode again when needed). */
export function dropImage(item: Item): void {
  item.decodeGen++;
  item.closeImage?.();
  item.closeImage = null;
  item.image = null;
  item.preview = null;
  item.previewW = 0;
  if (item.imageState === "ready" || item.imageState === "loading") item.imageState = item.blob ? "idle" : "none";
}

/** The newest unacknowledged label of `task` for the item among outbox entries (any view's), or null. */
export function pendingShapes(entries: readonly LabelMessage[], task: string, itemId: string): Shape[] | null {
  let best: LabelMessage | null = null;
  for (const e of entries) {
    if (e.item_id === itemId && e.task === task && e.kind === "label" && Array.isArray(e.value)) best = e;
  }
  return best ? parseShapes(best.value) : null;
}

/** Each item's shapes, undo history and dismissed suggestions as this view knows them. */
export class ItemShapes {
  private lists = new Map<string, Shape[]>();
  private histories = new Map<string, History<Shape[]>>();
  private dismissed = new Map<string, Set<string>>();
  private sugCache: { list: Shape[]; item: Item; sugs: Shape[]; dismissed: number; out: Shape[] } | null = null;
  /** Items this view changed (a label sent for them). */
  readonly edited = new Set<string>();
  /** The item's state as this view knows it: a label (stored, pending or sent here) or a skip. */
  readonly local = new Map<string, "label" | "skip">();

  /** `pending(itemId)`: the newest label for the item still in the outbox, or null. */
  constructor(private readonly pending: (itemId: string) => Shape[] | null) {}

  /** The item's shapes: this view's list, else the newest pending snapshot, else its stored label. */
  of(item: Item): Shape[] {
    let list = this.lists.get(item.item_id);
    if (!list) {
      list = this.initial(item);
      this.lists.set(item.item_id, list);
    }
    return list;
  }

  /** This view's list for an item, if it has made one. */
  get(itemId: string): Shape[] | undefined {
    return this.lists.get(itemId);
  }

  /** An item arrived: make its list now, unless this view has one. */
  load(item: Item): void {
    if (!this.lists.has(item.item_id)) this.lists.set(item.item_id, this.initial(item));
  }

  set(itemId: string, list: Shape[]): void {
    this.lists.set(itemId, list);
  }

  private initial(item: Item): Shape[] {
    const pending = this.pending(item.item_id);
    if (pending) {
      this.local.set(item.item_id, "label");
      return pending;
    }
    if (item.state === "label") {
      this.local.set(item.item_id, "label");
      return parseShapes(item.label);
    }
    if (item.state === "skip") this.local.set(item.item_id, "skip");
    return [];
  }

  history(itemId: string): History<Shape[]> {
    let hist = this.histories.get(itemId);
    if (!hist) {
      hist = new History<Shape[]>();
      this.histories.set(itemId, hist);
    }
    return hist;
  }

  /** The ids of the item's suggestions this view dismissed (or merged into a semantic mask). */
  dismissedOf(itemId: string): Set<string> {
    let d = this.dismissed.get(itemId);
    if (!d) {
      d = new Set();
      this.dismissed.set(itemId, d);
    }
    return d;
  }

  /** Suggestions not accepted (no shape with their id) and not dismissed. */
  suggestions(item: Item): Shape[] {
    if (!item.suggestions.length) return item.suggestions;
    const list = this.of(item);
    const dismissed = this.dismissedOf(item.item_id);
    const c = this.sugCache;
    if (c && c.item === item && c.list === list && c.sugs === item.suggestions && c.dismissed === dismissed.size) return c.out;
    const ids = new Set(list.map((s) => s.id));
    const out = item.suggestions.filter((s) => !ids.has(s.id) && !dismissed.has(s.id));
    this.sugCache = { list, item, sugs: item.suggestions, dismissed: dismissed.size, out };
    return out;
  }
}

/** Put a decoded image on the item (shown from the next paint). */
export function setImage(item: Item, d: Decoded): void {
  item.image = d.image;
  item.preview = d.preview;
  item.previewW = d.previewW;
  item.closeImage = d.close;
  item.imageState = "ready";
}
