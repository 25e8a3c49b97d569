import { test } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, textItems, press, sleep, classifyState, classSchema } from "./helpers.mjs";
import classify from "../../widgets/classify.ts";

const { show, defer } = widgetTests(classify.render, ".wb-classify");

function mount(state = {}, kernelOpts = {}, items = textItems(20)) {
  const model = new FakeModel(classifyState(state));
  const kernel = new FakeKernel(model, items, kernelOpts);
  return { model, kernel, ...show(model) };
}

// The outbox in localStorage: one key per entry, `workbench-outbox:<project_id>:<client_id>:<seq>`.
const outboxOf = (pid = "proj1") => {
  const prefix = `workbench-outbox:${pid}:`;
  const out = {};
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith(prefix) && !k.includes(":corrupt:")) out[k.slice(prefix.length)] = JSON.parse(localStorage.getItem(k));
  }
  return out;
};

test("render asks for items and paints the first one", () => {
  const { model, kernel, root } = mount();
  assert.equal(root.getAttribute("tabindex"), "0");
  assert.equal(root.dataset.ready, undefined);
  const need = model.sentOf("need")[0];
  assert.equal(need.n, 5, "prefetch 4 plus the item to show");
  assert.ok(model.sentOf("hello").length === 1);
  kernel.flush();
  assert.equal(root.dataset.itemId, "t0000");
  assert.equal(root.dataset.ready, "1");
  assert.equal(root.dataset.queue, "4");
  assert.equal(root.querySelector(".wb-text").textContent, "text number 0");
  // classes with swatch, name and key
  const chips = [...root.querySelectorAll(".wb-class")];
  assert.deepEqual(chips.map((c) => c.querySelector(".wb-class-name").textContent), ["cat", "dog", "bird"]);
  assert.deepEqual(chips.map((c) => c.querySelector(".wb-key").textContent), ["1", "2", "3"]);
  assert.ok(chips[0].querySelector(".wb-swatch").style.background);
});

test("a class key writes the outbox before sending, then advances in the same frame", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  let storedAtSend = null;
  const prev = model.onSend;
  model.onSend = (msg, b) => {
    if (msg.type === "label") storedAtSend = outboxOf()[`${msg.client_id}:${msg.seq}`];
    prev(msg, b);
  };
  const ev = press(root, "2");
  assert.equal(ev.defaultPrevented, true);
  const label = model.sentOf("label")[0];
  assert.equal(label.item_id, "t0000");
  assert.equal(label.value, "dog");
  assert.equal(label.kind, "label");
  assert.equal(label.seq, 1);
  assert.equal(label.task, "label");
  assert.match(label.client_id, /^[0-9a-f-]{36}$/);
  assert.ok(storedAtSend, "entry was in localStorage when send ran");
  assert.equal(root.dataset.itemId, "t0001", "next item painted synchronously");
  assert.equal(root.dataset.outbox, "1");
  kernel.flush(); // ack
  assert.equal(root.dataset.outbox, "0");
  assert.deepEqual(outboxOf(), {});
  assert.equal(kernel.labels.get("t0000").value, "dog");
});

test("key-to-paint timings are recorded", async () => {
  const { kernel, root } = mount();
  kernel.flush();
  press(root, "1");
  for (let i = 0; i < 50 && !globalThis.__workbenchTimings.length; i++) await sleep(10);
  const timings = globalThis.__workbenchTimings;
  assert.ok(timings.length >= 1);
  const last = timings[timings.length - 1];
  assert.equal(last.item_id, "t0001");
  assert.ok(last.ms >= 0 && last.ms < 1000, `ms=${last.ms}`);
});

