// The item supply shared by the one-item views (widgets/lib/supply.ts): what a
// `need` asks for and excludes, when the queue is refilled, going back and
// forward, type-ahead, "nothing left", answers to other requests; with the
// classify view's settings (its unacknowledged labels excluded, items labeled
// here refused unless sent back, type-ahead) and the drawing widget's
// (annotate/images.ts: items left are refused). Plus lib/requests.ts.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { setupDom, FakeModel, FakeKernel, textItems, press, classifyState } from "./helpers.mjs";
import { ItemSupply, EXHAUSTED_RECHECK_MS } from "../../widgets/lib/supply.ts";
import { Ask } from "../../widgets/lib/requests.ts";
import { REQUEST_TIMEOUT_MS } from "../../widgets/lib/view.ts";
import { DrawingSupply } from "../../widgets/annotate/images.ts";
import classify from "../../widgets/classify.ts";

// A clock the test moves (now() reads performance.now()).
let clock = 1000;
Object.defineProperty(globalThis, "performance", { value: { now: () => clock }, configurable: true, writable: true });

beforeEach(() => {
  setupDom();
  clock = 1000;
});

/** A view as the supply sees it, recording what is sent and dropped. */
function fakeHost({ prefetch = 4 } = {}) {
  const host = {
    clientId: "me",
    reqs: 0,
    sent: [],
    dropped: [],
    errors: [],
    prefetchN: prefetch,
    pending: new Set(), // labels not acknowledged yet
    labeled: new Set(), // items labeled in this view
    nextReq: () => ++host.reqs,
    send: (msg) => host.sent.push(JSON.parse(JSON.stringify(msg))),
    prefetch: () => host.prefetchN,
    destroyed: () => false,
    make: (w) => ({ ...w }),
    drop: (item) => host.dropped.push(item.item_id),
    showError: (text) => host.errors.push(text),
    needs: () => host.sent.filter((m) => m.type === "need"),
    lastNeed: () => host.needs().at(-1),
  };
  return host;
}

/** The classify view's settings (widgets/classify.ts). */
function classifySupply(opts = {}, cacheLimit = 300) {
  const host = fakeHost(opts);
  host.excluded = () => [...host.pending];
  host.unwanted = () => {
    const pending = new Set(host.pending);
    return (id, back) => (host.labeled.has(id) && !back) || pending.has(id);
  };
  const supply = new ItemSupply(host, { cacheLimit, needsItem: (a) => a.type === "class" });
  return { host, supply };
}

/** The drawing widget's supply (annotate/images.ts) over the same fake host. */
function drawingSupply(opts = {}) {
  const host = fakeHost(opts);
  const supply = new DrawingSupply({
    ...host,
    remembered: () => undefined,
    imageArrived: () => undefined,
    fullArrived: () => undefined,
  });
  return { host, supply };
}

const wire = (id, extra = {}) => ({ item_id: id, kind: "text", text: `text ${id}`, buffer: null, ...extra });
const sentBack = (id) => wire(id, { feedback: { kind: "send-back", note: "redo" } });

/** The kernel's answer to the last need: `items` (ids or wire items). */
function answer(host, supply, items, need = host.lastNeed()) {
  return supply.onItems({ type: "items", client_id: "me", req: need.req, n: need.n, items: items.map((i) => (typeof i === "string" ? wire(i) : i)) }, []);
}

test("a need asks for prefetch + the item to show; one is in flight, asked again only after the timeout", () => {
  const { host, supply } = classifySupply();
  supply.ensure();
  assert.equal(host.needs().length, 1);
  assert.equal(host.lastNeed().n, 5);
  assert.equal(host.lastNeed().client_id, "me");
  assert.deepEqual(host.lastNeed().exclude, []);
  supply.ensure();
  clock += REQUEST_TIMEOUT_MS - 1;
  supply.ensure();
  assert.equal(host.needs().length, 1, "unanswered but not timed out: not asked again");
  clock += 1;
  supply.ensure();
  assert.equal(host.needs().length, 2);
  assert.notEqual(host.needs()[1].req, host.needs()[0].req);
});

