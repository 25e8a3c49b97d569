import { test } from "node:test";
import assert from "node:assert/strict";
import { buildKeymap, classifyAction, galleryAction, reviewAction, swallows } from "../../widgets/lib/keys.ts";

const classes = [
  { name: "cat", key: "1", color: "#000" },
  { name: "dog", key: "2", color: "#000" },
  { name: "other", key: "o", color: "#000" },
  { name: "unbound", key: null, color: "#000" },
];
const km = buildKeymap(classes);

test("default bindings of the classify widget", () => {
  assert.deepEqual(classifyAction({ key: "1" }, km), { type: "class", name: "cat" });
  assert.deepEqual(classifyAction({ key: "o" }, km), { type: "class", name: "other" });
  assert.deepEqual(classifyAction({ key: "O", shiftKey: true }, km), { type: "class", name: "other" }, "caps lock");
  assert.deepEqual(classifyAction({ key: "Enter" }, km), { type: "commit" });
  assert.deepEqual(classifyAction({ key: "s" }, km), { type: "skip" });
  assert.deepEqual(classifyAction({ key: "ArrowLeft" }, km), { type: "back" });
  assert.deepEqual(classifyAction({ key: "ArrowRight" }, km), { type: "forward" });
  assert.deepEqual(classifyAction({ key: "Backspace" }, km), { type: "undo" });
  assert.deepEqual(classifyAction({ key: "?", shiftKey: true }, km), { type: "help" });
  assert.deepEqual(classifyAction({ key: "Escape" }, km), { type: "close" });
  assert.equal(classifyAction({ key: "x" }, km), null);
  assert.equal(km.size, 3, "a class without a key is not bound");
});

test("modifier keys are never ours in the classify widget", () => {
  for (const mod of ["ctrlKey", "metaKey", "altKey"]) {
    assert.equal(classifyAction({ key: "1", [mod]: true }, km), null);
    assert.equal(classifyAction({ key: "s", [mod]: true }, km), null);
  }
});

test("gallery bindings: arrows, space, select all, pages", () => {
  assert.deepEqual(galleryAction({ key: "2" }, km), { type: "class", name: "dog" });
  assert.deepEqual(galleryAction({ key: "ArrowDown" }, km), { type: "move", dx: 0, dy: 1, extend: false });
  assert.deepEqual(galleryAction({ key: "ArrowLeft", shiftKey: true }, km), { type: "move", dx: -1, dy: 0, extend: true });
  assert.deepEqual(galleryAction({ key: " " }, km), { type: "toggle" });
  assert.deepEqual(galleryAction({ key: "a" }, km), { type: "selectAll" });
  assert.deepEqual(galleryAction({ key: "a", ctrlKey: true }, km), { type: "selectAll" });
  assert.deepEqual(galleryAction({ key: "a", metaKey: true }, km), { type: "selectAll" });
  assert.deepEqual(galleryAction({ key: "Escape" }, km), { type: "clear" });
  assert.deepEqual(galleryAction({ key: "PageDown" }, km), { type: "page", delta: 1 });
  assert.deepEqual(galleryAction({ key: "PageUp" }, km), { type: "page", delta: -1 });
  assert.equal(galleryAction({ key: "2", ctrlKey: true }, km), null);
});

test("a class bound to 'a' wins over select-all; ctrl+a still selects all", () => {
  const km2 = buildKeymap([{ name: "ant", key: "a", color: null }]);
  assert.deepEqual(galleryAction({ key: "a" }, km2), { type: "class", name: "ant" });
  assert.deepEqual(galleryAction({ key: "a", ctrlKey: true }, km2), { type: "selectAll" });
});

test("unbound printable keys are swallowed, shortcuts are not", () => {
  assert.equal(swallows({ key: "d" }), true);
  assert.equal(swallows({ key: "Tab" }), false);
  assert.equal(swallows({ key: "c", ctrlKey: true }), false);
});

test("team keys: d marks notes read in classify, b sends back in review; both give way to classes", () => {
  assert.deepEqual(classifyAction({ key: "d" }, km), { type: "readNotes" });
  assert.deepEqual(reviewAction({ key: "b" }, km), { type: "sendBack" });
  assert.equal(reviewAction({ key: "d" }, km), null, "notes are not the review's");
  const km2 = buildKeymap([{ name: "duck", key: "d", color: null }, { name: "bee", key: "b", color: null }]);
  assert.deepEqual(classifyAction({ key: "d" }, km2), { type: "class", name: "duck" });
  assert.deepEqual(reviewAction({ key: "b" }, km2), { type: "class", name: "bee" });
  assert.equal(classifyAction({ key: "d", ctrlKey: true }, km), null);
});