test("type-ahead: a burst longer than the prefetch depth labels every item once, in order", async () => {
  const classes = ["cat", "dog", "bird"];
  const { model, kernel, root } = mount({ prefetch: 3 }, { auto: true, delay: 15, classes }, textItems(300));
  await sleep(30);
  assert.equal(root.dataset.itemId, "t0000");
  const pressed = [];
  for (let i = 0; i < 200; i++) {
    const k = (i * 7 + 3) % 3;
    pressed.push(classes[k]);
    press(root, String(k + 1));
    if (i % 10 === 0) await sleep(2); // let some replies in mid-burst
  }
  for (let i = 0; i < 100 && (kernel.liveLabels().length < 200 || root.dataset.outbox !== "0"); i++) await sleep(20);
  const stored = kernel.liveLabels();
  assert.equal(stored.length, 200);
  assert.deepEqual(stored.map((e) => e.value), pressed);
  assert.deepEqual(stored.map((e) => e.item_id), textItems(200).map((i) => i.item_id), "one per item, in queue order");
  assert.equal(new Set(model.sentOf("label").map((m) => m.seq)).size, 200);
  assert.equal(root.dataset.itemId, "t0200");
});

test("Backspace retracts the last label by (client_id, seq) and shows that item again", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "1");
  press(root, "2");
  kernel.flush();
  assert.equal(root.dataset.itemId, "t0002");
  press(root, "Backspace");
  const [first, second] = model.sentOf("label");
  const retract = model.sentOf("label")[2];
  assert.equal(retract.kind, "retract");
  assert.equal(retract.item_id, "t0001");
  assert.deepEqual(retract.retracts, { client_id: second.client_id, seq: second.seq });
  assert.equal(root.dataset.itemId, "t0001");
  kernel.flush();
  assert.equal(kernel.labels.has("t0001"), false);
  // label it again; then the item that was live comes back
  press(root, "3");
  assert.equal(root.dataset.itemId, "t0002");
  kernel.flush();
  assert.equal(kernel.labels.get("t0001").value, "bird");
  assert.equal(first.item_id, "t0000");
});

test("arrows go back to labeled items with their label; a key there relabels", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "1"); // t0 cat
  press(root, "2"); // t1 dog
  kernel.flush();
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "t0001");
  assert.ok(root.classList.contains("wb-reviewing"));
  assert.equal(root.querySelector('.wb-class[data-class="dog"]').classList.contains("wb-current"), true);
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "t0000");
  press(root, "3"); // relabel t0 -> bird, moves forward to t1
  assert.equal(root.dataset.itemId, "t0001");
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "t0002", "back to the live item");
  kernel.flush();
  assert.equal(kernel.labels.get("t0000").value, "bird");
  assert.equal(model.sentOf("label").length, 3);
});

test("s skips; ? opens the guidelines (Markdown, safely) and Escape closes them", () => {
  const { model, kernel, root } = mount({ guidelines: "## Be careful\n\n<img src=x onerror=alert(1)> *really*" });
  kernel.flush();
  press(root, "s");
  const skip = model.sentOf("label")[0];
  assert.equal(skip.kind, "skip");
  assert.equal(skip.value, null);
  press(root, "?", { shiftKey: true });
  const overlay = root.querySelector(".wb-overlay");
  assert.ok(overlay);
  assert.equal(overlay.querySelector("h2").textContent, "Be careful");
  assert.equal(overlay.querySelectorAll(".wb-guidelines-body img").length, 0);
  assert.match(overlay.textContent, /about cat/, "class descriptions shown");
  const esc = press(root, "Escape");
  assert.equal(esc.defaultPrevented, true);
  assert.equal(root.querySelector(".wb-overlay"), null);
  assert.equal(press(root, "Escape").defaultPrevented, false, "Escape with nothing open is not ours");
});

test("a refused label is shown and dropped from the outbox", () => {
  const { model, kernel, root } = mount({}, { classes: ["cat"] });
  kernel.flush();
  press(root, "2"); // dog: the kernel refuses it
  kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.match(root.querySelector(".wb-errors").textContent, /refused: no class dog/);
  assert.equal(Object.keys(outboxOf()).length, 0);
  assert.equal(model.sentOf("label").length, 1);
});

test("unacknowledged labels of an earlier page are resent with their own client id and seq", () => {
  const old = {
    type: "label", client_id: "old-client", seq: 41, item_id: "t0005", task: "label", kind: "label",
    value: "cat", duration_ms: 100, created: 1,
  };
  localStorage.setItem("workbench-outbox:proj1", JSON.stringify({ "old-client:41": old }));
  const { model, kernel, root } = mount();
  const resent = model.sentOf("label");
  assert.equal(resent.length, 1);
  assert.equal(resent[0].client_id, "old-client");
  assert.equal(resent[0].seq, 41);
  const need = model.sentOf("need")[0];
  assert.ok(need.exclude.includes("t0005"), "unacked item excluded from the queue");
  kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.equal(kernel.labels.get("t0005").value, "cat");
});

