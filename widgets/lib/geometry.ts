/**
 * Shape maths of the annotate view: hit tests, vertex edits, moves, box
 * resizing, clamping. Shapes are immutable values (the format of
 * workbench/shapes.py, coordinates in pixels of the item's full-size image):
 * every edit returns a new shape and leaves its argument alone.
 *
 * pointInPolygon and boxIou compute exactly what workbench.geometry does
 * (same formulas, same order of floating-point operations);
 * tests/js/fixtures/geometry.json, written from the Python side, checks it.
 */

import { type Rle, area as rleArea, toBbox as rleBbox, translateRle, valueAt } from "./rle";

export type { Rle };
export type Pt = [number, number];
export type BBox = [number, number, number, number]; // x, y, w, h
export type ShapeType = "box" | "polygon" | "polyline" | "keypoints" | "mask" | "cuboid";

export interface Shape {
  type: ShapeType;
  class: string;
  id: string;
  z?: number;
  attributes?: Record<string, unknown>;
  score?: number | null;
  bbox?: BBox;
  points?: number[][];
  rle?: Rle;
  front?: Pt[];
  back?: Pt[];
}

export type Handle = "nw" | "n" | "ne" | "e" | "se" | "s" | "sw" | "w";

export interface Hit {
  id: string;
  part: "vertex" | "edge" | "handle" | "body";
  index?: number;
  handle?: Handle;
  face?: "front" | "back";
  at?: Pt;
}

/** A box's corners in vertex order: index i of moveVertex, edge i joins corner i and i + 1. */
export const BOX_CORNERS: readonly Handle[] = ["nw", "ne", "se", "sw"];
/** The side each box edge resizes: edge 0 top, 1 right, 2 bottom, 3 left. */
export const BOX_SIDES: readonly Handle[] = ["n", "e", "s", "w"];
const HANDLES: readonly Handle[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

// ---------------------------------------------------------------------------
// measures

/**
 * Whether p lies inside a polygon, even-odd rule, the boundary inside: the
 * same crossing test and on-edge test as workbench.geometry.point_in_polygon.
 */
export function pointInPolygon(p: Pt, poly: number[][]): boolean {
  const qx = p[0], qy = p[1];
  const n = poly.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0; i < n; i++) {
    const x0 = poly[i][0], y0 = poly[i][1];
    const j = i + 1 === n ? 0 : i + 1;
    const x1 = poly[j][0], y1 = poly[j][1];
    // Edges straddling the horizontal line (half-open in y) crossed right of p.
    if (y0 > qy !== y1 > qy) {
      const xc = x0 + ((qy - y0) * (x1 - x0)) / (y1 - y0);
      if (qx < xc) inside = !inside;
    }
    const cross = (x1 - x0) * (qy - y0) - (y1 - y0) * (qx - x0);
    if (
      cross === 0 &&
      qx >= Math.min(x0, x1) && qx <= Math.max(x0, x1) &&
      qy >= Math.min(y0, y1) && qy <= Math.max(y0, y1)
    ) {
      return true;
    }
  }
  return inside;
}

/** Area by the shoelace formula, absolute (square pixels); 0 below 3 points. */
export function polygonArea(points: number[][]): number {
  const n = points.length;
  if (n < 3) return 0;
  let s = 0;
  for (let i = 0, j = n - 1; i < n; j = i++) s += points[j][0] * points[i][1] - points[j][1] * points[i][0];
  return Math.abs(0.5 * s);
}

