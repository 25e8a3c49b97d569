/**
 * Long texts painted a block at a time. The text is cut into blocks (at most
 * BLOCK_CHARS UTF-16 units each, after a line end, else after a space);
 * every block has a node, but only those near the visible part hold their
 * text: the others are empty boxes of their measured (or estimated) height,
 * so a 1,000,000-character document costs a few hundred empty nodes and a
 * few blocks of text, wherever it is scrolled to.
 *
 * A painted block is a row of segments: `span.wb-seg` with data-o / data-e
 * (its UTF-16 offsets in the whole text), the spans covering it
 * (data-spans, ids), the suggestion covering it (data-sugg) and the selection
 * (class wb-sel). After the last segment of a span or suggestion comes its
 * tag, `span.wb-tag` (data-span or data-sugg; not selectable, no offsets).
 */

import { colorRgb } from "../lib/colors";
import { afterPaint, h } from "../lib/dom";

const inks = new Map<string, string>();

/** Black or white, whichever reads better on `color` (a tag's text on its class colour). */
export function inkOn(color: string): string {
  let ink = inks.get(color);
  if (ink === undefined) {
    if (inks.size > 256) inks.clear();
    ink = computeInk(color);
    inks.set(color, ink);
  }
  return ink;
}

function computeInk(color: string): string {
  const lin = (v: number): number => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = colorRgb(color);
  const l = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

/** Most UTF-16 units in one block. */
export const BLOCK_CHARS = 500;
/** Blocks painted beyond the visible part, in pixels, above and below. */
export const MARGIN_PX = 800;
/** Height of the viewport when it has none (not laid out yet, jsdom). */
export const DEFAULT_VIEW_PX = 480;
const LINE_PX = 24;
const CHAR_PX = 8;

export interface Block {
  start: number;
  end: number;
}

/** Blocks covering `text` without gaps, each at most `max` UTF-16 units: cut after the last "\n" that fits, else after the last space, else at `max` (never inside a surrogate pair). */
export function splitBlocks(text: string, max = BLOCK_CHARS): Block[] {
  const out: Block[] = [];
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end: number;
    if (n - start <= max) end = n;
    else {
      // Search this block's window only: lastIndexOf from a position would scan
      // back to the text's start when the window has none (quadratic in blocks).
      const win = text.slice(start, start + max);
      const nl = win.lastIndexOf("\n");
      const sp = nl > 0 ? nl : win.lastIndexOf(" ");
      end = sp > 0 ? start + sp + 1 : start + max;
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff && end - 1 > start) end -= 1; // keep the pair whole
    }
    out.push({ start, end });
    start = end;
  }
  if (!out.length) out.push({ start: 0, end: 0 });
  return out;
}

/** A mark painted over the text: a span, a suggestion or the selection, in UTF-16 offsets. */
export interface Mark {
  start: number;
  end: number;
  kind: "span" | "sugg" | "sel";
  id: string;
  cls: string;
  color: string;
  /** Tag text after the mark's end (class name, score); none for the selection. */
  tag?: string;
  selected?: boolean;
}

/** Index of the block holding UTF-16 offset `u`. */
export function blockAt(blocks: Block[], u: number): number {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].start <= u) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The marks that touch block `b` (a mark ending at its start does not; one ending at its end does, for its tag). */
export function marksIn(b: Block, marks: Mark[]): Mark[] {
  return marks.filter((m) => m.start < b.end && m.end > b.start);
}

/** What a block's paint depends on besides its text: equal keys, equal paints. */
function marksKey(inside: Mark[]): string {
  return inside.map((m) => `${m.start},${m.end},${m.kind},${m.id},${m.cls},${m.color},${m.tag ?? ""},${m.selected ? 1 : 0}`).join(";");
}

