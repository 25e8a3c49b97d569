import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, widgetState, FakeModel, FakeKernel, TeamKernel, feedbackRow, press, sleep, click, fakeContext } from "./helpers.mjs";
import annotate, { annotateAction, cleanShape, parseShapes } from "../../widgets/annotate.ts";
import { decode as rleDecode, encode as rleEncode } from "../../widgets/lib/rle.ts";

const { show } = widgetTests(annotate.render, ".wb-annotate");

// -- a 2D context and Path2D for jsdom (which has no canvas) -------------------------------------
class FakePath {
  constructor() {
    this.ops = [];
  }
  moveTo(...a) {
    this.ops.push(["M", ...a]);
  }
  lineTo(...a) {
    this.ops.push(["L", ...a]);
  }
  rect(...a) {
    this.ops.push(["R", ...a]);
  }
  arc(...a) {
    this.ops.push(["A", ...a]);
  }
  closePath() {
    this.ops.push(["Z"]);
  }
  addPath(p) {
    this.ops.push(...p.ops);
  }
}

beforeEach(() => {
  // Runs after widgetTests' beforeEach made a fresh jsdom.
  window.HTMLCanvasElement.prototype.getContext = function () {
    return (this.__ctx ??= fakeContext(this));
  };
  globalThis.Path2D = FakePath;
  delete globalThis.createImageBitmap;
});

// -- fixtures -------------------------------------------------------------------------------------
const ALL_TYPES = ["box", "polygon", "polyline", "keypoints", "mask", "cuboid"];

function shapesSchema(over = {}) {
  return {
    kind: "shapes",
    name: "objects",
    description: "",
    classes: [
      { name: "car", key: "1", color: "#E69F00", description: "", examples: [] },
      { name: "person", key: "2", color: "#56B4E9", description: "", examples: [] },
      { name: "road", key: "3", color: "#009E73", description: "", examples: [] },
    ],
    types: ALL_TYPES,
    attributes: [
      { name: "occluded", kind: "bool", choices: [], default: false },
      { name: "quality", kind: "choice", choices: ["good", "bad"], default: "good" },
    ],
    skeletons: { person: { points: ["head", "hand", "foot"], edges: [["head", "hand"], ["head", "foot"]] } },
    masks: "instance",
    ...over,
  };
}

const W = 400;
const H = 300;

function imageItems(n, extra = () => ({})) {
  return Array.from({ length: n }, (_, i) => ({
    item_id: `i${String(i).padStart(4, "0")}`,
    kind: "image",
    mime: "image/png",
    buffer: null,
    width: W,
    height: H,
    full_width: W,
    full_height: H,
    ...extra(i),
  }));
}

function mount({ schema = shapesSchema(), items = imageItems(5), state = {} } = {}) {
  const model = new FakeModel(widgetState({ guidelines: "Draw **tight** boxes.", prefetch: 3, max_size: 2048 }, { task: "objects", schema, ...state }));
  const kernel = new FakeKernel(model, items);
  const view = show(model);
  kernel.flush();
  return { model, kernel, ...view, ov: view.root.querySelector("canvas.wb-canvas-overlay"), hook: view.root.wbAnnotate };
}

// -- mouse at image coordinates ---------------------------------------------------------------------
function mouse(target, type, [x, y], init = {}) {
  const Ctor = type === "wheel" ? window.WheelEvent : window.MouseEvent;
  const ev = new Ctor(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0, ...init });
  target.dispatchEvent(ev);
  return ev;
}

function at(ctx, x, y) {
  return ctx.hook.toClient(x, y);
}

function clickAt(ctx, x, y, init = {}) {
  mouse(ctx.ov, "mousedown", at(ctx, x, y), init);
  mouse(ctx.ov, "mouseup", at(ctx, x, y), init);
  mouse(ctx.ov, "click", at(ctx, x, y), init);
}

function dragAt(ctx, points, init = {}) {
  mouse(ctx.ov, "mousedown", at(ctx, ...points[0]), init);
  for (const p of points.slice(1)) mouse(ctx.ov, "mousemove", at(ctx, ...p), init);
  mouse(ctx.ov, "mouseup", at(ctx, ...points[points.length - 1]), init);
}

const labels = (model) => model.sentOf("label").filter((m) => m.kind === "label");
const lastValue = (model) => {
  const all = labels(model);
  return all[all.length - 1]?.value;
};
const close = (a, b, tol = 1e-6) => Math.abs(a - b) <= tol;

function box(id, bbox, cls = "car", extra = {}) {
  return { type: "box", class: cls, id, z: 0, attributes: { occluded: false, quality: "good" }, bbox, ...extra };
}

function polygon(id, points, cls = "road", extra = {}) {
  return { type: "polygon", class: cls, id, z: 0, attributes: { occluded: false, quality: "good" }, points, ...extra };
}

// ---------------------------------------------------------------------------------------------------
test("render: hello and need, then the first item painted, with hooks and data attributes", async () => {
  const ctx = mount();
  const { model, root } = ctx;
  assert.equal(root.getAttribute("tabindex"), "0");
  assert.equal(model.sentOf("hello").length, 1);
  assert.equal(model.sentOf("need")[0].n, 4, "prefetch 3 plus the item to show");
  assert.equal(root.dataset.itemId, "i0000");
  assert.equal(root.dataset.tool, "select");
  assert.equal(root.dataset.ready, "1");
  assert.equal(root.dataset.queue, "3");
  assert.ok(root.querySelector("canvas.wb-canvas"));
  assert.ok(root.querySelector("canvas.wb-canvas-overlay"));
  assert.deepEqual([...root.querySelectorAll(".wb-tool[data-tool]")].map((b) => b.dataset.tool), [
    "select", "box", "polygon", "polyline", "keypoints", "brush", "eraser", "cuboid",
  ]);
  assert.deepEqual(ctx.hook.shapes(), []);
  const vp = ctx.hook.viewport();
  // Fit: 400×300 in the default 800×560 view.
  assert.ok(close(vp.scale, 560 / 300), `scale ${vp.scale}`);
  const [cx, cy] = ctx.hook.toClient(0, 0);
  assert.ok(close(cx, vp.tx) && close(cy, vp.ty));
  // No DOM node per shape: the stage holds two canvases, a note and the (hidden) done card.
  assert.equal(root.querySelector(".wb-canvas-box").children.length, 4);
});

test("only the tools of the schema's types are offered; a missing tool's key only says so", () => {
  const ctx = mount({ schema: shapesSchema({ types: ["box", "polygon"] }) });
  assert.deepEqual([...ctx.root.querySelectorAll(".wb-tool[data-tool]")].map((b) => b.dataset.tool), ["select", "box", "polygon"]);
  press(ctx.root, "m");
  assert.equal(ctx.root.dataset.tool, "select");
  assert.match(ctx.root.querySelector(".wb-status").textContent, /no brush tool/);
  press(ctx.root, "b");
  assert.equal(ctx.root.dataset.tool, "box");
  // The toolbar is clickable too.
  click(ctx.root.querySelector('.wb-tool[data-tool="polygon"]'));
  assert.equal(ctx.root.dataset.tool, "polygon");
});

