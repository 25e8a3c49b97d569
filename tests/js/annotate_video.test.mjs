import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, press, widgetState, fakeContext } from "./helpers.mjs";
import annotateVideo, { addTrack, mergeTracks, parseValue, setKeyframe, setOutside, shapeAt, shapesAt, splitTrack, toggleOccluded, videoAction, FrameCache } from "../../widgets/annotate_video.ts";

const { show } = widgetTests(annotateVideo.render, ".wb-annotate-video");

beforeEach(() => {
  window.HTMLCanvasElement.prototype.getContext = function () {
    return (this.__ctx ??= fakeContext(this));
  };
});

const key = (frame, bbox, extra = {}) => ({ frame, bbox, outside: false, occluded: false, ...extra });

function threeKeys() {
  return parseValue({ tracks: [{ id: "t1", class: "car", attributes: {}, keyframes: [key(0, [0, 0, 10, 10]), key(10, [10, 10, 10, 10], { occluded: true }), key(20, [20, 0, 10, 10]), { frame: 30, outside: true, occluded: false }, key(40, [0, 0, 4, 4])] }] });
}

test("shapes: interpolated between keyframes, held after the last, none before the first or while outside", () => {
  const t = threeKeys().tracks[0];
  assert.deepEqual(shapeAt(t, 5).bbox, [5, 5, 10, 10]);
  assert.equal(shapeAt(t, 5).occluded, false);
  assert.equal(shapeAt(t, 15).occluded, true);
  assert.equal(shapeAt(t, 10).keyframe, true);
  assert.deepEqual(shapeAt(t, 25).bbox, [20, 0, 10, 10], "held up to the outside keyframe");
  assert.equal(shapeAt(t, 30), null);
  assert.equal(shapeAt(t, 35), null);
  assert.deepEqual(shapeAt(t, 99).bbox, [0, 0, 4, 4]);
  const later = parseValue({ tracks: [{ class: "car", keyframes: [key(5, [1, 1, 2, 2])] }] });
  assert.equal(shapeAt(later.tracks[0], 4), null);
});

test("edits: a split then a merge gives back the same shapes at every frame", () => {
  const value = threeKeys();
  for (const at of [5, 10, 13, 25, 41]) {
    const split = splitTrack(value, "t1", at);
    assert.ok(split.id, `split at ${at}`);
    for (let f = 0; f < 50; f++) {
      const before = shapesAt(value, f).map((s) => [s.bbox, s.occluded]);
      const after = shapesAt(split.value, f).map((s) => [s.bbox, s.occluded]);
      assert.deepEqual(after, before, `split at ${at}, frame ${f}`);
    }
    const merged = mergeTracks(split.value, "t1", split.id);
    assert.equal(merged.tracks.length, 1);
    const seen = (v, f) => shapesAt(v, f).map((s) => [s.track, s.bbox, s.occluded]);
    for (let f = 0; f < 50; f++) assert.deepEqual(seen(merged, f), seen(value, f), `merged at ${at}, frame ${f}`);
  }
});

test("edits: a keyframe set, outside from a frame, occluded toggled", () => {
  let v = addTrack(parseValue(null), "car", 0, { bbox: [0, 0, 10, 10] }).value;
  v = setKeyframe(v, "t1", 10, { bbox: [10, 0, 10, 10] });
  assert.deepEqual(shapeAt(v.tracks[0], 5).bbox, [5, 0, 10, 10]);
  v = toggleOccluded(v, "t1", 5);
  assert.equal(shapeAt(v.tracks[0], 6).occluded, true);
  v = setOutside(v, "t1", 8);
  assert.equal(shapeAt(v.tracks[0], 9), null);
  assert.deepEqual(shapeAt(v.tracks[0], 10).bbox, [10, 0, 10, 10]);
});

test("keys: . and , step a frame (Shift ten), Space plays, class keys win over letters", () => {
  const keys = new Map([["1", "car"], ["o", "other"]]);
  assert.deepEqual(videoAction({ key: "." }, keys), { type: "step", by: 1 });
  assert.deepEqual(videoAction({ key: ">", shiftKey: true }, keys), { type: "step", by: 10 });
  assert.deepEqual(videoAction({ key: ",", shiftKey: true }, keys), { type: "step", by: -10 });
  assert.deepEqual(videoAction({ key: " " }, keys), { type: "play" });
  assert.deepEqual(videoAction({ key: "o" }, keys), { type: "class", name: "other" });
  assert.deepEqual(videoAction({ key: "o" }, new Map()), { type: "outside" });
  assert.deepEqual(videoAction({ key: "Delete", shiftKey: true }, keys), { type: "delete", keyframe: true });
});

test("frames: the playhead's run is asked for first, never twice, and far frames go", async () => {
  const asked = [];
  const cache = new FrameCache({ ask: (s, c) => asked.push([s, c]) }, 500);
  cache.want(100);
  assert.deepEqual(asked[0], [100, 8]);
  const before = asked.length;
  cache.want(100);
  assert.equal(asked.length, before, "nothing asked twice while in flight");
  cache.forget(100, 8);
  cache.want(100);
  assert.deepEqual(asked.at(-1), [100, 8], "asked again after a failed request");
});

function videoSchema() {
  return { kind: "video", name: "objects", description: "", shape: "box", attributes: [], classes: [{ name: "car", key: "1", color: "#E69F00", description: "", examples: [] }, { name: "person", key: "2", color: "#56B4E9", description: "", examples: [] }] };
}

function mount() {
  const model = new FakeModel(widgetState({ guidelines: "", prefetch: 1, max_size: 960 }, { task: "objects", schema: videoSchema() }));
  const items = [{ item_id: "v1", kind: "video", frames: 40, fps: 10, width: 128, height: 96, full_width: 128, full_height: 96, buffer: null }, { item_id: "v2", kind: "video", frames: 20, fps: 10, width: 128, height: 96, full_width: 128, full_height: 96, buffer: null }];
  const kernel = new FakeKernel(model, items);
  const shown = show(model);
  kernel.flush();
  kernel.flush();
  return { model, kernel, ...shown, hooks: shown.root.wbVideo };
}

const labels = (model) => model.sentOf("label").filter((m) => m.kind === "label");

test("view: frames are asked for around the playhead; keys step, mark outside and undo, each a label", () => {
  const { model, root, hooks } = mount();
  assert.equal(root.dataset.itemId, "v1");
  const frames = model.sentOf("frames");
  assert.ok(frames.length >= 1 && frames[0].start === 0 && frames[0].item_id === "v1");
  press(root, ".");
  assert.equal(root.dataset.frame, "1");
  press(root, ">", { shiftKey: true });
  assert.equal(root.dataset.frame, "11");
  press(root, ",", { shiftKey: true });
  assert.equal(root.dataset.frame, "1");
  // A track made from code through the hooks' API is not possible: label through the widget's edits.
  hooks.seek(0);
  assert.equal(root.dataset.frame, "0");
  assert.equal(labels(model).length, 0);
  press(root, "o");
  assert.match(root.querySelector(".wb-status").textContent, /select a track first/);
  press(root, "Enter");
  assert.equal(root.dataset.itemId, "v2");
  assert.deepEqual(labels(model).at(-1).value, { tracks: [] }, "Enter on an untouched video: nothing here");
});
