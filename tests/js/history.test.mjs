import { test } from "node:test";
import assert from "node:assert/strict";
import { History } from "../../widgets/lib/history.ts";

/** An editor of snapshots driven the way the annotate view drives History. */
function editor(limit) {
  const h = new History(limit);
  let state = [];
  return {
    h,
    get state() {
      return state;
    },
    change(next) {
      h.push(state);
      state = next;
    },
    undo() {
      const s = h.undo(state);
      if (s !== null) state = s;
      return s;
    },
    redo() {
      const s = h.redo(state);
      if (s !== null) state = s;
      return s;
    },
  };
}

test("nothing to undo or redo at first", () => {
  const h = new History();
  assert.equal(h.limit, 500);
  assert.equal(h.canUndo, false);
  assert.equal(h.canRedo, false);
  assert.equal(h.undo(["x"]), null);
  assert.equal(h.redo(["x"]), null);
});

test("undo walks back through the snapshots and redo forward again", () => {
  const e = editor();
  e.change(["a"]);
  e.change(["a", "b"]);
  e.change(["b"]);
  assert.deepEqual(e.undo(), ["a", "b"]);
  assert.deepEqual(e.undo(), ["a"]);
  assert.equal(e.h.canRedo, true);
  assert.deepEqual(e.redo(), ["a", "b"]);
  assert.deepEqual(e.redo(), ["b"]);
  assert.equal(e.redo(), null);
  assert.deepEqual(e.state, ["b"]);
  assert.deepEqual(e.undo(), ["a", "b"]);
  assert.deepEqual(e.undo(), ["a"]);
  assert.deepEqual(e.undo(), []);
  assert.equal(e.undo(), null);
  assert.equal(e.h.canUndo, false);
  assert.deepEqual(e.state, []);
});

test("a new change after an undo drops the redo side", () => {
  const e = editor();
  e.change(["a"]);
  e.change(["b"]);
  e.undo();
  assert.equal(e.h.canRedo, true);
  e.change(["c"]);
  assert.equal(e.h.canRedo, false);
  assert.equal(e.redo(), null);
  assert.deepEqual(e.undo(), ["a"]);
  assert.deepEqual(e.undo(), []);
});

test("the snapshots handed back are the very objects pushed", () => {
  const h = new History();
  const before = [{ id: "s1" }];
  const after = [{ id: "s1" }, { id: "s2" }];
  h.push(before);
  assert.equal(h.undo(after), before);
  assert.equal(h.redo(before), after);
});

test("at most `limit` undo steps; the oldest go first", () => {
  const e = editor(3);
  for (let i = 1; i <= 6; i++) e.change([i]);
  assert.equal(e.h.undoDepth, 3);
  assert.deepEqual(e.undo(), [5]);
  assert.deepEqual(e.undo(), [4]);
  assert.deepEqual(e.undo(), [3]);
  assert.equal(e.undo(), null);
  // Redo back to the top: the undo side holds at most `limit` again.
  while (e.redo() !== null);
  assert.deepEqual(e.state, [6]);
  assert.equal(e.h.undoDepth, 3);
  assert.deepEqual(e.undo(), [5]);
});

test("clear forgets both sides", () => {
  const e = editor();
  e.change([1]);
  e.change([2]);
  e.undo();
  e.h.clear();
  assert.equal(e.h.canUndo, false);
  assert.equal(e.h.canRedo, false);
  assert.equal(e.undo(), null);
  assert.equal(e.redo(), null);
});

test("a limit below 1 is refused", () => {
  assert.throws(() => new History(0), /limit must be an int >= 1; got 0/);
  assert.throws(() => new History(2.5), RangeError);
});