/** IoU of two boxes [x, y, w, h], as workbench.geometry.box_iou; 0 when both are empty. */
export function boxIou(a: BBox, b: BBox): number {
  const ax0 = a[0], ay0 = a[1], ax1 = ax0 + a[2], ay1 = ay0 + a[3];
  const bx0 = b[0], by0 = b[1], bx1 = bx0 + b[2], by1 = by0 + b[3];
  const iw = Math.max(Math.min(ax1, bx1) - Math.max(ax0, bx0), 0);
  const ih = Math.max(Math.min(ay1, by1) - Math.max(ay0, by0), 0);
  const inter = iw * ih;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

function closestOnSegment(px: number, py: number, a: number[], b: number[]): Pt {
  const ex = b[0] - a[0], ey = b[1] - a[1];
  const len2 = ex * ex + ey * ey;
  let t = len2 > 0 ? ((px - a[0]) * ex + (py - a[1]) * ey) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return [a[0] + t * ex, a[1] + t * ey];
}

/** Euclidean distance from p to the segment a-b. */
export function distToSegment(p: Pt, a: number[], b: number[]): number {
  const c = closestOnSegment(p[0], p[1], a, b);
  const dx = p[0] - c[0], dy = p[1] - c[1];
  return Math.sqrt(dx * dx + dy * dy);
}

/**
 * The edge of a path nearest to p: edge i joins points i and i + 1 (with
 * `closed`, edge n - 1 joins the last point to the first). `at` is the
 * nearest point on it. Null below 2 points.
 */
export function nearestEdge(points: number[][], p: Pt, closed: boolean): { index: number; dist: number; at: Pt } | null {
  const n = points.length;
  if (n < 2) return null;
  const edges = closed && n >= 3 ? n : n - 1;
  let best: { index: number; dist: number; at: Pt } | null = null;
  for (let i = 0; i < edges; i++) {
    const at = closestOnSegment(p[0], p[1], points[i], points[i + 1 === n ? 0 : i + 1]);
    const dx = p[0] - at[0], dy = p[1] - at[1];
    const dist = Math.sqrt(dx * dx + dy * dy);
    if (!best || dist < best.dist) best = { index: i, dist, at };
  }
  return best;
}

function bboxOfPoints(points: number[][], labeledOnly: boolean): BBox | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const q of points) {
    if (labeledOnly && !isLabeled(q)) continue;
    if (q[0] < x0) x0 = q[0];
    if (q[0] > x1) x1 = q[0];
    if (q[1] < y0) y0 = q[1];
    if (q[1] > y1) y1 = q[1];
  }
  return x0 === Infinity ? null : [x0, y0, x1 - x0, y1 - y0];
}

/** A keypoint is drawn (and hit, moved, clamped) when its visibility v is not 0. */
function isLabeled(q: number[]): boolean {
  return q.length < 3 || q[2] !== 0;
}

/**
 * Bounding box [x, y, w, h] of a shape: keypoints count only labeled points
 * (v > 0), masks their foreground (whole pixels). Null when there is nothing:
 * no geometry, no labeled keypoint, an empty mask.
 */
export function bboxOfShape(s: Shape): BBox | null {
  switch (s.type) {
    case "box":
      return s.bbox ? [s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]] : null;
    case "polygon":
    case "polyline":
      return s.points ? bboxOfPoints(s.points, false) : null;
    case "keypoints":
      return s.points ? bboxOfPoints(s.points, true) : null;
    case "mask":
      return s.rle && rleArea(s.rle) > 0 ? rleBbox(s.rle) : null;
    case "cuboid":
      return s.front && s.back ? bboxOfPoints([...s.front, ...s.back], false) : null;
  }
}

/** The box [x, y, w, h] spanned by two corners in any order (w, h >= 0). */
export function normBox(x0: number, y0: number, x1: number, y1: number): BBox {
  return [Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0)];
}

// ---------------------------------------------------------------------------
// hit testing

/**
 * Indices of `shapes` in painting order, bottom first: by z (missing = 0),
 * then list order. hitTest looks at them in the reverse order.
 */
export function paintOrder(shapes: readonly Shape[]): number[] {
  const idx = shapes.map((_, i) => i);
  return idx.sort((i, j) => (shapes[i].z ?? 0) - (shapes[j].z ?? 0) || i - j);
}

/** Corner and side-midpoint positions of a box's eight handles. */
export function boxHandles(b: BBox): Record<Handle, Pt> {
  const [x, y, w, h] = b;
  const mx = x + w / 2, my = y + h / 2, x1 = x + w, y1 = y + h;
  return {
    nw: [x, y], n: [mx, y], ne: [x1, y], e: [x1, my],
    se: [x1, y1], s: [mx, y1], sw: [x, y1], w: [x, my],
  };
}

function boxCorners(b: BBox): Pt[] {
  const [x, y, w, h] = b;
  return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
}

function dist2(p: Pt, q: number[]): number {
  const dx = p[0] - q[0], dy = p[1] - q[1];
  return dx * dx + dy * dy;
}

/** The nearest point of `points` within tol (labeled keypoints only), or -1. */
function nearestVertex(points: readonly number[][], p: Pt, tol2: number): { index: number; d2: number } {
  let index = -1, d2 = Infinity;
  for (let i = 0; i < points.length; i++) {
    if (!isLabeled(points[i])) continue;
    const d = dist2(p, points[i]);
    if (d <= tol2 && d < d2) {
      index = i;
      d2 = d;
    }
  }
  return { index, d2 };
}