test("box: a drag from corner to corner sends one label with the whole list, in image pixels", () => {
  const ctx = mount();
  const { model, root } = ctx;
  let storedAtSend = null;
  const prev = model.onSend;
  model.onSend = (msg, b) => {
    if (msg.type === "label") storedAtSend = localStorage.getItem(`workbench-outbox:proj1:${msg.client_id}:${msg.seq}`);
    prev(msg, b);
  };
  press(root, "b");
  dragAt(ctx, [[50, 60], [100, 100], [150, 140]]);
  const sent = labels(model);
  assert.equal(sent.length, 1);
  const msg = sent[0];
  assert.ok(storedAtSend, "in the outbox before it was sent");
  assert.equal(msg.item_id, "i0000");
  assert.equal(msg.task, "objects");
  assert.equal(msg.kind, "label");
  assert.deepEqual(msg.value, [{ type: "box", class: "car", id: "s1", z: 0, attributes: { occluded: false, quality: "good" }, bbox: [50, 60, 100, 80] }]);
  assert.deepEqual(ctx.hook.shapes(), msg.value);
  assert.equal(root.dataset.outbox, "1");
  ctx.kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.deepEqual(ctx.kernel.labels.get("i0000").value, msg.value);
  // A second box, drawn right to left and clamped at the image's edge; the list grows.
  dragAt(ctx, [[390, 20], [450, 10]]);
  // (450 is outside: clamped to 400.)
  assert.equal(labels(model).length, 2);
  const v = lastValue(model);
  assert.equal(v.length, 2);
  assert.equal(v[1].id, "s2");
  assert.deepEqual(v[1].bbox, [390, 10, 10, 10]);
});

test("box: a click sets one corner, a second click the other; a tiny drag draws nothing", () => {
  const ctx = mount();
  press(ctx.root, "b");
  clickAt(ctx, 10, 10);
  assert.equal(labels(ctx.model).length, 0);
  mouse(ctx.ov, "mousemove", at(ctx, 30, 40));
  clickAt(ctx, 30, 40);
  assert.deepEqual(lastValue(ctx.model)[0].bbox, [10, 10, 20, 30]);
  // Escape cancels a half-made box.
  clickAt(ctx, 100, 100);
  press(ctx.root, "Escape");
  clickAt(ctx, 200, 200);
  assert.equal(labels(ctx.model).length, 1, "the click after Escape starts a new box");
});

test("polygon: clicks add vertices, Backspace takes the last back, Enter closes; a click on the first vertex closes too", () => {
  const ctx = mount();
  const { root, model } = ctx;
  press(root, "3"); // road, for the next shape
  press(root, "p");
  assert.equal(root.dataset.tool, "polygon");
  for (const [x, y] of [[10, 10], [100, 10], [300, 290], [100, 100]]) clickAt(ctx, x, y);
  const bs = press(root, "Backspace");
  assert.equal(bs.defaultPrevented, true);
  assert.equal(labels(model).length, 0, "still drawing");
  press(root, "Enter");
  let v = lastValue(model);
  assert.equal(v.length, 1);
  assert.equal(v[0].type, "polygon");
  assert.equal(v[0].class, "road");
  assert.deepEqual(v[0].points, [[10, 10], [100, 10], [300, 290]]);
  // Second polygon closed by clicking its first vertex again.
  for (const [x, y] of [[200, 20], [250, 20], [250, 80], [200.5, 20.5]]) clickAt(ctx, x, y);
  v = lastValue(model);
  assert.equal(v.length, 2);
  assert.deepEqual(v[1].points, [[200, 20], [250, 20], [250, 80]]);
  // Escape cancels, Enter with two points does not finish.
  clickAt(ctx, 5, 5);
  clickAt(ctx, 50, 5);
  press(root, "Enter");
  assert.equal(labels(model).length, 2);
  assert.match(root.querySelector(".wb-status").textContent, /at least 3 points/);
  press(root, "Escape");
  press(root, "Enter"); // nothing drawn now: Enter is "done", the next item
  assert.equal(root.dataset.itemId, "i0001");
});

test("polyline: Enter finishes an open path; a double-click finishes too", () => {
  const ctx = mount();
  press(ctx.root, "l");
  for (const [x, y] of [[20, 200], [100, 180], [200, 220]]) clickAt(ctx, x, y);
  press(ctx.root, "Enter");
  let v = lastValue(ctx.model);
  assert.equal(v[0].type, "polyline");
  assert.deepEqual(v[0].points, [[20, 200], [100, 180], [200, 220]]);
  clickAt(ctx, 10, 10);
  clickAt(ctx, 50, 50);
  clickAt(ctx, 50, 50); // a double-click's second press
  mouse(ctx.ov, "dblclick", at(ctx, 50, 50));
  v = lastValue(ctx.model);
  assert.equal(v.length, 2);
  assert.deepEqual(v[1].points, [[10, 10], [50, 50]]);
});

test("keypoints: clicks place the skeleton's points in order; Shift+click and n mark a point not labeled", async () => {
  const ctx = mount();
  const { root, model } = ctx;
  press(root, "k");
  assert.equal(root.dataset.tool, "keypoints");
  // The current class (car) has no skeleton: keypoints take the first class that has one.
  clickAt(ctx, 100, 50);
  clickAt(ctx, 120, 80, { shiftKey: true });
  clickAt(ctx, 110, 200);
  let v = lastValue(model);
  assert.equal(v[0].type, "keypoints");
  assert.equal(v[0].class, "person");
  assert.deepEqual(v[0].points, [[100, 50, 2], [0, 0, 0], [110, 200, 2]]);
  // `n` marks the next one not labeled; Enter finishes early (the rest not labeled).
  press(root, "n");
  clickAt(ctx, 300, 40);
  press(root, "Enter");
  v = lastValue(model);
  assert.deepEqual(v[1].points, [[0, 0, 0], [300, 40, 2], [0, 0, 0]]);
  // Edges of the skeleton are drawn between labeled points only: head–foot of the first.
  const base = root.querySelector("canvas.wb-canvas").getContext("2d");
  base.calls.length = 0;
  mouse(ctx.ov, "wheel", [300, 200], { deltaY: 10 });
  await sleep(40);
  const strokes = base.calls.filter((c) => c[0] === "stroke").map((c) => c[1].ops);
  assert.deepEqual(strokes.flat().filter((o) => o[0] === "M" || o[0] === "L"), [["M", 100, 50], ["L", 110, 200]]);
});

test("keypoints: o cycles the selected point's visibility 2 → 1 → 0", () => {
  const kp = { type: "keypoints", class: "person", id: "s1", z: 0, attributes: { occluded: false, quality: "good" }, points: [[100, 50, 2], [120, 80, 2], [110, 200, 2]] };
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [kp] } : {})) });
  const { root, model } = ctx;
  clickAt(ctx, 120, 80); // select tool: the vertex
  press(root, "o");
  assert.deepEqual(lastValue(model)[0].points[1], [120, 80, 1]);
  press(root, "o");
  assert.deepEqual(lastValue(model)[0].points[1], [120, 80, 0]);
  assert.equal(labels(model).length, 2);
});

test("cuboid: drag the front face, then a click places the back face's top-left corner", () => {
  const ctx = mount();
  press(ctx.root, "c");
  dragAt(ctx, [[100, 100], [130, 130], [160, 150]]);
  assert.equal(labels(ctx.model).length, 0, "the back face is still to place");
  mouse(ctx.ov, "mousemove", at(ctx, 120, 80));
  clickAt(ctx, 120, 80);
  const [c] = lastValue(ctx.model);
  assert.equal(c.type, "cuboid");
  assert.deepEqual(c.front, [[100, 100], [160, 100], [160, 150], [100, 150]]);
  assert.deepEqual(c.back, [[120, 80], [180, 80], [180, 130], [120, 130]]);
});

