import { test } from "node:test";
import assert from "node:assert/strict";
import { widgetTests, widgetState, FakeModel, FakeKernel, press, sleep, classSchema, click } from "./helpers.mjs";
import review, { formatQuality } from "../../widgets/review.ts";

const { show } = widgetTests(review.render, ".wb-review");

/**
 * A kernel answering the review protocol like workbench/stream.py: cards by
 * position, decisions checked against the item's current state event.
 */
class FakeReviewKernel extends FakeKernel {
  constructor(model, issues, { auto = false, classes = null } = {}) {
    super(model, issues, { auto, classes });
    this.issues = issues; // [{item_id, text, given, annotators, suggested, score, quality}]
    // The state event of each item: given labels are events 1000 + i.
    this.state = new Map();
    issues.forEach((it, i) => {
      if (it.given !== undefined && it.given !== null) {
        const ev = { id: 1000 + i, item_id: it.item_id, kind: "label", value: it.given, annotator: it.by ?? "alice" };
        this.events.push(ev);
        this.state.set(it.item_id, ev);
      }
    });
  }
  reviewed() {
    return this.issues.filter((it) => ["review-accept", "review-correct", "ambiguous"].includes(this.state.get(it.item_id)?.kind)).length;
  }
  progress() {
    return { done: this.reviewed(), total: this.issues.length };
  }
  card(it, position) {
    const st = this.state.get(it.item_id);
    return {
      item_id: it.item_id,
      kind: "text",
      text: it.text ?? `text of ${it.item_id}`,
      buffer: null,
      ...(it.score !== undefined ? { prelabel: { value: it.suggested, score: it.score } } : {}),
      review: {
        position,
        quality: it.quality ?? null,
        suggested: it.suggested ?? null,
        suggested_score: it.score ?? null,
        given: st && ["label", "review-accept", "review-correct"].includes(st.kind) ? st.value : null,
        given_event: st ? st.id : null,
        given_kind: st ? st.kind : null,
        given_by: st ? st.annotator : null,
        audit_label: it.audit_label ?? null,
        annotators: it.annotators ?? [],
        reviewed: null,
      },
    };
  }
  recompute(itemId) {
    const live = this.events.filter((e) => e.item_id === itemId && e.kind !== "retract" && !e.retracted);
    const last = live[live.length - 1];
    if (last) this.state.set(itemId, last);
    else this.state.delete(itemId);
  }
  receive(msg) {
    if (msg.type !== "cards") return super.receive(msg);
    const items = this.issues.slice(msg.start, msg.start + msg.n).map((it, i) => this.card(it, msg.start + i));
    return this.reply({ client_id: msg.client_id, req: msg.req, type: "cards", start: msg.start, total: this.issues.length, items, progress: this.progress() });
  }
  /** A decision must name the item's current state event as its parent. */
  refusal(msg) {
    if (msg.kind === "retract") return null;
    if (!("parent" in msg)) return "needs parent";
    const current = this.state.get(msg.item_id)?.id ?? null;
    if (current !== (msg.parent ?? null)) return `item ${msg.item_id} changed since it was shown`;
    return msg.value === null ? null : this.badClass(msg.value);
  }
  event(msg, target) {
    return { ...super.event(msg), parent: target ? target.id : (msg.parent ?? null) };
  }
  /** Someone else relabels an item in the store. */
  relabel(itemId, value) {
    const ev = { id: this.events.length + 1, item_id: itemId, kind: "label", value, annotator: "carol" };
    this.events.push(ev);
    this.state.set(itemId, ev);
    return ev.id;
  }
  decisions() {
    return this.events.filter((e) => e.client_id);
  }
}

const CLASSES = ["cat", "dog", "bird"];

function issues(n = 5) {
  return Array.from({ length: n }, (_, i) => ({
    item_id: `r${i}`,
    given: CLASSES[i % 3],
    suggested: CLASSES[(i + 1) % 3],
    score: 0.5 + i / 100,
    quality: 0.01 * (i + 1),
    annotators: [
      { annotator: "alice", kind: "label", value: CLASSES[i % 3] },
      { annotator: "bob", kind: "label", value: CLASSES[(i + 1) % 3] },
    ],
  }));
}

function reviewState(overrides = {}) {
  const own = { schema: classSchema(CLASSES), guidelines: "Look **twice**.", annotator: "reviewer", prefetch: 2, max_size: 256 };
  return widgetState({ ...own, total: 5, progress: { done: 0, total: 5 } }, overrides);
}

