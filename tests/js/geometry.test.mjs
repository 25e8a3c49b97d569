import { test } from "node:test";
import assert from "node:assert/strict";
import {
  pointInPolygon, polygonArea, boxIou, distToSegment, nearestEdge, bboxOfShape, normBox,
  hitTest, paintOrder, moveVertex, insertVertex, deleteVertex, translate, resizeBox,
  handleAfterResize, clampShape, boxHandles,
} from "../../widgets/lib/geometry.ts";
import { encode, decode, area } from "../../widgets/lib/rle.ts";
import fixtures from "./fixtures/geometry.json";

function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);

const box = (id, bbox, extra = {}) => ({ type: "box", class: "car", id, bbox, ...extra });
const poly = (id, points, extra = {}) => ({ type: "polygon", class: "car", id, points, ...extra });

/** A mask shape of an h x w image with the pixels of `rect` [x0, y0, x1, y1) set. */
function maskShape(id, h, w, rect, extra = {}) {
  const m = new Uint8Array(h * w);
  for (let y = rect[1]; y < rect[3]; y++) m.fill(1, y * w + rect[0], y * w + rect[2]);
  return { type: "mask", class: "car", id, rle: encode(m, h, w), ...extra };
}

// ---------------------------------------------------------------------------
// parity with workbench.geometry

test("fixtures: pointInPolygon gives workbench.geometry.point_in_polygon's answer for every query", () => {
  let n = 0, inside = 0;
  for (const [i, f] of fixtures.polygons.entries()) {
    for (const [k, q] of f.queries.entries()) {
      assert.equal(pointInPolygon(q, f.points), f.inside[k], `polygon ${i}, query ${k} ${q}`);
      n++;
      inside += f.inside[k] ? 1 : 0;
    }
  }
  assert.ok(n > 500 && inside > 100 && n - inside > 100);
});

test("fixtures: polygon areas and box IoUs match within 1e-9", () => {
  for (const [i, f] of fixtures.polygons.entries()) close(polygonArea(f.points), f.area, `polygon ${i}`);
  for (const [i, f] of fixtures.boxes.entries()) close(boxIou(f.a, f.b), f.iou, `boxes ${i}`);
});

test("pointInPolygon counts the boundary as inside; concave notches are outside", () => {
  const notch = [[0, 0], [10, 0], [10, 10], [5, 5], [0, 10]];
  assert.equal(pointInPolygon([5, 8], notch), false);
  assert.equal(pointInPolygon([5, 4], notch), true);
  assert.equal(pointInPolygon([5, 5], notch), true); // the notch vertex
  assert.equal(pointInPolygon([10, 3], notch), true); // on an edge
  assert.equal(pointInPolygon([1, 1], [[0, 0], [1, 1]]), false); // not a polygon
});

// ---------------------------------------------------------------------------
// measures

test("distToSegment and nearestEdge", () => {
  assert.equal(distToSegment([5, 3], [0, 0], [10, 0]), 3);
  assert.equal(distToSegment([-3, 4], [0, 0], [10, 0]), 5);
  assert.equal(distToSegment([3, 4], [0, 0], [0, 0]), 5);
  const sq = [[0, 0], [10, 0], [10, 10], [0, 10]];
  assert.deepEqual(nearestEdge(sq, [-1, 5], true), { index: 3, dist: 1, at: [0, 5] });
  // Open: no closing edge, the nearest is the end of edge 2.
  assert.deepEqual(nearestEdge(sq, [-1, 7], false), { index: 2, dist: Math.sqrt(10), at: [0, 10] });
  assert.deepEqual(nearestEdge(sq, [4, 11], false), { index: 2, dist: 1, at: [4, 10] });
  assert.equal(nearestEdge([[1, 1]], [0, 0], true), null);
});

