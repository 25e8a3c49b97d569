import { test } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, textItems, press, click, galleryState, classSchema } from "./helpers.mjs";
import gallery from "../../widgets/gallery.ts";

const { show } = widgetTests(gallery.render, ".wb-gallery");

function mount(state = {}, items = textItems(120), kernelOpts = {}) {
  const model = new FakeModel(galleryState(state));
  const kernel = new FakeKernel(model, items, kernelOpts);
  const { el, root, cleanup } = show(model);
  kernel.flush();
  const tiles = () => [...root.querySelectorAll(".wb-tile")];
  return { model, kernel, el, root, tiles, cleanup };
}

test("a page of tiles is painted with its hooks", () => {
  const { model, root, tiles } = mount();
  const req = model.sentOf("page")[0];
  assert.deepEqual([req.page, req.page_size, req.filter], [0, 50, "all"]);
  assert.equal(root.getAttribute("tabindex"), "0");
  assert.equal(root.dataset.ready, "1");
  assert.equal(root.dataset.total, "120");
  assert.equal(tiles().length, 50);
  assert.equal(tiles()[0].dataset.itemId, "t0000");
  assert.equal(root.dataset.itemId, "t0000", "the cursor's item");
  assert.match(root.querySelector(".wb-page-info").textContent, /page 1 of 3/);
});

test("click, ctrl-click and shift-click select; a class key labels every selected item", () => {
  const { model, kernel, root, tiles } = mount();
  click(tiles()[2]);
  click(tiles()[4], { ctrlKey: true });
  click(tiles()[7], { shiftKey: true });
  assert.equal(root.dataset.selected, "4");
  // shift-click replaces the selection with the range from the anchor (the ctrl-clicked tile)
  assert.deepEqual(tiles().filter((t) => t.classList.contains("wb-selected")).map((t) => t.dataset.index), ["4", "5", "6", "7"]);
  press(root, "3");
  const labels = model.sentOf("label");
  assert.deepEqual(labels.map((m) => m.item_id), ["t0004", "t0005", "t0006", "t0007"]);
  assert.ok(labels.every((m) => m.value === "bird" && m.kind === "label"));
  assert.equal(new Set(labels.map((m) => m.seq)).size, 4, "one seq per item");
  assert.equal(root.dataset.outbox, "4");
  assert.equal(tiles()[5].dataset.label, "bird");
  assert.ok(tiles()[5].classList.contains("wb-tile-pending"));
  kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.ok(!tiles()[5].classList.contains("wb-tile-pending"));
  assert.equal(root.dataset.selected, "0", "selection cleared after labeling");
  assert.equal(tiles()[5].querySelector(".wb-tile-badge").textContent, "bird");
});

test("keyboard: arrows, shift+arrows, space, a, ctrl+a, Escape", () => {
  const { model, root, tiles } = mount();
  press(root, "ArrowRight");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "t0002");
  press(root, " ");
  assert.equal(root.dataset.selected, "1");
  press(root, "ArrowDown"); // 10 columns when there is no layout
  assert.equal(root.dataset.itemId, "t0012");
  press(root, "ArrowRight", { shiftKey: true });
  assert.equal(root.dataset.selected, "2");
  const esc = press(root, "Escape");
  assert.equal(esc.defaultPrevented, true);
  assert.equal(root.dataset.selected, "0");
  assert.equal(press(root, "Escape").defaultPrevented, false, "nothing to clear: not ours");
  press(root, "a");
  assert.equal(root.dataset.selected, "50");
  press(root, "Escape");
  const ctrlA = press(root, "a", { ctrlKey: true });
  assert.equal(ctrlA.defaultPrevented, true);
  assert.equal(root.dataset.selected, "50");
  press(root, "1");
  assert.equal(model.sentOf("label").length, 50);
  assert.equal(tiles().filter((t) => t.dataset.label === "cat").length, 50);
});

test("no selection: a class key labels the tile under the cursor", () => {
  const { model, root } = mount();
  press(root, "ArrowRight");
  press(root, "2");
  assert.deepEqual(model.sentOf("label").map((m) => [m.item_id, m.value]), [["t0001", "dog"]]);
});

test("pages: PageDown / PageUp and the buttons", () => {
  const { model, kernel, root, tiles } = mount();
  press(root, "PageDown");
  kernel.flush();
  assert.equal(root.dataset.page, "1");
  assert.equal(tiles()[0].dataset.itemId, "t0050");
  press(root, "PageDown");
  kernel.flush();
  assert.equal(tiles().length, 20);
  press(root, "PageDown");
  assert.equal(model.sentOf("page").length, 3, "no request past the last page");
  press(root, "PageUp");
  kernel.flush();
  assert.equal(root.dataset.page, "1");
  const buttons = [...root.querySelectorAll(".wb-button")];
  click(buttons[0]); // prev
  kernel.flush();
  assert.equal(root.dataset.page, "0");
  assert.equal(buttons[0].disabled, true);
});

test("filter dropdown asks for the filtered page", () => {
  const { model, kernel, root, tiles } = mount();
  click(tiles()[0]);
  click(tiles()[3], { shiftKey: true });
  press(root, "2");
  kernel.flush();
  const select = root.querySelector("select.wb-filter");
  assert.deepEqual([...select.options].map((o) => o.value), ["all", "unlabeled", "cat", "dog", "bird"]);
  select.value = "dog";
  select.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.equal(model.sentOf("page").at(-1).filter, "dog");
  kernel.flush();
  assert.deepEqual(tiles().map((t) => t.dataset.itemId), ["t0000", "t0001", "t0002", "t0003"]);
  assert.ok(tiles().every((t) => t.dataset.label === "dog"));
  select.value = "unlabeled";
  select.dispatchEvent(new window.Event("change", { bubbles: true }));
  kernel.flush();
  assert.equal(root.dataset.total, "116");
  assert.equal(tiles()[0].dataset.itemId, "t0004");
});