function mount(state = {}, list = issues(), kernelOpts = {}) {
  const model = new FakeModel(reviewState({ total: list.length, ...state }));
  const kernel = new FakeReviewKernel(model, list, kernelOpts);
  return { model, kernel, ...show(model) };
}

const outboxKeys = (pid = "proj1") => {
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith(`workbench-outbox:${pid}:`)) out.push(k);
  }
  return out;
};

const text = (root, sel) => root.querySelector(sel)?.textContent ?? null;

test("a card shows the label, every annotator, the model's class with its score, quality and position", () => {
  const { model, kernel, root } = mount();
  assert.equal(root.getAttribute("tabindex"), "0");
  assert.equal(model.sentOf("hello").length, 1);
  const cards = model.sentOf("cards")[0];
  assert.deepEqual([cards.start, cards.n], [0, 3], "the shown card plus prefetch 2");
  assert.equal(root.dataset.ready, undefined);
  kernel.flush();
  assert.equal(root.dataset.ready, "1");
  assert.equal(root.dataset.itemId, "r0");
  assert.equal(root.dataset.position, "0");
  assert.equal(root.dataset.total, "5");
  assert.equal(text(root, ".wb-text"), "text of r0");
  assert.match(text(root, ".wb-given"), /cat/);
  assert.match(text(root, ".wb-given"), /by alice/);
  const people = [...root.querySelectorAll(".wb-annotator")].map((a) => [a.dataset.annotator, a.textContent]);
  assert.deepEqual(people, [["alice", "alice: cat"], ["bob", "bob: dog"]]);
  assert.ok(root.querySelector('.wb-annotator[data-annotator="bob"]').classList.contains("wb-disagrees"));
  assert.match(text(root, ".wb-suggestion"), /dog \(50%\)/);
  assert.equal(text(root, ".wb-quality"), "0.01");
  assert.equal(text(root, ".wb-position"), "1 / 5");
  assert.match(text(root, ".wb-progress"), /0\/5 reviewed · 5 left/);
  assert.ok(root.querySelector('.wb-class[data-class="cat"]').classList.contains("wb-current"));
  assert.ok(root.querySelector('.wb-class[data-class="dog"]').classList.contains("wb-suggested"));
});

test("Enter accepts: review-accept of the label, parent = its event, tier review; written before sent", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  let storedAtSend = 0;
  const prev = model.onSend;
  model.onSend = (msg, b) => {
    if (msg.type === "label") storedAtSend = outboxKeys().length;
    prev(msg, b);
  };
  const ev = press(root, "Enter");
  assert.equal(ev.defaultPrevented, true);
  const [msg] = model.sentOf("label");
  assert.equal(msg.kind, "review-accept");
  assert.equal(msg.item_id, "r0");
  assert.equal(msg.value, "cat");
  assert.equal(msg.parent, 1000);
  assert.equal(msg.tier, "review");
  assert.equal(msg.seq, 1);
  assert.equal(storedAtSend, 1, "in the outbox when sent");
  assert.equal(root.dataset.itemId, "r1", "the next card is painted at once");
  assert.equal(text(root, ".wb-position"), "2 / 5");
  assert.equal(root.dataset.outbox, "1");
  kernel.flush();
  assert.equal(root.dataset.outbox, "0");
  assert.deepEqual(outboxKeys(), []);
  assert.match(text(root, ".wb-progress"), /1\/5 reviewed/);
});

test("a class key corrects to that class; the label's own class accepts", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "3"); // r0: cat -> bird
  press(root, "2"); // r1: dog is its label -> accept
  kernel.flush();
  const [a, b] = model.sentOf("label");
  assert.deepEqual([a.kind, a.item_id, a.value, a.parent], ["review-correct", "r0", "bird", 1000]);
  assert.deepEqual([b.kind, b.item_id, b.value, b.parent], ["review-accept", "r1", "dog", 1001]);
  assert.equal(kernel.state.get("r0").value, "bird");
});

test("Tab (and m) take the model's suggestion; Shift+Tab is left alone", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  const tab = press(root, "Tab");
  assert.equal(tab.defaultPrevented, true);
  press(root, "m");
  const shiftTab = press(root, "Tab", { shiftKey: true });
  assert.equal(shiftTab.defaultPrevented, false);
  const [a, b] = model.sentOf("label");
  assert.deepEqual([a.kind, a.item_id, a.value], ["review-correct", "r0", "dog"]);
  assert.deepEqual([b.kind, b.item_id, b.value], ["review-correct", "r1", "bird"]);
  assert.equal(model.sentOf("label").length, 2);
});