/** Paint block `b` of `text` into `node` with the marks that touch it (`marks` sorted by start). */
export function paintBlock(node: HTMLElement, text: string, b: Block, marks: Mark[]): void {
  const inside = marksIn(b, marks);
  const cuts = new Set<number>([b.start, b.end]);
  for (const m of inside) {
    if (m.start > b.start) cuts.add(m.start);
    if (m.end < b.end) cuts.add(m.end);
  }
  const points = [...cuts].sort((x, y) => x - y);
  const kids: Node[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const s = points[i];
    const e = points[i + 1];
    const over = inside.filter((m) => m.start <= s && m.end >= e);
    const seg = h("span", { class: "wb-seg", text: text.slice(s, e), attrs: { "data-o": String(s), "data-e": String(e) } });
    const spans = over.filter((m) => m.kind === "span");
    const sugg = over.find((m) => m.kind === "sugg");
    if (spans.length) {
      const top = spans[spans.length - 1];
      seg.classList.add("wb-ent");
      seg.dataset.spans = spans.map((m) => m.id).join(" ");
      seg.style.setProperty("--wb-ent", top.color);
      if (spans.length > 1) seg.classList.add("wb-nested");
      if (spans.some((m) => m.selected)) seg.classList.add("wb-picked");
    }
    if (sugg) {
      seg.classList.add("wb-sugg-seg");
      seg.dataset.sugg = sugg.id;
      seg.style.setProperty("--wb-sugg", sugg.color);
      if (sugg.selected) seg.classList.add("wb-picked");
    }
    if (over.some((m) => m.kind === "sel")) seg.classList.add("wb-sel");
    kids.push(seg);
    for (const m of inside) {
      if (m.end === e && m.tag !== undefined) {
        const tag = h("span", { class: `wb-tag wb-tag-${m.kind}`, text: m.tag, attrs: { contenteditable: "false", "aria-hidden": "true" } });
        tag.dataset[m.kind === "span" ? "span" : "sugg"] = m.id;
        tag.style.setProperty("--wb-ent", m.color);
        tag.style.setProperty("--wb-ent-ink", inkOn(m.color));
        if (m.selected) tag.classList.add("wb-picked");
        kids.push(tag);
      }
    }
  }
  node.replaceChildren(...kids);
}

/**
 * The blocks of one text in a scrolling box, painted near the visible part
 * only (`update`, on scroll and after each change).
 */
export class BlockView {
  readonly blocks: Block[];
  readonly nodes: HTMLElement[];
  private readonly heights: Float64Array;
  private readonly painted = new Set<number>();
  /**
   * Pixels painted beyond the visible part, above and below. A view opening a
   * document sets 0 for its first paint (what is seen, soonest) and calls
   * `widen()` after it.
   */
  margin = MARGIN_PX;
  /** The marks key (`marksKey`) each painted block was painted with. */
  private readonly keys = new Map<number, string>();
  private marks: Mark[] = [];
  /** Cancels the measuring scheduled after the next paint, when one is. */
  private stopMeasure: (() => void) | null = null;

  constructor(
    readonly text: string,
    readonly scroller: HTMLElement,
    readonly content: HTMLElement,
  ) {
    // Emptied first: reading the box's width below lays the page out, and the
    // previous document's painted blocks would be laid out for nothing.
    content.replaceChildren();
    this.blocks = splitBlocks(text);
    const perLine = Math.max(20, Math.floor((scroller.clientWidth || 640) / CHAR_PX));
    this.heights = new Float64Array(this.blocks.length);
    // One pass over the line ends for all blocks (a search per block would scan to
    // the text's end each time when the rest has none).
    let nl = text.indexOf("\n");
    this.nodes = this.blocks.map((b, i) => {
      let breaks = 0;
      while (nl !== -1 && nl < b.end) {
        if (nl >= b.start) breaks++;
        nl = text.indexOf("\n", nl + 1);
      }
      const lines = Math.max(1, Math.ceil((b.end - b.start) / perLine) + breaks);
      this.heights[i] = lines * LINE_PX;
      const node = h("div", { class: "wb-block", attrs: { "data-b": String(i), "data-o": String(b.start), "data-e": String(b.end) } });
      node.style.minHeight = `${this.heights[i]}px`;
      return node;
    });
    content.replaceChildren(...this.nodes);
  }

  /** Blocks painted now (their indexes, ascending). */
  paintedBlocks(): number[] {
    return [...this.painted].sort((a, b) => a - b);
  }

  /** The range of blocks to paint for the scroll position now. */
  wanted(): [number, number] {
    const top = this.scroller.scrollTop - this.margin;
    const bottom = this.scroller.scrollTop + (this.scroller.clientHeight || DEFAULT_VIEW_PX) + this.margin;
    let y = 0;
    let first = -1;
    let last = this.blocks.length - 1;
    for (let i = 0; i < this.blocks.length; i++) {
      const hgt = this.heights[i];
      if (first === -1 && y + hgt >= top) first = i;
      if (y > bottom) {
        last = i - 1;
        break;
      }
      y += hgt;
    }
    if (first === -1) first = Math.max(0, this.blocks.length - 1);
    return [first, Math.max(first, last)];
  }

  /**
   * New marks: repaint the painted blocks whose marks changed (an edit touches one
   * or two); a view with none painted yet paints what is seen. Either way the
   * blocks are measured after the frame is painted, when reading their heights
   * costs nothing: measured here, in the key's handler, the page would be laid
   * out once for the reading and again, for the frame.
   */
  setMarks(marks: Mark[]): void {
    this.marks = [...marks].sort((a, b) => a.start - b.start);
    let changed = false;
    for (const i of this.painted) {
      const inside = marksIn(this.blocks[i], this.marks);
      const key = marksKey(inside);
      if (key !== this.keys.get(i)) {
        this.paint(i, inside, key);
        changed = true;
      }
    }
    if (!this.painted.size) changed = this.update(false) || changed;
    if (changed) this.measureSoon();
  }

