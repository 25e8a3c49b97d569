import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encode, decode, area, toBbox, runsToCounts, countsToRuns, valueAt, translateRle,
  paintDisc, paintSegment, fillPolygon, maskRuns,
} from "../../widgets/lib/rle.ts";
import { distToSegment, pointInPolygon } from "../../widgets/lib/geometry.ts";
import fixtures from "./fixtures/geometry.json";

/** A small deterministic PRNG (mulberry32): failures reproduce. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bits = (s) => Uint8Array.from(s, (c) => (c === "1" ? 1 : 0));

function randomMask(rand, h, w, density) {
  const m = new Uint8Array(h * w);
  for (let i = 0; i < m.length; i++) m[i] = rand() < density ? 1 : 0;
  return m;
}

/** Reference shift: the mask moved by (dx, dy) whole pixels, clipped. */
function shifted(m, h, w, dx, dy) {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const X = x + dx, Y = y + dy;
      if (m[y * w + x] && X >= 0 && X < w && Y >= 0 && Y < h) out[Y * w + X] = 1;
    }
  }
  return out;
}

/** Reference bounding box of a row-major mask, COCO [x, y, w, h]. */
function bboxOf(m, h, w) {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!m[y * w + x]) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Pixels set in a mask, and the rectangle they span (end-exclusive), or null. */
function spanOf(m, h, w) {
  const b = bboxOf(m, h, w);
  return b[2] === 0 ? null : [b[0], b[1], b[0] + b[2], b[1] + b[3]];
}

test("fixtures from workbench.masks: counts, runs, area, bbox and decode are identical", () => {
  assert.ok(fixtures.masks.length >= 30);
  for (const [i, f] of fixtures.masks.entries()) {
    const [h, w] = f.size;
    const m = bits(f.bits);
    const rle = encode(m, h, w);
    assert.deepEqual(rle, { size: [h, w], counts: f.counts }, `mask ${i} encode`);
    assert.deepEqual(countsToRuns(f.counts), f.runs, `mask ${i} countsToRuns`);
    assert.equal(runsToCounts(f.runs), f.counts, `mask ${i} runsToCounts`);
    assert.deepEqual(maskRuns(m, h, w), f.runs, `mask ${i} runs`);
    assert.deepEqual(decode({ size: [h, w], counts: f.counts }), m, `mask ${i} decode`);
    assert.equal(area({ size: [h, w], counts: f.counts }), f.area, `mask ${i} area`);
    assert.deepEqual(toBbox({ size: [h, w], counts: f.counts }), f.bbox, `mask ${i} bbox`);
  }
});

test("fixtures: translating an RLE matches numpy's shifted mask encoded by workbench.masks", () => {
  for (const [i, f] of fixtures.masks.entries()) {
    const [dx, dy] = f.shift;
    const out = translateRle({ size: f.size, counts: f.counts }, dx, dy);
    assert.deepEqual(out, { size: f.size, counts: f.shifted }, `mask ${i} shifted by ${dx}, ${dy}`);
  }
});

test("encode treats any nonzero byte as in, for widths that are not whole words", () => {
  const rand = rng(1);
  for (let k = 0; k < 200; k++) {
    const h = 1 + Math.floor(rand() * 23), w = 1 + Math.floor(rand() * 23);
    const density = [0, 0.03, 0.5, 0.97, 1][k % 5];
    const m = randomMask(rand, h, w, density);
    const scaled = m.map((v) => v * (1 + Math.floor(rand() * 255)));
    const rle = encode(scaled, h, w);
    assert.deepEqual(rle, encode(m, h, w));
    assert.deepEqual(decode(rle), m);
    assert.equal(area(rle), m.reduce((a, b) => a + b, 0));
    assert.deepEqual(toBbox(rle), bboxOf(m, h, w));
  }
});

test("canonical runs: an empty mask is [h*w], a full one [0, h*w], no zero run at the end", () => {
  assert.deepEqual(countsToRuns(encode(new Uint8Array(12), 3, 4).counts), [12]);
  assert.deepEqual(countsToRuns(encode(new Uint8Array(12).fill(1), 3, 4).counts), [0, 12]);
  assert.deepEqual(countsToRuns(encode(new Uint8Array(0), 0, 7).counts), [0]);
  // Column-major: [[0, 1], [0, 0]] is 0, 0, 1, 0 down the columns.
  assert.deepEqual(countsToRuns(encode(Uint8Array.of(0, 1, 0, 0), 2, 2).counts), [2, 1, 1]);
  assert.deepEqual(countsToRuns(encode(Uint8Array.of(0, 0, 0, 1), 2, 2).counts), [3, 1]);
});