test("labels survive a view that dies before the ack; the next view resends them", () => {
  const first = mount();
  first.kernel.flush();
  press(first.root, "1");
  press(first.root, "3");
  first.kernel.pending = []; // the kernel died: these acks never come
  first.cleanup();
  assert.equal(Object.keys(outboxOf()).length, 2);
  const second = mount(); // new kernel, cell re-run
  const resent = second.model.sentOf("label");
  assert.deepEqual(resent.map((m) => [m.item_id, m.value]), [["t0000", "cat"], ["t0001", "bird"]]);
  second.kernel.flush();
  assert.equal(Object.keys(outboxOf()).length, 0);
});

test("multi-label: keys toggle, Enter commits the set", () => {
  const { model, kernel, root } = mount({ schema: classSchema(["red", "green", "blue"], { multi: true }) });
  kernel.flush();
  press(root, "1");
  press(root, "3");
  press(root, "1");
  press(root, "2");
  assert.equal(model.sentOf("label").length, 0);
  assert.equal(root.querySelector('.wb-class[data-class="green"]').getAttribute("aria-pressed"), "true");
  press(root, "Enter");
  const label = model.sentOf("label")[0];
  assert.deepEqual(label.value, ["green", "blue"]);
  assert.equal(root.dataset.itemId, "t0001");
  press(root, "Enter");
  assert.deepEqual(model.sentOf("label")[1].value, [], "none of these apply");
});

test("a pre-label is highlighted with its confidence and Enter accepts it", () => {
  const items = textItems(3);
  items[0].prelabel = { value: "bird", score: 0.87 };
  const { model, kernel, root } = mount({}, {}, items);
  kernel.flush();
  assert.ok(root.querySelector('.wb-class[data-class="bird"]').classList.contains("wb-suggested"));
  assert.match(root.querySelector(".wb-prelabel").textContent, /bird \(87%\)/);
  press(root, "Enter");
  assert.equal(model.sentOf("label")[0].value, "bird");
  press(root, "Enter"); // no pre-label here: nothing happens
  assert.equal(model.sentOf("label").length, 1);
  assert.equal(root.dataset.itemId, "t0001");
});

test("modified keys pass through; unbound letters do not reach the notebook", () => {
  const { model, kernel, root, el } = mount();
  kernel.flush();
  let reached = [];
  el.parentElement.addEventListener("keydown", (e) => reached.push(e.key));
  const ctrl = press(root, "1", { ctrlKey: true });
  assert.equal(ctrl.defaultPrevented, false);
  press(root, "d");
  press(root, "Tab");
  assert.deepEqual(reached, ["1", "Tab"]);
  assert.equal(model.sentOf("label").length, 0);
});

test("prefetch 0 fetches one item at a time, on demand", () => {
  const { model, kernel, root } = mount({ prefetch: 0 });
  assert.equal(model.sentOf("need")[0].n, 1);
  kernel.flush();
  assert.equal(root.dataset.queue, "0");
  press(root, "1");
  assert.equal(root.dataset.itemId, "");
  assert.equal(model.sentOf("need").length, 2);
  assert.equal(model.sentOf("need")[1].n, 1);
  kernel.flush();
  assert.equal(root.dataset.itemId, "t0001");
});

test("when the kernel has nothing left the widget says so", () => {
  const { kernel, root } = mount({}, {}, textItems(2));
  kernel.flush();
  press(root, "1");
  press(root, "1");
  kernel.flush();
  assert.equal(root.dataset.itemId, "");
  assert.match(root.querySelector(".wb-stage").textContent, /All items are labeled/);
  assert.equal(kernel.liveLabels().length, 2);
});

test("replies for another view of the same widget are ignored", () => {
  const { model, kernel, root } = mount();
  model.deliver({ type: "items", client_id: "someone-else", req: 1, n: 1, items: [{ item_id: "zz", kind: "text", text: "x", buffer: null }] });
  assert.equal(root.dataset.itemId, "");
  kernel.flush();
  assert.equal(root.dataset.itemId, "t0000");
});