test("classify: the queue is refilled below half the prefetch; exclude names the queued, live and unacknowledged ids only", () => {
  const { host, supply } = classifySupply();
  host.pending.add("p1");
  supply.ensure();
  assert.deepEqual(host.lastNeed().exclude, ["p1"]);
  assert.equal(answer(host, supply, ["a", "b", "c", "d", "e"]), true, "the first item becomes the live one");
  assert.equal(supply.shownId(), "a");
  assert.deepEqual(supply.queuedIds(), ["b", "c", "d", "e"]);
  supply.leave(); // a labeled: 3 queued
  supply.ensure();
  supply.leave(); // b labeled: 2 queued, half of 4: enough
  supply.ensure();
  assert.equal(host.needs().length, 1, "no need while half the prefetch is queued");
  supply.leave(); // c labeled: 1 queued
  supply.ensure();
  assert.equal(host.needs().length, 2);
  const need = host.lastNeed();
  assert.equal(need.n, 3, "prefetch 4 minus the one queued");
  assert.deepEqual([...need.exclude].sort(), ["d", "e", "p1"], "the live item, the queued one and the pending label; not the items left");
});

test("classify: an item that comes again is not queued when live, pending or labeled here; one sent back is, first", () => {
  const { host, supply } = classifySupply();
  supply.ensure();
  answer(host, supply, ["a", "b"]);
  host.pending.add("p1");
  host.labeled.add("x").add("z");
  supply.leave();
  supply.ensure();
  assert.equal(supply.shownId(), "b");
  answer(host, supply, ["b", "p1", "x", "y", sentBack("z"), "c"]);
  assert.deepEqual(supply.queuedIds(), ["z", "y", "c"], "sent back first; the live b, pending p1 and labeled x refused");
});

test("annotate: items left are neither asked for again nor queued when they come, sent back or not", () => {
  const { host, supply } = drawingSupply({ prefetch: 2 });
  supply.ensure();
  assert.equal(host.lastNeed().n, 3);
  answer(host, supply, ["a", "b", "c"]);
  supply.leave();
  supply.ensure();
  assert.equal(host.needs().length, 1, "one queued is half of 2: enough");
  supply.leave();
  supply.ensure();
  assert.equal(host.needs().length, 2);
  assert.deepEqual([...host.lastNeed().exclude].sort(), ["a", "b", "c"]);
  answer(host, supply, [sentBack("a"), "b", "d"]);
  assert.deepEqual(supply.queuedIds(), ["d"]);
  assert.equal(supply.shownId(), "c");
});

test("prefetch 0: one item asked for when none is live; keys waiting ask for as many", () => {
  const { host, supply } = classifySupply({ prefetch: 0 });
  supply.ensure();
  assert.equal(host.lastNeed().n, 1);
  answer(host, supply, ["a"]);
  supply.ensure();
  assert.equal(host.needs().length, 1, "an item is live: nothing asked");
  supply.leave();
  supply.ensure();
  assert.equal(host.needs().length, 2);
  assert.equal(host.lastNeed().n, 1);

  const other = classifySupply({ prefetch: 0 });
  for (let i = 0; i < 3; i++) assert.equal(other.supply.wait({ type: "class", name: "cat" }, clock), true);
  other.supply.wait({ type: "back" }, clock); // needs no item: not counted
  other.supply.ensure();
  assert.equal(other.host.lastNeed().n, 3);
});