test("brush: a stroke paints a full-resolution mask, sent as RLE whose decode has the painted pixels", () => {
  const ctx = mount();
  const { root, model } = ctx;
  press(root, "m");
  dragAt(ctx, [[100, 100], [150, 100], [200, 110]]);
  const [m] = lastValue(model);
  assert.equal(m.type, "mask");
  assert.equal(m.class, "car");
  assert.deepEqual(m.rle.size, [H, W]);
  assert.equal(typeof m.rle.counts, "string");
  const px = rleDecode(m.rle);
  const on = (x, y) => px[y * W + x] === 1;
  assert.ok(on(100, 100) && on(125, 100) && on(150, 100) && on(175, 105) && on(199, 109));
  assert.ok(!on(100, 120) && !on(300, 100) && !on(10, 10));
  // The new mask is selected: the next stroke extends it (instance mode), one mask still.
  dragAt(ctx, [[100, 200], [120, 200]]);
  let v = lastValue(model);
  assert.equal(v.length, 1);
  assert.ok(rleDecode(v[0].rle)[200 * W + 110] === 1);
  assert.ok(rleDecode(v[0].rle)[100 * W + 125] === 1);
  // ] makes the brush larger; Escape, then a stroke starts a second mask.
  press(root, "]");
  press(root, "Escape");
  dragAt(ctx, [[300, 250], [320, 250]]);
  v = lastValue(model);
  assert.equal(v.length, 2);
  assert.equal(v[1].id, "s2");
  // The eraser takes pixels from the selected mask (the one just painted).
  press(root, "e");
  dragAt(ctx, [[300, 250], [320, 250]]);
  v = lastValue(model);
  assert.equal(v.length, 1, "a mask erased to nothing is removed");
  // With nothing selected, the eraser works on the mask the stroke starts on.
  const n = labels(model).length;
  dragAt(ctx, [[125, 20], [125, 30]]);
  assert.equal(labels(model).length, n, "no mask under the start: nothing erased");
  assert.match(root.querySelector(".wb-status").textContent, /select a mask to erase from/);
  dragAt(ctx, [[125, 100], [126, 100]]);
  v = lastValue(model);
  const erased = rleDecode(v[0].rle);
  assert.equal(erased[100 * W + 125], 0);
  assert.equal(erased[100 * W + 100], 1);
});

test("brush, semantic masks: one mask per class, and painting a class takes its pixels from the others", () => {
  const ctx = mount({ schema: shapesSchema({ masks: "semantic" }) });
  const { root, model } = ctx;
  press(root, "m");
  dragAt(ctx, [[50, 100], [250, 100]]); // car
  press(root, "Escape");
  press(root, "3"); // road
  dragAt(ctx, [[150, 50], [150, 150]]); // across the car stroke
  let v = lastValue(model);
  assert.deepEqual(v.map((s) => s.class), ["car", "road"]);
  const car = rleDecode(v[0].rle);
  const road = rleDecode(v[1].rle);
  assert.equal(road[100 * W + 150], 1);
  assert.equal(car[100 * W + 150], 0, "the crossing belongs to road now");
  assert.equal(car[100 * W + 60], 1);
  // Car again: the same car mask grows, no second one.
  press(root, "1");
  dragAt(ctx, [[50, 200], [60, 200]]);
  v = lastValue(model);
  assert.equal(v.filter((s) => s.class === "car").length, 1);
  assert.equal(rleDecode(v.find((s) => s.class === "car").rle)[200 * W + 55], 1);
  // The eraser erases from every mask.
  press(root, "e");
  dragAt(ctx, [[145, 100], [155, 100]]);
  v = lastValue(model);
  assert.equal(rleDecode(v.find((s) => s.class === "road").rle)[100 * W + 150], 0);
});

test("select: drag the body moves, drag a handle resizes, Delete removes the shape", () => {
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80])] } : {})) });
  const { root, model } = ctx;
  assert.equal(ctx.hook.shapes().length, 1);
  dragAt(ctx, [[150, 140], [170, 150], [190, 170]]);
  assert.deepEqual(lastValue(model)[0].bbox, [140, 130, 100, 80]);
  // The moved box is selected: its bottom-right handle resizes it.
  dragAt(ctx, [[240, 210], [300, 260]]);
  assert.deepEqual(lastValue(model)[0].bbox, [140, 130, 160, 130]);
  // A click without a move commits nothing.
  clickAt(ctx, 200, 200);
  assert.equal(labels(model).length, 2);
  // A click on empty image deselects; Delete with nothing selected does nothing.
  clickAt(ctx, 20, 20);
  press(root, "Delete");
  assert.equal(labels(model).length, 2);
  clickAt(ctx, 200, 200);
  press(root, "Delete");
  assert.deepEqual(lastValue(model), []);
});

test("select: double-click on an edge inserts a vertex, Alt+click and Delete on a vertex remove one", () => {
  const poly = polygon("s1", [[100, 100], [200, 100], [200, 200], [100, 200]]);
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [poly] } : {})) });
  const { root, model } = ctx;
  mouse(ctx.ov, "dblclick", at(ctx, 150, 100.5));
  let v = lastValue(model);
  assert.deepEqual(v[0].points, [[100, 100], [150, 100], [200, 100], [200, 200], [100, 200]]);
  // Alt+click deletes a vertex.
  clickAt(ctx, 150, 100, { altKey: true });
  v = lastValue(model);
  assert.deepEqual(v[0].points, [[100, 100], [200, 100], [200, 200], [100, 200]]);
  // A vertex dragged moves; then Delete deletes the selected vertex, not the shape.
  dragAt(ctx, [[200, 200], [250, 250]]);
  assert.deepEqual(lastValue(model)[0].points[2], [250, 250]);
  press(root, "Delete");
  v = lastValue(model);
  assert.deepEqual(v[0].points, [[100, 100], [200, 100], [100, 200]]);
  // A triangle keeps its 3 points.
  clickAt(ctx, 100, 200);
  const n = labels(model).length;
  press(root, "Delete");
  assert.equal(labels(model).length, n);
  assert.match(root.querySelector(".wb-status").textContent, /at least 3 points/);
});

test("class keys: with a shape selected they change its class, else they set the next shape's class", () => {
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80])] } : {})) });
  const { root, model } = ctx;
  clickAt(ctx, 150, 140);
  const ev = press(root, "3");
  assert.equal(ev.defaultPrevented, true);
  assert.equal(lastValue(model)[0].class, "road");
  press(root, "Escape");
  press(root, "2");
  assert.equal(labels(model).length, 1, "no selection: no label");
  press(root, "b");
  dragAt(ctx, [[10, 10], [40, 40]]);
  assert.equal(lastValue(model)[1].class, "person");
  // Tab cycles the current class; a chip click picks one.
  press(root, "Tab");
  dragAt(ctx, [[50, 50], [60, 60]]);
  assert.equal(lastValue(model)[2].class, "road");
  click(root.querySelector('.wb-class[data-class="car"]'));
  dragAt(ctx, [[70, 70], [80, 80]]);
  assert.equal(lastValue(model)[3].class, "car");
});

test("a class whose key is a tool key is picked by clicking it; the tool keeps its key", () => {
  const schema = shapesSchema();
  schema.classes.push({ name: "bus", key: "b", color: "#0072B2", description: "", examples: [] });
  const ctx = mount({ schema });
  press(ctx.root, "b");
  assert.equal(ctx.root.dataset.tool, "box");
  const chip = ctx.root.querySelector('.wb-class[data-class="bus"]');
  assert.ok(chip.querySelector(".wb-key-taken"));
  click(chip);
  dragAt(ctx, [[10, 10], [50, 50]]);
  assert.equal(lastValue(ctx.model)[0].class, "bus");
  // The help overlay lists the effective keys.
  press(ctx.root, "?");
  const help = ctx.root.querySelector(".wb-overlay .wb-keys-help").textContent;
  assert.match(help, /class bus \(its key b is a tool or command key here\)/);
  assert.match(help, /box tool/);
  press(ctx.root, "Escape");
  assert.equal(ctx.root.querySelector(".wb-overlay"), null);
});

test("PageUp / PageDown raise and lower the selected shape's z", () => {
  const items = imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80]), box("s2", [150, 120, 100, 80], "road")] } : {}));
  const ctx = mount({ items });
  clickAt(ctx, 110, 110); // only s1 there
  press(ctx.root, "PageUp");
  let v = lastValue(ctx.model);
  assert.equal(v.find((s) => s.id === "s1").z, 1);
  // Now s1 is on top where they overlap: a click there selects it, PageDown sends it below.
  clickAt(ctx, 160, 130);
  press(ctx.root, "PageDown");
  v = lastValue(ctx.model);
  assert.equal(v.find((s) => s.id === "s1").z, -1);
  clickAt(ctx, 160, 130);
  press(ctx.root, "Delete");
  assert.deepEqual(lastValue(ctx.model).map((s) => s.id), ["s1"], "s2 was on top after the lowering");
});

