import { test } from "node:test";
import assert from "node:assert/strict";
import { Outbox, entryKey, OUTBOX_PREFIX, RESEND_AFTER_MS } from "../../widgets/lib/outbox.ts";

class MemoryStorage {
  constructor() {
    this.data = new Map();
    this.writes = 0;
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

function msg(client_id, seq, extra = {}) {
  return { type: "label", client_id, seq, item_id: `i${seq}`, task: "t", kind: "label", value: "cat", duration_ms: 10, created: 1000 + seq, ...extra };
}

test("add writes the entry to storage synchronously, keyed client_id:seq", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p1", s);
  box.add(msg("c1", 1));
  const raw = JSON.parse(s.getItem(`${OUTBOX_PREFIX}p1`));
  assert.deepEqual(Object.keys(raw), ["c1:1"]);
  assert.equal(raw["c1:1"].value, "cat");
  assert.equal(box.size, 1);
  assert.equal(entryKey("c1", 1), "c1:1");
});

test("ack removes the entry; other entries stay", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p1", s);
  box.add(msg("c1", 1));
  box.add(msg("c1", 2));
  assert.equal(box.remove("c1", 1), true);
  assert.equal(box.remove("c1", 1), false);
  assert.deepEqual(Object.keys(JSON.parse(s.getItem("workbench-outbox:p1"))), ["c1:2"]);
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

test("projects do not share an outbox", () => {
  const s = new MemoryStorage();
  new Outbox("a", s).add(msg("c", 1));
  assert.equal(new Outbox("b", s).size, 0);
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
});

test("a full storage keeps labels in memory instead of losing them", () => {
  const s = new MemoryStorage();
  const box = new Outbox("p", s);
  box.add(msg("c", 1));
  s.setItem = () => {
    throw new Error("QuotaExceededError");
  };
  box.add(msg("c", 2));
  assert.equal(box.persistent, false);
  assert.equal(box.size, 2);
  assert.deepEqual(box.entries().map((e) => e.seq), [1, 2]);
});

test("a corrupt map is set aside, not overwritten", () => {
  const s = new MemoryStorage();
  s.setItem("workbench-outbox:p", "{not json");
  const box = new Outbox("p", s);
  assert.equal(box.size, 0);
  const aside = [...s.data.keys()].filter((k) => k.startsWith("workbench-outbox:p:corrupt:"));
  assert.equal(aside.length, 1);
  assert.equal(s.getItem(aside[0]), "{not json");
});

test("another view's writes are seen (storage is re-read)", () => {
  const s = new MemoryStorage();
  const a = new Outbox("p", s);
  const b = new Outbox("p", s);
  a.add(msg("a", 1));
  b.add(msg("b", 1));
  assert.equal(a.size, 2);
  a.remove("b", 1);
  assert.equal(b.size, 1);
});