test("back and forward walk the items left; leaving one while walking goes to the next left; reshow makes an item live again", () => {
  const { host, supply } = classifySupply();
  supply.ensure();
  answer(host, supply, ["a", "b", "c", "d", "e"]);
  supply.leave();
  supply.leave();
  assert.equal(supply.shownId(), "c");
  assert.equal(supply.seen, 2);
  const walk = [];
  for (const step of ["back", "back", "back", "forward", "forward", "forward"]) {
    supply[step]();
    walk.push([supply.shownId(), supply.reviewIdx]);
  }
  assert.deepEqual(walk, [["b", 1], ["a", 0], ["a", 0], ["b", 1], ["c", null], ["c", null]]);
  supply.back();
  supply.back();
  supply.leave(); // relabel a: the next item left, not the queue's
  assert.equal(supply.shownId(), "b");
  supply.leave();
  assert.equal(supply.shownId(), "c", "past the last item left: the live one");
  assert.deepEqual(supply.queuedIds(), ["d", "e"]);
  // An undo of b's label: b is live again, c back at the front of the queue.
  supply.reshow("b", true);
  assert.equal(supply.shownId(), "b");
  assert.equal(supply.reviewIdx, null);
  assert.deepEqual(supply.queuedIds(), ["c", "d", "e"]);
  assert.equal(supply.hasLeft("b"), false);
  assert.equal(supply.hasLeft("a"), true);
});

test("type-ahead: keys pressed before items arrive apply in order, each to the item shown at its turn", () => {
  const { host, supply } = classifySupply({ prefetch: 2 });
  const keys = ["k1", "k2", "k3"].map((name) => ({ type: "class", name }));
  for (const k of keys) {
    assert.equal(supply.mustWait(k), true);
    supply.wait(k, clock);
  }
  assert.equal(supply.mustWait({ type: "back" }), true, "a key behind waiting keys waits too (order)");
  supply.ensure();
  assert.equal(host.lastNeed().n, 2 + 1 + 3, "prefetch, the item to show, and one per waiting key");
  const applied = [];
  const apply = (action) => {
    applied.push([action.name, supply.shownId()]);
    supply.leave();
  };
  answer(host, supply, ["a", "b"]);
  assert.equal(supply.drain(apply), true);
  assert.deepEqual(applied, [["k1", "a"], ["k2", "b"]]);
  assert.equal(supply.keysWaiting, 1, "k3 waits for the next item");
  assert.equal(supply.drain(apply), false);
  supply.ensure();
  answer(host, supply, ["c", "d"]);
  supply.drain(apply);
  assert.deepEqual(applied, [["k1", "a"], ["k2", "b"], ["k3", "c"]]);
  assert.equal(supply.keysWaiting, 0);
  assert.equal(supply.mustWait({ type: "class", name: "x" }), false, "an item is shown: keys apply at once");
});

test("an empty answer means nothing left: asked again only after the recheck time, or at once when a key waits; then the stranded keys are dropped", () => {
  const { host, supply } = classifySupply();
  supply.ensure();
  answer(host, supply, []);
  assert.equal(supply.exhausted, true);
  assert.equal(supply.shownId(), null);
  supply.ensure();
  clock += EXHAUSTED_RECHECK_MS - 1;
  supply.ensure();
  assert.equal(host.needs().length, 1);
  clock += 1;
  supply.ensure();
  assert.equal(host.needs().length, 2);
  answer(host, supply, []);
  // A key asks again at once; while that need is out, the key is kept.
  supply.wait({ type: "class", name: "cat" }, clock);
  supply.ensure();
  assert.equal(host.needs().length, 3);
  assert.equal(supply.dropStranded(), 0);
  // A late empty answer to an older need: nothing left, but the open need may still bring items.
  supply.onItems({ type: "items", client_id: "me", req: host.needs()[1].req, n: 5, items: [] }, []);
  assert.equal(supply.exhausted && supply.waiting, true);
  assert.equal(supply.dropStranded(), 0);
  answer(host, supply, []);
  assert.equal(supply.dropStranded(), 1);
  assert.equal(supply.keysWaiting, 0);
  // Items found later end "nothing left".
  clock += EXHAUSTED_RECHECK_MS;
  supply.ensure();
  answer(host, supply, ["a"]);
  assert.equal(supply.exhausted, false);
  assert.equal(supply.shownId(), "a");
});

