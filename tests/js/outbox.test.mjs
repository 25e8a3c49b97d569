import { test } from "node:test";
import assert from "node:assert/strict";
import { Outbox, entryKey, storageKey, OUTBOX_PREFIX, RESEND_AFTER_MS } from "../../widgets/lib/outbox.ts";
import { LabelSender } from "../../widgets/lib/sender.ts";
import { ClassifyView } from "../../widgets/classify.ts";
import { setupDom, FakeModel, FakeKernel, textItems, press, classifyState } from "./helpers.mjs";

/** localStorage over a Map: length / key(i) / getItem / setItem / removeItem. */
class MemoryStorage {
  constructor(data = new Map()) {
    this.data = data;
    this.writes = 0;
  }
  get length() {
    return this.data.size;
  }
  key(i) {
    return [...this.data.keys()][i] ?? null;
  }
  getItem(k) {
    return this.data.has(k) ? this.data.get(k) : null;
  }
  setItem(k, v) {
    this.writes++;
    this.data.set(k, String(v));
  }
  removeItem(k) {
    this.data.delete(k);
  }
}

/**
 * One tab's view of a storage shared with other tabs: before every storage
 * access it calls `between()`, where the test lets another tab run. That is
 * the worst interleaving a read-modify-write can meet.
 */
class TabStorage {
  constructor(shared, between) {
    this.shared = shared;
    this.between = between;
  }
  get length() {
    this.between();
    return this.shared.length;
  }
  key(i) {
    this.between();
    return this.shared.key(i);
  }
  getItem(k) {
    this.between();
    return this.shared.getItem(k);
  }
  setItem(k, v) {
    this.between();
    this.shared.setItem(k, v);
  }
  removeItem(k) {
    this.between();
    this.shared.removeItem(k);
  }
}

function quotaError() {
  const err = new Error("The quota has been exceeded.");
  err.name = "QuotaExceededError";
  return err;
}

/** Keys of the outbox entries of project `pid` in storage `s` (not the legacy map or set-aside values). */
function entryKeys(s, pid) {
  return [...s.data.keys()].filter((k) => k.startsWith(`${OUTBOX_PREFIX}${pid}:`) && !k.includes(":corrupt:")).sort();
}

function msg(client_id, seq, extra = {}) {
  return { type: "label", client_id, seq, item_id: `i${seq}`, task: "t", kind: "label", value: "cat", duration_ms: 10, created: 1000 + seq, ...extra };
}

test("add writes the entry to its own storage key synchronously", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p1", s);
  box.add(msg("c1", 1));
  assert.deepEqual([...s.data.keys()], ["workbench-outbox:p1:c1:1"]);
  assert.equal(storageKey("p1", "c1", 1), "workbench-outbox:p1:c1:1");
  assert.deepEqual(JSON.parse(s.getItem("workbench-outbox:p1:c1:1")), msg("c1", 1));
  assert.equal(s.getItem(`${OUTBOX_PREFIX}p1`), null, "no single map any more");
  assert.equal(box.size, 1);
  assert.equal(entryKey("c1", 1), "c1:1");
  assert.ok(box.persistent);
});

test("ack removes the entry's key; other entries stay", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p1", s);
  box.add(msg("c1", 1));
  box.add(msg("c1", 2));
  assert.equal(box.remove("c1", 1), true);
  assert.equal(box.remove("c1", 1), false);
  assert.deepEqual(entryKeys(s, "p1"), ["workbench-outbox:p1:c1:2"]);
  assert.equal(box.has("c1", 2), true);
  assert.equal(box.has("c1", 1), false);
  assert.equal(box.get("c1", 2).seq, 2);
});

test("a new instance over the same storage (a reload) sees and resends old client ids", () => {
  const s = new MemoryStorage();
  const first = new Outbox("p1", s);
  first.add(msg("old", 1));
  first.add(msg("old", 2, { kind: "retract", retracts: { client_id: "old", seq: 1 }, created: 1003 }));
  // reload: a new page, a new view, a new client id
  const second = new Outbox("p1", s);
  const due = second.due(0);
  assert.deepEqual(due.map((e) => [e.client_id, e.seq]), [["old", 1], ["old", 2]]);
  second.markSent(due[0], 0);
  second.markSent(due[1], 0);
  assert.equal(second.due(RESEND_AFTER_MS - 1).length, 0, "not resent before the back-off");
  assert.equal(second.due(RESEND_AFTER_MS).length, 2, "resent after it");
  second.remove("old", 1);
  assert.equal(new Outbox("p1", s).size, 1);
});

