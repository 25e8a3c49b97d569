/**
 * The mouse on the canvas: presses routed to the tool in use (or to panning:
 * middle button, Space), moves that drag or hover, releases that finish a
 * drag, double-clicks, wheel zoom at the pointer, the cursor, and cancelling a
 * drag. Screen points are read from pointer events where the browser gives
 * them exactly.
 */

import { keyTime } from "../lib/timings";
import type { Pt } from "../lib/geometry";
import { endStroke, extendStroke, startStroke } from "./brush";
import { dragShape, dropShape, hitAt, insertVertexAt, selectDown } from "./select";
import type { Drag, Editor } from "./state";
import { boxDown, boxUp, cuboidDown, cuboidUp, doubleClickPath, dragCorner, hoverDraft, keypointDown, pathDown } from "./tools";

/** A press moved this far (CSS px) is a drag, not a click. */
const DRAG_PX = 3;
/** Wheel: the scale doubles per this many pixels of deltaY. */
const WHEEL_DOUBLE = 300;

type Listen = (target: EventTarget, type: string, fn: (ev: Event) => void) => void;

/** Listen to the mouse: presses, double-clicks and the wheel on the overlay canvas; moves and releases on the window (a drag may leave the canvas). */
export function listenPointer(ed: Editor, listen: Listen, win: EventTarget): void {
  const ov = ed.overlayCanvas;
  listen(ov, "mousedown", (ev) => onDown(ed, ev as MouseEvent));
  listen(ov, "dblclick", (ev) => onDoubleClick(ed, ev as MouseEvent));
  listen(ov, "wheel", (ev) => onWheel(ed, ev as WheelEvent));
  listen(ov, "contextmenu", (ev) => ev.preventDefault());
  listen(ov, "mouseleave", () => {
    if (ed.state.drag) return;
    ed.state.pointer = null;
    ed.state.setHover(null, null);
    ed.markDirty(false);
  });
  // Chromium gives mouse and wheel events whole-pixel (truncated) positions but
  // pointer events exact ones: keep those, so zooming at the pointer keeps the
  // exact spot under it, however far it zooms.
  const exact = (ev: Event): void => {
    const e = ev as MouseEvent;
    ed.state.exactPointer = [e.clientX, e.clientY];
  };
  listen(win, "pointermove", exact);
  listen(win, "pointerdown", exact);
  listen(win, "mousemove", (ev) => onMove(ed, ev as MouseEvent));
  listen(win, "mouseup", (ev) => onUp(ed, ev as MouseEvent));
}

function screenPoint(ed: Editor, ev: MouseEvent): Pt {
  const r = ed.overlayCanvas.getBoundingClientRect();
  let x = ev.clientX;
  let y = ev.clientY;
  const e = ed.state.exactPointer;
  if (e && e[0] - x >= 0 && e[0] - x < 1 && e[1] - y >= 0 && e[1] - y < 1) {
    x = e[0];
    y = e[1];
  }
  return [x - r.left, y - r.top];
}

function onDown(ed: Editor, ev: MouseEvent): void {
  if (ed.isDestroyed()) return;
  ev.preventDefault(); // no text selection, no middle-button autoscroll
  ed.root.focus({ preventScroll: true });
  const item = ed.shownItem();
  if (!item) return;
  const st = ed.state;
  if (st.drag) cancelDrag(ed); // its release never came (the pointer left the page)
  const [sx, sy] = screenPoint(ed, ev);
  st.pointer = [sx, sy];
  const p = ed.vp.toImage(sx, sy);
  const t = keyTime(ev);
  const drag = (kind: Drag["kind"], extra: Partial<Drag> = {}): void => {
    st.drag = { kind, sx, sy, lastX: sx, lastY: sy, moved: false, start: p, ...extra };
  };
  if (ev.button === 1 || (ev.button === 0 && st.spaceDown)) {
    drag("pan");
    setCursor(ed);
    return;
  }
  if (ev.button !== 0) return;
  ed.note("");
  switch (st.tool) {
    case "select":
      selectDown(ed, p, ev, drag);
      break;
    case "box":
      boxDown(ed, p, drag);
      break;
    case "polygon":
    case "polyline":
      pathDown(ed, p, st.tool);
      break;
    case "keypoints":
      keypointDown(ed, p, ev.shiftKey);
      break;
    case "brush":
    case "eraser":
      if (startStroke(ed, p, st.tool === "eraser")) drag("stroke");
      break;
    case "cuboid":
      cuboidDown(ed, p, drag);
      break;
  }
  ed.markDirty(false, t);
  ed.renderStatus();
}