test("images come from binary buffers and small ones are upscaled crisply", () => {
  const items = [{ item_id: "img1", kind: "image", mime: "image/png", width: 8, height: 8 }];
  const model = new FakeModel(classifyState());
  const { el } = show(model);
  const need = model.sentOf("need")[0];
  const png = new Uint8Array([137, 80, 78, 71]);
  model.deliver({ type: "items", client_id: need.client_id, req: need.req, n: 5, items: [{ ...items[0], buffer: 0 }] }, [new DataView(png.buffer)]);
  const img = el.querySelector("img.wb-image");
  assert.ok(img);
  assert.match(img.getAttribute("src"), /^blob:/);
  assert.equal(img.style.width, "256px");
  assert.equal(img.style.imageRendering, "pixelated");
});

test("cleanup removes listeners, timers and the DOM", async () => {
  const { model, kernel, root, el, cleanup } = mount();
  kernel.flush();
  assert.ok(model.listenerCount() > 0);
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(el.querySelector(".wb-classify"), null);
  const before = model.sent.length;
  press(root, "1");
  await sleep(10);
  assert.equal(model.sent.length, before, "no more messages after cleanup");
});

test("a key pressed after the last item asks again, then reports the key it could not apply", () => {
  const { model, kernel, root } = mount({}, {}, textItems(1));
  kernel.flush();
  press(root, "1");
  kernel.flush();
  assert.match(root.querySelector(".wb-stage").textContent, /All items are labeled/);
  const needs = model.sentOf("need").length;
  press(root, "2");
  assert.equal(model.sentOf("need").length, needs + 1, "asked the kernel again");
  kernel.flush();
  assert.match(root.querySelector(".wb-status").textContent, /1 key had no item/);
  assert.equal(kernel.liveLabels().length, 1);
});

test("a transient kernel error keeps the label in the outbox; a resend stores it", async () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  model.onSend = () => {}; // the kernel drops this one
  press(root, "1");
  const sent = model.sentOf("label")[0];
  model.deliver({ type: "error", client_id: sent.client_id, seq: sent.seq, error: "database is locked" });
  assert.equal(root.dataset.outbox, "1");
  assert.match(root.querySelector(".wb-errors").textContent, /database is locked \(will retry\)/);
  model.onSend = (msg, b) => kernel.receive(msg, b);
  // the view resends unacknowledged labels on its timer (back-off 1.5 s, tick 2 s)
  for (let i = 0; i < 40 && root.dataset.outbox !== "0"; i++) {
    await sleep(100);
    kernel.flush();
  }
  assert.equal(root.dataset.outbox, "0");
  assert.equal(kernel.labels.get("t0000").value, "cat");
});

test("a retraction is held while its label is in flight, and dropped when that label was refused", () => {
  const { model, kernel, root } = mount({}, { classes: ["cat", "dog", "bird"] });
  kernel.flush();
  model.onSend = () => {}; // hold everything
  press(root, "1");
  press(root, "Backspace");
  const [lab, ret] = model.sentOf("label");
  model.deliver({ type: "deferred", client_id: ret.client_id, seq: ret.seq, error: "not stored yet" });
  assert.equal(root.dataset.outbox, "2", "target still in flight: keep the retraction");
  model.deliver({ type: "refused", client_id: lab.client_id, seq: lab.seq, error: "no" });
  assert.equal(root.dataset.outbox, "0", "the label and its retraction are gone");
  assert.equal(outboxOf()[`${ret.client_id}:${ret.seq}`], undefined);
});

test("requeue drops prefetched items and asks again, keeping the item shown", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  assert.equal(root.dataset.queue, "4");
  kernel.items.unshift({ item_id: "urgent", kind: "text", text: "look at me first" });
  model.deliver({ type: "requeue" });
  assert.equal(root.dataset.queue, "0");
  const need = model.sentOf("need").at(-1);
  assert.ok(need.exclude.includes("t0000"), "the item shown is not asked for again");
  kernel.flush();
  assert.equal(root.dataset.itemId, "t0000");
  press(root, "1");
  assert.equal(root.dataset.itemId, "urgent");
});

