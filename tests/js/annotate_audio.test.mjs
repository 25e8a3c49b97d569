import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, press, widgetState, fakeContext } from "./helpers.mjs";
import annotateAudio, { addRegion, relabel, removeRegions, setEdge, parseValue, toWire, regionsAt, audioAction, pickPeaks, formatTime, readPeaks, spectrogramPixels, colorTable } from "../../widgets/annotate_audio.ts";

const { show } = widgetTests(annotateAudio.render, ".wb-annotate-audio");

beforeEach(() => {
  // Runs after widgetTests' beforeEach made a fresh jsdom (which has no canvas).
  window.HTMLCanvasElement.prototype.getContext = function () {
    return (this.__ctx ??= fakeContext(this));
  };
});

const SPEC = { overlap: false, duration: 10, attributes: { loud: false }, text: "" };

// -- values --------------------------------------------------------------------
test("regions: times to the microsecond, clipped to the clip, sorted, new ids", () => {
  let v = parseValue(null);
  ({ value: v } = addRegion(v, 3.0000004, 4, "speech", SPEC));
  ({ value: v } = addRegion(v, 1, 0.5, "music", SPEC)); // reversed ends: swapped
  const out = addRegion(v, 9, 12, "speech", SPEC); // past the end: clipped
  v = out.value;
  assert.deepEqual(v.regions.map((r) => [r.start, r.end, r.class]), [[0.5, 1, "music"], [3, 4, "speech"], [9, 10, "speech"]]);
  assert.equal(out.id, "r3");
  assert.equal(addRegion(v, 11, 12, "speech", SPEC).id, null, "nothing inside the clip: no region");
  assert.deepEqual(v.regions[0].attributes, { loud: false });
  assert.equal(v.regions[0].text, "");
});

test("regions: without overlap a new region replaces those it overlaps; with overlap both stay", () => {
  let v = addRegion(parseValue(null), 1, 3, "speech", SPEC).value;
  v = addRegion(v, 2, 4, "music", SPEC).value;
  assert.deepEqual(v.regions.map((r) => r.class), ["music"]);
  let w = addRegion(parseValue(null), 1, 3, "speech", { ...SPEC, overlap: true }).value;
  w = addRegion(w, 2, 4, "music", { ...SPEC, overlap: true }).value;
  assert.deepEqual(w.regions.map((r) => r.class), ["speech", "music"]);
  assert.deepEqual(regionsAt(w, 2.5).map((r) => r.class), ["speech", "music"]);
  // The same region twice is one.
  w = addRegion(w, 1, 3, "speech", { ...SPEC, overlap: true }).value;
  assert.equal(w.regions.length, 2);
});

test("regions: relabel, remove, edges kept inside the clip and apart from the others", () => {
  let v = addRegion(parseValue(null), 1, 3, "speech", SPEC).value;
  v = addRegion(v, 5, 6, "speech", SPEC).value;
  const [a, b] = v.regions;
  assert.equal(relabel(v, a.id, "music").regions[0].class, "music");
  assert.deepEqual(removeRegions(v, [a.id]).regions.map((r) => r.id), [b.id]);
  assert.equal(setEdge(v, a.id, "end", 4.5, 10, false).regions[0].end, 4.5);
  assert.equal(setEdge(v, a.id, "end", 5.5, 10, false), v, "would overlap the next: unchanged");
  assert.equal(setEdge(v, b.id, "end", 99, 10, false).regions[1].end, 10);
  assert.equal(setEdge(v, a.id, "start", 3.5, 10, false).regions[0].start, 2.999, "kept a millisecond long");
  // What is sent holds no suggestion score.
  const scored = parseValue({ regions: [{ id: "x", start: 0, end: 1, class: "speech", score: 0.5 }] });
  assert.equal(scored.regions[0].score, 0.5);
  assert.equal("score" in toWire(scored).regions[0], false);
});

test("parseValue keeps only well-formed regions", () => {
  const v = parseValue([{ start: 0, end: 1, class: "a" }, { start: 2, end: 1, class: "a" }, { start: "0", end: 1, class: "a" }, { start: 0, end: 1 }, null]);
  assert.equal(v.regions.length, 1);
});

// -- keys, drawing helpers -----------------------------------------------------------
test("keys: Space plays whatever the classes; a class key wins over the widget's letters", () => {
  const keys = new Map([["1", "speech"], ["y", "yes"]]);
  assert.deepEqual(audioAction({ key: " " }, keys), { type: "play" });
  assert.deepEqual(audioAction({ key: "1" }, keys), { type: "class", name: "speech" });
  assert.deepEqual(audioAction({ key: "y" }, keys), { type: "class", name: "yes" });
  assert.deepEqual(audioAction({ key: "y" }, new Map()), { type: "accept" });
  assert.deepEqual(audioAction({ key: "ArrowRight", shiftKey: true }, keys), { type: "seek", by: 10 });
  assert.deepEqual(audioAction({ key: "z", ctrlKey: true, shiftKey: true }, keys), { type: "redo" });
  assert.equal(audioAction({ key: "1", altKey: true }, keys), null);
});

