/**
 * The drawing tools that make a shape from clicks and drags (box, polygon,
 * polyline, keypoints, cuboid): what a press, a move, a release, Enter,
 * Delete and a double-click do to the draft (`EditState.draft`), and the shape
 * each adds when it is done. Brush and eraser are in brush.ts, the select tool
 * in select.ts.
 */

import { normBox, type Pt } from "../lib/geometry";
import { addNew, edit } from "./edits";
import { cuboidFaces, r2, skeletonOf } from "./shapes";
import type { Drag, Editor, Scene } from "./state";

// Sizes in CSS pixels of the screen, whatever the zoom.
const CLOSE_PX = 8;
const MIN_BOX_PX = 3;

/** Starts a drag of `kind` at the press being handled. */
export type StartDrag = (kind: Drag["kind"], extra?: Partial<Drag>) => void;

/** An image point kept on the shown image. */
export function clampPt(ed: Scene, p: Pt): Pt {
  const item = ed.shownItem();
  if (!item || !item.fullW || !item.fullH) return p;
  return [Math.min(Math.max(p[0], 0), item.fullW), Math.min(Math.max(p[1], 0), item.fullH)];
}

/** Enter while drawing: a path or keypoints are finished; true when a draft took the key (a box or cuboid waits for its next click). */
export function finishDraft(ed: Editor): boolean {
  const d = ed.state.draft;
  if (d?.kind === "path") finishPath(ed);
  else if (d?.kind === "keypoints") finishKeypoints(ed);
  return !!d;
}

/** Delete (or undo) while drawing: a path or keypoints lose their last point, other drafts are dropped. */
export function dropLastPoint(ed: Editor): void {
  const d = ed.state.draft;
  if (!d) return;
  if (d.kind === "path" || d.kind === "keypoints") {
    d.points.pop();
    if (!d.points.length) ed.state.draft = null;
  } else {
    ed.state.draft = null;
  }
  ed.markDirty(false);
}

/** The pointer moved with no button down: the draft follows it. */
export function hoverDraft(ed: Editor, p: Pt): void {
  const draft = ed.state.draft;
  if (!draft) return;
  if (draft.kind === "box" && draft.waiting) draft.p1 = clampPt(ed, p);
  else if (draft.kind === "cuboid" && draft.phase === "back") draft.hover = p;
  else if (draft.kind === "path" || draft.kind === "keypoints") draft.hover = clampPt(ed, p);
}

/** A box or a cuboid's front face being dragged: its second corner follows the pointer. */
export function dragCorner(ed: Editor, p: Pt): void {
  const draft = ed.state.draft;
  if (draft && (draft.kind === "box" || (draft.kind === "cuboid" && draft.phase === "front"))) draft.p1 = clampPt(ed, p);
}

// -- box ---------------------------------------------------------------------------
export function boxDown(ed: Editor, p: Pt, drag: StartDrag): void {
  const d = ed.state.draft;
  if (d?.kind === "box" && d.waiting) {
    d.p1 = clampPt(ed, p);
    finishBox(ed);
    return;
  }
  const q = clampPt(ed, p);
  ed.state.draft = { kind: "box", p0: q, p1: q, waiting: false };
  drag("box");
}

/** The release of a box drag: a drag makes the box, a click waits for the other corner's click. */
export function boxUp(ed: Editor, p: Pt, moved: boolean): void {
  const draft = ed.state.draft;
  if (draft?.kind !== "box") return;
  draft.p1 = clampPt(ed, p);
  if (moved) finishBox(ed);
  else draft.waiting = true; // a click: the next click sets the other corner
}

function finishBox(ed: Editor): void {
  const d = ed.state.draft;
  if (d?.kind !== "box") return;
  ed.state.draft = null;
  const b = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
  if (b[2] * ed.vp.scale < MIN_BOX_PX || b[3] * ed.vp.scale < MIN_BOX_PX) {
    ed.note("box too small: drag from corner to corner");
    return;
  }
  addNew(ed, "box", ed.state.currentClass, { bbox: b });
}

// -- polygon and polyline --------------------------------------------------------------
export function pathDown(ed: Editor, p: Pt, type: "polygon" | "polyline"): void {
  const q = clampPt(ed, p);
  const d = ed.state.draft;
  if (d?.kind !== "path") {
    ed.state.draft = { kind: "path", type, points: [q], hover: q };
    return;
  }
  const pts = d.points;
  const first = pts[0];
  if (type === "polygon" && pts.length >= 3 && Math.hypot(q[0] - first[0], q[1] - first[1]) * ed.vp.scale <= CLOSE_PX) {
    finishPath(ed); // a click on the first point closes the polygon
    return;
  }
  const last = pts[pts.length - 1];
  if (Math.hypot(q[0] - last[0], q[1] - last[1]) * ed.vp.scale < 1) return; // the same point again
  pts.push(q);
}