test("x marks ambiguous (value null, same parent); a (free) accepts", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "x");
  press(root, "a");
  const [x, a] = model.sentOf("label");
  assert.deepEqual([x.kind, x.item_id, x.value, x.parent, x.tier], ["ambiguous", "r0", null, 1000, "review"]);
  assert.deepEqual([a.kind, a.item_id, a.value, a.parent], ["review-accept", "r1", "dog", 1001]);
});

test("letters bound to classes are classes, not review keys", () => {
  const schema = classSchema(["ant", "mole", "xenops", "bee"], { keys: ["a", "m", "x", "b"] });
  const { model, kernel, root } = mount({ schema });
  kernel.flush();
  press(root, "a");
  press(root, "m");
  press(root, "x");
  kernel.flush();
  press(root, "b");
  assert.deepEqual(model.sentOf("label").map((m) => [m.kind, m.value]), [
    ["review-correct", "ant"],
    ["review-correct", "mole"],
    ["review-correct", "xenops"],
    ["review-correct", "bee"],
  ]);
  assert.deepEqual([...root.querySelectorAll(".wb-actions kbd")].map((k) => k.textContent), ["Enter", "Tab", "s"]);
});

test("Backspace retracts the last decision by (client_id, seq) and shows its card again", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "Enter");
  press(root, "3");
  kernel.flush();
  assert.equal(root.dataset.itemId, "r2");
  press(root, "Backspace");
  const sent = model.sentOf("label");
  const retract = sent[2];
  assert.equal(retract.kind, "retract");
  assert.equal(retract.item_id, "r1");
  assert.deepEqual(retract.retracts, { client_id: sent[1].client_id, seq: sent[1].seq });
  assert.equal(retract.tier, "review");
  assert.equal(root.dataset.itemId, "r1");
  assert.equal(root.dataset.decision, "");
  kernel.flush();
  assert.equal(kernel.state.get("r1").kind, "label", "back to the label under review");
  press(root, "Backspace");
  assert.equal(root.dataset.itemId, "r0");
  kernel.flush();
  assert.equal(kernel.state.get("r0").id, 1000);
  press(root, "Backspace");
  assert.match(text(root, ".wb-status"), /nothing to undo/);
});

test("a second decision on an item retracts the first and names the same parent; undo restores the first", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "2"); // r0 cat -> dog
  kernel.flush();
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "r0");
  assert.equal(root.dataset.decision, "review-correct");
  assert.match(text(root, ".wb-decision"), /corrected to dog · saved/);
  press(root, "x"); // now ambiguous instead
  kernel.flush();
  const [first, retract, second] = model.sentOf("label");
  assert.deepEqual(retract.retracts, { client_id: first.client_id, seq: first.seq });
  assert.deepEqual([second.kind, second.parent], ["ambiguous", 1000]);
  assert.equal(kernel.state.get("r0").kind, "ambiguous");
  press(root, "Backspace");
  kernel.flush();
  const again = model.sentOf("label").slice(3);
  assert.deepEqual(again.map((m) => m.kind), ["retract", "review-correct"]);
  assert.deepEqual(again[0].retracts, { client_id: second.client_id, seq: second.seq });
  assert.deepEqual([again[1].value, again[1].parent], ["dog", 1000]);
  assert.equal(kernel.state.get("r0").value, "dog");
  assert.equal(root.dataset.decision, "review-correct");
});

test("arrows move through the list, s moves on without a decision, the end says so", () => {
  const { model, kernel, root } = mount({}, issues(3));
  kernel.flush();
  press(root, "ArrowRight");
  assert.equal(root.dataset.itemId, "r1");
  press(root, "s");
  assert.equal(root.dataset.itemId, "r2");
  press(root, "ArrowLeft");
  press(root, "ArrowLeft");
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "r0");
  for (let i = 0; i < 5; i++) press(root, "ArrowRight");
  kernel.flush();
  assert.equal(root.dataset.itemId, "");
  assert.equal(root.dataset.position, "3");
  assert.match(text(root, ".wb-done"), /End of the list: 0 of 3 reviewed/);
  press(root, "Enter");
  assert.equal(model.sentOf("label").length, 0);
  assert.match(text(root, ".wb-status"), /end of the list/);
});

