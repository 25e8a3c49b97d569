/**
 * COCO run-length encoding of binary masks, byte-identical to
 * workbench/masks.py (and so to pycocotools), and the brush operations of the
 * mask tool.
 *
 * A mask here is a row-major `Uint8Array` of `h * w` pixels (index `y * w + x`,
 * nonzero = in). Its RLE lists the lengths of alternating runs of 0s and 1s in
 * column-major order, starting with 0s; `counts` is COCO's compressed string:
 * each run minus the run two before it (from the fourth on) in signed 5-bit
 * groups, least significant first, `chr(48 + group)`, bit 0x20 on all groups
 * but the last.
 *
 * Pixel (x, y) covers [x, x + 1) x [y, y + 1) in image coordinates; the brush
 * tests pixel centres (x + 0.5, y + 0.5). Everything works on typed arrays and
 * row spans: no per-pixel objects, no per-pixel square roots.
 */

import type { BBox } from "./geometry";

export interface Rle {
  size: [number, number]; // [h, w]
  counts: string;
}

/** A dirty rectangle `[x0, y0, x1, y1]`, end-exclusive, in pixels. */
export type Rect = [number, number, number, number];

// Above this a count does not fit the 32-bit fast path of the string coder.
const INT30 = 0x40000000;
// A count never needs more than 12 groups (60 bits), as in workbench/masks.py.
const MAX_GROUPS = 12;

function checkSize(h: number, w: number): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) {
    throw new RangeError(`mask size must be two ints >= 0; got h=${h}, w=${w}`);
  }
}

// ---------------------------------------------------------------------------
// the compressed string form

/** COCO's compressed string of a list of run lengths (any array-like of ints). */
export function runsToCounts(runs: ArrayLike<number>): string {
  const m = runs.length;
  let buf = new Uint8Array(m * 2 + 16);
  let p = 0;
  for (let i = 0; i < m; i++) {
    let x = runs[i];
    if (i > 2) x -= runs[i - 2];
    if (p + MAX_GROUPS > buf.length) {
      const grown = new Uint8Array(buf.length * 2);
      grown.set(buf);
      buf = grown;
    }
    if (x > -INT30 && x < INT30) {
      for (;;) {
        let c = x & 0x1f;
        x >>= 5;
        const more = c & 0x10 ? x !== -1 : x !== 0;
        if (more) c |= 0x20;
        buf[p++] = c + 48;
        if (!more) break;
      }
    } else {
      // Same groups with float arithmetic: floor division is an arithmetic shift.
      for (;;) {
        const q = Math.floor(x / 32);
        let c = x - q * 32;
        x = q;
        const more = c & 0x10 ? x !== -1 : x !== 0;
        if (more) c |= 0x20;
        buf[p++] = c + 48;
        if (!more) break;
      }
    }
  }
  return ascii(buf, p);
}

function ascii(buf: Uint8Array, n: number): string {
  if (typeof TextDecoder !== "undefined") return new TextDecoder().decode(buf.subarray(0, n));
  let s = "";
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode(...buf.subarray(i, Math.min(n, i + 8192)));
  return s;
}

/**
 * Run lengths of a compressed counts string. Throws an `Error` naming the
 * position of a character outside '0'..'o', or when the string is truncated.
 */
export function countsToRuns(s: string): number[] {
  const runs: number[] = [];
  const n = s.length;
  let p = 0;
  while (p < n) {
    let x = 0;
    let mul = 1;
    let k = 0;
    for (;;) {
      if (p >= n) throw new Error("RLE counts string is truncated: its last character continues a value");
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        throw new Error(`RLE counts string has an invalid character ${JSON.stringify(s[p])} at position ${p} (allowed: '0' to 'o')`);
      }
      p++;
      x += (c & 0x1f) * mul;
      mul *= 32;
      if (++k > MAX_GROUPS) throw new Error(`RLE counts string: value ${runs.length} is too large`);
      if (!(c & 0x20)) {
        if (c & 0x10) x -= mul;
        break;
      }
    }
    const m = runs.length;
    runs.push(m > 2 ? x + runs[m - 2] : x);
  }
  return runs;
}

// ---------------------------------------------------------------------------
// parsed runs, cached per Rle object (shapes are immutable values)