test("undo and redo send the restored snapshots as new labels (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y)", () => {
  const ctx = mount();
  const { root, model } = ctx;
  press(root, "b");
  dragAt(ctx, [[10, 10], [50, 50]]);
  dragAt(ctx, [[100, 100], [150, 150]]);
  press(root, "v");
  dragAt(ctx, [[120, 120], [130, 130]]); // move the second box by (10, 10)
  const states = labels(model).map((m) => m.value);
  assert.equal(states.length, 3);
  const z = press(root, "z", { ctrlKey: true });
  assert.equal(z.defaultPrevented, true);
  assert.deepEqual(lastValue(model), states[1]);
  press(root, "z", { ctrlKey: true });
  assert.deepEqual(lastValue(model), states[0]);
  press(root, "Z", { ctrlKey: true, shiftKey: true });
  assert.deepEqual(lastValue(model), states[1]);
  press(root, "y", { ctrlKey: true });
  assert.deepEqual(lastValue(model), states[2]);
  assert.deepEqual(ctx.hook.shapes(), states[2]);
  const n = labels(model).length;
  press(root, "y", { ctrlKey: true });
  assert.equal(labels(model).length, n, "nothing to redo: nothing sent");
  assert.equal(n, 7);
  // Undo of a delete brings the shape back.
  clickAt(ctx, 30, 30);
  press(root, "Delete");
  assert.equal(lastValue(model).length, 1);
  press(root, "z", { metaKey: true });
  assert.equal(lastValue(model).length, 2);
});

test("suggestions: shown with scores, Enter accepts the selected one, a accepts all, Delete dismisses", () => {
  const pre = { value: [box("p1", [100, 100, 120, 80], "car", { score: 0.9 }), polygon("p2", [[300, 200], [380, 200], [340, 280]], "road", { score: 0.6 }), box("p3", [10, 10, 20, 20], "car", { score: 0.3 })], score: 0.75 };
  const ctx = mount({ items: imageItems(3, (i) => (i === 0 ? { prelabel: pre } : {})) });
  const { root, model } = ctx;
  assert.deepEqual(ctx.hook.suggestions().map((s) => [s.id, s.score]), [["p1", 0.9], ["p2", 0.6], ["p3", 0.3]]);
  assert.deepEqual(ctx.hook.shapes(), []);
  assert.match(root.querySelector(".wb-suggestion-line").textContent, /3 suggestions/);
  clickAt(ctx, 160, 140);
  press(root, "Enter");
  let v = lastValue(model);
  assert.equal(v.length, 1);
  assert.equal(v[0].id, "p1");
  assert.deepEqual(v[0].bbox, [100, 100, 120, 80]);
  assert.equal(v[0].score, undefined, "an accepted suggestion is a plain shape");
  assert.equal(root.dataset.itemId, "i0000", "Enter accepted; it did not move on");
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.id), ["p2", "p3"]);
  // Delete on a selected suggestion dismisses it (nothing sent).
  clickAt(ctx, 20, 20);
  press(root, "Delete");
  assert.equal(labels(model).length, 1);
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.id), ["p2"]);
  // a accepts the rest.
  press(root, "a");
  v = lastValue(model);
  assert.deepEqual(v.map((s) => s.id), ["p1", "p2"]);
  assert.deepEqual(ctx.hook.suggestions(), []);
  // The item has a label now: Enter moves on without sending.
  press(root, "Escape");
  press(root, "Enter");
  assert.equal(root.dataset.itemId, "i0001");
  assert.equal(labels(model).length, 2);
});

test("suggestions: editing one accepts it; one already accepted (same id) is not shown twice", () => {
  const pre = { value: [box("p1", [100, 100, 120, 80], "car", { score: 0.9 }), box("p2", [250, 100, 50, 50], "car", { score: 0.8 })], score: 0.8 };
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { prelabel: pre, state: "label", label: [box("p2", [250, 100, 50, 50])] } : {})) });
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.id), ["p1"]);
  dragAt(ctx, [[150, 140], [160, 150]]);
  const v = lastValue(ctx.model);
  assert.deepEqual(v.map((s) => s.id), ["p2", "p1"]);
  assert.deepEqual(v[1].bbox, [110, 110, 120, 80]);
  assert.deepEqual(ctx.hook.suggestions(), []);
  // Undo brings the suggestion back.
  press(ctx.root, "z", { ctrlKey: true });
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.id), ["p1"]);
});

test("Enter on an untouched item records an empty list ('nothing here'); skip sends a skip", () => {
  const items = imageItems(4, (i) => (i === 1 ? { state: "label", label: [box("s1", [1, 1, 5, 5])] } : {}));
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 3, max_size: 2048 }, { task: "objects", schema: shapesSchema() }));
  // A kernel that serves labeled items too (here: item 1 has a stored label).
  const kernel = new FakeKernel(model, items);
  kernel.labels = new Map();
  const { root } = show(model);
  kernel.flush();
  assert.equal(root.dataset.itemId, "i0000");
  press(root, "Enter");
  let sent = model.sentOf("label");
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].value, []);
  assert.equal(sent[0].item_id, "i0000");
  assert.equal(root.dataset.itemId, "i0001");
  // Item 1 has a stored label: Enter sends nothing.
  press(root, "Enter");
  assert.equal(model.sentOf("label").length, 1);
  assert.equal(root.dataset.itemId, "i0002");
  // A held Enter does not run through items.
  press(root, "Enter", { repeat: true });
  assert.equal(root.dataset.itemId, "i0002");
  press(root, "s");
  sent = model.sentOf("label");
  assert.equal(sent[1].kind, "skip");
  assert.equal(sent[1].item_id, "i0002");
  assert.equal(root.dataset.itemId, "i0003");
  // ← → walk the items left here, with their shapes.
  press(root, "ArrowLeft");
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "i0001");
  assert.equal(root.wbAnnotate.shapes().length, 1);
  press(root, "ArrowRight");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0003");
});

test("Shift+C copies the previous item's shapes into this one, with new ids", () => {
  const ctx = mount();
  const { root, model } = ctx;
  press(root, "b");
  dragAt(ctx, [[10, 10], [50, 50]]);
  press(root, "3");
  press(root, "p");
  for (const [x, y] of [[100, 100], [150, 100], [150, 150]]) clickAt(ctx, x, y);
  press(root, "Enter");
  const prev = lastValue(model);
  press(root, "Escape");
  press(root, "Enter"); // done: the next item
  assert.equal(root.dataset.itemId, "i0001");
  press(root, "b");
  dragAt(ctx, [[200, 200], [220, 220]]);
  press(root, "C", { shiftKey: true });
  const v = lastValue(model);
  assert.equal(labels(model).at(-1).item_id, "i0001");
  assert.equal(v.length, 3);
  assert.deepEqual(v.map((s) => s.id), ["s1", "s2", "s3"]);
  assert.deepEqual(v[1].bbox, prev[0].bbox);
  assert.deepEqual(v[2].points, prev[1].points);
  assert.equal(v[2].class, "road");
  // Undo takes the copy back in one step.
  press(root, "z", { ctrlKey: true });
  assert.equal(lastValue(model).length, 1);
});

