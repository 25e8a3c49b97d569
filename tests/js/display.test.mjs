// How items are sized and ids shown (lib/images.ts, lib/text.ts, lib/status.ts): small images enlarged by a whole
// factor up to UPSCALE_LIMIT, never past it; large ones shrunk; content-hash ids hidden.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setupDom } from "./helpers.mjs";
import { fitImage, UPSCALE_LIMIT } from "../../widgets/lib/images.ts";
import { labelToast } from "../../widgets/lib/status.ts";
import { isContentHashId, namedByKey, shownItemId } from "../../widgets/lib/text.ts";

setupDom();

function fit(w, h, box = 512) {
  const img = document.createElement("img");
  fitImage(img, w, h, box);
  return { width: parseFloat(img.style.width), scale: Number(img.dataset.scale), rendering: img.style.imageRendering };
}

test("small images grow by a whole factor, pixel-sharp, to at most UPSCALE_LIMIT px", () => {
  assert.equal(UPSCALE_LIMIT, 256);
  assert.deepEqual(fit(8, 8), { width: 256, scale: 32, rendering: "pixelated" }, "an 8×8 digit");
  assert.deepEqual(fit(28, 28), { width: 252, scale: 9, rendering: "pixelated" }, "a 28×28 digit");
  assert.deepEqual(fit(32, 16), { width: 256, scale: 8, rendering: "pixelated" });
  assert.deepEqual(fit(100, 50), { width: 200, scale: 2, rendering: "pixelated" });
  for (const [w, h] of [[8, 8], [28, 28], [13, 7], [100, 100], [129, 3]]) {
    const r = fit(w, h);
    assert.ok(Number.isInteger(r.scale) && r.scale >= 1, `${w}×${h}: whole factor ${r.scale}`);
    assert.ok(r.width <= UPSCALE_LIMIT, `${w}×${h}: ${r.width}px`);
  }
});

test("images of UPSCALE_LIMIT px or more are not enlarged; larger than the box, shrunk smoothly", () => {
  assert.deepEqual(fit(300, 200), { width: 300, scale: 1, rendering: "auto" });
  assert.deepEqual(fit(256, 256), { width: 256, scale: 1, rendering: "auto" });
  assert.deepEqual(fit(1024, 512), { width: 512, scale: 0.5, rendering: "auto" });
});

test("a smaller box (gallery thumbnails) caps the enlargement too", () => {
  assert.deepEqual(fit(8, 8, 128), { width: 128, scale: 16, rendering: "pixelated" });
  assert.deepEqual(fit(28, 28, 128), { width: 112, scale: 4, rendering: "pixelated" });
  assert.deepEqual(fit(64, 64, 96), { width: 64, scale: 1, rendering: "auto" });
});

test("content-hash ids (16 hex digits, -k for a copy) are hidden, other ids shown", () => {
  for (const id of ["0123456789abcdef", "a1b2c3d4e5f60718-2", "a1b2c3d4e5f60718-13"]) {
    assert.ok(isContentHashId(id), id);
    assert.equal(shownItemId(id), "");
  }
  for (const id of ["item-0001", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "cat.jpg", "12"]) {
    assert.ok(!isContentHashId(id), id);
    assert.equal(shownItemId(id), id);
  }
});

test("the confirmation text names the class and the item (when its id says something)", () => {
  assert.equal(labelToast("label", "7", "digit_7"), "✓ 7 → digit_7");
  assert.equal(labelToast("label", "7", "0123456789abcdef"), "✓ 7");
  assert.equal(labelToast("label", ["cat", "dog"], "x"), "✓ cat, dog → x");
  assert.equal(labelToast("label", [], "x"), "✓ (none) → x");
  assert.equal(labelToast("skip", null, "x"), "skipped x");
  assert.equal(labelToast("undo", null, "0123456789abcdef"), "↶ undone");
});

test("a class is named by its key when the name is the key's label (Caps Lock aside)", () => {
  assert.ok(namedByKey("7", "7"));
  assert.ok(namedByKey("a", "a"));
  assert.ok(namedByKey("A", "a"));
  assert.ok(!namedByKey("cat", "1"));
  assert.ok(!namedByKey("1", "2"));
  assert.ok(!namedByKey("ab", "a"));
});