interface Parsed {
  counts: string;
  h: number;
  w: number;
  runs: number[];
  /** bounds[k] = start of run k (column-major); bounds[runs.length] = h * w. */
  bounds: Float64Array;
  area: number;
  bbox: BBox;
}

const parsedCache = new WeakMap<object, Parsed>();

function parse(rle: Rle): Parsed {
  const hit = parsedCache.get(rle);
  if (hit && hit.counts === rle.counts && hit.h === rle.size?.[0] && hit.w === rle.size?.[1]) return hit;
  if (!rle || !Array.isArray(rle.size) || rle.size.length !== 2) {
    throw new Error(`RLE 'size' must be [h, w]; got ${JSON.stringify(rle?.size)}`);
  }
  const [h, w] = rle.size;
  checkSize(h, w);
  const raw = rle.counts as unknown;
  let runs: number[];
  if (typeof raw === "string") runs = countsToRuns(raw);
  else if (Array.isArray(raw)) runs = raw.map(Number);
  else throw new Error("RLE counts must be a string or a list of ints");
  const bounds = new Float64Array(runs.length + 1);
  let total = 0;
  let area = 0;
  for (let k = 0; k < runs.length; k++) {
    const r = runs[k];
    if (!Number.isInteger(r) || r < 0) throw new Error(`RLE counts must be ints >= 0; run ${k} is ${r}`);
    bounds[k] = total;
    total += r;
    if (k & 1) area += r;
  }
  bounds[runs.length] = total;
  if (total !== h * w) throw new Error(`RLE counts sum to ${total}, but size [${h}, ${w}] has ${h * w} pixels`);
  const out: Parsed = { counts: rle.counts, h, w, runs, bounds, area, bbox: bboxOfRuns(runs, bounds, h) };
  parsedCache.set(rle, out);
  return out;
}

function bboxOfRuns(runs: number[], bounds: Float64Array, h: number): BBox {
  let xs = Infinity, xe = -Infinity, ys = Infinity, ye = -Infinity;
  for (let k = 1; k < runs.length; k += 2) {
    if (runs[k] === 0) continue;
    const s = bounds[k];
    const e = s + runs[k] - 1; // last pixel of the run
    const x0 = Math.floor(s / h), y0 = s - x0 * h;
    const x1 = Math.floor(e / h), y1 = e - x1 * h;
    if (x1 > x0) {
      // A run into the next column covers row h - 1 and row 0.
      ys = 0;
      ye = h - 1;
    } else {
      if (y0 < ys) ys = y0;
      if (y1 > ye) ye = y1;
    }
    if (x0 < xs) xs = x0;
    if (x1 > xe) xe = x1;
  }
  if (xs === Infinity) return [0, 0, 0, 0];
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

// ---------------------------------------------------------------------------
// public API

/**
 * COCO RLE of a row-major mask (`mask[y * w + x]`, nonzero = in); `counts` is
 * byte for byte what workbench.masks.encode (and pycocotools) writes.
 */
export function encode(mask: Uint8Array, h: number, w: number): Rle {
  checkSize(h, w);
  const n = h * w;
  if (mask.length < n) throw new RangeError(`mask has ${mask.length} pixels, fewer than h * w = ${n}`);
  return { size: [h, w], counts: runsToCounts(maskRuns(mask, h, w)) };
}

/** Column-major run lengths of a row-major mask, starting with 0s (workbench.masks' `_mask_counts`). */
export function maskRuns(mask: Uint8Array, h: number, w: number): number[] {
  const n = h * w;
  if (n === 0) return [0];
  // A run starts where a pixel differs from its column-major predecessor: the
  // pixel above it, or for row 0 the bottom of the previous column. Rows are
  // compared a word at a time (copied into padded buffers so that words
  // align), which skips uniform stretches fast; the change positions, found in
  // row order, are then sorted by column with a counting sort.
  const stride = (w + 3) & ~3;
  const words = stride >> 2;
  let prev = new Uint8Array(stride);
  let cur = new Uint8Array(stride);
  let prevW = new Uint32Array(prev.buffer);
  let curW = new Uint32Array(cur.buffer);
  const perColumn = new Int32Array(w);
  let pos: Int32Array | Float64Array = n < 0x7fffffff ? new Int32Array(1024) : new Float64Array(1024);
  let count = 0;
  const grow = (): void => {
    const bigger = new (pos.constructor as Int32ArrayConstructor)(pos.length * 2);
    bigger.set(pos);
    pos = bigger;
  };
  const last = (h - 1) * w;
  for (let x = 0; x < w; x++) {
    const before = x === 0 ? false : mask[last + x - 1] !== 0;
    if ((mask[x] !== 0) !== before) {
      if (count === pos.length) grow();
      pos[count++] = x * h;
      perColumn[x]++;
    }
  }
  prev.set(mask.subarray(0, w));
  for (let y = 1; y < h; y++) {
    cur.set(mask.subarray(y * w, y * w + w));
    for (let k = 0; k < words; k++) {
      if (prevW[k] === curW[k]) continue;
      const xe = Math.min(w, 4 * k + 4);
      for (let x = 4 * k; x < xe; x++) {
        if ((prev[x] !== 0) !== (cur[x] !== 0)) {
          if (count === pos.length) grow();
          pos[count++] = x * h + y;
          perColumn[x]++;
        }
      }
    }
    const t = prev, tw = prevW;
    prev = cur;
    prevW = curW;
    cur = t;
    curW = tw;
  }
  const next = new Float64Array(w);
  for (let x = 1; x < w; x++) next[x] = next[x - 1] + perColumn[x - 1];
  const sorted = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = pos[i];
    sorted[next[Math.floor(p / h)]++] = p;
  }
  const runs: number[] = new Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    runs[i] = sorted[i] - at;
    at = sorted[i];
  }
  runs[count] = n - at;
  return runs;
}