test("projects do not share an outbox, not even when one id is a prefix of another", () => {
  const s = new MemoryStorage();
  new Outbox("a", s).add(msg("c", 1));
  new Outbox("a:x", s).add(msg("d", 2));
  s.setItem("workbench-outbox:ab:c:3", JSON.stringify(msg("c", 3)));
  assert.equal(new Outbox("b", s).size, 0);
  assert.deepEqual(new Outbox("a", s).entries().map((e) => e.client_id), ["c"]);
  assert.deepEqual(new Outbox("a:x", s).entries().map((e) => e.client_id), ["d"]);
});

test("resends back off: doubling waits", () => {
  const box = new Outbox("p", new MemoryStorage());
  const m = msg("c", 1);
  box.add(m);
  box.markSent(m, 0);
  assert.equal(box.due(1500).length, 1);
  box.markSent(m, 1500);
  assert.equal(box.due(1500 + 2999).length, 0);
  assert.equal(box.due(1500 + 3000).length, 1);
});

test("entries are ordered by creation so a label goes before its retraction", () => {
  const box = new Outbox("p", new MemoryStorage());
  box.add(msg("b", 7, { created: 5 }));
  box.add(msg("a", 9, { created: 3 }));
  box.add(msg("a", 2, { created: 4 }));
  assert.deepEqual(box.entries().map((e) => entryKey(e.client_id, e.seq)), ["a:9", "a:2", "b:7"]);
});

test("pending item ids exclude retractions", () => {
  const box = new Outbox("p", new MemoryStorage());
  box.add(msg("c", 1));
  box.add(msg("c", 2, { item_id: "x", kind: "retract", retracts: { client_id: "c", seq: 1 } }));
  assert.deepEqual(box.pendingItemIds(), ["i1"]);
});

test("no storage: entries live in memory and the outbox says so", () => {
  const box = new Outbox("p", null);
  assert.equal(box.persistent, false);
  assert.match(box.problem, /memory/);
  box.add(msg("c", 1));
  assert.equal(box.size, 1);
  box.remove("c", 1);
  assert.equal(box.size, 0);
  assert.equal(box.persistent, false);
});

test("another view's writes are seen (storage is re-listed)", () => {
  const s = new MemoryStorage();
  const a = new Outbox("p", s);
  const b = new Outbox("p", s);
  a.add(msg("a", 1));
  b.add(msg("b", 1));
  assert.equal(a.size, 2);
  a.remove("b", 1);
  assert.equal(b.size, 1);
  assert.equal(b.has("b", 1), false);
});

test("unparsable or foreign values under the prefix are ignored, not deleted", () => {
  const s = new MemoryStorage();
  s.setItem("workbench-outbox:p:c:1", "{not json");
  s.setItem("workbench-outbox:p:c:2", JSON.stringify(msg("other", 9)));
  const box = new Outbox("p", s);
  box.add(msg("c", 3));
  assert.deepEqual(box.entries().map((e) => e.seq), [3]);
  assert.equal(s.getItem("workbench-outbox:p:c:1"), "{not json");
  assert.equal(box.get("c", 2), undefined);
});

// -- two tabs ------------------------------------------------------------------

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("two tabs writing at the same instant do not lose each other's entries", () => {
  // Tab B writes between two storage calls of tab A's add (or ack), at every
  // possible point: with one shared map (read, modify, write back) A would
  // write back a map without B's entry.
  for (let at = 0; at < 8; at++) {
    const shared = new MemoryStorage();
    let calls = 0;
    let other = null;
    const tabA = new Outbox("p", new TabStorage(shared, () => {
      if (other && calls++ === at) {
        const run = other;
        other = null;
        run();
      }
    }));
    const tabB = new Outbox("p", shared);
    tabA.add(msg("A", 1));
    calls = 0;
    other = () => tabB.add(msg("B", 1));
    tabA.add(msg("A", 2));
    other?.(); // A made fewer calls than `at`: B writes after
    assert.deepEqual(
      entryKeys(shared, "p"),
      ["workbench-outbox:p:A:1", "workbench-outbox:p:A:2", "workbench-outbox:p:B:1"],
      `B writing before A's storage call ${at} of an add`,
    );
    // An ack in one tab while the other writes.
    calls = 0;
    other = () => tabB.add(msg("B", 2));
    tabA.remove("A", 1);
    other?.();
    assert.deepEqual(
      entryKeys(shared, "p"),
      ["workbench-outbox:p:A:2", "workbench-outbox:p:B:1", "workbench-outbox:p:B:2"],
      `B writing before A's storage call ${at} of an ack`,
    );
    assert.equal(tabA.size, 3);
    assert.equal(tabB.size, 3);
  }
});

