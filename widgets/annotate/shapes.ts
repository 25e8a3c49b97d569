/**
 * The task's shapes spec (types, attributes, skeletons, mask mode) and shapes
 * as values in the drawing widget's terms: what is stored of a shape, shapes
 * read from the wire, coordinates rounded to what a pointer can mean, the next
 * free id and z, default attributes, a class's skeleton, adding a shape
 * (semantic masks merge per class) and a cuboid's faces from a drag. Shapes
 * are immutable values (lib/geometry.ts): each edit makes a new object.
 */

import { normBox, type BBox, type Pt, type Shape, type ShapeType } from "../lib/geometry";
import type { TaskSpec } from "../lib/protocol";
import { decode as rleDecode, encode as rleEncode, type Rle } from "../lib/rle";

export interface AttributeSpec {
  name: string;
  kind: "bool" | "choice" | "text" | "number";
  choices?: string[];
  default?: unknown;
}

export interface SkeletonSpec {
  points: string[];
  edges?: string[][];
}

/** `Shapes.to_dict()` (workbench/shapes.py). */
export interface ShapesSpec extends TaskSpec {
  types?: ShapeType[];
  attributes?: AttributeSpec[];
  skeletons?: Record<string, SkeletonSpec>;
  masks?: "instance" | "semantic";
}

/** A class's skeleton: its point names and its edges as pairs of point indices. */
export interface Skeleton {
  names: string[];
  edges: [number, number][];
}

export const SHAPE_TYPES: readonly ShapeType[] = ["box", "polygon", "polyline", "keypoints", "mask", "cuboid"];
const GEOMETRY: Readonly<Record<ShapeType, readonly string[]>> = {
  box: ["bbox"],
  polygon: ["points"],
  polyline: ["points"],
  keypoints: ["points"],
  mask: ["rle"],
  cuboid: ["front", "back"],
};

/** The shape as stored: its common fields and its type's geometry, nothing else (workbench/shapes.py refuses extra fields). */
export function cleanShape(s: Shape): Shape {
  const out: Record<string, unknown> = { type: s.type, class: s.class, id: s.id, z: s.z ?? 0, attributes: s.attributes ?? {} };
  if (s.score !== undefined && s.score !== null) out.score = s.score;
  for (const k of GEOMETRY[s.type]) out[k] = (s as unknown as Record<string, unknown>)[k];
  return out as unknown as Shape;
}

/** A coordinate rounded to 1/100 px. */
export const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Coordinates rounded to 1/100 px (what a pointer can mean; keeps labels small). */
export function roundShape(s: Shape): Shape {
  switch (s.type) {
    case "box":
      return { ...s, bbox: s.bbox!.map(r2) as BBox };
    case "polygon":
    case "polyline":
      return { ...s, points: s.points!.map((q) => [r2(q[0]), r2(q[1])]) };
    case "keypoints":
      return { ...s, points: s.points!.map((q) => [r2(q[0]), r2(q[1]), q[2] ?? 2]) };
    case "cuboid":
      return { ...s, front: s.front!.map((q): Pt => [r2(q[0]), r2(q[1])]), back: s.back!.map((q): Pt => [r2(q[0]), r2(q[1])]) };
    default:
      return s;
  }
}

/** Shapes from the wire (a label, a pre-label, an outbox entry): the well-formed ones, each with an id. */
export function parseShapes(value: unknown, idPrefix = "s"): Shape[] {
  if (!Array.isArray(value)) return [];
  const out: Shape[] = [];
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (!v || typeof v !== "object") return;
    const s = v as Shape;
    if (!SHAPE_TYPES.includes(s.type) || typeof s.class !== "string") return;
    if (!GEOMETRY[s.type].every((k) => (s as unknown as Record<string, unknown>)[k] != null)) return;
    let id = s.id == null ? "" : String(s.id);
    if (!id || seen.has(id)) id = `${idPrefix}${i + 1}`;
    seen.add(id);
    out.push(id === s.id ? s : { ...s, id });
  });
  return out;
}

/** The skeleton of a class, or null when it has none. */
export function skeletonOf(spec: ShapesSpec, cls: string): Skeleton | null {
  const sk = spec.skeletons?.[cls];
  if (!sk || !Array.isArray(sk.points) || !sk.points.length) return null;
  const idx = new Map(sk.points.map((n, i) => [n, i]));
  const edges: [number, number][] = [];
  for (const e of sk.edges ?? []) {
    const a = idx.get(e[0]), b = idx.get(e[1]);
    if (a !== undefined && b !== undefined) edges.push([a, b]);
  }
  return { names: sk.points, edges };
}

/** The attributes of a new shape: each one's default, else false, the first choice, "" or null by kind. */
export function defaultAttributes(spec: ShapesSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of spec.attributes ?? []) {
    let v = a.default;
    if (v === undefined || (v === null && a.kind !== "number")) {
      v = a.kind === "bool" ? false : a.kind === "choice" ? (a.choices?.[0] ?? null) : a.kind === "text" ? "" : null;
    }
    out[a.name] = v;
  }
  return out;
}

/** The next free id `s<n>`, past those of the shapes and of the item's suggestions. */
export function nextId(list: readonly Shape[], suggestions: readonly Shape[]): string {
  let n = 0;
  for (const s of [...list, ...suggestions]) {
    const m = /^s(\d+)$/.exec(s.id);
    if (m) n = Math.max(n, Number(m[1]));
  }
  return `s${n + 1}`;
}

/** The highest z of the shapes (0 for none). */
export function topZ(list: readonly Shape[]): number {
  let z = 0;
  for (const s of list) z = Math.max(z, s.z ?? 0);
  return z;
}

/**
 * `list` with `s` added. Semantic masks: a mask of a class that has one
 * already is merged into it (one mask per class per item).
 */
export function addShape(spec: ShapesSpec, list: Shape[], s: Shape): Shape[] {
  if (spec.masks === "semantic" && s.type === "mask" && s.rle) {
    const at = list.findIndex((o) => o.type === "mask" && o.class === s.class && o.id !== s.id);
    if (at >= 0) {
      const merged = unionRle(list[at].rle!, s.rle);
      if (merged) {
        const out = list.slice();
        out[at] = { ...list[at], rle: merged };
        return out;
      }
    }
  }
  return [...list, s];
}

/** The union of two masks of one size, or null when their sizes differ. */
function unionRle(a: Rle, b: Rle): Rle | null {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) return null;
  const ma = rleDecode(a);
  const mb = rleDecode(b);
  for (let i = 0; i < ma.length; i++) ma[i] |= mb[i];
  return rleEncode(ma, a.size[0], a.size[1]);
}

/** A cuboid's faces: the front face dragged from p0 to p1, the back face the same moved so its top-left corner is at `at`. */
export function cuboidFaces(d: { p0: Pt; p1: Pt }, at: Pt | null): { front: Pt[]; back: Pt[] } {
  const [x, y, w, hh] = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
  const front: Pt[] = [
    [x, y],
    [x + w, y],
    [x + w, y + hh],
    [x, y + hh],
  ];
  const dx = at ? at[0] - x : 0;
  const dy = at ? at[1] - y : 0;
  return { front, back: front.map((q): Pt => [q[0] + dx, q[1] + dy]) };
}
