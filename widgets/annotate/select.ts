/**
 * The select tool: what is under the pointer (the selected shape's handles
 * first, then shapes topmost first, then suggestions), a press that selects
 * and starts moving a shape, one of its vertices or a box handle (Alt: deletes
 * the vertex), the drag shown live on the overlay and committed at the
 * release, and a double-click on an edge that adds a vertex.
 */

import { bboxOfShape, clampShape, deleteVertex, hitTest, insertVertex, moveVertex, resizeBox, translate, type Hit, type Pt, type Shape } from "../lib/geometry";
import { deleteVertexOf, edit } from "./edits";
import { roundShape } from "./shapes";
import type { Drag, Editor } from "./state";
import { clampPt, type StartDrag } from "./tools";

/** Hit tolerance in CSS pixels of the screen, whatever the zoom. */
const HIT_PX = 6;

/** What is under image point p: the selected shape's handles first, then shapes (topmost first), then suggestions. */
export function hitAt(ed: Editor, p: Pt): { hit: Hit; shape: Shape; sug: boolean } | null {
  const item = ed.shownItem();
  if (!item) return null;
  const hidden = ed.state.hidden;
  const tol = HIT_PX / ed.vp.scale;
  const sel = ed.selectedShape();
  if (sel && ed.state.sel && !hidden.has(sel.class)) {
    const hit = hitTest([sel], p, tol);
    if (hit && hit.part !== "body") return { hit, shape: sel, sug: ed.state.sel.sug };
  }
  const list = ed.shapesOf(item);
  let hit = hitTest(list, p, tol, hidden);
  if (hit) {
    const shape = list.find((s) => s.id === hit!.id);
    if (shape) return { hit, shape, sug: false };
  }
  const sugs = ed.visibleSuggestions(item);
  hit = sugs.length ? hitTest(sugs, p, tol, hidden) : null;
  if (hit) {
    const shape = sugs.find((s) => s.id === hit!.id);
    if (shape) return { hit, shape, sug: true };
  }
  return null;
}

/** A press with the select tool: select what is under it and start dragging it (empty image: pan, a click deselects). */
export function selectDown(ed: Editor, p: Pt, ev: MouseEvent, drag: StartDrag): void {
  const found = hitAt(ed, p);
  if (!found) {
    drag("pan", { clickDeselect: true });
    return;
  }
  const { hit, shape, sug } = found;
  if (ev.altKey && hit.part === "vertex" && hit.index !== undefined) {
    if (sug) {
      const next = deleteVertex(shape, hit.index);
      if (next) edit(ed, next, true);
    } else {
      ed.select({ id: shape.id, sug });
      deleteVertexOf(ed, shape, hit.index);
    }
    return;
  }
  const vertex = hit.part === "vertex" && hit.index !== undefined ? { index: hit.index, face: hit.face } : null;
  ed.select({ id: shape.id, sug }, vertex);
  if (hit.part === "vertex") drag("vertex", { orig: shape, sug, index: hit.index, face: hit.face });
  else if (hit.part === "handle" || (hit.part === "edge" && shape.type === "box" && hit.handle)) drag("handle", { orig: shape, sug, handle: hit.handle });
  else drag("move", { orig: shape, sug });
}

/** A shape, vertex or handle dragged to image point p: the shape as it would be, shown live; false before the drag really moved. */
export function dragShape(ed: Editor, d: Drag, p: Pt): boolean {
  const st = ed.state;
  switch (d.kind) {
    case "move": {
      if (!d.moved || !d.orig) return false;
      const item = ed.shownItem();
      let dx = p[0] - d.start[0];
      let dy = p[1] - d.start[1];
      const b = bboxOfShape(d.orig);
      if (b && item && item.fullW && item.fullH) {
        // Keep the whole shape on the image.
        dx = Math.min(Math.max(dx, -b[0]), item.fullW - (b[0] + b[2]));
        dy = Math.min(Math.max(dy, -b[1]), item.fullH - (b[1] + b[3]));
      }
      if (d.orig.type === "mask") {
        st.liveOffset = [Math.round(dx), Math.round(dy)];
        st.live = d.orig;
      } else {
        st.live = translate(d.orig, dx, dy);
      }
      return true;
    }
    case "vertex":
      if (!d.moved || !d.orig || d.index === undefined) return false;
      st.live = moveVertex(d.orig, d.index, clampPt(ed, p), d.face ?? "front");
      return true;
    case "handle":
      if (!d.moved || !d.orig?.bbox || !d.handle) return false;
      st.live = { ...d.orig, bbox: resizeBox(d.orig.bbox, d.handle, clampPt(ed, p)) };
      return true;
    default:
      return false;
  }
}

/** The release of a shape's drag: the shape as dragged is committed (a suggestion is accepted with the change). */
export function dropShape(ed: Editor, d: Drag): void {
  const st = ed.state;
  const live = st.live;
  const offset = st.liveOffset;
  st.live = null;
  st.liveOffset = null;
  if (!d.moved || !d.orig) return;
  let next: Shape | null = live;
  if (d.orig.type === "mask" && offset) next = translate(d.orig, offset[0], offset[1]);
  if (!next) return;
  const item = ed.shownItem();
  if (item && next.type !== "mask") next = roundShape(clampShape(next, item.fullW, item.fullH));
  edit(ed, next, !!d.sug);
}

/** A double-click on a polygon's or polyline's edge adds a vertex there; false when there is no such edge under p. */
export function insertVertexAt(ed: Editor, p: Pt): boolean {
  const hit = hitAt(ed, p);
  if (!hit || hit.hit.part !== "edge" || hit.hit.index === undefined) return false;
  const s = hit.shape;
  if (s.type !== "polygon" && s.type !== "polyline") return false;
  const next = roundShape(insertVertex(s, hit.hit.index, clampPt(ed, hit.hit.at ?? p)));
  edit(ed, next, hit.sug);
  if (!hit.sug) ed.select({ id: s.id, sug: false }, { index: hit.hit.index + 1 });
  return true;
}
