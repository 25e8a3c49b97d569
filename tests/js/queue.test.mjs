import { test } from "node:test";
import assert from "node:assert/strict";
import { ItemQueue, TypeAhead } from "../../widgets/lib/queue.ts";

const it = (id) => ({ item_id: id });

test("the queue keeps arrival order and never holds an id twice", () => {
  const q = new ItemQueue();
  q.push([it("a"), it("b")]);
  const added = q.push([it("b"), it("c"), it("x")], (id) => id === "x");
  assert.deepEqual(added.map((i) => i.item_id), ["c"]);
  assert.deepEqual(q.ids(), ["a", "b", "c"]);
  assert.equal(q.shift().item_id, "a");
  q.unshift(it("c"));
  assert.deepEqual(q.ids(), ["c", "b"]);
  assert.equal(q.remove("b").item_id, "b");
  assert.equal(q.length, 1);
});

test("type-ahead keeps keys in press order", () => {
  const ta = new TypeAhead(1000);
  for (let i = 0; i < 200; i++) ta.push({ type: "class", name: String(i % 3) }, i);
  assert.equal(ta.count((a) => a.type === "class"), 200);
  const out = [];
  while (ta.length) out.push(ta.shift());
  assert.deepEqual(out.map((p) => p.t), Array.from({ length: 200 }, (_, i) => i));
  assert.deepEqual(out.slice(0, 4).map((p) => p.action.name), ["0", "1", "2", "0"]);
});

test("type-ahead has a bound", () => {
  const ta = new TypeAhead(2);
  assert.equal(ta.push("a", 0), true);
  assert.equal(ta.push("b", 0), true);
  assert.equal(ta.push("c", 0), false);
  assert.equal(ta.length, 2);
});

test("type-ahead drains in order up to the first key held back, asking again after each key", () => {
  const ta = new TypeAhead();
  for (const [k, t] of [["a", 1], ["b", 2], ["c", 3], ["d", 4]]) ta.push(k, t);
  let items = 2; // each key applied uses one item; none left holds the rest back
  const applied = [];
  const more = ta.drain(
    () => items === 0,
    (k, t) => {
      applied.push([k, t]);
      items -= 1;
    },
  );
  assert.equal(more, true);
  assert.deepEqual(applied, [["a", 1], ["b", 2]]);
  assert.equal(ta.length, 2);
  assert.equal(ta.drain(() => true, () => assert.fail("held back")), false);
  items = 5;
  ta.drain(() => items === 0, (k) => applied.push([k]));
  assert.deepEqual(applied.map((x) => x[0]), ["a", "b", "c", "d"]);
  assert.equal(ta.length, 0);
});