test("bboxOfShape for every type", () => {
  assert.deepEqual(bboxOfShape(box("b", [1, 2, 3, 4])), [1, 2, 3, 4]);
  assert.deepEqual(bboxOfShape(poly("p", [[5, 1], [2, 7], [9, 4]])), [2, 1, 7, 6]);
  assert.deepEqual(bboxOfShape({ type: "polyline", class: "c", id: "l", points: [[1, 1], [4, 0]] }), [1, 0, 3, 1]);
  const kp = { type: "keypoints", class: "c", id: "k", points: [[0, 0, 0], [4, 5, 2], [6, 9, 1]] };
  assert.deepEqual(bboxOfShape(kp), [4, 5, 2, 4]); // the unlabeled [0, 0, 0] does not count
  assert.equal(bboxOfShape({ ...kp, points: [[0, 0, 0]] }), null);
  assert.deepEqual(bboxOfShape(maskShape("m", 20, 30, [3, 4, 10, 6])), [3, 4, 7, 2]);
  assert.equal(bboxOfShape(maskShape("m", 20, 30, [0, 0, 0, 0])), null);
  const cub = { type: "cuboid", class: "c", id: "q", front: [[0, 0], [4, 0], [4, 4], [0, 4]], back: [[2, -1], [6, -1], [6, 3], [2, 3]] };
  assert.deepEqual(bboxOfShape(cub), [0, -1, 6, 5]);
});

test("normBox orders the corners", () => {
  assert.deepEqual(normBox(5, 7, 1, 2), [1, 2, 4, 5]);
  assert.deepEqual(normBox(1, 2, 5, 7), [1, 2, 4, 5]);
  assert.deepEqual(normBox(3, 3, 3, 3), [3, 3, 0, 0]);
});

// ---------------------------------------------------------------------------
// hit testing

test("hitTest: a vertex beats an edge beats a body, whatever their stacking", () => {
  const big = poly("big", [[0, 0], [100, 0], [100, 100], [0, 100]], { z: 5 });
  const small = poly("small", [[40, 40], [60, 40], [60, 60]], { z: 0 });
  // Inside big's body, 1 px from small's vertex (and its edges): the vertex wins.
  assert.deepEqual(hitTest([small, big], [41, 40.5], 3), { id: "small", part: "vertex", index: 0, at: [40, 40] });
  // Inside big, on small's edge 0, away from its vertices: the edge wins.
  const h = hitTest([small, big], [50, 41], 2);
  assert.equal(h.id, "small");
  assert.equal(h.part, "edge");
  assert.equal(h.index, 0);
  assert.deepEqual(h.at, [50, 40]);
  // Inside both bodies: the topmost body (big, higher z).
  assert.deepEqual(hitTest([small, big], [55, 45], 2), { id: "big", part: "body", at: [55, 45] });
  // Beyond the tolerance, a body only.
  assert.deepEqual(hitTest([small, big], [44, 48], 2), { id: "big", part: "body", at: [44, 48] });
});

test("hitTest: topmost first, by z, then later in the list", () => {
  const a = box("a", [0, 0, 50, 50]);
  const b = box("b", [10, 10, 50, 50]);
  assert.equal(hitTest([a, b], [20, 20], 1).id, "b");
  assert.equal(hitTest([b, a], [20, 20], 1).id, "a");
  assert.equal(hitTest([{ ...a, z: 1 }, b], [20, 20], 1).id, "a");
  assert.equal(hitTest([a, { ...b, z: -1 }], [20, 20], 1).id, "a");
  assert.deepEqual(paintOrder([{ ...a, z: 2 }, b, { ...b, id: "c", z: -1 }, { ...a, id: "d" }]), [2, 1, 3, 0]);
  // Two vertices in reach: the topmost shape's, even if another is nearer.
  const p = poly("p", [[0, 0], [10, 0], [5, 8]]);
  const q = poly("q", [[1, 0.5], [20, 0], [5, 9]]);
  assert.deepEqual(hitTest([q, p], [0.8, 0.4], 2), { id: "p", part: "vertex", index: 0, at: [0, 0] });
  // Within one shape, the nearest vertex.
  assert.equal(hitTest([q, p], [9, 0.2], 3).index, 1);
});

test("hitTest ignores hidden classes", () => {
  const a = box("a", [0, 0, 50, 50], { class: "person" });
  const b = box("b", [10, 10, 50, 50], { class: "car" });
  assert.equal(hitTest([a, b], [20, 20], 1, new Set(["car"])).id, "a");
  assert.equal(hitTest([a, b], [20, 20], 1, new Set(["car", "person"])), null);
  assert.equal(hitTest([a, b], [10, 10], 2, new Set(["car"])).part, "body"); // b's corner is hidden
});