test("counts strings round-trip large and negative deltas", () => {
  const rand = rng(2);
  for (let k = 0; k < 100; k++) {
    const runs = Array.from({ length: 1 + Math.floor(rand() * 12) }, () =>
      Math.floor(rand() ** 4 * [40, 5000, 2 ** 31, 2 ** 40][k % 4]),
    );
    assert.deepEqual(countsToRuns(runsToCounts(runs)), runs);
  }
});

test("malformed RLEs are refused with a reason", () => {
  assert.throws(() => countsToRuns("3~"), /invalid character "~" at position 1/);
  assert.throws(() => countsToRuns("1P"), /truncated/); // 'P' = 48 + 0x20: a value continues
  assert.throws(() => decode({ size: [2, 2], counts: "3" }), /sum to 3, but size \[2, 2\] has 4 pixels/);
  assert.throws(() => decode({ size: [2], counts: "0" }), /'size' must be \[h, w\]/);
  assert.throws(() => decode({ size: [2, -1], counts: "0" }), RangeError);
  assert.throws(() => encode(new Uint8Array(3), 2, 2), /fewer than h \* w/);
});

test("valueAt reads the pixel under a point without decoding", () => {
  const rand = rng(3);
  for (let k = 0; k < 30; k++) {
    const h = 1 + Math.floor(rand() * 15), w = 1 + Math.floor(rand() * 15);
    const m = randomMask(rand, h, w, 0.4);
    const rle = encode(m, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) assert.equal(valueAt(rle, x + rand() * 0.999, y + rand() * 0.999), m[y * w + x]);
    }
    assert.equal(valueAt(rle, -0.5, 0), 0);
    assert.equal(valueAt(rle, w, 0), 0);
    assert.equal(valueAt(rle, 0, h + 3), 0);
  }
  // Zero-length runs (a mask starting with 1) are stepped over.
  assert.equal(valueAt({ size: [2, 2], counts: runsToCounts([0, 1, 3]) }, 0, 0), 1);
});

test("translateRle moves whole pixels, clipped at the image edge, rounding the offset", () => {
  const rand = rng(4);
  for (let k = 0; k < 150; k++) {
    const h = 1 + Math.floor(rand() * 17), w = 1 + Math.floor(rand() * 17);
    const m = randomMask(rand, h, w, [0.1, 0.5, 0.95][k % 3]);
    const dx = Math.round((rand() - 0.5) * 2.4 * w), dy = Math.round((rand() - 0.5) * 2.4 * h);
    const out = translateRle(encode(m, h, w), dx, dy);
    assert.deepEqual(out, encode(shifted(m, h, w, dx, dy), h, w), `${h}x${w} by ${dx}, ${dy}`);
  }
  const m = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0);
  assert.deepEqual(decode(translateRle(encode(m, 3, 3), 1.4, 1.6)), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 0));
  assert.deepEqual(decode(translateRle(encode(m, 3, 3), -1, 0)), new Uint8Array(9));
});

test("paintDisc paints pixel centres within r, and the pixel under a small brush", () => {
  const rand = rng(5);
  const h = 30, w = 37;
  for (let k = 0; k < 300; k++) {
    const cx = rand() * 50 - 6, cy = rand() * 44 - 6, r = rand() * (k % 3 === 0 ? 0.8 : 9);
    const m = new Uint8Array(h * w);
    const dirty = paintDisc(m, w, h, cx, cy, r, 1);
    const want = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2;
        const under = Math.floor(cx) === x && Math.floor(cy) === y;
        if (Math.abs(Math.sqrt(d2) - r) < 1e-9) want[y * w + x] = m[y * w + x]; // a tie: either
        else if (d2 <= r * r || under) want[y * w + x] = 1;
      }
    }
    assert.deepEqual(m, want, `disc at ${cx}, ${cy} r ${r}`);
    assert.deepEqual(dirty, spanOf(m, h, w));
  }
  // Erasing writes 0s; a disc off the image writes nothing and says so.
  const m = new Uint8Array(100).fill(1);
  assert.deepEqual(paintDisc(m, 10, 10, 5, 5, 1, 0), [4, 4, 6, 6]);
  assert.equal(m.reduce((a, b) => a + b, 0), 96);
  assert.equal(paintDisc(m, 10, 10, -20, 5, 3, 0), null);
});