test("a refused decision (the label changed meanwhile) is shown, dropped, and the card reloaded", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  const relabeled = kernel.relabel("r0", "bird"); // someone else, after the card was fetched
  press(root, "Enter");
  const before = model.sentOf("cards").length;
  kernel.flush(); // refused
  assert.equal(root.dataset.outbox, "0");
  assert.match(text(root, ".wb-errors"), /refused: item r0 changed/);
  assert.ok(model.sentOf("cards").length > before, "card asked for again");
  kernel.flush();
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "r0");
  assert.equal(root.dataset.decision, "");
  assert.match(text(root, ".wb-given"), /bird/);
  press(root, "Enter");
  kernel.flush();
  const last = model.sentOf("label").at(-1);
  assert.deepEqual([last.kind, last.value, last.parent], ["review-accept", "bird", relabeled]);
  assert.equal(kernel.state.get("r0").kind, "review-accept");
});

test("keys pressed before a card arrives are applied to it, in order", async () => {
  const { model, kernel, root } = mount({ prefetch: 0 }, issues(4), { auto: true });
  press(root, "Enter"); // no card yet
  press(root, "3");
  press(root, "x");
  for (let i = 0; i < 50 && model.sentOf("label").length < 3; i++) await sleep(5);
  assert.deepEqual(model.sentOf("label").map((m) => [m.item_id, m.kind, m.value]), [
    ["r0", "review-accept", "cat"],
    ["r1", "review-correct", "bird"],
    ["r2", "ambiguous", null],
  ]);
  for (let i = 0; i < 50 && root.dataset.outbox !== "0"; i++) await sleep(5);
  assert.equal(kernel.decisions().length, 3);
  assert.equal(root.dataset.itemId, "r3");
});

test("multi-label: class keys toggle a draft from the label; Enter saves, unchanged Enter accepts", () => {
  const list = [
    { item_id: "m0", given: ["cat"], suggested: ["cat", "dog"] },
    { item_id: "m1", given: ["dog", "bird"] },
  ];
  const { model, kernel, root } = mount({ schema: classSchema(CLASSES, { multi: true }) }, list);
  kernel.flush();
  assert.ok(root.querySelector('.wb-class[data-class="cat"]').classList.contains("wb-on"));
  press(root, "3"); // + bird
  press(root, "1"); // - cat
  assert.equal(model.sentOf("label").length, 0, "toggles send nothing");
  assert.match(text(root, ".wb-decision"), /draft: bird/);
  press(root, "Enter");
  press(root, "Enter"); // m1 unchanged: accept
  const [a, b] = model.sentOf("label");
  assert.deepEqual([a.kind, a.value, a.parent], ["review-correct", ["bird"], 1000]);
  assert.deepEqual([b.kind, b.value, b.parent], ["review-accept", ["dog", "bird"], 1001]);
});

test("an item with no label: accept says so; a class key gives one with parent null", () => {
  const list = [{ item_id: "u0", given: null, audit_label: "dog" }];
  const { model, kernel, root } = mount({}, list);
  kernel.flush();
  assert.match(text(root, ".wb-given"), /no label/);
  assert.match(text(root, ".wb-given"), /changed since the audit \(was dog\)/);
  assert.equal(root.querySelector('[data-action="accept"]').disabled, true);
  press(root, "Enter");
  assert.equal(model.sentOf("label").length, 0);
  assert.match(text(root, ".wb-status"), /no label to accept/);
  press(root, "1");
  const [m] = model.sentOf("label");
  assert.deepEqual([m.kind, m.value, m.parent], ["review-correct", "cat", null]);
});

test("buttons and chips act like their keys and keep the focus on the widget", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  click(root.querySelector('[data-action="ambiguous"]'));
  click(root.querySelector('.wb-class[data-class="bird"]'));
  click(root.querySelector('[data-action="suggestion"]'));
  assert.deepEqual(model.sentOf("label").map((m) => [m.item_id, m.kind, m.value]), [
    ["r0", "ambiguous", null],
    ["r1", "review-correct", "bird"],
    ["r2", "review-correct", "cat"],
  ]);
  assert.equal(document.activeElement, root);
});