/** The row-major 0/1 mask (`h * w`, index `y * w + x`) of an RLE. Throws on a malformed RLE. */
export function decode(rle: Rle): Uint8Array {
  const { h, w, runs, bounds, area } = parse(rle);
  const n = h * w;
  const out = new Uint8Array(n);
  if (area === 0) return out;
  if (area === n) return out.fill(1);
  // Row 0 gets each column's first value; below it, every run boundary flips
  // the pixel it falls on (two boundaries at one place, a zero-length run,
  // cancel). A prefix XOR down the columns, a word per 4 pixels on rows
  // padded to whole words, then turns the flips into values.
  const stride = (w + 3) & ~3;
  const grid = stride === w ? out : new Uint8Array(h * stride);
  for (let k = 1; k < runs.length; k++) {
    const p = bounds[k];
    if (p >= n) break;
    const x = Math.floor(p / h);
    const y = p - x * h;
    if (y > 0) grid[y * stride + x] ^= 1;
  }
  for (let x = 0, k = 0; x < w; x++) {
    const q = x * h;
    while (k + 1 < runs.length && bounds[k + 1] <= q) k++;
    grid[x] = k & 1;
  }
  const g = new Uint32Array(grid.buffer, grid.byteOffset, (h * stride) >> 2);
  const rowWords = stride >> 2;
  for (let i = rowWords; i < g.length; i++) g[i] ^= g[i - rowWords];
  if (grid !== out) for (let y = 0; y < h; y++) out.set(grid.subarray(y * stride, y * stride + w), y * w);
  return out;
}

/** Number of foreground pixels, from the runs (no decoding). */
export function area(rle: Rle): number {
  return parse(rle).area;
}

/**
 * Tight bounding box `[x, y, w, h]` of the foreground, whole pixels, from the
 * runs (as workbench.masks.to_bbox and pycocotools); `[0, 0, 0, 0]` when empty.
 */
export function toBbox(rle: Rle): BBox {
  const b = parse(rle).bbox;
  return [b[0], b[1], b[2], b[3]];
}

/** The mask's value (0 or 1) at image point (x, y): the pixel containing it; 0 outside the image. */
export function valueAt(rle: Rle, x: number, y: number): 0 | 1 {
  const { h, w, runs, bounds } = parse(rle);
  const xi = Math.floor(x), yi = Math.floor(y);
  if (!(xi >= 0 && xi < w && yi >= 0 && yi < h)) return 0;
  const idx = xi * h + yi;
  // The last run starting at or before idx (zero-length runs are stepped over).
  let lo = 0, hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= idx) lo = mid;
    else hi = mid - 1;
  }
  return (lo & 1) as 0 | 1;
}

/**
 * The RLE shifted by (round(dx), round(dy)) whole pixels, clipped at the image
 * edge, computed on the runs (cost grows with runs and columns, not pixels).
 */
