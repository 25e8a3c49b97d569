/**
 * Changes to the shown item's shapes, each one commit (undoable, sent as a
 * label): a new shape from a drawing tool, a shape edited or replaced, its
 * class, z, vertices, keypoint visibility and attributes; suggestions
 * accepted (maybe edited) one by one or all, or dismissed; the previous
 * item's shapes copied.
 */

import { clampShape, deleteVertex, type Shape, type ShapeType } from "../lib/geometry";
import { addShape, defaultAttributes, nextId, roundShape, skeletonOf, topZ } from "./shapes";
import type { Editor } from "./state";

function currentShapes(ed: Editor): Shape[] {
  const item = ed.shownItem();
  return item ? ed.shapesOf(item) : [];
}

/** A new shape from a drawing tool, of class `cls`, selected after when `select`. */
export function addNew(ed: Editor, type: ShapeType, cls: string, geometry: Partial<Shape>, select = false): void {
  const item = ed.shownItem();
  if (!item) return;
  const list = ed.shapesOf(item);
  let s: Shape = { type, class: cls, id: nextId(list, item.suggestions), z: topZ(list), attributes: defaultAttributes(ed.taskSpec), ...geometry };
  s = roundShape(clampShape(s, item.fullW, item.fullH));
  if (ed.state.hidden.has(cls)) ed.setHidden(cls, false);
  ed.commit(addShape(ed.taskSpec, list, s));
  if (select && ed.shapeById({ id: s.id, sug: false })) ed.select({ id: s.id, sug: false });
}

/** An edited shape committed; an edited suggestion (`sug`) is accepted with the edit. */
export function edit(ed: Editor, next: Shape, sug: boolean): void {
  if (sug) acceptSuggestions(ed, [next], true);
  else replaceShape(ed, next);
}

function replaceShape(ed: Editor, next: Shape): void {
  const list = currentShapes(ed);
  const at = list.findIndex((o) => o.id === next.id);
  if (at < 0) return;
  const out = list.slice();
  out[at] = next;
  ed.commit(out);
}

/** The selected shape deleted. */
export function deleteShape(ed: Editor, s: Shape): void {
  ed.commit(currentShapes(ed).filter((o) => o.id !== s.id));
}

export function changeClass(ed: Editor, s: Shape, sug: boolean, name: string): void {
  if (s.class === name) return;
  if (s.type === "keypoints") {
    const sk = skeletonOf(ed.taskSpec, name);
    if (!sk || sk.names.length !== (s.points?.length ?? 0)) {
      ed.note(`class ${name} has another skeleton: keypoints keep their class`);
      return;
    }
  }
  const next = { ...s, class: name };
  if (sug) {
    acceptSuggestions(ed, [next], true);
    return;
  }
  if (ed.taskSpec.masks === "semantic" && s.type === "mask") {
    // One mask per class: renaming onto a class that has one merges the two.
    const rest = currentShapes(ed).filter((o) => o.id !== s.id);
    if (rest.some((o) => o.type === "mask" && o.class === name)) {
      ed.commit(addShape(ed.taskSpec, rest, next));
      return;
    }
  }
  replaceShape(ed, next);
  ed.renderPanels();
}

/** PageUp / PageDown: the selected shape above (below) all others. */
export function changeZ(ed: Editor, delta: 1 | -1): void {
  const s = ed.selectedShape();
  if (!s || !ed.state.sel || ed.state.sel.sug) {
    ed.note("select a shape to raise or lower it");
    return;
  }
  const others = currentShapes(ed).filter((o) => o.id !== s.id);
  if (!others.length) return;
  const zs = others.map((o) => o.z ?? 0);
  const z = s.z ?? 0;
  if (delta > 0) {
    const top = Math.max(...zs);
    if (z > top) return;
    replaceShape(ed, { ...s, z: top + 1 });
  } else {
    const bottom = Math.min(...zs);
    if (z < bottom) return;
    replaceShape(ed, { ...s, z: bottom - 1 });
  }
}

export function deleteVertexOf(ed: Editor, s: Shape, index: number): void {
  const next = deleteVertex(s, index);
  if (!next) {
    ed.note(
      s.type === "polygon" ? "a polygon keeps at least 3 points" : s.type === "polyline" ? "a polyline keeps at least 2 points" : `a ${s.type} has no vertex to delete`,
    );
    return;
  }
  ed.state.selVertex = null;
  replaceShape(ed, next);
}

