import { test } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, FakeModel, FakeKernel, press, sleep, widgetState } from "./helpers.mjs";
import annotateText, { Offsets, tokenize, snap, splitBlocks, BlockView, domOffset, addSpan, relabel, addRelation, removeSpans, parseValue, textAction } from "../../widgets/annotate_text.ts";

import tokenClasses from "./fixtures/text_tokens.json";

const { show } = widgetTests(annotateText.render, ".wb-annotate-text");

function spansSchema({ tokens = "words", overlapping = false } = {}) {
  return {
    kind: "spans",
    name: "entities",
    description: "",
    classes: [
      { name: "PER", key: "1", color: "#E69F00", description: "", examples: [] },
      { name: "LOC", key: "2", color: "#56B4E9", description: "", examples: [] },
    ],
    relations: [{ name: "lives_in", key: "3", color: "#009E73", description: "", sources: ["PER"], targets: ["LOC"] }],
    attributes: [{ name: "negated", kind: "bool", choices: [], default: false }],
    overlapping,
    tokens,
  };
}

const TEXTS = ["Ada 👩‍💻 lives in Paris.", "Bob went to Oslo.", "Nothing here."];

function mount({ items = TEXTS.map((text, i) => ({ item_id: `d${i}`, kind: "text", text })), schema = spansSchema(), prefetch = 4 } = {}) {
  const model = new FakeModel(widgetState({ guidelines: "", prefetch }, { task: "entities", schema }));
  const kernel = new FakeKernel(model, items);
  const shown = show(model);
  kernel.flush();
  kernel.flush();
  return { model, kernel, ...shown, hooks: shown.root.wbText };
}

const labels = (model) => model.sentOf("label").filter((m) => m.kind === "label");
const lastValue = (model) => labels(model).at(-1).value;
const cp = (s) => [...s].length;

// -- offsets -----------------------------------------------------------------
test("offsets: astral characters count one code point, as in Python", () => {
  const text = "a😀b𝔘c";
  const o = new Offsets(text);
  assert.equal(o.length, 5);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((c) => o.toUtf16(c)), [0, 1, 3, 4, 6, 7]);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((u) => o.toCodePoint(u)), [0, 1, 1, 2, 3, 3, 4, 5]);
  assert.equal(o.align(2), 1, "inside a pair: its start");
  // Round trip for every code point offset.
  for (let c = 0; c <= o.length; c++) assert.equal(o.toCodePoint(o.toUtf16(c)), c);
});

test("offsets: combining marks and right-to-left text are one unit per code point", () => {
  for (const text of ["e\u0301te\u0301", "שָׁלוֹם עוֹלָם", "مرحبا بالعالم", "Ça va? \u05d0\u05d1 ok"]) {
    const o = new Offsets(text);
    assert.equal(o.length, cp(text));
    for (let c = 0; c <= o.length; c++) assert.equal(o.toUtf16(c), c);
  }
  const mixed = new Offsets("שלום 😀 עולם");
  assert.equal(mixed.length, 11);
  assert.equal(mixed.toUtf16(7), 8);
  assert.equal("שלום 😀 עולם".slice(mixed.toUtf16(7), mixed.toUtf16(11)), "עולם");
});

test("offsets: random strings with astral, combining and RTL characters round trip", () => {
  const alphabet = ["a", " ", "😀", "\u0301", "ש", "م", "𝔘", "\n", "é", "\ud800"];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let k = 0; k < 200; k++) {
    const parts = Array.from({ length: Math.floor(rnd() * 30) }, () => alphabet[Math.floor(rnd() * alphabet.length)]);
    const text = parts.join("");
    const o = new Offsets(text);
    assert.equal(o.length, [...text].length, JSON.stringify(text));
    let u = 0;
    for (let c = 0; c < parts.length; c++) {
      // Each part is one code point except a lone surrogate next to another part? all parts are whole code points.
      assert.equal(o.toUtf16(c), u);
      assert.equal(o.toCodePoint(u), c);
      u += parts[c].length;
    }
  }
});