  /** Measure the painted blocks (and paint what that brings into view) after the next paint. */
  private measureSoon(): void {
    if (this.stopMeasure) return;
    this.stopMeasure = afterPaint(() => {
      this.stopMeasure = null;
      this.update();
    });
  }

  /** Drop what is scheduled (the view shows another document, or closes). */
  cancel(): void {
    this.stopMeasure?.();
    this.stopMeasure = null;
  }

  /** Paint MARGIN_PX beyond the visible part from now on (after a first paint of what is seen). */
  widen(): boolean {
    if (this.margin === MARGIN_PX) return false;
    this.margin = MARGIN_PX;
    return this.update();
  }

  /**
   * Paint the blocks near the visible part and empty the others; true when
   * something changed. `measure`: read the painted blocks' heights now (false:
   * the caller measures after the paint).
   */
  update(measure = true): boolean {
    const [first, last] = this.wanted();
    let changed = false;
    for (const i of [...this.painted]) {
      if (i < first || i > last) {
        this.measure(i);
        this.nodes[i].replaceChildren();
        this.nodes[i].style.minHeight = `${this.heights[i]}px`;
        this.painted.delete(i);
        this.keys.delete(i);
        changed = true;
      }
    }
    for (let i = first; i <= last; i++) {
      if (!this.painted.has(i)) {
        this.paint(i);
        this.painted.add(i);
        changed = true;
      }
    }
    if (measure) for (let i = first; i <= last; i++) this.measure(i);
    return changed;
  }

  /** Paint block `i` with `inside`, the marks that touch it, and remember their key (both worked out here when not given). */
  private paint(i: number, inside = marksIn(this.blocks[i], this.marks), key = marksKey(inside)): void {
    const node = this.nodes[i];
    node.style.minHeight = "";
    paintBlock(node, this.text, this.blocks[i], inside);
    this.keys.set(i, key);
  }

  private measure(i: number): void {
    const hgt = this.nodes[i].offsetHeight;
    if (hgt > 0) this.heights[i] = hgt;
  }

  /** The top of block `i` in the scrolling box's content. */
  topOf(i: number): number {
    let y = 0;
    for (let k = 0; k < i; k++) y += this.heights[k];
    return y;
  }

  /** Scroll so that UTF-16 offset `u` is in view (when it is not). */
  reveal(u: number): void {
    const i = blockAt(this.blocks, u);
    const top = this.topOf(i);
    const view = this.scroller.clientHeight || DEFAULT_VIEW_PX;
    const st = this.scroller.scrollTop;
    if (top + this.heights[i] < st || top > st + view) {
      this.scroller.scrollTop = Math.max(0, top - view / 3);
      this.update();
    }
  }
}

/**
 * A DOM point (a selection's anchor or focus) as a UTF-16 offset in the whole
 * text, or null when it is outside the text. Tags count as the end of their
 * span; an empty (not painted) block as its start.
 */
export function domOffset(container: Node, offset: number): number | null {
  let node: Node | null = container;
  if (node.nodeType === 3) {
    const parent = node.parentElement;
    if (!parent) return null;
    const seg = parent.closest(".wb-seg") as HTMLElement | null;
    if (seg && !parent.closest(".wb-tag")) return Number(seg.dataset.o) + Math.min(offset, (node.textContent ?? "").length);
    node = parent;
    offset = 0;
  }
  const el = node as HTMLElement;
  const tag = el.closest?.(".wb-tag") as HTMLElement | null;
  if (tag) {
    const prev = tag.previousElementSibling as HTMLElement | null;
    let p: HTMLElement | null = prev;
    while (p && !p.classList.contains("wb-seg")) p = p.previousElementSibling as HTMLElement | null;
    return p ? Number(p.dataset.e) : null;
  }
  if (el.classList?.contains("wb-seg")) return offset > 0 ? Number(el.dataset.e) : Number(el.dataset.o);
  if (el.classList?.contains("wb-block")) {
    const kids = [...el.children] as HTMLElement[];
    const segs = kids.filter((k) => k.classList.contains("wb-seg"));
    if (!segs.length) return Number(el.dataset.o);
    const after = kids.slice(offset).find((k) => k.classList.contains("wb-seg"));
    return after ? Number(after.dataset.o) : Number(el.dataset.e);
  }
  if (el.classList?.contains("wb-text-content")) {
    const blocks = [...el.children] as HTMLElement[];
    const b = blocks[Math.min(offset, blocks.length - 1)];
    if (!b) return null;
    return offset >= blocks.length ? Number(b.dataset.e) : Number(b.dataset.o);
  }
  return null;
}