function hitVertex(s: Shape, p: Pt, tol: number): Hit | null {
  const tol2 = tol * tol;
  if (s.type === "box" && s.bbox) {
    const hs = boxHandles(s.bbox);
    let best: Handle | null = null, d2 = Infinity;
    for (const h of HANDLES) {
      const d = dist2(p, hs[h]);
      if (d <= tol2 && d < d2) {
        best = h;
        d2 = d;
      }
    }
    return best ? { id: s.id, part: "handle", handle: best, at: hs[best] } : null;
  }
  if ((s.type === "polygon" || s.type === "polyline" || s.type === "keypoints") && s.points) {
    const v = nearestVertex(s.points, p, tol2);
    return v.index < 0 ? null : { id: s.id, part: "vertex", index: v.index, at: [s.points[v.index][0], s.points[v.index][1]] };
  }
  if (s.type === "cuboid" && s.front && s.back) {
    const f = nearestVertex(s.front, p, tol2), b = nearestVertex(s.back, p, tol2);
    if (f.index < 0 && b.index < 0) return null;
    const face = f.d2 <= b.d2 ? "front" : "back";
    const index = face === "front" ? f.index : b.index;
    const q = (face === "front" ? s.front : s.back)[index];
    return { id: s.id, part: "vertex", index, face, at: [q[0], q[1]] };
  }
  return null;
}

function hitEdge(s: Shape, p: Pt, tol: number): Hit | null {
  if (s.type === "box" && s.bbox) {
    const e = nearestEdge(boxCorners(s.bbox), p, true);
    return e && e.dist <= tol ? { id: s.id, part: "edge", index: e.index, handle: BOX_SIDES[e.index], at: e.at } : null;
  }
  if ((s.type === "polygon" || s.type === "polyline") && s.points) {
    const e = nearestEdge(s.points, p, s.type === "polygon");
    return e && e.dist <= tol ? { id: s.id, part: "edge", index: e.index, at: e.at } : null;
  }
  if (s.type === "cuboid" && s.front && s.back) {
    // Face edges (index i joins corners i and i + 1 of that face), then the
    // side edges joining front[i] and back[i] (no face).
    let best: Hit | null = null, bestD = Infinity;
    for (const face of ["front", "back"] as const) {
      const e = nearestEdge(s[face]!, p, true);
      if (e && e.dist <= tol && e.dist < bestD) {
        best = { id: s.id, part: "edge", index: e.index, face, at: e.at };
        bestD = e.dist;
      }
    }
    for (let i = 0; i < 4; i++) {
      const at = closestOnSegment(p[0], p[1], s.front[i], s.back[i]);
      const d = Math.sqrt(dist2(p, at));
      if (d <= tol && d < bestD) {
        best = { id: s.id, part: "edge", index: i, at };
        bestD = d;
      }
    }
    return best;
  }
  return null;
}

function hitBody(s: Shape, p: Pt): Hit | null {
  let inside = false;
  if (s.type === "box" && s.bbox) {
    const [x, y, w, h] = s.bbox;
    inside = p[0] >= x && p[0] <= x + w && p[1] >= y && p[1] <= y + h;
  } else if (s.type === "polygon" && s.points) {
    inside = pointInPolygon(p, s.points);
  } else if (s.type === "mask" && s.rle) {
    inside = valueAt(s.rle, p[0], p[1]) === 1;
  } else if (s.type === "cuboid" && s.front && s.back) {
    const f = s.front, b = s.back;
    inside = pointInPolygon(p, f) || pointInPolygon(p, b);
    for (let i = 0; i < 4 && !inside; i++) {
      const j = (i + 1) % 4;
      inside = pointInPolygon(p, [f[i], f[j], b[j], b[i]]);
    }
  }
  return inside ? { id: s.id, part: "body", at: [p[0], p[1]] } : null;
}

/**
 * What is under image point p: the first of, in this order,
 * 1. a vertex (polygon, polyline, labeled keypoint, cuboid corner with its
 *    face) or a box handle within `tol` image pixels,
 * 2. an edge within `tol` (polygon, polyline, box side with the `handle` of
 *    that side, cuboid face edge or side edge),
 * 3. a body (inside a box, polygon or cuboid; on a mask's foreground pixel);
 * each searched over the shapes topmost first (higher z, then later in the
 * list), the nearest vertex or edge within a shape. Polylines and keypoints
 * have no body. Shapes whose class is in `hidden` are skipped. `at` is the
 * vertex, the nearest point of the edge, or p.
 */
