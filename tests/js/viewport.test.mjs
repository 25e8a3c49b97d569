import { test } from "node:test";
import assert from "node:assert/strict";
import { Viewport } from "../../widgets/lib/viewport.ts";

function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const near = (a, b, what, rel = 1e-9) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b)), `${what}: ${a} != ${b}`);

test("fit shows the whole image, centred, as large as fits", () => {
  const v = new Viewport(800, 600, 4000, 2000); // limited by the width
  assert.equal(v.scale, 0.2);
  assert.deepEqual(v.toScreen(0, 0), [0, 100]);
  assert.deepEqual(v.toScreen(4000, 2000), [800, 500]);
  assert.equal(v.minScale, 0.2 / 8);
  assert.equal(v.maxScale, 64);
  v.setImage(100, 300); // limited by the height
  assert.equal(v.scale, 2);
  assert.deepEqual(v.toScreen(0, 0), [300, 0]);
  assert.deepEqual(v.toScreen(100, 300), [500, 600]);
  assert.equal(v.minScale, 0.25);
});

test("toImage and toScreen are inverse", () => {
  const rand = rng(1);
  const v = new Viewport(640, 480, 3000, 1700);
  for (let k = 0; k < 200; k++) {
    v.zoomAt(rand() * 640, rand() * 480, 0.5 + rand() * 2);
    v.pan(rand() * 40 - 20, rand() * 40 - 20);
    const [sx, sy] = [rand() * 640, rand() * 480];
    const [ix, iy] = v.toImage(sx, sy);
    const [bx, by] = v.toScreen(ix, iy);
    near(bx, sx, "x");
    near(by, sy, "y");
  }
});

test("zoomAt keeps the image point under the pointer fixed (random zooms, pans, clamps)", () => {
  const rand = rng(2);
  for (let run = 0; run < 20; run++) {
    const vw = 200 + rand() * 1500, vh = 150 + rand() * 1000;
    const v = new Viewport(vw, vh, 1 + rand() * 9000, 1 + rand() * 9000);
    for (let k = 0; k < 100; k++) {
      const sx = rand() * vw, sy = rand() * vh;
      const factor = k % 10 === 0 ? (rand() < 0.5 ? 1e-3 : 1e3) : Math.exp((rand() - 0.5) * 2);
      const before = v.toImage(sx, sy);
      v.zoomAt(sx, sy, factor);
      const after = v.toImage(sx, sy);
      near(after[0], before[0], `run ${run} step ${k} x`);
      near(after[1], before[1], `run ${run} step ${k} y`);
      assert.ok(v.scale >= v.minScale && v.scale <= v.maxScale, `scale ${v.scale}`);
      if (k % 7 === 0) v.pan(rand() * 100 - 50, rand() * 100 - 50);
    }
  }
});

test("zoom is clamped to [fit / 8, 64]", () => {
  const v = new Viewport(800, 600, 800, 600);
  v.zoomAt(400, 300, 1e6);
  assert.equal(v.scale, 64);
  v.zoomAt(10, 10, 2); // at the limit: nothing moves
  assert.equal(v.scale, 64);
  v.zoomAt(400, 300, 1e-6);
  assert.equal(v.scale, 1 / 8);
  const tx = v.tx;
  v.zoomAt(0, 0, 0.5);
  assert.equal(v.tx, tx);
  v.zoomAt(0, 0, 0); // not a zoom
  v.zoomAt(0, 0, NaN);
  assert.equal(v.scale, 1 / 8);
  // A tiny image fits above 64 px per pixel: fit stays reachable.
  const tiny = new Viewport(1000, 1000, 5, 5);
  assert.equal(tiny.scale, 200);
  assert.equal(tiny.maxScale, 200);
  tiny.zoomAt(500, 500, 0.5);
  tiny.zoomAt(500, 500, 4);
  assert.equal(tiny.scale, 200);
});

test("pan moves the image in screen pixels", () => {
  const v = new Viewport(100, 100, 50, 50);
  const [x, y] = v.toScreen(10, 10);
  v.pan(7, -3);
  assert.deepEqual(v.toScreen(10, 10), [x + 7, y - 3]);
  assert.equal(v.fitted, false);
});

test("resize refits a fitted view and keeps the centre of a zoomed one", () => {
  const v = new Viewport(800, 600, 1600, 1200);
  v.resize(400, 300);
  assert.equal(v.scale, 0.25);
  assert.deepEqual(v.toScreen(0, 0), [0, 0]);
  v.zoomAt(100, 100, 4);
  const centre = v.toImage(200, 150);
  const scale = v.scale;
  v.resize(1000, 500);
  assert.equal(v.scale, scale);
  const now = v.toImage(500, 250);
  near(now[0], centre[0], "x");
  near(now[1], centre[1], "y");
  assert.equal(v.minScale, (500 / 1200) / 8);
  v.fit();
  assert.equal(v.fitted, true);
});

test("a view with no size yet keeps coordinates finite", () => {
  const v = new Viewport(0, 0, 640, 480);
  assert.equal(v.scale, 1);
  assert.ok(v.toImage(10, 10).every(Number.isFinite));
  v.resize(320, 240);
  assert.equal(v.scale, 0.5);
  assert.deepEqual(v.visibleRect(), [0, 0, 640, 480]);
});