test("reload: pending outbox snapshots of an item win over the item's stored label", () => {
  const pending = [box("s1", [10, 20, 30, 40]), box("s2", [50, 60, 10, 10], "road")];
  const older = [box("s1", [10, 20, 30, 40])];
  const put = (cid, seq, value, created, task = "objects") =>
    localStorage.setItem(
      `workbench-outbox:proj1:${cid}:${seq}`,
      JSON.stringify({ type: "label", client_id: cid, seq, item_id: "i0000", task, kind: "label", value, duration_ms: 1, created }),
    );
  put("old", 1, older, 1000);
  put("old", 2, pending, 2000);
  put("old", 3, [box("s9", [0, 0, 1, 1])], 3000, "another-task");
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 2, max_size: 2048 }, { task: "objects", schema: shapesSchema() }));
  // The kernel has not stored those yet; it sends item 0 with an older stored label.
  const items = imageItems(3, (i) => (i === 0 ? { state: "label", label: [box("s1", [0, 0, 5, 5])] } : {}));
  const { root } = show(model);
  const resent = model.sentOf("label");
  assert.deepEqual(resent.map((m) => m.seq), [1, 2, 3], "the outbox is resent on hello");
  const need = model.sentOf("need")[0];
  model.deliver({ type: "items", client_id: need.client_id, req: need.req, n: need.n, items: items.map((i) => ({ ...i })) });
  assert.equal(root.dataset.itemId, "i0000");
  assert.deepEqual(root.wbAnnotate.shapes(), pending);
  // The item counts as labeled: Enter sends nothing new.
  press(root, "Enter");
  assert.equal(model.sentOf("label").length, 3);
});

test("wheel zooms at the pointer (the image point under it stays), = - zoom, f fits, middle drag pans", async () => {
  const ctx = mount();
  const { root } = ctx;
  const s0 = ctx.hook.viewport().scale;
  const spot = [120, 90];
  const before = at(ctx, ...spot);
  const ev = mouse(ctx.ov, "wheel", before, { deltaY: -240 });
  assert.equal(ev.defaultPrevented, true);
  const after = at(ctx, ...spot);
  assert.ok(ctx.hook.viewport().scale > 1.5 * s0);
  assert.ok(close(after[0], before[0], 1e-6) && close(after[1], before[1], 1e-6));
  press(root, "=");
  assert.ok(ctx.hook.viewport().scale > 2 * s0);
  press(root, "f");
  assert.ok(close(ctx.hook.viewport().scale, s0));
  press(root, "-");
  assert.ok(ctx.hook.viewport().scale < s0);
  press(root, "f");
  const vp0 = ctx.hook.viewport();
  mouse(ctx.ov, "mousedown", [100, 100], { button: 1 });
  mouse(ctx.ov, "mousemove", [130, 80], { button: 1 });
  mouse(ctx.ov, "mouseup", [130, 80], { button: 1 });
  const vp1 = ctx.hook.viewport();
  assert.ok(close(vp1.tx - vp0.tx, 30) && close(vp1.ty - vp0.ty, -20));
  // Drawing after zooming lands on the right image pixels.
  mouse(ctx.ov, "wheel", at(ctx, 200, 150), { deltaY: -600 });
  press(root, "b");
  dragAt(ctx, [[200, 150], [210, 155]]);
  assert.deepEqual(lastValue(ctx.model)[0].bbox, [200, 150, 10, 5]);
  // Each frame is timed; a frame paints once however many events asked for it.
  await sleep(50);
  assert.ok(ctx.hook.frames().length >= 1);
  assert.ok(ctx.hook.latencies().length >= 1);
  assert.ok(ctx.hook.frames().every((ms) => ms >= 0 && ms < 1000));
});

test("Space held + drag pans; dragging empty image in select mode pans too", () => {
  const ctx = mount();
  const { root } = ctx;
  press(root, "b");
  const vp0 = ctx.hook.viewport();
  press(root, " ");
  mouse(ctx.ov, "mousedown", [200, 200]);
  mouse(ctx.ov, "mousemove", [210, 220]);
  mouse(ctx.ov, "mouseup", [210, 220]);
  root.dispatchEvent(new window.KeyboardEvent("keyup", { key: " ", bubbles: true }));
  assert.equal(labels(ctx.model).length, 0, "no box drawn while panning");
  const vp1 = ctx.hook.viewport();
  assert.ok(close(vp1.tx - vp0.tx, 10) && close(vp1.ty - vp0.ty, 20));
  press(root, "v");
  mouse(ctx.ov, "mousedown", [300, 300]);
  mouse(ctx.ov, "mousemove", [290, 300]);
  mouse(ctx.ov, "mouseup", [290, 300]);
  assert.ok(close(ctx.hook.viewport().tx - vp1.tx, -10));
});

test("zoomed past the sent image's resolution, the full image is asked for once and swapped in", async () => {
  const decoded = [];
  globalThis.createImageBitmap = async (blob) => {
    const big = blob.size > 3;
    const bmp = { width: big ? 400 : 100, height: big ? 300 : 75, close() {} };
    decoded.push(bmp);
    return bmp;
  };
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 1, max_size: 100 }, { task: "objects", schema: shapesSchema() }));
  const { root } = show(model);
  const need = model.sentOf("need")[0];
  const item = { item_id: "big", kind: "image", mime: "image/png", buffer: 0, width: 100, height: 75, full_width: 400, full_height: 300 };
  model.deliver({ type: "items", client_id: need.client_id, req: need.req, n: need.n, items: [item] }, [new Uint8Array([1, 2, 3]).buffer]);
  assert.equal(root.dataset.itemId, "big");
  assert.equal(root.dataset.full, "0");
  // At fit, 400 px of image on 746 px of screen: the 100 px sent image is magnified already.
  let full = model.sentOf("full");
  assert.equal(full.length, 1);
  assert.equal(full[0].item_id, "big");
  mouse(root.querySelector(".wb-canvas-overlay"), "wheel", [300, 200], { deltaY: -300 });
  assert.equal(model.sentOf("full").length, 1, "asked once");
  await sleep(30);
  assert.equal(root.dataset.ready, "1");
  model.deliver({ type: "full", client_id: full[0].client_id, req: full[0].req, item_id: "big", width: 400, height: 300, mime: "image/png", buffer: 0 }, [new Uint8Array([1, 2, 3, 4, 5]).buffer]);
  await sleep(30);
  assert.equal(root.dataset.full, "1");
  assert.equal(decoded.length, 2);
  // The base canvas draws the full bitmap scaled to the full size (the shapes' space).
  const calls = root.querySelector("canvas.wb-canvas").getContext("2d").calls;
  const draws = calls.filter((c) => c[0] === "drawImage" && c[1] === decoded[1]);
  assert.ok(draws.length >= 1);
  assert.deepEqual(draws.at(-1).slice(2), [0, 0, 400, 300]);
});

test("keys: handled ones are stopped and their default prevented; unbound letters never reach the notebook; Escape with nothing to do goes through", () => {
  const ctx = mount();
  const { root } = ctx;
  const outside = [];
  document.body.addEventListener("keydown", (e) => outside.push(e.key));
  for (const k of ["b", "p", "v", "x", "q"]) press(root, k);
  assert.deepEqual(outside, []);
  press(root, "Escape");
  assert.deepEqual(outside, ["Escape"]);
  // Keys go nowhere while typing in an attribute field.
  assert.equal(annotateAction({ key: "z", ctrlKey: true }, new Map()).type, "undo");
  assert.equal(annotateAction({ key: "Z", ctrlKey: true, shiftKey: true }, new Map()).type, "redo");
  assert.equal(annotateAction({ key: "y", metaKey: true }, new Map()).type, "redo");
  assert.equal(annotateAction({ key: "a", ctrlKey: true }, new Map()), null);
  assert.equal(annotateAction({ key: "Tab", shiftKey: true }, new Map()), null);
  assert.deepEqual(annotateAction({ key: "B" }, new Map()), { type: "tool", tool: "box" }, "Caps Lock");
  assert.deepEqual(annotateAction({ key: "C", shiftKey: true }, new Map()), { type: "copyPrevious" });
  assert.deepEqual(annotateAction({ key: "1" }, new Map([["1", "car"]])), { type: "class", name: "car" });
});