test("pickPeaks takes the finest waveform that covers the window", () => {
  const coarse = { start: 0, end: 100, min: new Float32Array(10), max: new Float32Array(10) };
  const fine = { start: 40, end: 60, min: new Float32Array(1000), max: new Float32Array(1000) };
  assert.equal(pickPeaks([coarse, fine], 45, 55), fine);
  assert.equal(pickPeaks([coarse, fine], 30, 55), coarse, "the fine one does not cover it");
  assert.equal(formatTime(61.5, 0.1), "1:01.5");
  const pairs = new Float32Array([-0.5, 0.5, -0.25, 1]);
  const p = readPeaks(new Uint8Array(pairs.buffer), 0, 2);
  assert.deepEqual([...p.min], [-0.5, -0.25]);
  assert.deepEqual([...p.max], [0.5, 1]);
  assert.equal(readPeaks(new Uint8Array(3), 0, 1), null, "not whole pairs");
});

test("spectrogram pixels: the lowest band at the bottom, dark to bright", () => {
  // 2 rows × 3 columns; row 0 (lowest band) = [0, 128, 255], row 1 = [255, 0, 0].
  const px = spectrogramPixels({ start: 0, end: 1, columns: 3, rows: 2, maxHz: 4000, data: new Uint8Array([0, 128, 255, 255, 0, 0]) });
  const lut = colorTable();
  const at = (x, y) => [...px.slice((y * 3 + x) * 4, (y * 3 + x) * 4 + 4)];
  assert.deepEqual(at(2, 1), [...lut.slice(255 * 4, 256 * 4)], "bottom row: the lowest band");
  assert.deepEqual(at(0, 0), [...lut.slice(255 * 4, 256 * 4)], "top row: the highest band");
  const sum = (v) => lut[v * 4] + lut[v * 4 + 1] + lut[v * 4 + 2];
  for (let v = 1; v < 256; v++) assert.ok(sum(v) >= sum(v - 1) - 2, `brighter with the value (${v})`);
});

test("keys: g shows the spectrogram unless a class has it", () => {
  assert.deepEqual(audioAction({ key: "g" }, new Map()), { type: "spectrogram" });
  assert.deepEqual(audioAction({ key: "g" }, new Map([["g", "glass"]])), { type: "class", name: "glass" });
});

// -- the view ------------------------------------------------------------------
function audioSchema() {
  return {
    kind: "audio",
    name: "events",
    description: "",
    classes: [
      { name: "speech", key: "1", color: "#E69F00", description: "", examples: [] },
      { name: "music", key: "2", color: "#56B4E9", description: "", examples: [] },
    ],
    attributes: [],
    overlapping: true,
    transcripts: false,
  };
}

function clip(id, duration) {
  return { item_id: id, kind: "audio", duration, sample_rate: 8000, channels: 1, bins: 4, buffer: null };
}

function mount() {
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 2, max_size: 512 }, { task: "events", schema: audioSchema() }));
  const kernel = new FakeKernel(model, [clip("a", 4), clip("b", 2)]);
  const shown = show(model);
  kernel.flush();
  kernel.flush();
  return { model, kernel, ...shown, hooks: shown.root.wbAudio };
}

const labels = (model) => model.sentOf("label").filter((m) => m.kind === "label");

test("view: a selection and a class key make one region; Delete, undo and Enter each send the clip's value", () => {
  const { model, root, hooks } = mount();
  assert.equal(root.dataset.itemId, "a");
  hooks.select(1, 2);
  press(root, "1");
  assert.deepEqual(labels(model).at(-1).value.regions.map((r) => [r.start, r.end, r.class]), [[1, 2, "speech"]]);
  assert.equal(root.dataset.picked, "r1");
  press(root, "2");
  assert.equal(labels(model).at(-1).value.regions[0].class, "music");
  press(root, "Delete");
  assert.deepEqual(labels(model).at(-1).value.regions, []);
  press(root, "z", { ctrlKey: true });
  assert.equal(labels(model).at(-1).value.regions.length, 1);
  // The region is drawn: a fill from 1 s to 2 s of the 4 s clip, in its class's colour.
  const ctx = root.querySelector("canvas.wb-wave").getContext("2d");
  const width = ctx.canvas.width / (ctx.canvas.height / 140);
  const fills = ctx.calls.filter((c) => c[0] === "fillRect" && Math.abs(c[1] - width / 4) < 1 && Math.abs(c[3] - width / 4) < 2);
  assert.ok(fills.length >= 1, "a fill over the region");
  press(root, "Enter");
  assert.equal(root.dataset.itemId, "b");
  assert.equal(labels(model).length, 4, "Enter after changes sends nothing more");
  press(root, "Enter");
  assert.deepEqual(labels(model).at(-1), { ...labels(model).at(-1), item_id: "b", value: { regions: [] } });
});

test("view: a class key with nothing selected and nothing playing says what to do", () => {
  const { model, root } = mount();
  press(root, "1");
  assert.equal(labels(model).length, 0);
  assert.match(root.querySelector(".wb-status").textContent, /drag over the waveform/);
});
