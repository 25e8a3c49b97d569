/**
 * What a shape is drawn with, made once per shape object (shapes are
 * immutable, so the caches are WeakMaps keyed by the shape): one Path2D for its
 * fill and one for its outline in image coordinates, a mask's pixels as a
 * canvas the size of its bounding box in the class colour, and each class's
 * colour. Also the Path2D builders the overlay's drafts share.
 */

import { colorRgb, FALLBACK_COLOR } from "../lib/colors";
import type { Shape } from "../lib/geometry";
import { countsToRuns, toBbox as rleBbox, type Rle } from "../lib/rle";
import { skeletonOf, type ShapesSpec } from "./shapes";

export type Rgb = [number, number, number];

export const MASK_ALPHA = 0.45;

interface Paths {
  fill: Path2D | null;
  stroke: Path2D | null;
}

interface MaskRender {
  canvas: HTMLCanvasElement;
  x: number;
  y: number;
}

/** A class colour as RGB: hex or a CSS named colour, anything else the fallback grey (lib/colors safeColor). */
export function classRgb(color: unknown): Rgb {
  return colorRgb(color);
}

export function rgba(rgb: Rgb, a: number): string {
  return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`;
}

/** The points of a polygon in the orientation of `rect` (positive shoelace with y down), so combined fills never cancel out. */
function oriented(points: number[][]): number[][] {
  let s = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) s += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  return s < 0 ? points.slice().reverse() : points;
}

export function hasPath2D(): boolean {
  return typeof Path2D !== "undefined";
}

export function pathOf(points: number[][], closed: boolean, into?: Path2D): Path2D {
  const p = into ?? new Path2D();
  if (!points.length) return p;
  p.moveTo(points[0][0], points[0][1]);
  for (let i = 1; i < points.length; i++) p.lineTo(points[i][0], points[i][1]);
  if (closed) p.closePath();
  return p;
}

/** A cuboid's outline: the front face, then (when given) the back face and the edges joining their corners. */
export function cuboidPath(front: number[][], back: number[][] | null): Path2D {
  const p = pathOf(front, true);
  if (!back) return p;
  pathOf(back, true, p);
  for (let i = 0; i < Math.min(front.length, back.length); i++) {
    p.moveTo(front[i][0], front[i][1]);
    p.lineTo(back[i][0], back[i][1]);
  }
  return p;
}

/** A skeleton's edges between labelled keypoints (v > 0), or null when none is drawn. */
export function skeletonPath(points: number[][], edges: [number, number][]): Path2D | null {
  let p: Path2D | null = null;
  for (const [a, b] of edges) {
    const qa = points[a], qb = points[b];
    if (!qa || !qb || !qa[2] || !qb[2]) continue;
    p ??= new Path2D();
    p.moveTo(qa[0], qa[1]);
    p.lineTo(qb[0], qb[1]);
  }
  return p;
}

/** A dot of radius r at q, added to p. */
export function addDot(p: Path2D, q: number[], r: number): void {
  p.moveTo(q[0] + r, q[1]);
  p.arc(q[0], q[1], r, 0, Math.PI * 2);
}

export function copyPath(p: Path2D): Path2D {
  const out = new Path2D();
  out.addPath(p);
  return out;
}

export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return canvas.getContext("2d");
  } catch {
    return null;
  }
}

/** Paths, mask bitmaps and colours of the task's shapes, each made once. */
export class ShapeGraphics {
  private paths = new WeakMap<Shape, Paths>();
  private maskRenders = new WeakMap<Shape, MaskRender | null>();
  private colors = new Map<string, Rgb>();

  constructor(private readonly spec: ShapesSpec) {
    for (const c of spec.classes) this.colors.set(c.name, classRgb(c.color));
  }

  colorOf(cls: string): Rgb {
    let c = this.colors.get(cls);
    if (!c) {
      c = classRgb(FALLBACK_COLOR);
      this.colors.set(cls, c);
    }
    return c;
  }

  /** One Path2D per shape, in image coordinates, cached per shape object. */
  pathsOf(s: Shape): Paths {
    const hit = this.paths.get(s);
    if (hit) return hit;
    let out: Paths = { fill: null, stroke: null };
    if (hasPath2D()) {
      switch (s.type) {
        case "box": {
          const p = new Path2D();
          if (s.bbox) p.rect(s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]);
          out = { fill: p, stroke: p };
          break;
        }
        case "polygon": {
          const p = pathOf(oriented(s.points ?? []), true);
          out = { fill: p, stroke: p };
          break;
        }
        case "polyline":
          out = { fill: null, stroke: pathOf(s.points ?? [], false) };
          break;
        case "cuboid": {
          const f = s.front ?? [];
          out = { fill: pathOf(oriented(f), true), stroke: cuboidPath(f, s.back ?? []) };
          break;
        }
        case "keypoints":
          out = { fill: null, stroke: skeletonPath(s.points ?? [], skeletonOf(this.spec, s.class)?.edges ?? []) };
          break;
        default:
          break;
      }
    }
    this.paths.set(s, out);
    return out;
  }

  /** A mask as a coloured canvas the size of its bounding box, made once per mask object. */
  maskRender(s: Shape): MaskRender | null {
    if (this.maskRenders.has(s)) return this.maskRenders.get(s) ?? null;
    let out: MaskRender | null = null;
    try {
      out = s.rle ? buildMaskCanvas(s.rle, this.colorOf(s.class)) : null;
    } catch {
      out = null;
    }
    this.maskRenders.set(s, out);
    return out;
  }
}

/**
 * A mask's pixels in its class colour (MASK_ALPHA), on a canvas the size of
 * its bounding box, written straight from the runs (cost: the mask's area and
 * runs, not the image's size).
 */
function buildMaskCanvas(rle: Rle, rgb: Rgb): MaskRender | null {
  const [bx, by, bw, bh] = rleBbox(rle);
  if (!bw || !bh || typeof document === "undefined") return null;
  const canvas = document.createElement("canvas");
  canvas.width = bw;
  canvas.height = bh;
  const ctx = context2d(canvas);
  if (!ctx || typeof ctx.createImageData !== "function") return null;
  const h = rle.size[0];
  const raw = rle.counts as unknown;
  const runs = typeof raw === "string" ? countsToRuns(raw) : Array.isArray(raw) ? raw.map(Number) : [];
  const img = ctx.createImageData(bw, bh);
  const px = new Uint32Array(img.data.buffer);
  // RGBA bytes in memory order; Uint32 is little-endian on every browser's platform.
  const value = ((Math.round(MASK_ALPHA * 255) << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
  let pos = 0;
  for (let k = 0; k < runs.length; k++) {
    const n = runs[k];
    if (k & 1 && n > 0) {
      // Column-major: the run covers rows y0.. of column x, then the next columns.
      let at = pos;
      const end = pos + n;
      while (at < end) {
        const x = Math.floor(at / h);
        const y0 = at - x * h;
        const y1 = Math.min(h, y0 + (end - at));
        for (let y = y0, i = (y0 - by) * bw + (x - bx); y < y1; y++, i += bw) px[i] = value;
        at += y1 - y0;
      }
    }
    pos += n;
  }
  ctx.putImageData(img, 0, 0);
  return { canvas, x: bx, y: by };
}