test("two tabs interleaving many writes and acks lose nothing", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rand = mulberry32(seed);
    const shared = new MemoryStorage();
    const queue = []; // operations of the other tab, run in the middle of this tab's
    const tabs = [];
    const expected = new Set();
    const acked = new Set();
    const mk = (name) => {
      const storage = new TabStorage(shared, () => {
        // The other tab gets in between any two storage calls, now and then.
        if (queue.length && rand() < 0.3) queue.shift()();
      });
      return { name, box: new Outbox("p", storage), seq: 0, unacked: [] };
    };
    tabs.push(mk("A"), mk("B"));
    const op = (tab) => () => {
      if (tab.unacked.length && rand() < 0.4) {
        const seq = tab.unacked.splice(Math.floor(rand() * tab.unacked.length), 1)[0];
        tab.box.remove(tab.name, seq);
        expected.delete(`${tab.name}:${seq}`);
        acked.add(`${tab.name}:${seq}`);
      } else {
        const seq = ++tab.seq;
        expected.add(`${tab.name}:${seq}`);
        tab.box.add(msg(tab.name, seq));
        tab.unacked.push(seq);
      }
    };
    for (let i = 0; i < 300; i++) {
      const [me, other] = rand() < 0.5 ? tabs : [tabs[1], tabs[0]];
      queue.push(op(other));
      op(me)();
    }
    while (queue.length) queue.shift()();
    const stored = entryKeys(shared, "p").map((k) => k.slice("workbench-outbox:p:".length));
    assert.deepEqual(stored.sort(), [...expected].sort(), `seed ${seed}`);
    for (const t of tabs) {
      assert.deepEqual(t.box.entries().map((e) => entryKey(e.client_id, e.seq)).sort(), [...expected].sort());
    }
    assert.ok(acked.size > 0);
  }
});

// -- migration -----------------------------------------------------------------

test("the old single-map key is moved to per-entry keys on open and deleted", () => {
  const s = new MemoryStorage();
  const old = { "old:1": msg("old", 1), "old:2": msg("old", 2, { kind: "retract", retracts: { client_id: "old", seq: 1 } }) };
  s.setItem("workbench-outbox:p", JSON.stringify(old));
  // An entry already under its own key (written by a new page) is kept as is.
  s.setItem("workbench-outbox:p:new:1", JSON.stringify(msg("new", 1)));
  const box = new Outbox("p", s);
  assert.equal(s.getItem("workbench-outbox:p"), null, "old key deleted");
  assert.deepEqual(entryKeys(s, "p"), ["workbench-outbox:p:new:1", "workbench-outbox:p:old:1", "workbench-outbox:p:old:2"]);
  assert.deepEqual(JSON.parse(s.getItem("workbench-outbox:p:old:2")), old["old:2"]);
  assert.deepEqual(box.entries().map((e) => entryKey(e.client_id, e.seq)), ["new:1", "old:1", "old:2"]);
  // Acks now touch only their keys.
  box.remove("old", 1);
  assert.equal(new Outbox("p", s).size, 2);
  assert.equal(s.getItem("workbench-outbox:p"), null);
});

test("a map written again by a page still running the old code is migrated on the next read", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p", s);
  box.add(msg("new", 1));
  s.setItem("workbench-outbox:p", JSON.stringify({ "old:5": msg("old", 5) }));
  assert.equal(box.size, 2);
  assert.equal(s.getItem("workbench-outbox:p"), null);
  assert.ok(s.getItem("workbench-outbox:p:old:5"));
});

test("a corrupt old map is set aside, not overwritten", () => {
  const s = new MemoryStorage();
  s.setItem("workbench-outbox:p", "{not json");
  const box = new Outbox("p", s);
  assert.equal(box.size, 0);
  assert.equal(s.getItem("workbench-outbox:p"), null);
  const aside = [...s.data.keys()].filter((k) => k.startsWith("workbench-outbox:p:corrupt:"));
  assert.equal(aside.length, 1);
  assert.equal(s.getItem(aside[0]), "{not json");
  box.add(msg("c", 1));
  assert.equal(box.size, 1);
  assert.equal(s.getItem(aside[0]), "{not json");
});