/** A double-click while drawing a path finishes it; false when no path is being drawn. */
export function doubleClickPath(ed: Editor): boolean {
  const d = ed.state.draft;
  if (d?.kind !== "path") return false;
  // The double-click's two presses added the same point twice: finish with one.
  const pts = d.points;
  while (pts.length >= 2 && Math.hypot(pts[pts.length - 1][0] - pts[pts.length - 2][0], pts[pts.length - 1][1] - pts[pts.length - 2][1]) * ed.vp.scale < CLOSE_PX) pts.pop();
  finishPath(ed);
  return true;
}

function finishPath(ed: Editor): void {
  const d = ed.state.draft;
  if (d?.kind !== "path") return;
  const least = d.type === "polygon" ? 3 : 2;
  if (d.points.length < least) {
    ed.note(`a ${d.type} needs at least ${least} points`);
    return;
  }
  ed.state.draft = null;
  addNew(ed, d.type, ed.state.currentClass, { points: d.points.map((q) => [q[0], q[1]]) });
}

// -- keypoints ---------------------------------------------------------------------
/** A click with the keypoints tool: the next skeleton point (Shift: not labeled), or a missing point of the selected shape. */
export function keypointDown(ed: Editor, p: Pt, notLabeled: boolean): void {
  const d = ed.state.draft;
  if (!d) {
    // A selected keypoints shape with points not labeled: a click places the first of them.
    const s = ed.selectedShape();
    const sel = ed.state.sel;
    if (s && sel && s.type === "keypoints" && s.points) {
      const i = s.points.findIndex((q) => q[2] === 0);
      if (i >= 0 && !notLabeled) {
        const q = clampPt(ed, p);
        const points = s.points.slice();
        points[i] = [r2(q[0]), r2(q[1]), 2];
        edit(ed, { ...s, points }, sel.sug);
        return;
      }
    }
    if (!startKeypoints(ed)) return;
  }
  addKeypoint(ed, notLabeled ? null : clampPt(ed, p));
}

/** The `n` key: the next keypoint is not labeled. */
export function notLabeled(ed: Editor): void {
  if (ed.state.draft?.kind !== "keypoints") {
    if (ed.state.tool !== "keypoints") {
      ed.note("n marks the next keypoint not labeled while drawing keypoints");
      return;
    }
    if (!startKeypoints(ed)) return;
  }
  addKeypoint(ed, null);
}

function startKeypoints(ed: Editor): boolean {
  const cls = ed.state.currentClass;
  const sk = skeletonOf(ed.taskSpec, cls);
  if (!sk) {
    ed.note(`class ${cls} has no skeleton: pick a keypoint class first`);
    return false;
  }
  ed.select(null);
  ed.state.draft = { kind: "keypoints", cls, names: sk.names, points: [], hover: null };
  return true;
}

/** The next skeleton point at p, or not labeled (null). */
function addKeypoint(ed: Editor, p: Pt | null): void {
  const d = ed.state.draft;
  if (d?.kind !== "keypoints") return;
  d.points.push(p ? [p[0], p[1], 2] : [0, 0, 0]);
  if (d.points.length >= d.names.length) finishKeypoints(ed);
  ed.markDirty(false);
}

function finishKeypoints(ed: Editor): void {
  const d = ed.state.draft;
  if (d?.kind !== "keypoints") return;
  ed.state.draft = null;
  const points = d.points.slice(0, d.names.length);
  while (points.length < d.names.length) points.push([0, 0, 0]);
  if (!points.some((q) => q[2] !== 0)) {
    ed.note("no keypoint placed");
    return;
  }
  addNew(ed, "keypoints", d.cls, { points });
}

// -- cuboid ------------------------------------------------------------------------
/** A press with the cuboid tool: the front face's drag starts, or the back face is placed. */
export function cuboidDown(ed: Editor, p: Pt, drag: StartDrag): void {
  const d = ed.state.draft;
  if (d?.kind === "cuboid" && d.phase === "back") {
    ed.state.draft = null;
    addNew(ed, "cuboid", ed.state.currentClass, cuboidFaces(d, p));
    return;
  }
  const q = clampPt(ed, p);
  ed.state.draft = { kind: "cuboid", phase: "front", p0: q, p1: q, hover: null };
  drag("cuboid");
}

/** The release of the front face's drag: the back face follows the pointer until the next click. */
export function cuboidUp(ed: Editor, p: Pt): void {
  const draft = ed.state.draft;
  if (draft?.kind !== "cuboid") return;
  draft.p1 = clampPt(ed, p);
  const [, , w, hh] = normBox(draft.p0[0], draft.p0[1], draft.p1[0], draft.p1[1]);
  if (w * ed.vp.scale < MIN_BOX_PX || hh * ed.vp.scale < MIN_BOX_PX) {
    ed.state.draft = null;
    ed.note("drag the cuboid's front face first");
  } else {
    draft.phase = "back";
    draft.hover = p;
  }
}