export function translateRle(rle: Rle, dx: number, dy: number): Rle {
  const { h, w, runs, bounds } = parse(rle);
  dx = Math.round(dx);
  dy = Math.round(dy);
  const n = h * w;
  // Output 1-segments [a, b) in column-major order; touching ones merge.
  const out: number[] = [];
  let written = 0; // pixels covered by `out`
  let a0 = -1;
  let b0 = -1;
  const flush = (): void => {
    out.push(a0 - written, b0 - a0);
    written = b0;
  };
  for (let k = 1; k < runs.length; k += 2) {
    if (!runs[k]) continue;
    const s = bounds[k];
    const e = s + runs[k];
    const xa = Math.max(Math.floor(s / h), -dx);
    const xb = Math.min(Math.floor((e - 1) / h), w - 1 - dx);
    for (let x = xa; x <= xb; x++) {
      const col = x * h;
      const ya = Math.max((s > col ? s - col : 0) + dy, 0);
      const yb = Math.min((e < col + h ? e - col : h) + dy, h);
      if (ya >= yb) continue;
      const a = (x + dx) * h + ya;
      if (a === b0) {
        b0 = a + yb - ya;
        continue;
      }
      if (a0 >= 0) flush();
      a0 = a;
      b0 = a + yb - ya;
    }
  }
  if (a0 < 0) return { size: [h, w], counts: runsToCounts([n]) };
  flush();
  if (n > written) out.push(n - written);
  return { size: [h, w], counts: runsToCounts(out) };
}

// ---------------------------------------------------------------------------
// brush

function fillSpan(mask: Uint8Array, w: number, y: number, lo: number, hi: number, value: 0 | 1, dirty: Rect): void {
  // Pixels whose centres x + 0.5 lie in [lo, hi].
  const xa = Math.max(0, Math.ceil(lo - 0.5));
  const xb = Math.min(w - 1, Math.floor(hi - 0.5));
  if (xa > xb) return;
  mask.fill(value, y * w + xa, y * w + xb + 1);
  if (xa < dirty[0]) dirty[0] = xa;
  if (xb + 1 > dirty[2]) dirty[2] = xb + 1;
  if (y < dirty[1]) dirty[1] = y;
  if (y + 1 > dirty[3]) dirty[3] = y + 1;
}

function setPixel(mask: Uint8Array, w: number, h: number, x: number, y: number, value: 0 | 1, dirty: Rect): void {
  const xi = Math.floor(x), yi = Math.floor(y);
  if (xi < 0 || xi >= w || yi < 0 || yi >= h) return;
  fillSpan(mask, w, yi, xi + 0.5, xi + 0.5, value, dirty);
}

function newDirty(): Rect {
  return [Infinity, Infinity, -Infinity, -Infinity];
}

function result(d: Rect): Rect | null {
  return d[0] === Infinity ? null : d;
}

/**
 * Set to `value` the pixels whose centres lie within `r` of (cx, cy), and
 * always the pixel containing (cx, cy), so a small brush never paints nothing.
 * One square root per row. Returns the dirty rectangle `[x0, y0, x1, y1]`
 * (end-exclusive) of the pixels written, or null when none is in the image.
 */
export function paintDisc(mask: Uint8Array, w: number, h: number, cx: number, cy: number, r: number, value: 0 | 1): Rect | null {
  const dirty = newDirty();
  r = Math.max(0, r);
  const r2 = r * r;
  const ya = Math.max(0, Math.ceil(cy - r - 0.5));
  const yb = Math.min(h - 1, Math.floor(cy + r - 0.5));
  for (let y = ya; y <= yb; y++) {
    const dy = y + 0.5 - cy;
    const q = r2 - dy * dy;
    if (q < 0) continue;
    const half = Math.sqrt(q);
    fillSpan(mask, w, y, cx - half, cx + half, value, dirty);
  }
  setPixel(mask, w, h, cx, cy, value, dirty);
  return result(dirty);
}

/**
 * A brush stroke between two pointer samples: the pixels whose centres lie
 * within `r` of the segment (x0, y0)-(x1, y1) (a capsule), and the pixels
 * containing both end points. Per row the capsule is one interval, found in
 * closed form. Returns the dirty rectangle as {@link paintDisc}.
 */