test("hitTest on boxes: handles, then sides (with the side's handle), then the inside", () => {
  const b = box("b", [10, 20, 40, 30]);
  for (const [name, at] of Object.entries(boxHandles(b.bbox))) {
    assert.deepEqual(hitTest([b], [at[0] + 0.5, at[1] - 0.5], 1), { id: "b", part: "handle", handle: name, at });
  }
  assert.deepEqual(hitTest([b], [20, 19], 2), { id: "b", part: "edge", index: 0, handle: "n", at: [20, 20] });
  assert.deepEqual(hitTest([b], [51, 40], 2), { id: "b", part: "edge", index: 1, handle: "e", at: [50, 40] });
  assert.deepEqual(hitTest([b], [20, 50], 2), { id: "b", part: "edge", index: 2, handle: "s", at: [20, 50] });
  assert.deepEqual(hitTest([b], [10, 25], 2), { id: "b", part: "edge", index: 3, handle: "w", at: [10, 25] });
  assert.equal(hitTest([b], [30, 30], 2).part, "body");
  assert.equal(hitTest([b], [30, 10], 2), null);
});

test("hitTest on polylines, keypoints, masks and cuboids", () => {
  const line = { type: "polyline", class: "lane", id: "l", points: [[0, 0], [10, 0], [10, 10]] };
  assert.equal(hitTest([line], [5, 1], 2).part, "edge");
  assert.equal(hitTest([line], [3, 7], 2), null); // no body, and no closing edge
  const kp = { type: "keypoints", class: "person", id: "k", points: [[0, 0, 0], [5, 5, 2], [8, 8, 1]] };
  assert.equal(hitTest([kp], [0.5, 0.5], 2), null); // not labeled: not drawn, not hit
  assert.deepEqual(hitTest([kp], [8.5, 8], 2), { id: "k", part: "vertex", index: 2, at: [8, 8] });
  assert.equal(hitTest([kp], [6.5, 6.5], 0.5), null);
  const m = maskShape("m", 40, 40, [10, 10, 20, 15]);
  assert.deepEqual(hitTest([m], [12.7, 14.9], 3), { id: "m", part: "body", at: [12.7, 14.9] });
  assert.equal(hitTest([m], [12.7, 15.0], 3), null); // the pixel below the mask
  const under = box("under", [0, 0, 40, 40], { z: -1 });
  assert.equal(hitTest([m, under], [25, 25], 1).id, "under");
  assert.equal(hitTest([m, under], [15, 12], 1).id, "m");
  const cub = {
    type: "cuboid", class: "car", id: "c",
    front: [[0, 0], [10, 0], [10, 10], [0, 10]], back: [[5, -5], [15, -5], [15, 5], [5, 5]],
  };
  assert.deepEqual(hitTest([cub], [15.5, 5], 1), { id: "c", part: "vertex", index: 2, face: "back", at: [15, 5] });
  assert.deepEqual(hitTest([cub], [0, 0.5], 1), { id: "c", part: "vertex", index: 0, face: "front", at: [0, 0] });
  const e = hitTest([cub], [12.6, 7.6], 1);
  assert.deepEqual([e.part, e.index, e.face], ["edge", 2, undefined]); // side edge front[2]-back[2]
  assert.equal(hitTest([cub], [8, 10.5], 1).face, "front");
  assert.equal(hitTest([cub], [8, -3], 1).part, "body"); // inside the back face only
});

// ---------------------------------------------------------------------------
// edits