test("paintSegment paints the capsule around the stroke, with both end pixels", () => {
  const rand = rng(6);
  const h = 32, w = 41;
  for (let k = 0; k < 300; k++) {
    const a = [rand() * 50 - 5, rand() * 42 - 5];
    const b = k % 10 === 0 ? [a[0], a[1]] : k % 10 === 1 ? [a[0], rand() * 42 - 5] : [rand() * 50 - 5, rand() * 42 - 5];
    const r = rand() * (k % 4 === 0 ? 0.7 : 6);
    const m = new Uint8Array(h * w);
    const dirty = paintSegment(m, w, h, a[0], a[1], b[0], b[1], r, 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = distToSegment([x + 0.5, y + 0.5], a, b);
        if (Math.abs(d - r) < 1e-9) continue; // a tie: either
        const end = [a, b].some((p) => Math.floor(p[0]) === x && Math.floor(p[1]) === y);
        assert.equal(m[y * w + x], d <= r || end ? 1 : 0, `pixel ${x}, ${y} of ${a} -> ${b} r ${r}`);
      }
    }
    assert.deepEqual(dirty, spanOf(m, h, w));
  }
});

test("a stroke of many short segments leaves no gaps", () => {
  const h = 64, w = 64;
  const m = new Uint8Array(h * w);
  let prev = [3.2, 32];
  for (let t = 1; t <= 60; t++) {
    const p = [3.2 + t * 0.9, 32 + 25 * Math.sin(t / 5)];
    paintSegment(m, w, h, prev[0], prev[1], p[0], p[1], 0.5, 1);
    prev = p;
  }
  // Every column the stroke crosses has paint.
  for (let x = 4; x < 56; x++) {
    let any = 0;
    for (let y = 0; y < h; y++) any |= m[y * w + x];
    assert.equal(any, 1, `column ${x}`);
  }
});

test("fillPolygon fills the pixels whose centres are inside (even-odd)", () => {
  const rand = rng(7);
  const h = 30, w = 30;
  for (let k = 0; k < 60; k++) {
    const n = 3 + Math.floor(rand() * 8);
    const poly = Array.from({ length: n }, () => [rand() * 36 - 3, rand() * 36 - 3]);
    const m = new Uint8Array(h * w);
    const dirty = fillPolygon(m, w, h, poly, 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = [x + 0.5, y + 0.5];
        const onEdge = poly.some((p, i) => distToSegment(c, p, poly[(i + 1) % n]) < 1e-9);
        if (!onEdge) assert.equal(m[y * w + x], pointInPolygon(c, poly) ? 1 : 0, `pixel ${x}, ${y}`);
      }
    }
    assert.deepEqual(dirty, spanOf(m, h, w));
  }
});

test("a 4096 x 4096 mask encodes and decodes in milliseconds", () => {
  const h = 4096, w = 4096;
  const m = new Uint8Array(h * w);
  const rand = rng(8);
  for (let i = 0; i < 200; i++) paintDisc(m, w, h, rand() * w, rand() * h, rand() * 300, 1);
  const t0 = performance.now();
  const rle = encode(m, h, w);
  const t1 = performance.now();
  const back = decode({ size: rle.size, counts: rle.counts });
  const t2 = performance.now();
  assert.deepEqual(back, m);
  console.log(`4096x4096, ${rle.counts.length} chars: encode ${(t1 - t0).toFixed(1)} ms, decode ${(t2 - t1).toFixed(1)} ms`);
  // Loose bounds (a shared CI machine); typical is 15-30 ms each.
  assert.ok(t1 - t0 < 500, `encode took ${t1 - t0} ms`);
  assert.ok(t2 - t1 < 500, `decode took ${t2 - t1} ms`);
});