test("? asks once for class examples: thumbnails and excerpts under their classes, a placeholder for a missing id", () => {
  const schema = classSchema(["cat", "dog", "bird"]);
  schema.classes[0].examples = ["img1", "gone"];
  schema.classes[1].examples = ["t0003"];
  const { model, kernel, root } = mount({ schema });
  kernel.flush();
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const made = [];
  const { createObjectURL, revokeObjectURL } = URL;
  defer(() => Object.assign(URL, { createObjectURL, revokeObjectURL }));
  URL.createObjectURL = (blob) => {
    made.push(blob);
    return `blob:example-${made.length}`;
  };
  URL.revokeObjectURL = () => {};
  const prev = model.onSend;
  model.onSend = (msg, b) => {
    if (msg.type !== "examples") return prev(msg, b);
    kernel.reply(
      {
        type: "examples",
        client_id: msg.client_id,
        req: msg.req,
        size: 96,
        examples: {
          cat: [
            { item_id: "img1", kind: "image", buffer: 0, mime: "image/png", width: 8, height: 8 },
            { item_id: "gone", kind: "error", buffer: null, error: "no item 'gone' in this project" },
          ],
          dog: [{ item_id: "t0003", kind: "text", buffer: null, text: "<b>text</b> number 3" }],
        },
      },
      [new DataView(png.buffer)],
    );
  };
  assert.equal(model.sentOf("examples").length, 0, "not asked before the guidelines open");
  press(root, "?", { shiftKey: true });
  const [ask] = model.sentOf("examples");
  assert.deepEqual(Object.keys(ask).sort(), ["client_id", "req", "type"]);
  const overlay = root.querySelector(".wb-overlay");
  const rows = () => [...root.querySelectorAll(".wb-overlay .wb-class-row")];
  assert.match(rows()[0].textContent, /loading examples/);
  assert.equal(rows()[2].querySelector(".wb-class-examples"), null, "no examples row for a class without examples");
  kernel.flush();
  const [cat, dog] = rows();
  const tiles = (row) => [...row.querySelectorAll(".wb-class-examples .wb-example")];
  assert.deepEqual(tiles(cat).map((t) => t.dataset.itemId), ["img1", "gone"]);
  const img = tiles(cat)[0].querySelector("img");
  assert.equal(img.getAttribute("src"), "blob:example-1");
  assert.equal(img.style.width, "96px", "8 px digit grows to the example box");
  assert.equal(made.length, 1);
  assert.equal(made[0].type, "image/png");
  const missing = tiles(cat)[1];
  assert.ok(missing.classList.contains("wb-example-missing"));
  assert.match(missing.textContent, /gone/);
  assert.match(missing.title, /no item 'gone'/);
  const text = tiles(dog)[0];
  assert.equal(text.textContent, "<b>text</b> number 3", "text goes in as text");
  assert.equal(text.querySelector("b"), null);
  assert.ok(overlay.contains(cat));
  // closed and opened again: drawn from the cache, not asked again
  press(root, "Escape");
  press(root, "?", { shiftKey: true });
  assert.equal(model.sentOf("examples").length, 1);
  assert.equal(kernel.flush(), 0);
  assert.deepEqual(tiles(rows()[0]).map((t) => t.dataset.itemId), ["img1", "gone"]);
  assert.equal(tiles(rows()[1])[0].textContent, "<b>text</b> number 3");
});

test("? without class examples sends no examples request", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "?", { shiftKey: true });
  assert.ok(root.querySelector(".wb-overlay"));
  assert.equal(model.sentOf("examples").length, 0);
  assert.equal(root.querySelector(".wb-class-examples"), null);
});

test("a failed examples request is shown in the overlay and asked again on the next opening", () => {
  const schema = classSchema(["cat", "dog"]);
  schema.classes[1].examples = ["t0001"];
  const { model, kernel, root } = mount({ schema });
  kernel.flush();
  const prev = model.onSend;
  model.onSend = (msg, b) => {
    if (msg.type === "examples") return kernel.reply({ type: "error", client_id: msg.client_id, req: msg.req, error: "disk on fire" });
    return prev(msg, b);
  };
  press(root, "?", { shiftKey: true });
  kernel.flush();
  const slot = root.querySelector('.wb-overlay .wb-class-examples[data-class="dog"]');
  assert.match(slot.textContent, /examples could not be loaded: disk on fire/);
  press(root, "Escape");
  press(root, "?", { shiftKey: true });
  assert.equal(model.sentOf("examples").length, 2);
  assert.match(root.querySelector(".wb-class-examples").textContent, /loading examples/);
});