test("moveVertex returns a new shape and leaves the old one alone", () => {
  const p = poly("p", [[0, 0], [10, 0], [5, 8]]);
  const q = moveVertex(p, 1, [12, 1]);
  assert.deepEqual(q.points, [[0, 0], [12, 1], [5, 8]]);
  assert.deepEqual(p.points, [[0, 0], [10, 0], [5, 8]]);
  assert.notEqual(q, p);
  const kp = { type: "keypoints", class: "person", id: "k", points: [[0, 0, 0], [5, 5, 1]] };
  assert.deepEqual(moveVertex(kp, 0, [3, 4]).points, [[3, 4, 2], [5, 5, 1]]); // placed: visible
  assert.deepEqual(moveVertex(kp, 1, [6, 6]).points, [[0, 0, 0], [6, 6, 1]]); // keeps v
  assert.deepEqual(moveVertex(box("b", [10, 10, 20, 20]), 2, [40, 5]).bbox, [10, 5, 30, 5]);
  assert.deepEqual(moveVertex(box("b", [10, 10, 20, 20]), 0, [40, 40]).bbox, [30, 30, 10, 10]); // flipped
  const cub = { type: "cuboid", class: "c", id: "c", front: [[0, 0], [1, 0], [1, 1], [0, 1]], back: [[2, 2], [3, 2], [3, 3], [2, 3]] };
  const moved = moveVertex(cub, 3, [9, 9], "back");
  assert.deepEqual(moved.back[3], [9, 9]);
  assert.equal(moved.front, cub.front);
  assert.throws(() => moveVertex(p, 3, [0, 0]), RangeError);
});

test("insertVertex puts the point between the edge's ends", () => {
  const p = poly("p", [[0, 0], [10, 0], [10, 10], [0, 10]]);
  assert.deepEqual(insertVertex(p, 0, [5, 0]).points, [[0, 0], [5, 0], [10, 0], [10, 10], [0, 10]]);
  assert.deepEqual(insertVertex(p, 3, [0, 5]).points, [[0, 0], [10, 0], [10, 10], [0, 10], [0, 5]]);
  assert.equal(p.points.length, 4);
  assert.throws(() => insertVertex(p, 4, [0, 0]), RangeError);
  assert.throws(() => insertVertex(p, -1, [0, 0]), RangeError);
  const line = { type: "polyline", class: "c", id: "l", points: [[0, 0], [10, 0]] };
  assert.deepEqual(insertVertex(line, -1, [-5, 0]).points, [[-5, 0], [0, 0], [10, 0]]);
  assert.deepEqual(insertVertex(line, 1, [15, 0]).points, [[0, 0], [10, 0], [15, 0]]);
  // An edge found by hit testing is where the vertex goes.
  const hit = hitTest([p], [10.5, 4], 1);
  assert.deepEqual(insertVertex(p, hit.index, hit.at).points[2], [10, 4]);
});

test("deleteVertex keeps a polygon at 3 points and a polyline at 2", () => {
  const p = poly("p", [[0, 0], [10, 0], [10, 10], [0, 10]]);
  const three = deleteVertex(p, 2);
  assert.deepEqual(three.points, [[0, 0], [10, 0], [0, 10]]);
  assert.equal(deleteVertex(three, 0), null);
  const line = { type: "polyline", class: "c", id: "l", points: [[0, 0], [10, 0], [20, 0]] };
  assert.deepEqual(deleteVertex(line, 0).points, [[10, 0], [20, 0]]);
  assert.equal(deleteVertex(deleteVertex(line, 0), 1), null);
  const kp = { type: "keypoints", class: "c", id: "k", points: [[1, 1, 2], [5, 5, 2]] };
  assert.deepEqual(deleteVertex(kp, 1).points, [[1, 1, 2], [0, 0, 0]]);
  assert.equal(deleteVertex(box("b", [0, 0, 1, 1]), 0), null);
  assert.throws(() => deleteVertex(p, 9), RangeError);
});