test("migration into a full storage keeps what did not move, in the old key and in memory", () => {
  const s = new MemoryStorage();
  s.setItem("workbench-outbox:p", JSON.stringify({ "old:1": msg("old", 1), "old:2": msg("old", 2) }));
  const setItem = s.setItem.bind(s);
  s.setItem = (k, v) => {
    if (k === "workbench-outbox:p:old:2") throw quotaError();
    setItem(k, v);
  };
  const box = new Outbox("p", s);
  assert.equal(box.persistent, false);
  assert.match(box.problem, /QuotaExceededError/);
  assert.deepEqual(box.entries().map((e) => e.seq), [1, 2]);
  assert.ok(s.getItem("workbench-outbox:p:old:1"));
  assert.deepEqual(Object.keys(JSON.parse(s.getItem("workbench-outbox:p"))), ["old:2"], "nothing is dropped from storage");
  s.setItem = setItem; // space again: the next open finishes the move
  const later = new Outbox("p", s);
  assert.equal(s.getItem("workbench-outbox:p"), null);
  assert.equal(later.size, 2);
  assert.ok(later.persistent);
});

// -- quota ---------------------------------------------------------------------

test("a full storage keeps labels in memory, says so once, and stores them when there is room", () => {
  const s = new MemoryStorage();
  const problems = [];
  const box = new Outbox("p", s, (text) => problems.push(text));
  box.add(msg("c", 1));
  const setItem = s.setItem.bind(s);
  s.setItem = () => {
    throw quotaError();
  };
  box.add(msg("c", 2));
  box.add(msg("c", 3));
  assert.equal(box.persistent, false);
  assert.match(box.problem, /QuotaExceededError/);
  assert.match(box.problem, /2 unsaved labels live in memory only/);
  assert.equal(problems.length, 1, "reported once, not on every label");
  assert.match(problems[0], /QuotaExceededError/);
  assert.equal(box.size, 3);
  assert.deepEqual(box.entries().map((e) => e.seq), [1, 2, 3]);
  assert.equal(box.has("c", 2), true);
  assert.equal(box.get("c", 3).seq, 3);
  assert.deepEqual(entryKeys(s, "p"), ["workbench-outbox:p:c:1"]);
  // an ack of a memory-only entry removes it
  assert.equal(box.remove("c", 2), true);
  assert.equal(box.size, 2);
  // room again: the next write stores the memory-only entries too
  s.setItem = setItem;
  box.add(msg("c", 4));
  assert.ok(box.persistent);
  assert.equal(box.problem, "");
  assert.deepEqual(entryKeys(s, "p"), ["workbench-outbox:p:c:1", "workbench-outbox:p:c:3", "workbench-outbox:p:c:4"]);
  assert.equal(new Outbox("p", s).size, 3);
});

test("a quota error on write: the label is still sent and the error is reported", () => {
  const s = new MemoryStorage();
  s.setItem = () => {
    throw quotaError();
  };
  const model = new FakeModel({});
  const errors = [];
  const sender = new LabelSender(model, "p", { error: (text, final) => errors.push([text, final]) }, s);
  const m = sender.post({ item_id: "x", task: "t", kind: "label", value: "cat", duration_ms: 5 });
  assert.equal(model.sentOf("label").length, 1, "sent despite the storage failure");
  assert.equal(model.sentOf("label")[0].seq, m.seq);
  assert.equal(sender.unsaved, 1);
  assert.equal(errors.length, 1);
  assert.match(errors[0][0], /browser storage refused the outbox \(QuotaExceededError/);
  sender.handle({ type: "ack", client_id: m.client_id, seq: m.seq });
  assert.equal(sender.unsaved, 0);
});

test("the classify view shows a storage quota error and still stores the label", () => {
  setupDom();
  const s = new MemoryStorage();
  s.setItem = () => {
    throw quotaError();
  };
  const model = new FakeModel(classifyState());
  const kernel = new FakeKernel(model, textItems(5));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const view = new ClassifyView(model, el, { storage: s });
  try {
    kernel.flush();
    const root = el.querySelector(".wb-classify");
    press(root, "1");
    assert.equal(root.dataset.outbox, "1");
    assert.match(root.querySelector(".wb-errors").textContent, /browser storage refused the outbox/);
    assert.match(root.querySelector(".wb-status").textContent, /in memory only/);
    kernel.flush();
    assert.equal(root.dataset.outbox, "0");
    assert.equal(kernel.labels.get("t0000").value, "cat");
  } finally {
    view.destroy();
  }
});