export function paintSegment(
  mask: Uint8Array, w: number, h: number,
  x0: number, y0: number, x1: number, y1: number,
  r: number, value: 0 | 1,
): Rect | null {
  const ex = x1 - x0, ey = y1 - y0;
  const len2 = ex * ex + ey * ey;
  if (len2 === 0) return paintDisc(mask, w, h, x0, y0, r, value);
  r = Math.max(0, r);
  const r2 = r * r;
  const len = Math.sqrt(len2);
  const dirty = newDirty();
  const ya = Math.max(0, Math.ceil(Math.min(y0, y1) - r - 0.5));
  const yb = Math.min(h - 1, Math.floor(Math.max(y0, y1) + r - 0.5));
  for (let y = ya; y <= yb; y++) {
    const yc = y + 0.5;
    let lo = Infinity, hi = -Infinity;
    // The two end discs.
    for (let e = 0; e < 2; e++) {
      const px = e ? x1 : x0, dy = yc - (e ? y1 : y0);
      const q = r2 - dy * dy;
      if (q < 0) continue;
      const half = Math.sqrt(q);
      if (px - half < lo) lo = px - half;
      if (px + half > hi) hi = px + half;
    }
    // The band: 0 <= t(x) <= len2 and |c(x)| <= r * len, both linear in x:
    // t(x) = (x - x0) ex + (yc - y0) ey, c(x) = (x - x0) ey - (yc - y0) ex.
    let blo = -Infinity, bhi = Infinity;
    const ty = (yc - y0) * ey;
    if (ex !== 0) {
      const a = x0 - ty / ex, b = x0 + (len2 - ty) / ex;
      blo = Math.max(blo, Math.min(a, b));
      bhi = Math.min(bhi, Math.max(a, b));
    } else if (ty < 0 || ty > len2) {
      blo = Infinity;
    }
    const cy = (yc - y0) * ex, rl = r * len;
    if (ey !== 0) {
      const a = x0 + (cy - rl) / ey, b = x0 + (cy + rl) / ey;
      blo = Math.max(blo, Math.min(a, b));
      bhi = Math.min(bhi, Math.max(a, b));
    } else if (Math.abs(cy) > rl) {
      blo = Infinity;
    }
    if (blo <= bhi) {
      if (blo < lo) lo = blo;
      if (bhi > hi) hi = bhi;
    }
    if (lo <= hi) fillSpan(mask, w, y, lo, hi, value, dirty);
  }
  setPixel(mask, w, h, x0, y0, value, dirty);
  setPixel(mask, w, h, x1, y1, value, dirty);
  return result(dirty);
}

/**
 * Set to `value` the pixels whose centres lie inside a polygon (even-odd
 * rule, scanlines through pixel centres): polygon-to-mask conversion and
 * lasso fills. Returns the dirty rectangle as {@link paintDisc}.
 */
export function fillPolygon(mask: Uint8Array, w: number, h: number, points: number[][], value: 0 | 1): Rect | null {
  const dirty = newDirty();
  const m = points.length;
  if (m < 3) return null;
  let ymin = Infinity, ymax = -Infinity;
  for (const p of points) {
    if (p[1] < ymin) ymin = p[1];
    if (p[1] > ymax) ymax = p[1];
  }
  const ya = Math.max(0, Math.ceil(ymin - 0.5));
  const yb = Math.min(h - 1, Math.floor(ymax - 0.5));
  const xs = new Float64Array(m);
  for (let y = ya; y <= yb; y++) {
    const yc = y + 0.5;
    let k = 0;
    for (let i = 0, j = m - 1; i < m; j = i++) {
      const ay = points[j][1], by = points[i][1];
      if (ay > yc !== by > yc) {
        const ax = points[j][0];
        xs[k++] = ax + ((yc - ay) * (points[i][0] - ax)) / (by - ay);
      }
    }
    const row = xs.subarray(0, k).sort();
    // Pixels with centres in [left crossing, right crossing).
    for (let i = 0; i + 1 < k; i += 2) {
      const xa = Math.max(0, Math.ceil(row[i] - 0.5));
      const xb = Math.min(w, Math.ceil(row[i + 1] - 0.5));
      if (xa < xb) fillSpan(mask, w, y, xa + 0.5, xb - 0.5, value, dirty);
    }
  }
  return result(dirty);
}
