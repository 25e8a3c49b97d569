/**
 * Brush and eraser: a stroke paints into decoded masks (the selected mask or a
 * new one; in semantic mode the class's one mask, taking the pixels from the
 * other classes' masks) and, at the release, the masks it changed are encoded
 * back to RLE and committed as one change.
 */

import { hitTest, type Pt, type Shape } from "../lib/geometry";
import { area as rleArea, decode as rleDecode, encode as rleEncode, paintSegment } from "../lib/rle";
import { defaultAttributes, nextId, topZ } from "./shapes";
import type { Editor } from "./state";

/** Start a stroke at p; false when there is nothing to paint into (eraser without a mask). */
export function startStroke(ed: Editor, p: Pt, erase: boolean): boolean {
  const item = ed.shownItem();
  if (!item || !item.fullW || !item.fullH) return false;
  const st = ed.state;
  const w = Math.round(item.fullW);
  const hh = Math.round(item.fullH);
  const list = ed.shapesOf(item);
  const semantic = ed.taskSpec.masks === "semantic";
  const fits = (s: Shape): boolean => !!s.rle && s.rle.size[0] === hh && s.rle.size[1] === w;
  let target: Shape | null = null;
  let others: Shape[] = [];
  let cls = st.currentClass;
  const sel = st.sel && !st.sel.sug ? ed.selectedShape() : null;
  if (!erase) {
    if (semantic) {
      target = list.find((s) => s.type === "mask" && s.class === cls) ?? null;
      others = list.filter((s) => s.type === "mask" && s.class !== cls);
    } else if (sel && sel.type === "mask") {
      target = sel;
      cls = sel.class;
    }
  } else if (semantic) {
    others = list.filter((s) => s.type === "mask" && !st.hidden.has(s.class));
  } else {
    let s = sel && sel.type === "mask" ? sel : null;
    if (!s) {
      const masks = list.filter((o) => o.type === "mask");
      const hit = masks.length ? hitTest(masks, p, 0, st.hidden) : null;
      s = hit ? (masks.find((o) => o.id === hit.id) ?? null) : null;
      if (s) ed.select({ id: s.id, sug: false });
    }
    if (!s) {
      ed.note("select a mask to erase from (or start on one)");
      return false;
    }
    others = [s];
  }
  const bad = [target, ...others].find((s) => s && !fits(s));
  if (bad) {
    ed.note(`mask ${bad.id} is not ${w}×${hh} (the image's size): it cannot be painted`);
    return false;
  }
  if (!erase && st.hidden.has(cls)) ed.setHidden(cls, false);
  try {
    st.stroke = {
      erase,
      cls,
      w,
      h: hh,
      r: st.brushR,
      target,
      paint: erase ? null : target ? rleDecode(target.rle!) : new Uint8Array(w * hh),
      others: others.map((shape) => ({ shape, mask: rleDecode(shape.rle!) })),
      points: [p],
    };
  } catch (err) {
    ed.showError(`cannot paint: ${String((err as Error)?.message ?? err)}`, true);
    return false;
  }
  paintStroke(ed, p, p);
  return true;
}

function paintStroke(ed: Editor, a: Pt, b: Pt): void {
  const st = ed.state.stroke;
  if (!st) return;
  if (st.paint) paintSegment(st.paint, st.w, st.h, a[0], a[1], b[0], b[1], st.r, 1);
  for (const o of st.others) paintSegment(o.mask, st.w, st.h, a[0], a[1], b[0], b[1], st.r, 0);
}

export function extendStroke(ed: Editor, p: Pt): void {
  const st = ed.state.stroke;
  if (!st) return;
  const last = st.points[st.points.length - 1];
  st.points.push(p);
  paintStroke(ed, last, p);
}

/** The stroke's masks, encoded to RLE, committed as one change. */
export function endStroke(ed: Editor): void {
  const st = ed.state.stroke;
  ed.state.stroke = null;
  const item = ed.shownItem();
  if (!st || !item) return;
  let out = ed.shapesOf(item).slice();
  let changed = false;
  let created: string | null = null;
  for (const o of st.others) {
    const rle = rleEncode(o.mask, st.h, st.w);
    if (rle.counts === o.shape.rle!.counts) continue;
    changed = true;
    const at = out.findIndex((s) => s.id === o.shape.id);
    if (at < 0) continue;
    if (rleArea(rle) === 0) out.splice(at, 1);
    else out[at] = { ...o.shape, rle };
  }
  if (st.paint) {
    const rle = rleEncode(st.paint, st.h, st.w);
    if (st.target) {
      if (rle.counts !== st.target.rle!.counts) {
        changed = true;
        const at = out.findIndex((s) => s.id === st.target!.id);
        if (at >= 0) out[at] = { ...st.target, rle };
      }
    } else if (rleArea(rle) > 0) {
      changed = true;
      created = nextId(out, item.suggestions);
      out.push({ type: "mask", class: st.cls, id: created, z: topZ(out), attributes: defaultAttributes(ed.taskSpec), rle });
    }
  }
  if (!changed) return;
  ed.commit(out);
  // Instance masks: later strokes extend the new mask until Escape deselects it.
  if (created && ed.taskSpec.masks !== "semantic") ed.select({ id: created, sug: false });
}