test("an answer or error for another request leaves the need in flight", () => {
  const { host, supply } = classifySupply();
  supply.ensure();
  const need = host.lastNeed();
  supply.onItems({ type: "items", client_id: "me", req: need.req + 100, n: 5, items: [] }, []);
  supply.onError(need.req + 100);
  assert.equal(supply.waiting, true);
  assert.equal(supply.exhausted, true, "it still says what the kernel has");
  supply.ensure();
  assert.equal(host.needs().length, 1, "not asked again: the open need is not answered");
  supply.onError(need.req);
  assert.equal(supply.waiting, false);
});

test("items beyond the cache limit are dropped (oldest first) and asked for by id when walked back to", () => {
  const { host, supply } = classifySupply({ prefetch: 2 }, 1);
  supply.ensure();
  answer(host, supply, ["a", "b", "c"]);
  supply.leave();
  supply.leave();
  supply.ensure();
  answer(host, supply, ["d", "e"]);
  assert.deepEqual(host.dropped, ["a", "b"], "held: the live c and the queued d, e, plus one");
  supply.back();
  assert.equal(supply.shownId(), "b");
  assert.equal(supply.shownItem(), null);
  supply.ensure();
  supply.ensure();
  const asks = host.sent.filter((m) => m.type === "item");
  assert.deepEqual(asks.map((m) => m.item_id), ["b"], "asked once while unanswered");
  assert.equal(supply.onItem({ type: "item", client_id: "me", req: asks[0].req, item_id: "b", item: wire("b") }, []), "b");
  assert.equal(supply.shownItem().item_id, "b");
  supply.requeue();
  assert.deepEqual(supply.queuedIds(), []);
  assert.ok(host.dropped.includes("d") && host.dropped.includes("e"), "requeue drops the prefetched items");
  assert.equal(host.lastNeed().n, 2, "and asks again (c is live)");
});

test("Ask: only the open request's answer counts; fresh until the timeout, overdue after", () => {
  const ask = new Ask();
  assert.equal(ask.pending, null);
  assert.equal(ask.fresh(0, 10), false);
  ask.start(7, 100, { page: 3 });
  assert.equal(ask.pending.page, 3);
  assert.equal(ask.answers(6), false);
  assert.equal(ask.settle(6), false);
  assert.equal(ask.fresh(109, 10), true);
  assert.equal(ask.fresh(110, 10), false);
  assert.equal(ask.overdue(110, 10), false);
  assert.equal(ask.overdue(111, 10), true);
  ask.start(8, 120);
  assert.equal(ask.settle(7), false, "a newer request replaced it");
  assert.equal(ask.settle(8), true);
  assert.equal(ask.pending, null);
});

test("classify view: labels not acknowledged are excluded from the next need; items for another view are not queued", () => {
  const model = new FakeModel(classifyState({ prefetch: 2 }));
  const kernel = new FakeKernel(model, textItems(10));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const destroy = classify.render({ model, el });
  try {
    const root = el.querySelector(".wb-classify");
    kernel.flush();
    assert.equal(root.dataset.itemId, "t0000");
    // Labels go out but the kernel does not answer them yet.
    model.onSend = (msg, b) => (msg.type === "label" ? undefined : kernel.receive(msg, b));
    press(root, "1");
    press(root, "1");
    const need = model.sentOf("need").at(-1);
    assert.ok(need.exclude.includes("t0000") && need.exclude.includes("t0001"), JSON.stringify(need.exclude));
    const queued = root.dataset.queue;
    model.deliver({ type: "items", client_id: "someone-else", req: need.req, n: 1, items: [wire("zz")] });
    assert.equal(root.dataset.queue, queued, "another view's answer is not queued");
    kernel.flush();
    const shown = [root.dataset.itemId];
    for (let i = 0; i < 10; i++) {
      press(root, "1");
      kernel.flush();
      shown.push(root.dataset.itemId);
    }
    assert.deepEqual(shown, ["t0002", "t0003", "t0004", "t0005", "t0006", "t0007", "t0008", "t0009", "", "", ""]);
  } finally {
    destroy();
  }
});