test("unbound letters are swallowed; ? opens the guidelines with the review keys", () => {
  const { kernel, root } = mount();
  kernel.flush();
  let leaked = 0;
  document.body.addEventListener("keydown", () => leaked++);
  press(root, "d");
  assert.equal(leaked, 0, "d never reaches JupyterLab's command mode");
  press(root, "?", { shiftKey: true });
  const overlay = root.querySelector(".wb-overlay");
  assert.ok(overlay);
  assert.match(overlay.textContent, /take the model's class/);
  assert.match(overlay.textContent, /ambiguous/);
  press(root, "Escape");
  assert.equal(root.querySelector(".wb-overlay"), null);
});

test("text from data is text, never HTML", () => {
  const list = [{ item_id: "<i>x</i>", given: "cat", annotators: [{ annotator: "<b>eve</b>", kind: "label", value: "cat" }] }];
  const { kernel, root } = mount({}, list);
  kernel.flush();
  assert.equal(root.querySelectorAll("b, i").length, 0);
  assert.match(text(root, ".wb-annotators"), /<b>eve<\/b>: cat/);
});

test("an empty list is ready and says there is nothing to review", () => {
  const { root, kernel } = mount({}, []);
  kernel.flush();
  assert.equal(root.dataset.ready, "1");
  assert.match(text(root, ".wb-done"), /Nothing to review/);
});

test("cleanup removes the view and its listeners", () => {
  const { model, kernel, el, cleanup } = mount();
  kernel.flush();
  assert.ok(model.listenerCount() > 0);
  cleanup();
  assert.equal(model.listenerCount(), 0);
  assert.equal(el.querySelector(".wb-review"), null);
});

// -- send-back and reasons (team mode) ----------------------------------------------------

/** The review kernel of a team member: hello says who they are. */
class TeamReviewKernel extends FakeReviewKernel {
  constructor(model, list, team) {
    super(model, list);
    this.team = team;
  }
  receive(msg) {
    if (msg.type !== "hello") return super.receive(msg);
    return this.reply({ client_id: msg.client_id, req: msg.req, type: "hello", progress: this.progress(), team: this.team, feedback: [] });
  }
}

function mountTeam(team = { user: "rita", role: "reviewer", tier: "review" }) {
  const model = new FakeModel(reviewState());
  const kernel = new TeamReviewKernel(model, issues(), team);
  return { model, kernel, ...show(model) };
}

const reasonBox = (root) => root.querySelector(".wb-reason");
const reasonInput = (root) => root.querySelector("input.wb-reason-input");

/** Type `text` into the reason field and press Enter there. */
function answer(root, text) {
  const input = reasonInput(root);
  input.value = text;
  return press(input, "Enter");
}

test("b asks for a reason; Enter sends the send-back with its note and parent, then the next card", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  const ev = press(root, "b");
  assert.equal(ev.defaultPrevented, true);
  assert.equal(root.dataset.asking, "send-back");
  assert.equal(reasonBox(root).hidden, false);
  assert.match(reasonBox(root).textContent, /Send r0 back: why\?/);
  assert.equal(document.activeElement, reasonInput(root), "the field has the keyboard");
  assert.equal(model.sentOf("label").length, 0, "nothing sent before the reason");
  assert.equal(root.dataset.itemId, "r0");
  const enter = answer(root, "  look again  ");
  assert.equal(enter.defaultPrevented, true);
  const [msg] = model.sentOf("label");
  assert.deepEqual([msg.kind, msg.item_id, msg.value, msg.parent, msg.note, msg.tier], ["send-back", "r0", null, 1000, "look again", "review"]);
  assert.equal(root.dataset.asking, "");
  assert.equal(reasonBox(root).hidden, true);
  assert.equal(document.activeElement, root, "the keyboard is the view's again");
  assert.equal(root.dataset.itemId, "r1");
  kernel.flush();
  // The card shows the decision with its reason.
  press(root, "ArrowLeft");
  assert.equal(root.dataset.decision, "send-back");
  assert.equal(text(root, ".wb-decision"), "your decision: sent back — “look again” · saved");
  // The outbox kept the note for a resend.
  assert.equal(kernel.decisions()[0].note, "look again");
});

test("keys typed in the reason field are the field's: no decision, nothing reaches the notebook", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  let outside = 0;
  const count = () => outside++;
  document.addEventListener("keydown", count);
  try {
    press(root, "b");
    for (const k of ["1", "a", "x", "s", "?", "ArrowRight", "Backspace", "b"]) press(reasonInput(root), k);
    assert.equal(outside, 0, "every key stopped at the field");
    assert.equal(model.sentOf("label").length, 0);
    assert.equal(root.dataset.itemId, "r0");
    assert.equal(root.querySelector(".wb-overlay"), null, "? typed a character, it opened nothing");
  } finally {
    document.removeEventListener("keydown", count);
  }
});