test("translate moves every type; masks by whole pixels, clipped", () => {
  assert.deepEqual(translate(box("b", [1, 2, 3, 4]), 10, -1).bbox, [11, 1, 3, 4]);
  assert.deepEqual(translate(poly("p", [[0, 0], [1, 0], [0, 1]]), 2, 3).points, [[2, 3], [3, 3], [2, 4]]);
  const kp = { type: "keypoints", class: "c", id: "k", points: [[0, 0, 0], [5, 5, 1]] };
  assert.deepEqual(translate(kp, 1, 1).points, [[0, 0, 0], [6, 6, 1]]);
  const cub = { type: "cuboid", class: "c", id: "c", front: [[0, 0], [1, 0], [1, 1], [0, 1]], back: [[2, 2], [3, 2], [3, 3], [2, 3]] };
  const moved = translate(cub, 1, 2);
  assert.deepEqual(moved.front[2], [2, 3]);
  assert.deepEqual(moved.back[0], [3, 4]);
  const m = maskShape("m", 10, 12, [2, 3, 6, 5]); // 4 x 2 pixels
  const right = translate(m, 7.4, -0.6); // by (7, -1): two columns fall off the right edge
  assert.deepEqual(bboxOfShape(right), [9, 2, 3, 2]);
  assert.equal(area(right.rle), 6);
  assert.deepEqual(decode(translate(right, -7, 1).rle).reduce((a, b) => a + b, 0), 6);
  assert.equal(area(translate(m, 0, 50).rle), 0);
  assert.equal(area(m.rle), 8); // the original is untouched
});

test("resizeBox is normalized whichever way a handle is dragged", () => {
  const b = [10, 20, 30, 40]; // x 10..40, y 20..60
  assert.deepEqual(resizeBox(b, "e", [50, 0]), [10, 20, 40, 40]);
  assert.deepEqual(resizeBox(b, "e", [4, 0]), [4, 20, 6, 40]); // dragged past the west side
  assert.deepEqual(resizeBox(b, "n", [0, 70]), [10, 60, 30, 10]);
  assert.deepEqual(resizeBox(b, "nw", [45, 65]), [40, 60, 5, 5]);
  assert.deepEqual(resizeBox(b, "se", [10, 20]), [10, 20, 0, 0]);
  assert.deepEqual(handleAfterResize(b, "e", [4, 0]), "w");
  assert.deepEqual(handleAfterResize(b, "nw", [45, 65]), "se");
  assert.deepEqual(handleAfterResize(b, "sw", [20, 10]), "nw");
  assert.deepEqual(handleAfterResize(b, "s", [99, 30]), "s");
  const rand = rng(11);
  const handles = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
  for (let k = 0; k < 500; k++) {
    const start = [rand() * 50, rand() * 50, rand() * 30, rand() * 30];
    const h = handles[k % 8];
    const p = [rand() * 120 - 30, rand() * 120 - 30];
    const r = resizeBox(start, h, p);
    assert.ok(r[2] >= 0 && r[3] >= 0);
    // The pointer sits on the corner or side of the handle it now holds.
    const after = boxHandles(r)[handleAfterResize(start, h, p)];
    if (h.length === 2) assert.deepEqual(after, p);
    else if (h === "n" || h === "s") assert.equal(after[1], p[1]);
    else assert.equal(after[0], p[0]);
    // The sides the handle does not name stay.
    if (!/[we]/.test(h)) assert.deepEqual([r[0], r[2]], [start[0], start[2]]);
    if (!/[ns]/.test(h)) assert.deepEqual([r[1], r[3]], [start[1], start[3]]);
  }
});

test("clampShape clamps into the image and returns the shape itself when inside", () => {
  const inside = poly("p", [[0, 0], [10, 0], [5, 8]]);
  assert.equal(clampShape(inside, 10, 10), inside);
  const out = clampShape(poly("p", [[-5, 0], [15, 0], [5, 18]]), 10, 10);
  assert.deepEqual(out.points, [[0, 0], [10, 0], [5, 10]]);
  assert.deepEqual(clampShape(box("b", [-5, 5, 10, 20]), 20, 20).bbox, [0, 5, 5, 15]);
  assert.deepEqual(clampShape(box("b", [30, 5, 10, 2]), 20, 20).bbox, [20, 5, 0, 2]);
  const b = box("b", [1, 1, 2, 2]);
  assert.equal(clampShape(b, 20, 20), b);
  const kp = { type: "keypoints", class: "c", id: "k", points: [[0, 0, 0], [25, -1, 2]] };
  assert.deepEqual(clampShape(kp, 20, 20).points, [[0, 0, 0], [20, 0, 2]]);
  const m = maskShape("m", 4, 4, [0, 0, 2, 2]);
  assert.equal(clampShape(m, 4, 4), m);
});