/** The `o` key: the selected keypoint visible → labeled but hidden → not labeled → visible. */
export function cycleVisibility(ed: Editor): void {
  const s = ed.selectedShape();
  const st = ed.state;
  if (!s || !st.sel || s.type !== "keypoints" || !st.selVertex || !s.points) {
    ed.note("select a keypoint (click it) to change its visibility");
    return;
  }
  const i = st.selVertex.index;
  const q = s.points[i];
  if (!q) return;
  const v = q[2] === 2 ? 1 : q[2] === 1 ? 0 : 2;
  const points = s.points.slice();
  points[i] = [q[0], q[1], v];
  edit(ed, { ...s, points }, st.sel.sug);
  if (v === 0) st.selVertex = null;
}

/** Attribute `name` of shape `s` (as it is now: the panel may hold an older object) set to `value`. */
export function setAttribute(ed: Editor, s: Shape, sug: boolean, name: string, value: unknown): void {
  const current = ed.shapeById({ id: s.id, sug }) ?? s;
  edit(ed, { ...current, attributes: { ...(current.attributes ?? {}), [name]: value } }, sug);
}

// -- suggestions --------------------------------------------------------------
/** Accept suggestions (maybe edited) as shapes of the item, in one commit. */
export function acceptSuggestions(ed: Editor, list: Shape[], select: boolean): void {
  const item = ed.shownItem();
  if (!item || !list.length) return;
  let out = ed.shapesOf(item);
  const z = topZ(out);
  for (const s of list) {
    const plain: Shape = { ...s, z: s.z ?? z, attributes: { ...defaultAttributes(ed.taskSpec), ...(s.attributes ?? {}) } };
    delete plain.score;
    const before = out.length;
    out = addShape(ed.taskSpec, out, roundShape(clampShape(plain, item.fullW || Infinity, item.fullH || Infinity)));
    if (out.length === before) ed.dismissedOf(item.item_id).add(s.id); // merged into a semantic mask
  }
  ed.commit(out);
  const last = list[list.length - 1];
  ed.select(select && ed.shapeById({ id: last.id, sug: false }) ? { id: last.id, sug: false } : null);
}

export function acceptAll(ed: Editor): void {
  const item = ed.shownItem();
  if (!item) return;
  const sugs = ed.visibleSuggestions(item);
  if (!sugs.length) {
    ed.note("no suggestions to accept");
    return;
  }
  acceptSuggestions(ed, sugs.slice(), false);
}

/** Dismiss a suggestion: this view stops showing it (nothing is stored). */
export function dismiss(ed: Editor, s: Shape): void {
  const item = ed.shownItem();
  if (!item) return;
  ed.dismissedOf(item.item_id).add(s.id);
  ed.select(null);
  ed.repaintShapes();
}

// -- copy from the previous item ---------------------------------------------------
/** Shift+C: the shapes of the item shown before this one, added (masks of another size left out). */
export function copyPrevious(ed: Editor): void {
  const item = ed.shownItem();
  const prev = ed.previousShapes();
  if (!item || !prev) {
    ed.note("no previous item in this view to copy from");
    return;
  }
  const source = prev.shapes;
  if (!source.length) {
    ed.note(`item ${prev.id} has no shapes to copy`);
    return;
  }
  let out = ed.shapesOf(item);
  let skipped = 0;
  const z0 = topZ(out);
  for (const s of source) {
    if (s.type === "mask" && (!s.rle || s.rle.size[0] !== Math.round(item.fullH) || s.rle.size[1] !== Math.round(item.fullW))) {
      skipped++;
      continue;
    }
    const copy: Shape = { ...s, id: nextId(out, item.suggestions), z: (s.z ?? 0) + (out.length ? z0 : 0) };
    delete copy.score;
    out = addShape(ed.taskSpec, out, roundShape(clampShape(copy, item.fullW, item.fullH)));
  }
  ed.commit(out);
  ed.note(
    `copied ${source.length - skipped} shape${source.length - skipped === 1 ? "" : "s"} from ${prev.id}` +
      (skipped ? ` (${skipped} mask${skipped === 1 ? "" : "s"} of another size left out)` : ""),
  );
}