test("the filter offers classes the schema dropped that labels still use, and pages by them", () => {
  const model = new FakeModel(galleryState({ filter_classes: ["cow", "dog", 7] }));
  const kernel = new FakeKernel(model, textItems(20));
  for (const id of ["t0003", "t0011"]) kernel.labels.set(id, { kind: "label", value: "cow" });
  const { root } = show(model);
  kernel.flush();
  const select = root.querySelector("select.wb-filter");
  // "dog" is a schema class already and 7 is not a name: each class is offered once.
  assert.deepEqual([...select.options].map((o) => o.value), ["all", "unlabeled", "cat", "dog", "bird", "cow"]);
  assert.match(select.options[5].textContent, /cow .*no longer in the schema/);
  select.value = "cow";
  select.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.equal(model.sentOf("page").at(-1).filter, "cow");
  kernel.flush();
  assert.deepEqual([...root.querySelectorAll(".wb-tile")].map((t) => t.dataset.itemId), ["t0003", "t0011"]);
  assert.equal(root.querySelector(".wb-tile").dataset.label, "cow");
});

test("Backspace undoes the last bulk label with one retraction per item", () => {
  const { model, kernel, root, tiles } = mount();
  press(root, "a");
  press(root, "Escape");
  click(tiles()[1]);
  click(tiles()[2], { shiftKey: true });
  press(root, "1");
  kernel.flush();
  press(root, "Backspace");
  const [l1, l2, r1, r2] = model.sentOf("label");
  assert.equal(r1.kind, "retract");
  assert.deepEqual(r1.retracts, { client_id: l1.client_id, seq: l1.seq });
  assert.deepEqual(r2.retracts, { client_id: l2.client_id, seq: l2.seq });
  kernel.flush();
  assert.equal(kernel.labels.size, 0);
  assert.equal(tiles()[1].dataset.label, undefined);
});

test("multi-label: a key adds the class to the selection, or removes it when all have it", () => {
  const { model, kernel, root, tiles } = mount({ schema: classSchema(["red", "green"], { multi: true }) });
  click(tiles()[0]);
  click(tiles()[1], { shiftKey: true });
  press(root, "2");
  assert.deepEqual(model.sentOf("label").map((m) => m.value), [["green"], ["green"]]);
  kernel.flush();
  click(tiles()[0]);
  click(tiles()[1], { shiftKey: true });
  press(root, "1");
  assert.deepEqual(model.sentOf("label").slice(2).map((m) => m.value), [["red", "green"], ["red", "green"]]);
  click(tiles()[0]);
  click(tiles()[1], { shiftKey: true });
  press(root, "2");
  assert.deepEqual(model.sentOf("label").slice(4).map((m) => m.value), [["red"], ["red"]]);
});

test("refused labels are shown and dropped", () => {
  const { kernel, root, tiles } = mount({}, textItems(60), { classes: ["cat"] });
  click(tiles()[0]);
  press(root, "2");
  kernel.flush();
  assert.match(root.querySelector(".wb-errors").textContent, /refused: no class dog/);
  assert.equal(root.dataset.outbox, "0");
  assert.equal(tiles()[0].dataset.label, undefined, "the badge falls back");
});

test("the kernel's own errors (no client id) are shown; other views' are not", () => {
  const { model, root } = mount();
  model.deliver({ type: "error", client_id: "someone-else", error: "not for this view" });
  assert.equal(root.querySelector(".wb-errors").textContent, "");
  model.deliver({ type: "error", error: "handler failed: boom" });
  assert.match(root.querySelector(".wb-errors").textContent, /handler failed: boom/);
});

test("text from data is text: item ids and texts cannot inject HTML", () => {
  const items = [{ item_id: "<img src=x onerror=alert(1)>", kind: "text", text: "<b>bold?</b>" }];
  const { root } = mount({}, items);
  assert.equal(root.querySelectorAll("img, b").length, 0);
  assert.equal(root.querySelector(".wb-tile-text").textContent, "<b>bold?</b>");
});

test("cleanup removes listeners and the DOM", () => {
  const { model, el, root, cleanup } = mount();
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(el.children.length, 0);
  const n = model.sent.length;
  press(root, "1");
  assert.equal(model.sent.length, n);
});

test("classes named by their keys: each chip shows its key once, and a class on `a` takes it from select-all", () => {
  const { model, kernel, root, tiles } = mount({ schema: classSchema(["a", "b", "c"], { keys: ["a", "b", "c"] }) });
  kernel.flush();
  assert.deepEqual([...root.querySelectorAll(".wb-class")].map((c) => c.textContent), ["a", "b", "c"]);
  const hint = root.querySelector(".wb-hint").textContent;
  assert.match(hint, /space, ctrl\+A\)/, "the hint does not offer `a` for select-all");
  click(tiles()[2]);
  press(root, "a");
  kernel.flush();
  const labels = model.sentOf("label");
  assert.equal(labels.length, 1, "one label, not a select-all");
  assert.equal(tiles()[2].dataset.label, "a");
});