test("h hides the current class (and the toolbar checkbox does too): hidden shapes are not drawn or hit", () => {
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80]), box("s2", [300, 200, 50, 50], "road")] } : {})) });
  const { root, model } = ctx;
  press(root, "h"); // car
  assert.equal(root.querySelector('.wb-class-toggle[data-class="car"]').checked, false);
  clickAt(ctx, 150, 140);
  press(root, "Delete");
  assert.equal(labels(model).length, 0, "a hidden shape cannot be selected");
  const toggle = root.querySelector('.wb-class-toggle[data-class="car"]');
  toggle.checked = true;
  toggle.dispatchEvent(new window.Event("change", { bubbles: true }));
  clickAt(ctx, 150, 140);
  press(root, "Delete");
  assert.deepEqual(lastValue(model).map((s) => s.id), ["s2"]);
});

test("attributes of the selected shape: a checkbox and a select commit the change", () => {
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80])] } : {})) });
  const { root, model } = ctx;
  assert.equal(root.querySelector(".wb-attrs").hidden, true);
  clickAt(ctx, 150, 140);
  const panel = root.querySelector(".wb-attrs");
  assert.equal(panel.hidden, false);
  const occluded = panel.querySelector('input[data-attribute="occluded"]');
  occluded.checked = true;
  occluded.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.deepEqual(lastValue(model)[0].attributes, { occluded: true, quality: "good" });
  const quality = root.querySelector('.wb-attrs select[data-attribute="quality"]');
  quality.value = "bad";
  quality.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.deepEqual(lastValue(model)[0].attributes, { occluded: true, quality: "bad" });
  // Keys typed in a field stay there.
  const typed = press(quality, "3");
  assert.equal(typed.defaultPrevented, false);
  assert.equal(lastValue(model)[0].class, "car");
});

test("drawing is batched: one fill and one stroke per class, however many polygons", async () => {
  const polys = [];
  for (let i = 0; i < 60; i++) {
    const x = (i % 10) * 35 + 10, y = Math.floor(i / 10) * 45 + 10;
    polys.push(polygon(`s${i + 1}`, [[x, y], [x + 20, y], [x + 25, y + 20], [x, y + 30]], i % 2 ? "road" : "car"));
  }
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: polys } : {})) });
  const base = ctx.root.querySelector("canvas.wb-canvas").getContext("2d");
  base.calls.length = 0;
  mouse(ctx.ov, "wheel", [300, 200], { deltaY: -100 });
  await sleep(40);
  const frame = base.calls;
  assert.equal(frame.filter((c) => c[0] === "fill").length, 2);
  assert.equal(frame.filter((c) => c[0] === "stroke").length, 2);
  const fill = frame.find((c) => c[0] === "fill")[1];
  assert.equal(fill.ops.filter((o) => o[0] === "M").length, 30, "30 car polygons in one path");
  assert.equal(frame.filter((c) => c[0] === "setTransform").length >= 1, true);
});

test("item changes are painted in the key's frame and timed (paints hook, __workbenchTimings)", async () => {
  const ctx = mount();
  ctx.hook.resetTimings();
  press(ctx.root, "Enter");
  await sleep(40);
  assert.equal(ctx.hook.paints().length, 1);
  assert.ok(ctx.hook.paints()[0] >= 0 && ctx.hook.paints()[0] < 1000);
  const t = globalThis.__workbenchTimings.at(-1);
  assert.equal(t.item_id, "i0001");
});

test("destroy removes every listener", () => {
  const ctx = mount();
  assert.ok(ctx.model.listenerCount() > 0);
  ctx.cleanup();
  assert.equal(ctx.model.listenerCount(), 0);
  assert.equal(document.querySelector(".wb-annotate"), null);
});

test("parseShapes keeps well-formed shapes with unique ids; cleanShape drops unknown fields", () => {
  const got = parseShapes([{ type: "box", class: "a", bbox: [0, 0, 1, 1] }, { type: "nope", class: "a" }, null, { type: "box", class: "a", id: "x", bbox: [1, 1, 1, 1] }, { type: "box", class: "a", id: "x", bbox: [2, 2, 1, 1] }], "p");
  assert.deepEqual(got.map((s) => s.id), ["p1", "x", "p5"]);
  assert.deepEqual(cleanShape({ type: "polygon", class: "a", id: "s1", points: [[0, 0]], bbox: [1, 2, 3, 4], extra: 1 }), { type: "polygon", class: "a", id: "s1", z: 0, attributes: {}, points: [[0, 0]] });
  const m = new Uint8Array(12);
  m[5] = 1;
  assert.deepEqual(rleDecode(rleEncode(m, 3, 4)), m);
});

test("a mask is drawn from a coloured canvas the size of its bounding box, built once from the runs", async () => {
  const m = new Uint8Array(W * H);
  for (let y = 40; y < 60; y++) for (let x = 100; x < 130; x++) m[y * W + x] = 1;
  m[59 * W + 200] = 1; // a stray pixel widens the box
  const mask = { type: "mask", class: "road", id: "s1", z: 0, attributes: { occluded: false, quality: "good" }, rle: rleEncode(m, H, W) };
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [mask] } : {})) });
  const base = ctx.root.querySelector("canvas.wb-canvas").getContext("2d");
  const draws = base.calls.filter((c) => c[0] === "drawImage" && c[1]?.tagName === "CANVAS");
  assert.equal(draws.length, 1);
  const [, canvas, x, y] = draws[0];
  assert.deepEqual([x, y, canvas.width, canvas.height], [100, 40, 101, 20]);
  const img = canvas.getContext("2d").calls.find((c) => c[0] === "putImageData")[1];
  const alpha = (px, py) => img.data[(py * canvas.width + px) * 4 + 3];
  const rgb = (px, py) => [...img.data.slice((py * canvas.width + px) * 4, (py * canvas.width + px) * 4 + 3)];
  assert.ok(alpha(0, 0) > 0 && alpha(29, 19) > 0 && alpha(100, 19) > 0);
  assert.equal(alpha(30, 0), 0);
  assert.equal(alpha(100, 0), 0);
  assert.deepEqual(rgb(0, 0), [0x00, 0x9e, 0x73], "road's colour");
  let on = 0;
  for (let i = 3; i < img.data.length; i += 4) if (img.data[i]) on++;
  assert.equal(on, 20 * 30 + 1);
  // Built once: another frame draws the same canvas.
  mouse(ctx.ov, "wheel", [300, 200], { deltaY: 50 });
  await sleep(40);
  const again = base.calls.filter((c) => c[0] === "drawImage" && c[1]?.tagName === "CANVAS");
  assert.equal(again.at(-1)[1], canvas);
  // Selected, it moves by whole pixels (the RLE is shifted).
  dragAt(ctx, [[110, 50], [120, 55], [125, 60]]);
  const moved = rleDecode(lastValue(ctx.model)[0].rle);
  assert.equal(moved[(40 + 10) * W + 100 + 15], 1);
  assert.equal(moved[40 * W + 100], 0);
});

test("an item that cannot be shown: Enter records nothing, s skips it", () => {
  const items = [{ item_id: "bad", kind: "error", buffer: null, error: "cannot read bad.png" }, ...imageItems(2)];
  const ctx = mount({ items });
  const { root, model } = ctx;
  assert.equal(root.dataset.itemId, "bad");
  assert.match(root.querySelector(".wb-stage-note").textContent, /cannot read bad.png/);
  press(root, "Enter");
  assert.equal(model.sentOf("label").length, 0);
  assert.equal(root.dataset.itemId, "bad");
  press(root, "s");
  assert.equal(model.sentOf("label")[0].kind, "skip");
  assert.equal(root.dataset.itemId, "i0000");
  assert.equal(root.querySelector(".wb-stage-note").hidden, true);
});

