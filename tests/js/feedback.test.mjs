// Team mode's reviewer feedback (widgets/lib/feedback.ts) and its place in the
// classify view: the notes strip, the shown item's note, `seen`, and items
// sent back going first.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  widgetTests, FakeModel, FakeKernel, TeamKernel, feedbackRow, textItems, press, click, classifyState, classSchema,
} from "./helpers.mjs";
import classify from "../../widgets/classify.ts";
import { FeedbackStrip, feedbackText, itemFeedbackText, valueSummary } from "../../widgets/lib/feedback.ts";
import { now } from "../../widgets/lib/dom.ts";

const { show } = widgetTests(classify.render, ".wb-classify");

const CORRECTED = feedbackRow(1, "t0001", "review-correct", { note: "beak visible", value: "bird", previous: "cat" });
const SENT_BACK = feedbackRow(2, "t0003", "send-back", { note: "look again", previous: "dog" });

function mountTeam({ feedback = [], sentBack = [], state = {}, items = textItems(12) } = {}) {
  const model = new FakeModel(classifyState(state));
  const kernel = new TeamKernel(model, items);
  kernel.feedback = feedback;
  for (const fb of sentBack) kernel.itemFeedback.set(fb.item_id, fb);
  return { model, kernel, ...show(model) };
}

const strip = (root) => root.querySelector(".wb-feedback");
const notes = (root) => [...root.querySelectorAll(".wb-feedback-item")].map((li) => li.textContent);

test("texts: a correction shows old → new, a send-back the reason; shape lists are counted", () => {
  assert.equal(feedbackText(CORRECTED, false), "rita corrected t0001: cat → bird — “beak visible”");
  assert.equal(feedbackText(SENT_BACK, false), "rita sent t0003 back — “look again”");
  assert.equal(itemFeedbackText(SENT_BACK, false), "Sent back by rita: look again");
  assert.equal(itemFeedbackText(CORRECTED, false), "Corrected by rita (cat → bird): beak visible");
  const box = { type: "box", class: "car", bbox: [0, 0, 1, 1] };
  const shapes = feedbackRow(3, "i1", "review-correct", { value: [box, box, box, box], previous: [box, box, box], note: "missed one" });
  assert.equal(feedbackText(shapes, true), "rita corrected i1: 3 shapes → 4 shapes — “missed one”");
  assert.equal(valueSummary([], true), "0 shapes");
  assert.equal(valueSummary([box], false), "1 shape", "a list of objects is a shape list");
  assert.equal(valueSummary(["cat", "dog"], false), "cat, dog", "multi-label");
  assert.equal(valueSummary(null, false), "–");
  assert.equal(feedbackText(feedbackRow(4, "t9", "send-back"), false), "rita sent t9 back", "no note, no quote");
});

test("outside team mode the strip stays hidden and empty", () => {
  const model = new FakeModel(classifyState());
  const kernel = new FakeKernel(model, textItems(5));
  const { root } = show(model);
  kernel.flush();
  assert.equal(strip(root).dataset.feedbackCount, "0");
  assert.equal(strip(root).hidden, true);
  assert.equal(root.querySelector("[data-item-feedback]"), null);
});

test("hello's unread notes show in the strip: a count, and each note when expanded", () => {
  const { kernel, root } = mountTeam({ feedback: [CORRECTED, SENT_BACK] });
  kernel.flush();
  const s = strip(root);
  assert.equal(s.hidden, false);
  assert.equal(s.dataset.feedbackCount, "2");
  assert.match(s.querySelector(".wb-feedback-toggle").textContent, /^2 notes from reviewers/);
  assert.equal(s.querySelector(".wb-feedback-list").hidden, true, "collapsed at first");
  click(s.querySelector(".wb-feedback-toggle"));
  assert.equal(s.querySelector(".wb-feedback-list").hidden, false);
  assert.deepEqual(notes(root), ["rita corrected t0001: cat → bird — “beak visible”", "rita sent t0003 back — “look again”"]);
  assert.deepEqual([...root.querySelectorAll(".wb-feedback-item")].map((li) => li.dataset.kind), ["review-correct", "send-back"]);
  assert.equal(document.activeElement, root, "the click leaves the keyboard with the view");
});

test("notes are text: markup in a reviewer's note is never parsed", () => {
  const evil = feedbackRow(7, "t0001", "send-back", { note: "<img src=x onerror=alert(1)>" });
  const { kernel, root } = mountTeam({ feedback: [evil], sentBack: [evil] });
  kernel.flush();
  assert.equal(root.querySelector(".wb-feedback img, .wb-item-feedback img"), null);
  assert.match(root.querySelector("[data-item-feedback]").textContent, /<img src=x/);
});

test("d marks the notes read: seen with their ids, the strip empties, no label is sent", () => {
  const { model, kernel, root } = mountTeam({ feedback: [CORRECTED, SENT_BACK] });
  kernel.flush();
  const ev = press(root, "d");
  assert.equal(ev.defaultPrevented, true);
  const [seen] = model.sentOf("seen");
  assert.deepEqual(seen.ids, [1, 2]);
  assert.equal(seen.client_id, model.sentOf("hello")[0].client_id);
  assert.equal(typeof seen.req, "number");
  assert.equal(model.sentOf("label").length, 0);
  assert.equal(strip(root).dataset.feedbackCount, "0");
  assert.equal(strip(root).hidden, true);
  kernel.flush();
  assert.deepEqual([...kernel.seenIds], [1, 2]);
  // A reply computed before the kernel heard of it still lists them: they stay read.
  const cid = seen.client_id;
  const third = feedbackRow(3, "t0005", "send-back", { note: "blurry?" });
  model.deliver({ type: "items", client_id: cid, req: 999, n: 0, items: [], feedback: [CORRECTED, SENT_BACK, third] });
  assert.equal(strip(root).dataset.feedbackCount, "1");
  assert.deepEqual(notes(root), ["rita sent t0005 back — “blurry?”"]);
  // The button does the same.
  click(root.querySelector('[data-action="read-notes"]'));
  assert.deepEqual(model.sentOf("seen")[1].ids, [3]);
  assert.equal(strip(root).dataset.feedbackCount, "0");
});