// -- tokens ------------------------------------------------------------------
test("tokenize mirrors Python's \\w and \\s, snap grows a selection to whole tokens", () => {
  const text = "Paris, 😀 naïve e\u0301t\u00e9 x\u0085y\u001cz";
  const words = tokenize(text, "words").map(([s, e]) => text.slice(s, e));
  // As re.finditer(r"\w+|[^\w\s]") gives them: the combining accent is a token of its own.
  assert.deepEqual(words, ["Paris", ",", "😀", "naïve", "e", "\u0301", "t\u00e9", "x", "y", "z"]);
  const ws = tokenize(text, "whitespace").map(([s, e]) => text.slice(s, e));
  assert.deepEqual(ws, ["Paris,", "😀", "naïve", "e\u0301t\u00e9", "x", "y", "z"]);
  const toks = tokenize("New York is big", "words");
  assert.deepEqual(snap(toks, 1, 6), [0, 8], "cut words are taken whole");
  assert.deepEqual(snap(toks, 3, 4), null, "only a space: no token");
  assert.deepEqual(snap(toks, 9, 11), [9, 11]);
});

test("the tokenizers class every code point as Python's \\w and \\s do (tests/js/fixtures/text_tokens.json)", () => {
  // A code point alone: "words" makes it a token of its own kind ("w" run or other), "whitespace" none for a space.
  const unassigned = /\p{Cn}/u;
  const mismatches = [];
  for (const [first, last, cls] of tokenClasses.runs) {
    if (cls === "u") continue; // unassigned in the fixture's Unicode
    for (let cp = first; cp <= last; cp++) {
      const ch = String.fromCodePoint(cp);
      if (unassigned.test(ch)) continue; // unassigned in this JavaScript's Unicode
      const ws = tokenize(ch, "whitespace").length === 0;
      const doubled = tokenize(ch + ch, "words").length;
      const got = ws ? "s" : doubled === 1 ? "w" : "o";
      if (got !== cls) mismatches.push(`U+${cp.toString(16).toUpperCase()} ${cls}→${got}`);
    }
  }
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} code points differ (Python Unicode ${tokenClasses.unicode})`);
});

// -- value edits -----------------------------------------------------------------
test("value edits: a new span replaces the ones it overlaps, relabel drops relations it breaks", () => {
  const rels = spansSchema().relations;
  let { value } = addSpan({ spans: [], relations: [] }, 0, 3, "PER");
  ({ value } = addSpan(value, 10, 15, "LOC"));
  const linked = addRelation(value, "e1", "e2", rels[0]);
  assert.ok("value" in linked);
  assert.equal(linked.value.relations.length, 1);
  assert.ok("error" in addRelation(value, "e2", "e1", rels[0]), "LOC → PER is not a lives_in");
  const relabeled = relabel(linked.value, ["e1"], "LOC", rels, false);
  assert.equal(relabeled.relations.length, 0);
  const replaced = addSpan(linked.value, 2, 12, "PER").value;
  assert.deepEqual(replaced.spans.map((s) => [s.start, s.end]), [[2, 12]]);
  assert.equal(replaced.relations.length, 0);
  assert.equal(removeSpans(linked.value, ["e2"]).relations.length, 0);
  assert.deepEqual(parseValue([{ start: 1, end: 2, class: "PER" }]).spans[0].id, "e1");
});

// -- the widget ----------------------------------------------------------------
test("a selection labeled with a class key is sent in code points, snapped to tokens", () => {
  const { model, root, hooks } = mount();
  assert.equal(root.dataset.itemId, "d0");
  assert.equal(root.dataset.ready, "1");
  // "Ada 👩‍💻 lives in Paris.": select "ari" (cut inside Paris) in code points.
  const text = TEXTS[0];
  const at = [...text].indexOf("P");
  hooks.select(at + 1, at + 3);
  press(root, "2");
  const v = lastValue(model);
  assert.deepEqual(v.spans.map((s) => [s.start, s.end, s.class]), [[at, at + 5, "LOC"]]);
  assert.equal([...text].slice(v.spans[0].start, v.spans[0].end).join(""), "Paris");
  assert.equal(v.spans[0].attributes.negated, false);
  assert.equal(root.dataset.spans, "1");
  const seg = root.querySelector(".wb-seg.wb-ent");
  assert.equal(seg.textContent, "Paris");
  assert.equal(root.querySelector(".wb-tag").textContent, "LOC");
});

test("a mouse selection over the DOM maps to the right offsets (astral text before it)", () => {
  const { model, root } = mount();
  const seg = root.querySelector(".wb-seg");
  const node = seg.firstChild;
  const text = TEXTS[0];
  const u = text.indexOf("lives");
  const sel = document.getSelection();
  sel.setBaseAndExtent(node, u, node, u + 5);
  root.querySelector(".wb-text-content").dispatchEvent(new window.MouseEvent("mouseup", { bubbles: true }));
  const start = [...text].indexOf("l");
  assert.equal(root.dataset.selection, `${start}:${start + 5}`);
  press(root, "1");
  assert.deepEqual(lastValue(model).spans.map((s) => [s.start, s.end]), [[start, start + 5]]);
});

test("arrows select a token, Shift extends; click, relabel, delete, relation, undo and redo", () => {
  const { model, root, hooks } = mount({ items: [{ item_id: "x", kind: "text", text: "Ann Lee lives in New York" }] });
  press(root, "ArrowRight");
  assert.equal(root.dataset.selection, "0:3");
  press(root, "ArrowRight", { shiftKey: true });
  assert.equal(root.dataset.selection, "0:7");
  press(root, "1"); // PER "Ann Lee"
  for (let i = 0; i < 3; i++) press(root, "ArrowRight");
  assert.equal(root.dataset.selection, "17:20");
  press(root, "ArrowRight", { shiftKey: true });
  press(root, "2"); // LOC "New York"
  assert.deepEqual(lastValue(model).spans.map((s) => [s.start, s.end, s.class]), [[0, 7, "PER"], [17, 25, "LOC"]]);

  // Click the first span, ctrl-click the second, relation key.
  const segOf = (id) => [...root.querySelectorAll(".wb-seg")].find((s) => (s.dataset.spans ?? "").split(" ").includes(id));
  segOf("e1").dispatchEvent(new window.MouseEvent("mouseup", { bubbles: true }));
  segOf("e2").dispatchEvent(new window.MouseEvent("mouseup", { bubbles: true, ctrlKey: true }));
  assert.equal(root.dataset.picked, "e1 e2");
  press(root, "3");
  assert.deepEqual(lastValue(model).relations.map((r) => [r.from, r.to, r.class]), [["e1", "e2", "lives_in"]]);
  assert.equal(root.querySelectorAll(".wb-rel").length, 1);
  // A click on the relation's row picks it; Delete removes it, undo brings it back.
  root.querySelector(".wb-rel .wb-rel-type").dispatchEvent(new window.MouseEvent("click", { bubbles: true }));
  assert.ok(root.querySelector(".wb-rel").classList.contains("wb-picked"));
  press(root, "Delete");
  assert.equal(lastValue(model).relations.length, 0);
  assert.equal(lastValue(model).spans.length, 2);
  press(root, "z", { ctrlKey: true });
  assert.equal(lastValue(model).relations.length, 1);

  // Relabel the second span: the relation no longer fits and goes.
  hooks.pick(["e2"]);
  press(root, "1");
  assert.deepEqual(lastValue(model).spans.map((s) => s.class), ["PER", "PER"]);
  assert.equal(lastValue(model).relations.length, 0);

  // Undo brings the relation back; redo takes it again.
  press(root, "z", { ctrlKey: true });
  assert.equal(lastValue(model).relations.length, 1);
  assert.equal(lastValue(model).spans[1].class, "LOC");
  press(root, "z", { ctrlKey: true, shiftKey: true });
  assert.equal(lastValue(model).relations.length, 0);
  press(root, "z", { ctrlKey: true });

  // Delete the picked span: its relation goes with it.
  hooks.pick(["e1"]);
  press(root, "Delete");
  const v = lastValue(model);
  assert.deepEqual(v.spans.map((s) => s.id), ["e2"]);
  assert.equal(v.relations.length, 0);
  assert.equal(root.dataset.spans, "1");
});

test("every change is one label through the outbox; Enter moves on and confirms an untouched item", () => {
  const { model, kernel, root, hooks } = mount();
  hooks.select(0, 3);
  press(root, "1");
  kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.equal(kernel.labels.get("d0").value.spans.length, 1);
  press(root, "Enter");
  assert.equal(root.dataset.itemId, "d1", "prefetched: painted in the key handler");
  assert.equal(labels(model).length, 1, "d0 was stored already: Enter adds nothing");
  press(root, "Enter");
  assert.equal(root.dataset.itemId, "d2");
  const confirm = labels(model).at(-1);
  assert.equal(confirm.item_id, "d1");
  assert.deepEqual(confirm.value, { spans: [], relations: [] });
});

test("suggestions show dashed with their score; y accepts, n rejects, a class key accepts as that class", () => {
  const text = "Ann met Bob in Rome";
  const prelabel = {
    value: { spans: [{ start: 0, end: 3, class: "PER", score: 0.9 }, { start: 8, end: 11, class: "PER", score: 0.6 }, { start: 15, end: 19, class: "PER", score: 0.4 }], relations: [] },
    score: 0.7,
  };
  const { model, root } = mount({ items: [{ item_id: "s", kind: "text", text, prelabel }] });
  const tags = [...root.querySelectorAll(".wb-tag-sugg")].map((t) => t.textContent);
  assert.deepEqual(tags, ["PER? 90%", "PER? 60%", "PER? 40%"]);
  assert.equal(root.querySelectorAll(".wb-sugg-seg").length, 3);
  press(root, "Tab");
  press(root, "y"); // Ann, PER
  assert.deepEqual(lastValue(model).spans.map((s) => [s.start, s.end, s.class]), [[0, 3, "PER"]]);
  assert.equal(lastValue(model).spans[0].score, undefined, "an accepted span is the annotator's");
  press(root, "n"); // Bob rejected: no label
  assert.equal(labels(model).length, 1);
  press(root, "2"); // Rome accepted as LOC
  assert.deepEqual(lastValue(model).spans.map((s) => [s.start, s.end, s.class]), [[0, 3, "PER"], [15, 19, "LOC"]]);
  assert.equal(root.querySelectorAll(".wb-tag-sugg").length, 0);
});

test("labels a closed view left in the outbox are resent by the next view", () => {
  const model1 = new FakeModel(widgetState({ guidelines: "", prefetch: 2 }, { task: "entities", schema: spansSchema() }));
  const items = [{ item_id: "k", kind: "text", text: "Ann lives here" }];
  const kernel1 = new FakeKernel(model1, items);
  const first = show(model1);
  kernel1.flush();
  first.root.wbText.select(0, 3);
  press(first.root, "1");
  first.cleanup(); // the kernel never answered: the label stays in the outbox
  const model2 = new FakeModel(widgetState({ guidelines: "", prefetch: 2 }, { task: "entities", schema: spansSchema() }));
  const kernel2 = new FakeKernel(model2, items);
  const second = show(model2);
  assert.ok(model2.sentOf("label").length >= 1, "the outbox resends at start");
  kernel2.flush();
  kernel2.flush();
  assert.equal(kernel2.labels.get("k").value.spans.length, 1);
});

test("keys: relation and class keys, fixed keys, undo/redo with Ctrl", () => {
  const classes = new Map([["1", "PER"]]);
  const rels = new Map([["3", "lives_in"]]);
  assert.deepEqual(textAction({ key: "1" }, classes, rels), { type: "class", name: "PER" });
  assert.deepEqual(textAction({ key: "3" }, classes, rels), { type: "relation", name: "lives_in" });
  assert.deepEqual(textAction({ key: "z", ctrlKey: true }, classes, rels), { type: "undo" });
  assert.deepEqual(textAction({ key: "Z", ctrlKey: true, shiftKey: true }, classes, rels), { type: "redo" });
  assert.deepEqual(textAction({ key: "ArrowLeft", shiftKey: true }, classes, rels), { type: "move", dir: -1, extend: true });
  assert.equal(textAction({ key: "Tab", shiftKey: true }, classes, rels), null);
  assert.deepEqual(textAction({ key: "y" }, new Map([["y", "YEAR"]]), rels), { type: "class", name: "YEAR" });
});

test("the picked span's attributes are edited in place: one label each", () => {
  const { model, root, hooks } = mount();
  hooks.select(2, 5);
  press(root, "1");
  const box = root.querySelector('.wb-span-attrs input[data-attr="negated"]');
  assert.ok(box, "one control per attribute of the picked span");
  assert.equal(box.checked, false);
  box.checked = true;
  box.dispatchEvent(new window.Event("change", { bubbles: true }));
  assert.equal(lastValue(model).spans[0].attributes.negated, true);
  press(root, "z", { ctrlKey: true });
  assert.equal(lastValue(model).spans[0].attributes.negated, false);
  // A key typed in the panel's controls is not the widget's.
  const ev = press(box, "1");
  assert.equal(ev.defaultPrevented, false);
});

test("a refused value does not stay the item's: the next change is stored", () => {
  const { model, kernel, root, hooks } = mount();
  kernel.refusal = (msg) => (msg.value?.spans ?? []).some((s) => s.class === "LOC") ? "no LOC here" : null;
  hooks.select(2, 5);
  press(root, "1");
  kernel.flush();
  assert.equal(kernel.labels.get("d0").value.spans.length, 1);
  const at = [...TEXTS[0]].indexOf("P");
  hooks.select(at, at + 5);
  press(root, "2");
  kernel.flush(); // refused
  assert.equal(hooks.value().spans.length, 1, "back to the value stored");
  assert.match(root.querySelector(".wb-errors").textContent, /no LOC here/);
  hooks.select(at, at + 5);
  press(root, "1");
  kernel.flush();
  assert.deepEqual(kernel.labels.get("d0").value.spans.map((s) => s.class), ["PER", "PER"]);
});

test("class colours reach a style only as hex or named colours; tags take black or white ink", () => {
  const schema = spansSchema();
  schema.classes[0].color = "red; background: url(https://example.invalid/x)";
  schema.classes[1].color = "#0072B2";
  const { root, hooks } = mount({ schema });
  hooks.select(0, 3);
  press(root, "1");
  const seg = root.querySelector(".wb-seg.wb-ent");
  assert.doesNotMatch(seg.getAttribute("style") ?? "", /url|example/);
  const at = [...TEXTS[0]].indexOf("P");
  hooks.select(at, at + 5);
  press(root, "2");
  const tags = [...root.querySelectorAll(".wb-tag")];
  const inks = tags.map((t) => t.style.getPropertyValue("--wb-ent-ink"));
  assert.deepEqual(inks, ["#000000", "#ffffff"], "grey fallback: black; dark blue: white");
});

// -- long documents --------------------------------------------------------------
test("a 1,000,000-character document paints a few blocks, wherever it is scrolled", () => {
  const line = "word ".repeat(19) + "end\n"; // 99 characters
  const text = line.repeat(Math.ceil(1_000_000 / line.length)).slice(0, 1_000_000);
  const blocks = splitBlocks(text);
  assert.equal(blocks[0].start, 0);
  assert.equal(blocks.at(-1).end, text.length);
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].start, blocks[i - 1].end);

  const { root, hooks } = mount({ items: [{ item_id: "long", kind: "text", text }] });
  assert.equal(root.dataset.itemId, "long");
  assert.equal(hooks.blockCount(), blocks.length);
  const painted = hooks.paintedBlocks();
  assert.ok(painted.length > 0 && painted.length < 200, `painted ${painted.length}`);
  const chars = root.querySelector(".wb-text-content").textContent.length;
  assert.ok(chars < 50_000, `only the visible blocks hold text (${chars} characters)`);

  // A scroller at the end paints the last blocks only.
  const scroller = { scrollTop: 0, clientHeight: 480, clientWidth: 640 };
  const content = document.createElement("div");
  const bv = new BlockView(text, scroller, content);
  bv.update();
  assert.ok(bv.paintedBlocks().includes(0));
  scroller.scrollTop = bv.topOf(bv.blocks.length - 1);
  bv.update();
  const end = bv.paintedBlocks();
  assert.ok(end.includes(bv.blocks.length - 1) && !end.includes(0), `painted ${end}`);
  assert.ok(end.length < 200);
  // A painted block maps DOM points back to offsets.
  const lastNode = bv.nodes[bv.blocks.length - 1];
  const seg = lastNode.querySelector(".wb-seg");
  assert.equal(domOffset(seg.firstChild, 2), bv.blocks.at(-1).start + 2);
  assert.equal(domOffset(bv.nodes[0], 0), 0, "an empty block: its start");
});

test("a mark change repaints only the blocks it touches; a new document paints what is seen first", async () => {
  const text = "alpha beta gamma delta ".repeat(400); // 9,200 characters, no line ends
  const blocks = splitBlocks(text, 500);
  assert.ok(blocks.length >= 18);
  for (const b of blocks.slice(0, -1)) assert.equal(text[b.end - 1], " ", "cut after a space");
  const scroller = { scrollTop: 0, clientHeight: 4000, clientWidth: 640 };
  const content = document.createElement("div");
  const bv = new BlockView(text, scroller, content);
  bv.setMarks([]);
  const painted = bv.paintedBlocks();
  assert.ok(painted.length >= 3, `painted ${painted}`);
  const before = painted.map((i) => [...bv.nodes[i].childNodes]);
  // A span inside block 1: block 1 is painted again, the others keep their nodes.
  const at = bv.blocks[1].start + 6;
  bv.setMarks([{ start: at, end: at + 4, kind: "span", id: "s1", cls: "PER", color: "#ff0000", tag: "PER" }]);
  painted.forEach((i, k) => {
    const same = [...bv.nodes[i].childNodes].every((n, j) => n === before[k][j]);
    assert.equal(same, i !== 1, `block ${i} ${same ? "kept" : "repainted"}`);
  });
  assert.ok(bv.nodes[1].querySelector('.wb-seg[data-spans="s1"]'));

  // The widget opens a document with no margin, and widens it once that frame is on screen.
  const { root, hooks } = mount({ items: [{ item_id: "wide", kind: "text", text: text.repeat(20) }] });
  assert.equal(root.dataset.itemId, "wide");
  const first = hooks.paintedBlocks().length;
  for (let i = 0; i < 50 && hooks.paintedBlocks().length === first; i++) await sleep(10);
  assert.ok(hooks.paintedBlocks().length > first, `${first} blocks, then ${hooks.paintedBlocks().length}`);
});

test("blocks are measured after the frame is painted, never in the edit's handler", async () => {
  const text = "alpha beta gamma delta ".repeat(100);
  const scroller = { scrollTop: 0, clientHeight: 4000, clientWidth: 640 };
  const content = document.createElement("div");
  const bv = new BlockView(text, scroller, content);
  let reads = 0;
  for (const node of bv.nodes) {
    Object.defineProperty(node, "offsetHeight", { get: () => { reads++; return 40; } });
  }
  bv.setMarks([]); // a new document: what is seen is painted now
  assert.ok(bv.paintedBlocks().length >= 1);
  assert.equal(reads, 0, "no height read while painting");
  for (let i = 0; i < 50 && reads === 0; i++) await sleep(10);
  assert.ok(reads > 0, "the painted blocks are measured once the frame is on screen");
  reads = 0;
  const at = bv.blocks[0].start + 6;
  bv.setMarks([{ start: at, end: at + 4, kind: "span", id: "s1", cls: "PER", color: "#ff0000", tag: "PER" }]);
  assert.ok(bv.nodes[0].querySelector('.wb-seg[data-spans="s1"]'), "the edit is painted now");
  assert.equal(reads, 0, "an edit reads no height in its handler");
  for (let i = 0; i < 50 && reads === 0; i++) await sleep(10);
  assert.ok(reads > 0, "and measures after its frame");
  // A view that is replaced drops what it scheduled.
  reads = 0;
  bv.setMarks([]);
  bv.cancel();
  await sleep(100);
  assert.equal(reads, 0, "a cancelled view measures nothing");
});

test("edits of the shown item are timed from key to paint", async () => {
  const { root, hooks } = mount();
  hooks.select(0, 3);
  press(root, "1");
  // Timed once the frame is painted: after an animation frame and the task after it.
  for (let i = 0; i < 50 && !hooks.editPaints().length; i++) await sleep(10);
  const times = hooks.editPaints();
  assert.ok(times.length >= 1);
  assert.ok(times.every((ms) => Number.isFinite(ms) && ms >= 0));
  // Each split in three parts (handled, wait for the frame, the frame) that add up to it.
  const steps = hooks.editSteps();
  assert.equal(steps.length, times.length);
  steps.forEach((parts, i) => {
    assert.equal(parts.length, 3);
    assert.ok(parts.every((ms) => Number.isFinite(ms) && ms >= 0), String(parts));
    assert.ok(Math.abs(parts[0] + parts[1] + parts[2] - times[i]) < 1e-6, `${parts} vs ${times[i]}`);
  });
});