export function hitTest(shapes: Shape[], p: Pt, tol: number, hidden?: Set<string>): Hit | null {
  const order = paintOrder(shapes).reverse().filter((i) => !hidden || !hidden.has(shapes[i].class));
  // Quick reject by bounding box (mask bounding boxes come cached from the runs).
  const near = order.filter((i) => {
    const b = bboxOfShape(shapes[i]);
    return b !== null && p[0] >= b[0] - tol && p[0] <= b[0] + b[2] + tol && p[1] >= b[1] - tol && p[1] <= b[1] + b[3] + tol;
  });
  for (const i of near) {
    const h = hitVertex(shapes[i], p, tol);
    if (h) return h;
  }
  for (const i of near) {
    const h = hitEdge(shapes[i], p, tol);
    if (h) return h;
  }
  for (const i of near) {
    const h = hitBody(shapes[i], p);
    if (h) return h;
  }
  return null;
}

// ---------------------------------------------------------------------------
// edits (each returns a new shape)

function checkIndex(i: number, n: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${what} index ${i} out of range [0, ${n})`);
}

/**
 * Move one vertex to p: polygon / polyline / keypoints point `index` (a
 * keypoint keeps its visibility, or becomes visible, v = 2, when it was not
 * labeled), box corner `index` in {@link BOX_CORNERS} order (normalized as
 * resizeBox does), cuboid corner `index` of `face` (default "front"). Masks
 * have no vertices and come back unchanged.
 */
export function moveVertex(s: Shape, index: number, p: Pt, face: "front" | "back" = "front"): Shape {
  const x = p[0], y = p[1];
  switch (s.type) {
    case "polygon":
    case "polyline":
    case "keypoints": {
      const pts = s.points!.slice();
      checkIndex(index, pts.length, `${s.type} vertex`);
      pts[index] = s.type === "keypoints" ? [x, y, pts[index][2] || 2] : [x, y];
      return { ...s, points: pts };
    }
    case "box":
      checkIndex(index, 4, "box corner");
      return { ...s, bbox: resizeBox(s.bbox!, BOX_CORNERS[index], p) };
    case "cuboid": {
      const pts = s[face]!.slice();
      checkIndex(index, pts.length, `cuboid ${face} corner`);
      pts[index] = [x, y];
      return { ...s, [face]: pts };
    }
    case "mask":
      return { ...s };
  }
}

/**
 * Insert p as a new vertex on edge `edgeIndex` (between points edgeIndex and
 * edgeIndex + 1; for a polygon's closing edge n - 1, at the end). A polyline
 * also takes -1 (prepend) and n - 1 (append) to extend the path. Other types
 * come back unchanged.
 */
export function insertVertex(s: Shape, edgeIndex: number, p: Pt): Shape {
  if ((s.type !== "polygon" && s.type !== "polyline") || !s.points) return { ...s };
  const n = s.points.length;
  const lo = s.type === "polyline" ? -1 : 0;
  if (!Number.isInteger(edgeIndex) || edgeIndex < lo || edgeIndex > n - 1) {
    throw new RangeError(`${s.type} edge index ${edgeIndex} out of range [${lo}, ${n - 1}]`);
  }
  const pts = s.points.slice();
  pts.splice(edgeIndex + 1, 0, [p[0], p[1]]);
  return { ...s, points: pts };
}

/** Fewest points of a path type. */
export const MIN_POINTS: Readonly<Record<string, number>> = { polygon: 3, polyline: 2 };

/**
 * Remove vertex `index`: a polygon keeps at least 3 points and a polyline 2
 * (null when the delete would go below); a keypoint becomes not labeled,
 * `[0, 0, 0]` (COCO's convention). Null for boxes, masks and cuboids, whose
 * vertices cannot be deleted.
 */
export function deleteVertex(s: Shape, index: number): Shape | null {
  if (!s.points) return null;
  if (s.type === "keypoints") {
    checkIndex(index, s.points.length, "keypoint");
    const pts = s.points.slice();
    pts[index] = [0, 0, 0];
    return { ...s, points: pts };
  }
  if (s.type !== "polygon" && s.type !== "polyline") return null;
  checkIndex(index, s.points.length, `${s.type} vertex`);
  if (s.points.length <= MIN_POINTS[s.type]) return null;
  const pts = s.points.slice();
  pts.splice(index, 1);
  return { ...s, points: pts };
}

/**
 * Move a whole shape by (dx, dy). Masks move by whole pixels,
 * (round(dx), round(dy)), and lose what leaves the image: during a drag,
 * translate the shape from the drag's start by the total offset, not step by
 * step. Keypoints that are not labeled stay at [0, 0, 0].
 */
export function translate(s: Shape, dx: number, dy: number): Shape {
  switch (s.type) {
    case "box": {
      const b = s.bbox!;
      return { ...s, bbox: [b[0] + dx, b[1] + dy, b[2], b[3]] };
    }
    case "polygon":
    case "polyline":
      return { ...s, points: s.points!.map((q) => [q[0] + dx, q[1] + dy]) };
    case "keypoints":
      return { ...s, points: s.points!.map((q) => (isLabeled(q) ? [q[0] + dx, q[1] + dy, ...q.slice(2)] : q)) };
    case "cuboid":
      return {
        ...s,
        front: s.front!.map((q): Pt => [q[0] + dx, q[1] + dy]),
        back: s.back!.map((q): Pt => [q[0] + dx, q[1] + dy]),
      };
    case "mask":
      return { ...s, rle: translateRle(s.rle!, dx, dy) };
  }
}

/**
 * The box after dragging `handle` to p: the sides the handle names move to
 * p, the others stay, and the result is normalized (w, h >= 0), so dragging
 * past the opposite side flips the box instead of giving it a negative size.
 * Call it with the box at the start of the drag; {@link handleAfterResize}
 * says which handle is under the pointer after a flip.
 */
export function resizeBox(b: BBox, handle: Handle, p: Pt): BBox {
  let x0 = b[0], y0 = b[1], x1 = b[0] + b[2], y1 = b[1] + b[3];
  if (handle.includes("w")) x0 = p[0];
  if (handle.includes("e")) x1 = p[0];
  if (handle.includes("n")) y0 = p[1];
  if (handle.includes("s")) y1 = p[1];
  return normBox(x0, y0, x1, y1);
}

/** The handle of resizeBox(b, handle, p) that sits at p: `handle`, mirrored along each flipped axis. */
export function handleAfterResize(b: BBox, handle: Handle, p: Pt): Handle {
  let v = handle.includes("n") ? "n" : handle.includes("s") ? "s" : "";
  let h = handle.includes("w") ? "w" : handle.includes("e") ? "e" : "";
  if (v === "n" && p[1] > b[1] + b[3]) v = "s";
  else if (v === "s" && p[1] < b[1]) v = "n";
  if (h === "w" && p[0] > b[0] + b[2]) h = "e";
  else if (h === "e" && p[0] < b[0]) h = "w";
  return (v + h) as Handle;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * The shape with every coordinate clamped into [0, w] x [0, h] (a box by its
 * corners, so a box partly outside shrinks). Returns `s` itself when nothing
 * changes, so callers can skip a commit. Masks come back as they are (their
 * RLE already has the image's size); so do keypoints that are not labeled.
 */
export function clampShape(s: Shape, w: number, h: number): Shape {
  let changed = false;
  const pt = (q: number[]): number[] => {
    const x = clamp(q[0], 0, w), y = clamp(q[1], 0, h);
    if (x === q[0] && y === q[1]) return q;
    changed = true;
    return q.length > 2 ? [x, y, ...q.slice(2)] : [x, y];
  };
  let out: Shape;
  switch (s.type) {
    case "box": {
      const b = s.bbox!;
      const x0 = clamp(b[0], 0, w), y0 = clamp(b[1], 0, h);
      const x1 = clamp(b[0] + b[2], 0, w), y1 = clamp(b[1] + b[3], 0, h);
      const nb: BBox = [x0, y0, x1 - x0, y1 - y0];
      changed = nb.some((v, i) => v !== b[i]);
      out = { ...s, bbox: nb };
      break;
    }
    case "polygon":
    case "polyline":
      out = { ...s, points: s.points!.map(pt) };
      break;
    case "keypoints":
      out = { ...s, points: s.points!.map((q) => (isLabeled(q) ? pt(q) : q)) };
      break;
    case "cuboid":
      out = { ...s, front: s.front!.map((q) => pt(q) as Pt), back: s.back!.map((q) => pt(q) as Pt) };
      break;
    case "mask":
      return s;
  }
  return changed ? out : s;
}