test("digit classes bound to their own keys: 7 stores \"7\", 0 stores \"0\", each chip shows its digit once", () => {
  const digits = [..."0123456789"];
  const { model, kernel, root } = mount({ schema: classSchema(digits, { keys: digits }) });
  kernel.flush();
  const chips = [...root.querySelectorAll(".wb-class")];
  assert.deepEqual(chips.map((c) => c.textContent), digits, "no \"7 7\": the name is the key");
  assert.deepEqual(chips.map((c) => c.querySelector(".wb-key").textContent), digits, "shown as a key");
  assert.equal(chips[7].getAttribute("aria-label"), "7 (key 7)");
  press(root, "7");
  press(root, "0");
  const labels = model.sentOf("label");
  assert.deepEqual(labels.map((m) => [m.item_id, m.value]), [["t0000", "7"], ["t0001", "0"]]);
});

test("a class whose name differs from its key shows both; a key-less class only its name", () => {
  const schema = classSchema(["cat", "a", "B"], { keys: ["1", "a", "b"] });
  schema.classes.push({ name: "rare", key: null, color: "#999999", description: "", examples: [] });
  const { kernel, root } = mount({ schema });
  kernel.flush();
  const chip = (n) => root.querySelector(`.wb-class[data-class="${n}"]`);
  assert.equal(chip("cat").querySelector(".wb-class-name").textContent, "cat");
  assert.equal(chip("cat").querySelector(".wb-key").textContent, "1");
  assert.equal(chip("a").textContent, "a");
  assert.equal(chip("B").textContent, "B", "Caps Lock aside, B is the key b");
  assert.equal(chip("rare").textContent, "rare");
  assert.equal(chip("rare").querySelector(".wb-key"), null);
});

test("each label, skip and undo shows a brief confirmation, and the focus stays on the widget", () => {
  const { kernel, root } = mount();
  kernel.flush();
  root.focus();
  const toast = root.querySelector(".wb-toast");
  assert.ok(toast.hidden, "nothing to confirm yet");
  press(root, "2");
  assert.equal(toast.hidden, false);
  assert.equal(toast.dataset.toast, "✓ dog → t0000");
  assert.equal(toast.dataset.kind, "label");
  assert.equal(toast.textContent, "✓ dog → t0000");
  assert.equal(document.activeElement, root, "the confirmation takes no focus");
  assert.equal(root.dataset.itemId, "t0001", "and the next item is already shown");
  press(root, "s");
  assert.equal(toast.dataset.toast, "skipped t0001");
  press(root, "Backspace");
  assert.equal(toast.dataset.toast, "↶ undone: t0001");
  assert.equal(toast.dataset.count, "3");
  assert.equal(toast.querySelectorAll(".wb-toast-line").length, 1, "one line, replaced by the next");
});

test("content-hash item ids are not shown; ids the user gave are", () => {
  const items = [
    { item_id: "0123456789abcdef", kind: "text", text: "hashed" },
    { item_id: "0123456789abcdef-2", kind: "text", text: "hashed copy" },
    { item_id: "photo_12", kind: "text", text: "named" },
  ];
  const { kernel, root } = mount({}, {}, items);
  kernel.flush();
  assert.equal(root.dataset.itemId, "0123456789abcdef", "the hook keeps the id");
  assert.equal(root.querySelector(".wb-item-id"), null);
  assert.equal(root.querySelector(".wb-item").title, "0123456789abcdef", "the tooltip has it");
  press(root, "1");
  assert.equal(root.querySelector(".wb-toast").dataset.toast, "✓ cat");
  assert.equal(root.querySelector(".wb-item-id"), null, "nor a copy's id");
  press(root, "1");
  assert.equal(root.querySelector(".wb-item-id").textContent, "photo_12");
  press(root, "3");
  assert.equal(root.querySelector(".wb-toast").dataset.toast, "✓ bird → photo_12");
});