test("new notes arrive with the items replies", () => {
  const { kernel, root } = mountTeam();
  kernel.flush();
  assert.equal(strip(root).dataset.feedbackCount, "0");
  kernel.feedback = [SENT_BACK];
  for (const k of ["1", "2", "3", "1"]) press(root, k); // the queue runs low: a need goes out
  kernel.flush();
  assert.equal(strip(root).dataset.feedbackCount, "1");
});

test("an item sent back comes before the queued items, with its note shown above it", () => {
  const { model, kernel, root } = mountTeam({ feedback: [SENT_BACK], sentBack: [SENT_BACK] });
  kernel.flush();
  // The kernel lists t0000..t0004; t0003 was sent back: it is shown first.
  assert.equal(root.dataset.itemId, "t0003");
  const note = root.querySelector(".wb-item-feedback");
  assert.equal(note.hidden, false);
  assert.equal(note.dataset.itemFeedback, "2");
  assert.equal(note.dataset.kind, "send-back");
  assert.equal(note.textContent, "Sent back by rita: look again");
  assert.ok(note.compareDocumentPosition(root.querySelector(".wb-stage")) & Node.DOCUMENT_POSITION_FOLLOWING, "above the item");
  press(root, "2");
  assert.equal(model.sentOf("label")[0].item_id, "t0003");
  assert.equal(root.dataset.itemId, "t0000", "then the queue in the kernel's order");
  assert.equal(note.hidden, true);
  assert.equal(root.querySelector("[data-item-feedback]"), null);
  // Going back shows the note again.
  press(root, "ArrowLeft");
  assert.equal(root.dataset.itemId, "t0003");
  assert.equal(root.querySelector("[data-item-feedback]").textContent, "Sent back by rita: look again");
});

test("a class bound to d wins over marking notes read", () => {
  const schema = classSchema(["cat", "dog", "duck"], { keys: ["1", "2", "d"] });
  const { model, kernel, root } = mountTeam({ feedback: [SENT_BACK], state: { schema } });
  kernel.flush();
  press(root, "d");
  assert.equal(model.sentOf("label")[0].value, "duck");
  assert.equal(model.sentOf("seen").length, 0);
  assert.equal(strip(root).dataset.feedbackCount, "1", "the button still marks them read");
});

test("the guidelines list d in team mode", () => {
  const { kernel, root } = mountTeam({ feedback: [SENT_BACK] });
  kernel.flush();
  press(root, "?");
  assert.match(root.querySelector(".wb-overlay, .wb-guidelines")?.textContent ?? "", /mark the reviewers' notes read/);
});

test("a seen unanswered is sent again after the timeout, with every id not yet confirmed", () => {
  const sent = [];
  let req = 0;
  const s = new FeedbackStrip({
    clientId: "c1",
    nextReq: () => ++req,
    send: (m) => sent.push(m),
    clickable: (node, fn) => node.addEventListener("click", fn),
    shapes: false,
  });
  s.set([CORRECTED]);
  assert.equal(s.count, 1);
  s.markRead();
  assert.deepEqual(sent.map((m) => [m.type, m.req, m.ids]), [["seen", 1, [1]]]);
  s.poll(now() + 5000, 10000);
  assert.equal(sent.length, 1, "not overdue yet");
  s.set([CORRECTED, SENT_BACK]);
  s.markRead(); // the first is still unconfirmed: both go
  assert.deepEqual(sent[1].ids, [1, 2]);
  assert.equal(s.onSeen(1), false, "the older request's answer does not settle the newer");
  s.poll(now() + 20000, 10000);
  assert.deepEqual([sent[2].req, sent[2].ids], [3, [1, 2]]);
  assert.equal(s.onSeen(3), true);
  s.poll(now() + 60000, 10000);
  assert.equal(sent.length, 3, "answered: nothing more");
  s.set("not a list");
  assert.equal(s.count, 0);
  s.set([{ id: "x" }, null, { ...SENT_BACK, id: 9, kind: "other" }]);
  assert.equal(s.count, 0, "malformed rows are left out");
});

test("an item labeled in this view and then sent back comes again, first, in the same view", () => {
  const { model, kernel, root } = mountTeam();
  kernel.flush();
  press(root, "1");
  kernel.flush(); // t0000 stored
  assert.equal(root.dataset.itemId, "t0001");
  // A reviewer sends t0000 back: the kernel hands it out again, with the note.
  const fb = feedbackRow(5, "t0000", "send-back", { note: "which animal?", previous: "cat" });
  kernel.labels.delete("t0000");
  kernel.itemFeedback.set("t0000", fb);
  kernel.feedback = [fb];
  model.deliver({ type: "requeue" }); // any later need would do
  kernel.flush();
  assert.equal(strip(root).dataset.feedbackCount, "1");
  assert.equal(root.dataset.itemId, "t0001", "the item shown stays");
  press(root, "2");
  assert.equal(root.dataset.itemId, "t0000", "the item sent back is next");
  assert.equal(root.querySelector("[data-item-feedback]").textContent, "Sent back by rita: which animal?");
  assert.match(root.querySelector(".wb-prelabel").textContent, /label: cat/, "this view's earlier label");
  press(root, "3");
  const last = model.sentOf("label").at(-1);
  assert.deepEqual([last.item_id, last.value], ["t0000", "bird"]);
});