test("an empty reason is not sent; Escape cancels and gives the keys back", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "b");
  answer(root, "   ");
  assert.equal(model.sentOf("label").length, 0);
  assert.equal(root.dataset.asking, "send-back", "still asking");
  assert.match(text(root, ".wb-status"), /a reason is needed/);
  press(reasonInput(root), "Escape");
  assert.equal(root.dataset.asking, "");
  assert.equal(document.activeElement, root);
  assert.match(text(root, ".wb-status"), /cancelled: nothing sent/);
  assert.equal(root.dataset.itemId, "r0");
  press(root, "Enter");
  assert.deepEqual(model.sentOf("label").map((m) => m.kind), ["review-accept"]);
});

test("a click on a decision while the reason is asked for cancels the send-back", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  click(root.querySelector('[data-action="send-back"]'));
  assert.equal(root.dataset.asking, "send-back");
  click(root.querySelector('[data-action="accept"]'));
  assert.equal(root.dataset.asking, "");
  assert.deepEqual(model.sentOf("label").map((m) => [m.kind, m.item_id]), [["review-accept", "r0"]]);
});

test("outside team mode a correction needs no reason", () => {
  const { model, kernel, root } = mount();
  kernel.flush();
  press(root, "2");
  assert.equal(root.dataset.asking, "");
  const [msg] = model.sentOf("label");
  assert.equal(msg.kind, "review-correct");
  assert.equal(msg.note, undefined);
});

test("in team mode a correction asks for its reason; accepting does not", () => {
  const { model, kernel, root } = mountTeam();
  kernel.flush();
  press(root, "Enter");
  assert.deepEqual(model.sentOf("label").map((m) => [m.kind, m.item_id]), [["review-accept", "r0"]]);
  press(root, "3"); // r1's label is dog: a correction to bird
  assert.equal(root.dataset.asking, "review-correct");
  assert.match(reasonBox(root).textContent, /Correct to bird: why\?/);
  assert.equal(model.sentOf("label").length, 1);
  answer(root, "beak visible");
  const msg = model.sentOf("label")[1];
  assert.deepEqual([msg.kind, msg.item_id, msg.value, msg.note, msg.tier], ["review-correct", "r1", "bird", "beak visible", "review"]);
  assert.equal(root.dataset.itemId, "r2");
  kernel.flush();
  press(root, "ArrowLeft");
  assert.equal(text(root, ".wb-decision"), "your decision: corrected to bird — “beak visible” · saved");
  press(root, "Backspace"); // undo: the correction is retracted

  assert.equal(model.sentOf("label").at(-1).kind, "retract");
});

test("QA decides in the qa tier", () => {
  const { model, kernel, root } = mountTeam({ user: "quinn", role: "qa", tier: "qa" });
  kernel.flush();
  press(root, "Enter");
  press(root, "b");
  answer(root, "not sure at all");
  assert.deepEqual(model.sentOf("label").map((m) => [m.kind, m.tier]), [["review-accept", "qa"], ["send-back", "qa"]]);
});

test("keys waiting for cards stop at a decision that asks for a reason", () => {
  const { model, kernel, root } = mount();
  for (const k of ["b", "1", "2"]) press(root, k); // before any card arrived
  kernel.flush();
  assert.equal(root.dataset.asking, "send-back");
  assert.equal(model.sentOf("label").length, 0);
  assert.match(text(root, ".wb-status"), /2 keys after it dropped/);
  answer(root, "look again");
  assert.deepEqual(model.sentOf("label").map((m) => [m.kind, m.item_id]), [["send-back", "r0"]]);
  assert.equal(root.dataset.itemId, "r1");
});

test("label quality reads as a short number: two decimals, two significant figures below 0.01", () => {
  const cases = [
    [0.1234567891, "0.12"],
    [0.01, "0.01"],
    [0.987654, "0.99"],
    [1, "1.00"],
    [0, "0.00"],
    [0.0031415, "0.0031"],
    [0.000123, "0.00012"],
    [0.00001234, "< 0.0001"],
    [1e-12, "< 0.0001"],
  ];
  for (const [q, want] of cases) assert.equal(formatQuality(q), want, String(q));
  for (const q of [0.1234567891, 0.0031415, 0.5]) assert.ok(formatQuality(q).length <= 6, formatQuality(q));
});