function onMove(ed: Editor, ev: MouseEvent): void {
  if (ed.isDestroyed()) return;
  const st = ed.state;
  const d = st.drag;
  if (!d && ev.target !== ed.overlayCanvas) return;
  const item = ed.shownItem();
  if (!item) return;
  const [sx, sy] = screenPoint(ed, ev);
  st.pointer = [sx, sy];
  const t = keyTime(ev);
  const p = ed.vp.toImage(sx, sy);
  if (d) {
    if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) > DRAG_PX) d.moved = true;
    dragMove(ed, d, p, sx, sy, t);
    d.lastX = sx;
    d.lastY = sy;
    return;
  }
  if (st.draft) {
    hoverDraft(ed, p);
  } else if (st.tool === "select") {
    const hit = hitAt(ed, p);
    const next = hit ? { id: hit.shape.id, sug: hit.sug } : null;
    st.setHover(next, hit?.hit ?? null);
    setCursor(ed);
  }
  ed.markDirty(false, t);
}

function onUp(ed: Editor, ev: MouseEvent): void {
  const st = ed.state;
  const d = st.drag;
  if (!d || ed.isDestroyed()) return;
  st.drag = null;
  const t = keyTime(ev);
  const [sx, sy] = screenPoint(ed, ev);
  const p = ed.vp.toImage(sx, sy);
  if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) > DRAG_PX) {
    d.moved = true;
    dragMove(ed, d, p, sx, sy, t);
  }
  switch (d.kind) {
    case "pan":
      if (d.clickDeselect && !d.moved) ed.select(null);
      break;
    case "move":
    case "vertex":
    case "handle":
      dropShape(ed, d);
      break;
    case "box":
      boxUp(ed, p, d.moved);
      break;
    case "cuboid":
      cuboidUp(ed, p);
      break;
    case "stroke":
      endStroke(ed);
      break;
  }
  setCursor(ed);
  ed.markDirty(true, t);
  ed.renderStatus();
}

/** Drop the drag under way: what it moved snaps back, a stroke or a box or cuboid being dragged is dropped. */
export function cancelDrag(ed: Editor): void {
  const st = ed.state;
  const d = st.drag;
  st.drag = null;
  st.live = null;
  st.liveOffset = null;
  if (d?.kind === "stroke") st.stroke = null;
  if (d?.kind === "box" || d?.kind === "cuboid") st.draft = null;
  ed.markDirty(true);
}

function dragMove(ed: Editor, d: Drag, p: Pt, sx: number, sy: number, t: number): void {
  switch (d.kind) {
    case "pan":
      ed.vp.pan(sx - d.lastX, sy - d.lastY);
      ed.viewChanged(t);
      return;
    case "move":
    case "vertex":
    case "handle":
      if (!dragShape(ed, d, p)) return;
      break;
    case "box":
    case "cuboid":
      dragCorner(ed, p);
      break;
    case "stroke":
      extendStroke(ed, p);
      break;
  }
  ed.markDirty(false, t);
}

function onDoubleClick(ed: Editor, ev: MouseEvent): void {
  const item = ed.shownItem();
  if (!item) return;
  ev.preventDefault();
  const p = ed.vp.toImage(...screenPoint(ed, ev));
  if (doubleClickPath(ed)) return;
  if (ed.state.tool !== "select") return;
  if (insertVertexAt(ed, p)) ed.renderStatus();
}

function onWheel(ed: Editor, ev: WheelEvent): void {
  if (!ed.shownItem()) return;
  ev.preventDefault();
  const [sx, sy] = screenPoint(ed, ev);
  let dy = ev.deltaY;
  if (ev.deltaMode === 1) dy *= 16;
  else if (ev.deltaMode === 2) dy *= 400;
  dy = Math.max(-600, Math.min(600, dy));
  if (!dy) return;
  ed.vp.zoomAt(sx, sy, Math.pow(2, -dy / WHEEL_DOUBLE));
  ed.state.pointer = [sx, sy];
  ed.viewChanged(keyTime(ev));
}

/** The canvas's cursor: grabbing while panning, grab with Space, a crosshair for drawing, else what the hovered part allows. */
export function setCursor(ed: Editor): void {
  const st = ed.state;
  let cursor = "default";
  if (st.drag?.kind === "pan") cursor = "grabbing";
  else if (st.spaceDown) cursor = "grab";
  else if (st.tool !== "select") cursor = "crosshair";
  else if (st.hoverHit) cursor = st.hoverHit.part === "body" ? "move" : st.hoverHit.part === "edge" ? "pointer" : "crosshair";
  if (ed.overlayCanvas.style.cursor !== cursor) ed.overlayCanvas.style.cursor = cursor;
}
