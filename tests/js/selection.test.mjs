import { test } from "node:test";
import assert from "node:assert/strict";
import { GridSelection } from "../../widgets/lib/selection.ts";

const sel = (s) => [...s.selected].sort((a, b) => a - b);

test("click selects one; ctrl-click toggles; shift-click selects a range from the anchor", () => {
  const s = new GridSelection(20);
  s.click(3);
  assert.deepEqual(sel(s), [3]);
  s.click(5, { toggle: true });
  assert.deepEqual(sel(s), [3, 5]);
  s.click(3, { toggle: true });
  assert.deepEqual(sel(s), [5]);
  s.click(8, { shift: true });
  assert.deepEqual(sel(s), [3, 4, 5, 6, 7, 8], "range from the last clicked tile (the anchor)");
  s.click(1, { shift: true });
  assert.deepEqual(sel(s), [1, 2, 3], "a new shift-click replaces the range, same anchor");
  s.click(10, { toggle: true });
  s.click(12, { shift: true, toggle: true });
  assert.deepEqual(sel(s), [1, 2, 3, 10, 11, 12], "ctrl+shift adds a range");
  assert.equal(s.cursor, 12);
});

test("shift-click with no anchor selects just that tile", () => {
  const s = new GridSelection(5);
  s.click(2, { shift: true });
  assert.deepEqual(sel(s), [2]);
});

test("arrows move the cursor, clamped; shift extends from the anchor", () => {
  const s = new GridSelection(12);
  s.move(1);
  s.move(1);
  assert.equal(s.cursor, 2);
  assert.deepEqual(sel(s), []);
  s.move(4, true);
  assert.deepEqual(sel(s), [2, 3, 4, 5, 6]);
  s.move(-5, true);
  assert.deepEqual(sel(s), [1, 2]);
  s.move(100);
  assert.equal(s.cursor, 11);
  s.move(-100);
  assert.equal(s.cursor, 0);
});

test("space toggles the cursor; select all; clear; targets", () => {
  const s = new GridSelection(4);
  assert.deepEqual(s.targets(), [0], "nothing selected: the cursor's tile");
  s.move(2);
  s.toggleCursor();
  assert.deepEqual(s.targets(), [2]);
  s.toggleCursor();
  assert.deepEqual(sel(s), []);
  s.selectAll();
  assert.deepEqual(s.targets(), [0, 1, 2, 3]);
  s.clear();
  assert.deepEqual(sel(s), []);
  s.reset(0);
  assert.deepEqual(s.targets(), []);
  s.click(0);
  s.move(1);
  assert.deepEqual(sel(s), []);
});