test("hovering a shape in select mode outlines it on the overlay, without repainting the base canvas", async () => {
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80])] } : {})) });
  await sleep(40);
  const base = ctx.root.querySelector("canvas.wb-canvas").getContext("2d");
  const over = ctx.ov.getContext("2d");
  base.calls.length = 0;
  over.calls.length = 0;
  mouse(ctx.ov, "mousemove", at(ctx, 150, 140));
  await sleep(40);
  assert.equal(base.calls.length, 0);
  assert.ok(over.calls.some((c) => c[0] === "stroke"));
  assert.ok(over.calls.some((c) => c[0] === "fillText" && c[1] === "car"), "the class name by the shape");
  assert.equal(ctx.ov.style.cursor, "move");
  // A drawing tool shows the crosshair through the pointer.
  press(ctx.root, "b");
  over.calls.length = 0;
  mouse(ctx.ov, "mousemove", at(ctx, 10, 10));
  await sleep(40);
  assert.ok(over.calls.filter((c) => c[0] === "lineTo").length >= 2);
  assert.equal(ctx.ov.style.cursor, "crosshair");
});

test("a review of audit issues: the item's quality and suspects show; Enter confirms its label as it is", async () => {
  const given = [box("s1", [100, 100, 100, 80]), box("s2", [300, 200, 50, 50], "road")];
  const issue = {
    position: 0,
    total: 2,
    quality: 0.42,
    is_issue: true,
    label: "car, road",
    suggested: "car×2",
    suspects: [
      { issue: "swap", shape: "s2", class: "road", bbox: [300, 200, 50, 50], score: 0.1 },
      { issue: "overlooked", shape: "p1", class: "car", bbox: [10, 10, 40, 40], score: 0.3 },
    ],
  };
  const pre = { value: [box("p1", [10, 10, 40, 40], "car", { score: 0.8 })], score: 0.8 };
  const ctx = mount({ items: imageItems(2, (i) => (i === 0 ? { state: "label", label: given, issue, prelabel: pre } : {})) });
  const { root, model } = ctx;
  const box_ = root.querySelector(".wb-issue");
  assert.equal(box_.hidden, false);
  assert.match(box_.textContent, /review 1 of 2 · quality 0\.42 · flagged/);
  assert.match(box_.textContent, /model: car×2/);
  const rows = [...box_.querySelectorAll(".wb-suspect")];
  assert.deepEqual(rows.map((r) => r.textContent), ["swap: road 0.10", "overlooked: car 0.30"]);
  // A suspect selects its shape: the labeled one, or the model's suggestion.
  click(rows[0]);
  assert.match(root.querySelector(".wb-info").textContent, /selected box s2/);
  click(rows[1]);
  assert.match(root.querySelector(".wb-info").textContent, /selected box p1 \(suggestion\)/);
  press(root, "Escape");
  // Suspect boxes are drawn on the overlay.
  await sleep(40);
  const over = ctx.ov.getContext("2d").calls;
  assert.ok(over.some((c) => c[0] === "fillText" && c[1] === "swap"));
  // Enter confirms: the unchanged list is sent, then the next item.
  press(root, "Enter");
  const sent = labels(model);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].value, given);
  assert.equal(root.dataset.itemId, "i0001");
  assert.equal(root.querySelector(".wb-issue").hidden, true);
});

test("zooming at the pointer uses the pointer events' exact position (mouse events carry whole pixels)", () => {
  const ctx = mount();
  const spot = [123.4, 87.6];
  const exact = at(ctx, ...spot);
  const whole = exact.map(Math.floor);
  assert.notDeepEqual(exact, whole);
  // Chromium: pointermove at the exact position, then mouse and wheel events truncated.
  mouse(ctx.ov, "pointermove", exact);
  for (let i = 0; i < 4; i++) mouse(ctx.ov, "wheel", whole, { deltaY: -300 });
  const after = at(ctx, ...spot);
  assert.ok(ctx.hook.viewport().scale > 10);
  assert.ok(close(after[0], exact[0], 1e-6) && close(after[1], exact[1], 1e-6), `${after} vs ${exact}`);
  // A box drawn there lands on exact image pixels too.
  press(ctx.root, "b");
  const a = at(ctx, 123.4, 87.6), b = at(ctx, 125.4, 88.6);
  mouse(ctx.ov, "pointerdown", a);
  mouse(ctx.ov, "mousedown", a.map(Math.floor));
  mouse(ctx.ov, "pointermove", b);
  mouse(ctx.ov, "mousemove", b.map(Math.floor));
  mouse(ctx.ov, "mouseup", b.map(Math.floor));
  assert.deepEqual(lastValue(ctx.model)[0].bbox, [123.4, 87.6, 2, 1]);
});

test("cuboid corners are edited one at a time (front or back face); text and number attributes commit", () => {
  const cub = {
    type: "cuboid", class: "car", id: "s1", z: 0, attributes: { occluded: false, quality: "good", note: "", height: null },
    front: [[100, 100], [160, 100], [160, 150], [100, 150]], back: [[120, 80], [180, 80], [180, 130], [120, 130]],
  };
  const schema = shapesSchema({
    attributes: [
      { name: "occluded", kind: "bool", choices: [], default: false },
      { name: "quality", kind: "choice", choices: ["good", "bad"], default: "good" },
      { name: "note", kind: "text", choices: [], default: "" },
      { name: "height", kind: "number", choices: [], default: null },
    ],
  });
  const ctx = mount({ schema, items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [cub] } : {})) });
  const { root, model } = ctx;
  dragAt(ctx, [[180, 80], [190, 70]]); // the back face's top-right corner
  let v = lastValue(model)[0];
  assert.deepEqual(v.back, [[120, 80], [190, 70], [180, 130], [120, 130]]);
  assert.deepEqual(v.front, cub.front);
  dragAt(ctx, [[100, 150], [95, 155]]); // the front face's bottom-left corner
  v = lastValue(model)[0];
  assert.deepEqual(v.front[3], [95, 155]);
  const note = root.querySelector('.wb-attrs input[data-attribute="note"]');
  note.value = "parked";
  note.dispatchEvent(new window.Event("change", { bubbles: true }));
  const height = root.querySelector('.wb-attrs input[data-attribute="height"]');
  assert.equal(height.type, "number");
  height.value = "1.5";
  height.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.deepEqual(lastValue(model)[0].attributes, { occluded: false, quality: "good", note: "parked", height: 1.5 });
  const h2 = root.querySelector('.wb-attrs input[data-attribute="height"]');
  h2.value = "";
  h2.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.equal(lastValue(model)[0].attributes.height, null);
});

// -- team mode: reviewers' notes -----------------------------------------------------------------
test("team mode: the notes strip and the sent-back item's note head the side panel; d marks them read", () => {
  const car = box("s1", [10, 10, 50, 40]);
  const person = box("s2", [100, 100, 40, 80], "person");
  const corrected = feedbackRow(1, "i0004", "review-correct", { note: "missed a person", previous: [car], value: [car, person] });
  const sentBack = feedbackRow(2, "i0002", "send-back", { note: "the road is wider", previous: [car] });
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 3, max_size: 2048 }, { task: "objects", schema: shapesSchema() }));
  const kernel = new TeamKernel(model, imageItems(5));
  kernel.feedback = [corrected, sentBack];
  kernel.itemFeedback.set("i0002", sentBack);
  const { root } = show(model);
  kernel.flush();
  // The item sent back comes before i0000 and i0001, which the kernel listed first.
  assert.equal(root.dataset.itemId, "i0002");
  const side = root.querySelector(".wb-side");
  const strip = side.querySelector(".wb-feedback");
  assert.equal(side.firstElementChild, strip);
  assert.equal(strip.dataset.feedbackCount, "2");
  assert.deepEqual([...strip.querySelectorAll(".wb-feedback-item")].map((li) => li.textContent), [
    "rita corrected i0004: 1 shape → 2 shapes — “missed a person”",
    "rita sent i0002 back — “the road is wider”",
  ]);
  const note = side.querySelector("[data-item-feedback]");
  assert.equal(note.dataset.itemFeedback, "2");
  assert.equal(note.textContent, "Sent back by rita: the road is wider");
  // d is free among the drawing keys: it marks the notes read.
  press(root, "d");
  assert.deepEqual(model.sentOf("seen")[0].ids, [1, 2]);
  assert.equal(strip.dataset.feedbackCount, "0");
  assert.equal(strip.hidden, true);
  assert.equal(root.dataset.tool, "select", "no tool changed");
  // The next item has no note of its own.
  press(root, "s");
  assert.equal(root.dataset.itemId, "i0000");
  assert.equal(side.querySelector("[data-item-feedback]"), null);
  kernel.flush();
  assert.deepEqual([...kernel.seenIds], [1, 2]);
});

test("annotate keys: d gives way to a class bound to it", () => {
  assert.deepEqual(annotateAction({ key: "d" }, new Map()), { type: "readNotes" });
  assert.deepEqual(annotateAction({ key: "d" }, new Map([["d", "dog"]])), { type: "class", name: "dog" });
  assert.equal(annotateAction({ key: "D", shiftKey: true }, new Map()), null);
});

// -- → / ← between items, suggestions pushed by the kernel, the done state ---------------------------
test("→ on the live item moves to the next one without labeling it; ← comes back with its shapes", () => {
  const ctx = mount();
  const { root, model } = ctx;
  assert.equal(root.dataset.itemId, "i0000");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0001");
  assert.equal(labels(model).length, 0, "→ records nothing on an untouched item");
  // A box drawn here is stored as it is drawn; → then moves on and loses nothing.
  press(root, "b");
  dragAt(ctx, [[10, 10], [60, 50]]);
  assert.equal(labels(model).length, 1);
  press(root, "v");
  clickAt(ctx, 30, 30); // a selected shape does not stop → (arrows never move shapes)
  assert.equal(ctx.hook.shapes().length, 1);
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0002");
  assert.equal(labels(model).length, 1);
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "i0001");
  assert.deepEqual(ctx.hook.shapes().map((s) => s.bbox), [[10, 10, 50, 40]]);
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "i0000");
  press(root, "ArrowRight");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0002", "past the items left: the live item again");
  // A shape being drawn holds → until it is finished or cancelled.
  press(root, "p");
  clickAt(ctx, 100, 100);
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0002");
  assert.match(root.querySelector(".wb-status").textContent, /finish the shape/);
  press(root, "Escape");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0003");
  // The key list says what → does.
  press(root, "?");
  assert.match(root.textContent, /→ leaves an untouched item unlabeled/);
});

test("suggestions stored later reach queued items and the untouched shown item; an edited item gets them when shown again", () => {
  const ctx = mount();
  const { root, model } = ctx;
  assert.deepEqual(ctx.hook.suggestions(), []);
  const sug = (id, x) => box(id, [x, 20, 30, 30], "car", { score: 0.8 });
  model.deliver({ type: "prelabels", task: "objects", items: [
    { item_id: "i0000", prelabel: { value: [sug("p1", 10)], score: 0.8 } },
    { item_id: "i0001", prelabel: { value: [sug("p1", 50), sug("p2", 100)], score: 0.7 } },
    { item_id: "nope", prelabel: { value: [sug("p1", 5)], score: 0.1 } },
  ] });
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.bbox[0]), [10], "the shown, untouched item");
  // Another task's suggestions are not ours.
  model.deliver({ type: "prelabels", task: "other", items: [{ item_id: "i0000", prelabel: { value: [sug("p9", 200)], score: 1 } }] });
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.id), ["p1"]);
  // Once the user changed the shown item, new suggestions wait: the shapes drawn stay as they are.
  press(root, "b");
  dragAt(ctx, [[200, 200], [260, 250]]);
  const drawn = ctx.hook.shapes();
  model.deliver({ type: "prelabels", task: "objects", items: [{ item_id: "i0000", prelabel: { value: [sug("p1", 300), sug("p2", 340)], score: 0.9 } }] });
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.bbox[0]), [10]);
  assert.deepEqual(ctx.hook.shapes(), drawn);
  assert.match(root.querySelector(".wb-status").textContent, /new model suggestions for this item/);
  // The next item (queued) shows the suggestions sent while it waited.
  press(root, "Escape");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "i0001");
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.bbox[0]), [50, 100]);
  // Back on the edited item: the suggestions that waited show now, beside its shapes.
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "i0000");
  assert.deepEqual(ctx.hook.suggestions().map((s) => s.bbox[0]), [300, 340]);
  assert.deepEqual(ctx.hook.shapes(), drawn);
  // `a` accepts them as usual.
  press(root, "a");
  assert.deepEqual(lastValue(model).map((s) => s.bbox[0]), [200, 300, 340]);
});

test("done state: no empty canvas; it says what is done, and ← (or the button) goes back", () => {
  const ctx = mount({ items: imageItems(2) });
  const { root, kernel } = ctx;
  const card = root.querySelector(".wb-done-card");
  assert.ok(card.hidden);
  press(root, "Enter");
  press(root, "Enter");
  kernel.flush();
  kernel.flush();
  assert.ok(root.classList.contains("wb-done"));
  assert.equal(card.hidden, false);
  assert.equal(root.querySelector(".wb-stage-note").hidden, true, "no loading note over an empty canvas");
  assert.equal(root.querySelector(".wb-done-title").textContent, "All items are done");
  assert.match(root.querySelector(".wb-done-text").textContent, /2 of 2 items have a label/);
  assert.match(root.querySelector(".wb-done-text").textContent, /the 2 items you left here/);
  click(root.querySelector(".wb-done-back"));
  assert.equal(root.dataset.itemId, "i0001");
  assert.ok(!root.classList.contains("wb-done"));
  assert.ok(card.hidden);
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "i0000");
  press(root, "ArrowRight");
  press(root, "ArrowRight");
  assert.ok(root.classList.contains("wb-done"));
});

test("done state of a view with nothing to do from the start: how to see labeled items again", () => {
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 3, max_size: 2048 }, { task: "objects", schema: shapesSchema() }));
  const kernel = new FakeKernel(model, imageItems(2));
  kernel.labels.set("i0000", { kind: "label", value: [] });
  kernel.labels.set("i0001", { kind: "label", value: [] });
  const { root } = show(model);
  kernel.flush();
  kernel.flush();
  assert.ok(root.classList.contains("wb-done"));
  assert.equal(root.querySelector(".wb-done-title").textContent, "All items are done");
  assert.ok(root.querySelector(".wb-done-back").hidden);
  assert.match(root.querySelector(".wb-done-hint").textContent, /issues=/);
  press(root, "ArrowLeft");
  press(root, "ArrowRight");
  assert.ok(root.classList.contains("wb-done"), "arrows with nothing to walk do nothing");
});

test("each shape is tagged with its class, a suggestion with its score too, in white on a dark chip; the hint lists only the task's tools", async () => {
  const pre = { value: [box("p1", [200, 50, 40, 40], "person", { score: 0.9 })], score: 0.9 };
  const ctx = mount({
    schema: shapesSchema({ types: ["box", "polygon"] }),
    items: imageItems(2, (i) => (i === 0 ? { state: "label", label: [box("s1", [100, 100, 100, 80])], prelabel: pre } : {})),
  });
  const base = ctx.root.querySelector("canvas.wb-canvas").getContext("2d");
  base.calls.length = 0;
  ctx.hook.setTool("select");
  await sleep(40);
  ctx.root.wbAnnotate.resetTimings();
  press(ctx.root, "h");
  press(ctx.root, "h"); // hide and show the current class again: a repaint of the base canvas
  await sleep(40);
  const texts = base.calls.filter((c) => c[0] === "fillText").map((c) => c[1]);
  assert.ok(texts.includes("car"), texts.join(","));
  assert.ok(texts.includes("person 90%"), texts.join(","));
  assert.match(ctx.root.querySelector(".wb-hint").textContent, /^v select · b box · p polygon · Enter done/);
  assert.doesNotMatch(ctx.root.querySelector(".wb-hint").textContent, /cuboid|brush/);
});
