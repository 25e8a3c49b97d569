/**
 * Painting the drawing widget: two stacked canvases, never DOM nodes per
 * shape. The base canvas holds the image and every shape but the selected
 * one; it is redrawn on an animation frame only when the view, the shapes or
 * the selection changed. The paths of a class (at one z) are combined into one
 * fill path and one stroke path (`Batch`), so a frame is a handful of draw
 * calls under one setTransform(scale, …); masks are drawn as bitmaps
 * (paths.ts). The overlay canvas holds what follows the pointer: the selected
 * (or dragged) shape with its handles, the hovered one, the shape being drawn,
 * the brush, the crosshair and an audit's suspects. Frame and input-to-paint
 * timings are kept for the test hooks.
 */

import { bboxOfShape, boxHandles, normBox, paintOrder, type Pt, type Shape } from "../lib/geometry";
import { cancelRaf, now, raf } from "../lib/dom";
import { pushLast } from "../lib/timings";
import { toBbox as rleBbox } from "../lib/rle";
import type { Viewport } from "../lib/viewport";
import type { Item } from "./items";
import { addDot, context2d, copyPath, cuboidPath, hasPath2D, MASK_ALPHA, pathOf, rgba, ShapeGraphics, skeletonPath, type Rgb } from "./paths";
import { cuboidFaces, skeletonOf } from "./shapes";
import type { EditState, Scene } from "./state";

// Sizes in CSS pixels of the screen, whatever the zoom.
/** Outline width; items crowded past MANY_SHAPES get 1 px, which Skia draws as hairlines, twice as fast. */
const LINE_PX = 1.5;
const CROWDED_LINE_PX = 1;
const MANY_SHAPES = 300;
/** Shapes tagged with their class on the base canvas at most (more would hide the image). */
const TAGGED_SHAPES = 60;
const EDIT_LINE_PX = 2;
const HANDLE_PX = 3.5;
const KEYPOINT_PX = 3.5;
const FILL_ALPHA = 0.18;
const SUGGESTION_FILL_ALPHA = 0.06;

/** The base canvas's shapes of one (suggestion, z, class). */
interface Batch {
  z: number;
  order: number;
  cls: string;
  sug: boolean;
  fills: Path2D[];
  strokes: Path2D[];
  masks: Shape[];
  keypoints: Shape[];
}

export class Renderer {
  readonly graphics: ShapeGraphics;
  private readonly baseCtx: CanvasRenderingContext2D | null;
  private readonly overlayCtx: CanvasRenderingContext2D | null;
  private _dpr = 1;
  private dirtyBase = true;
  private frameId: number | null = null;
  /** When the first input event waiting for the next frame happened. */
  private frameAsk: number | null = null;
  private batches: Batch[] | null = null;
  /** Outline width of the base canvas's shapes (CSS px), set with the batches. */
  private lineWidth = LINE_PX;
  private placeholder = "#808080";
  private stopped = false;

  // timings (test hooks)
  private frameTimes: number[] = [];
  private latencyTimes: number[] = [];
  /** Read one pixel back after each frame so that the timings include the canvas's rasterization. */
  private exactTimings = false;

  /** `painted(base, inFrame)`: called after each paint (`base`: the base canvas was redrawn). */
  constructor(
    private readonly scene: Scene,
    private readonly base: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly painted: (base: boolean, inFrame: boolean) => void,
  ) {
    this.graphics = new ShapeGraphics(scene.taskSpec);
    this.baseCtx = context2d(base);
    this.overlayCtx = context2d(overlay);
  }

  private get vp(): Viewport {
    return this.scene.vp;
  }

  private get ed(): EditState {
    return this.scene.state;
  }

  /** Device pixels per CSS pixel the canvases were laid out for. */
  get dpr(): number {
    return this._dpr;
  }

  /** Size both canvases to `w`×`h` CSS pixels at the device's pixel ratio. */
  layout(w: number, h: number): void {
    this._dpr = globalThis.devicePixelRatio || 1;
    for (const c of [this.base, this.overlay]) {
      c.width = Math.max(1, Math.round(w * this._dpr));
      c.height = Math.max(1, Math.round(h * this._dpr));
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    this.batches = null;
  }

  /** The placeholder colour of an image not decoded yet, from JupyterLab's theme. */
  readTheme(root: HTMLElement): void {
    try {
      const v = getComputedStyle(root).getPropertyValue("--jp-layout-color3").trim();
      if (v) this.placeholder = v;
    } catch {
      /* no styles (jsdom) */
    }
  }

  /** The base canvas's shapes changed (shapes, selection, hidden classes): group them again at the next paint. */
  invalidate(): void {
    this.batches = null;
  }

  stop(): void {
    this.stopped = true;
    if (this.frameId !== null) cancelRaf(this.frameId);
  }

  // -- timings ------------------------------------------------------------------
  /** ms each painted frame's drawing took. */
  frames(): number[] {
    return this.frameTimes.slice();
  }

  /** ms from the input event that asked for a frame to the end of its paint. */
  latencies(): number[] {
    return this.latencyTimes.slice();
  }

  /** Forget the timings; from now on each frame reads a pixel back, so rasterization counts. */
  resetTimings(): void {
    this.frameTimes = [];
    this.latencyTimes = [];
    this.exactTimings = true;
  }

  // -- frames ---------------------------------------------------------------------
  /** Something changed: paint on the next animation frame (the base canvas too when `base`). `t`: the input event's time. */
  markDirty(base: boolean, t?: number): void {
    if (this.stopped) return;
    if (base) this.dirtyBase = true;
    if (t !== undefined) this.frameAsk = this.frameAsk === null ? t : Math.min(this.frameAsk, t);
    if (this.frameId === null) this.frameId = raf(() => this.onFrame());
  }

  private onFrame(): void {
    this.frameId = null;
    if (this.stopped) return;
    this.paint(true);
  }

  /** Paint what is dirty; `inFrame` when called from an animation frame (else from a key handler, painting at once). */
  paint(inFrame: boolean): void {
    const t0 = now();
    if (!inFrame) this.dirtyBase = true;
    const base = this.dirtyBase;
    if (base) this.renderBase();
    this.renderOverlay();
    if (base && this.exactTimings && this.baseCtx) {
      try {
        this.baseCtx.getImageData(0, 0, 1, 1); // wait for the canvas to rasterize what was drawn
      } catch {
        /* tainted or no readback: time the draw calls only */
      }
    }
    const t1 = now();
    if (inFrame) {
      pushLast(this.frameTimes, t1 - t0);
      if (this.frameAsk !== null) pushLast(this.latencyTimes, t1 - this.frameAsk);
      this.frameAsk = null;
    }
    this.painted(base, inFrame);
  }

  private imageTransform(ctx: CanvasRenderingContext2D): void {
    const s = this.vp.scale * this._dpr;
    ctx.setTransform(s, 0, 0, s, this.vp.tx * this._dpr, this.vp.ty * this._dpr);
  }

  /** Clear a canvas and set the image's transform; the item to draw, or null when none is shown (or its size is unknown). */
  private begin(ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement): Item | null {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const item = this.scene.shownItem();
    if (!item || !item.fullW || !item.fullH) return null;
    this.imageTransform(ctx);
    return item;
  }

  // -- the base canvas -------------------------------------------------------------
  private renderBase(): void {
    this.dirtyBase = false;
    const ctx = this.baseCtx;
    const item = ctx && this.begin(ctx, this.base);
    if (!ctx || !item) return;
    const scale = this.vp.scale;
    if (item.image) {
      // Past 2 screen px per image px, show pixels as squares.
      ctx.imageSmoothingEnabled = scale * (item.fullW / (item.isFull ? item.fullW : Number(item.width) || item.fullW)) < 2;
      // While the image covers fewer device pixels than its preview has, draw the preview.
      const small = item.preview && scale * this._dpr * item.fullW <= item.previewW;
      ctx.drawImage(small ? item.preview! : item.image, 0, 0, item.fullW, item.fullH);
    } else {
      ctx.fillStyle = this.placeholder;
      ctx.fillRect(0, 0, item.fullW, item.fullH);
    }
    for (const b of this.getBatches(item)) this.drawBatch(ctx, b, scale);
    this.drawScores(ctx, item);
  }

  /** The base canvas's shapes grouped per (suggestion, z, class); rebuilt only when shapes, selection or hidden classes change. */
  private getBatches(item: Item): Batch[] {
    if (this.batches) return this.batches;
    const map = new Map<string, Batch>();
    const order = new Map(this.scene.taskSpec.classes.map((c, i) => [c.name, i]));
    const canCombine = hasPath2D() && typeof Path2D.prototype.addPath === "function";
    const skip = this.ed.sel;
    const hidden = this.ed.hidden;
    const add = (s: Shape, sug: boolean): void => {
      if (hidden.has(s.class)) return;
      if (skip && skip.id === s.id && skip.sug === sug) return;
      const z = s.z ?? 0;
      const key = `${sug ? 1 : 0}|${z}|${s.class}`;
      let b = map.get(key);
      if (!b) {
        b = { z, order: order.get(s.class) ?? 1e9, cls: s.class, sug, fills: [], strokes: [], masks: [], keypoints: [] };
        map.set(key, b);
      }
      if (s.type === "mask") {
        b.masks.push(s);
        return;
      }
      if (s.type === "keypoints") b.keypoints.push(s);
      const p = this.graphics.pathsOf(s);
      if (p.fill) {
        if (canCombine && b.fills.length) b.fills[0].addPath(p.fill);
        else b.fills.push(canCombine ? copyPath(p.fill) : p.fill);
      }
      if (p.stroke) {
        if (canCombine && b.strokes.length) b.strokes[0].addPath(p.stroke);
        else b.strokes.push(canCombine ? copyPath(p.stroke) : p.stroke);
      }
    };
    const list = this.scene.shapesOf(item);
    const sugs = this.scene.visibleSuggestions(item);
    this.lineWidth = list.length + sugs.length > MANY_SHAPES ? CROWDED_LINE_PX : LINE_PX;
    for (const i of paintOrder(list)) add(list[i], false);
    for (const s of sugs) add(s, true);
    this.batches = [...map.values()].sort((a, b) => Number(a.sug) - Number(b.sug) || a.z - b.z || a.order - b.order);
    return this.batches;
  }

  private drawBatch(ctx: CanvasRenderingContext2D, b: Batch, scale: number): void {
    const rgb = this.graphics.colorOf(b.cls);
    if (b.masks.length) {
      ctx.imageSmoothingEnabled = false;
      ctx.globalAlpha = b.sug ? 0.5 : 1;
      for (const m of b.masks) {
        const r = this.graphics.maskRender(m);
        if (r) ctx.drawImage(r.canvas, r.x, r.y);
      }
      ctx.globalAlpha = 1;
      if (b.sug) {
        // Suggested masks: a dashed frame, as the other suggestions.
        ctx.setLineDash([6 / scale, 4 / scale]);
        ctx.strokeStyle = rgba(rgb, 1);
        ctx.lineWidth = LINE_PX / scale;
        for (const m of b.masks) {
          const bb = m.rle ? rleBbox(m.rle) : null;
          if (bb && bb[2]) ctx.strokeRect(bb[0], bb[1], bb[2], bb[3]);
        }
        ctx.setLineDash([]);
      }
    }
    if (b.fills.length) {
      ctx.fillStyle = rgba(rgb, b.sug ? SUGGESTION_FILL_ALPHA : FILL_ALPHA);
      for (const f of b.fills) ctx.fill(f);
    }
    if (b.strokes.length) {
      ctx.strokeStyle = rgba(rgb, 1);
      ctx.lineWidth = this.lineWidth / scale;
      if (b.sug) ctx.setLineDash([6 / scale, 4 / scale]);
      for (const s of b.strokes) ctx.stroke(s);
      if (b.sug) ctx.setLineDash([]);
    }
    if (b.keypoints.length) this.drawKeypoints(ctx, b.keypoints, rgb, scale, 1);
  }

  /** Keypoint dots, KEYPOINT_PX on screen: filled when visible (v=2), a ring when labeled but hidden (v=1). */
  private drawKeypoints(ctx: CanvasRenderingContext2D, shapes: Shape[], rgb: Rgb, scale: number, grow: number): void {
    if (!hasPath2D()) return;
    const r = (KEYPOINT_PX * grow) / scale;
    const solid = new Path2D();
    const rings = new Path2D();
    for (const s of shapes) {
      for (const q of s.points ?? []) {
        if (!q[2]) continue;
        addDot(q[2] === 1 ? rings : solid, q, r);
      }
    }
    ctx.fillStyle = rgba(rgb, 1);
    ctx.fill(solid);
    ctx.strokeStyle = rgba(rgb, 1);
    ctx.lineWidth = 1.5 / scale;
    ctx.stroke(rings);
  }

  /**
   * A tag by each shape's top-left corner, in screen pixels: its class (a
   * suggestion's with its score). White text on a dark chip with a swatch of
   * the class colour, so it reads over any image in either theme (class colours
   * as text do not: a dark blue on a dark chip). Shapes get theirs while there
   * are at most TAGGED_SHAPES; the selected one is tagged on the overlay.
   */
  private drawScores(ctx: CanvasRenderingContext2D, item: Item): void {
    const sugs = this.scene.visibleSuggestions(item);
    const list = this.scene.shapesOf(item);
    const shapes = list.length <= TAGGED_SHAPES ? list : [];
    if (!sugs.length && !shapes.length) return;
    ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "bottom";
    const sel = this.ed.sel;
    let n = 0;
    const tag = (s: Shape, sug: boolean): void => {
      if (this.ed.hidden.has(s.class)) return;
      if (sel && sel.sug === sug && sel.id === s.id) return;
      if (sug && typeof s.score !== "number") return;
      const b = bboxOfShape(s);
      if (!b) return;
      const [x, y] = this.vp.toScreen(b[0], b[1]);
      const text = sug ? `${s.class} ${Math.round((s.score as number) * 100)}%` : s.class;
      const w = (ctx.measureText?.(text)?.width ?? text.length * 6.2) + 16;
      ctx.fillStyle = "rgba(0,0,0,0.72)";
      ctx.fillRect(x, y - 15, w, 15);
      ctx.fillStyle = rgba(this.graphics.colorOf(s.class), 1);
      ctx.fillRect(x + 3, y - 11, 7, 7);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(text, x + 13, y - 2);
    };
    for (const s of shapes) {
      if (++n > 500) return;
      tag(s, false);
    }
    for (const s of sugs) {
      if (++n > 500) return;
      tag(s, true);
    }
  }

  // -- the overlay ------------------------------------------------------------------
  private renderOverlay(): void {
    const ctx = this.overlayCtx;
    const item = ctx && this.begin(ctx, this.overlay);
    if (!ctx || !item) return;
    const ed = this.ed;
    const scale = this.vp.scale;
    const sel = this.scene.selectedShape();
    const shown = ed.live ?? sel;
    const hover = ed.hover && (!ed.sel || ed.hover.id !== ed.sel.id || ed.hover.sug !== ed.sel.sug) ? this.scene.shapeById(ed.hover) : null;
    if (hover && !ed.hidden.has(hover.class)) this.drawEdited(ctx, hover, ed.hover!.sug, scale, false, null);
    if (shown && !ed.hidden.has(shown.class)) this.drawEdited(ctx, shown, !!ed.sel?.sug, scale, true, ed.liveOffset);
    this.drawDraft(ctx, scale);
    this.drawStroke(ctx);
    // Screen space: handles, crosshair, brush, labels.
    ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
    if (hover && !ed.hidden.has(hover.class)) this.drawHandles(ctx, hover, false);
    if (shown && !ed.hidden.has(shown.class)) {
      if (!ed.liveOffset) this.drawHandles(ctx, shown, true);
      this.drawLabel(ctx, shown);
    } else if (hover) {
      this.drawLabel(ctx, hover);
    }
    this.drawSuspects(ctx, item);
    this.drawPointer(ctx, item);
  }

  /** An audit's suspect boxes, dashed, with what is suspected (screen space). */
  private drawSuspects(ctx: CanvasRenderingContext2D, item: Item): void {
    const suspects = item.issue?.suspects;
    if (!suspects?.length) return;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "top";
    for (const sp of suspects) {
      const b = sp.bbox;
      if (!Array.isArray(b) || b.length !== 4) continue;
      const [x0, y0] = this.vp.toScreen(b[0], b[1]);
      const [x1, y1] = this.vp.toScreen(b[0] + b[2], b[1] + b[3]);
      ctx.strokeStyle = "#D55E00";
      ctx.strokeRect(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6);
      if (sp.issue) {
        ctx.fillStyle = "#D55E00";
        ctx.fillRect(x0 - 3, y1 + 3, sp.issue.length * 6.5 + 6, 14);
        ctx.fillStyle = "#ffffff";
        ctx.fillText(sp.issue, x0, y1 + 4);
      }
    }
    ctx.setLineDash([]);
  }

  /** A shape on the overlay: selected (thicker, filled) or hovered (outline). */
  private drawEdited(ctx: CanvasRenderingContext2D, s: Shape, sug: boolean, scale: number, selected: boolean, offset: Pt | null): void {
    const rgb = this.graphics.colorOf(s.class);
    if (s.type === "mask") {
      const r = this.graphics.maskRender(s);
      const dx = offset ? offset[0] : 0;
      const dy = offset ? offset[1] : 0;
      if (r && selected) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(r.canvas, r.x + dx, r.y + dy);
      }
      const b = s.rle ? rleBbox(s.rle) : null;
      if (b && b[2]) {
        ctx.setLineDash([4 / scale, 3 / scale]);
        ctx.strokeStyle = rgba(rgb, 1);
        ctx.lineWidth = (selected ? EDIT_LINE_PX : LINE_PX) / scale;
        ctx.strokeRect(b[0] + dx, b[1] + dy, b[2], b[3]);
        ctx.setLineDash([]);
      }
      return;
    }
    const p = this.graphics.pathsOf(s);
    if (p.fill && selected) {
      ctx.fillStyle = rgba(rgb, sug ? FILL_ALPHA / 2 : FILL_ALPHA * 1.6);
      ctx.fill(p.fill);
    }
    if (p.stroke) {
      ctx.strokeStyle = rgba(rgb, 1);
      ctx.lineWidth = (selected ? EDIT_LINE_PX : EDIT_LINE_PX * 0.75) / scale;
      if (sug) ctx.setLineDash([6 / scale, 4 / scale]);
      ctx.stroke(p.stroke);
      if (sug) ctx.setLineDash([]);
    }
    if (s.type === "keypoints") this.drawKeypoints(ctx, [s], rgb, scale, selected ? 1.3 : 1.15);
  }

  /** Vertices (or a box's handles) of a shape, as small squares; the selected vertex filled. */
  private drawHandles(ctx: CanvasRenderingContext2D, s: Shape, selected: boolean): void {
    const pts: { p: number[]; index: number; face?: "front" | "back" }[] = [];
    if (s.type === "box" && s.bbox) {
      const hs = boxHandles(s.bbox);
      Object.values(hs).forEach((p, i) => pts.push({ p, index: i }));
    } else if ((s.type === "polygon" || s.type === "polyline") && s.points) {
      s.points.forEach((p, i) => pts.push({ p, index: i }));
    } else if (s.type === "keypoints" && s.points) {
      s.points.forEach((p, i) => {
        if (p[2]) pts.push({ p, index: i });
      });
    } else if (s.type === "cuboid" && s.front && s.back) {
      s.front.forEach((p, i) => pts.push({ p, index: i, face: "front" }));
      s.back.forEach((p, i) => pts.push({ p, index: i, face: "back" }));
    }
    if (!pts.length) return;
    const rgb = this.graphics.colorOf(s.class);
    const r = HANDLE_PX;
    const vertex = this.ed.selVertex;
    ctx.lineWidth = 1;
    for (const { p, index, face } of pts) {
      const [x, y] = this.vp.toScreen(p[0], p[1]);
      const on = selected && vertex?.index === index && (vertex.face ?? "front") === (face ?? "front") && s.type !== "box";
      ctx.fillStyle = on ? rgba(rgb, 1) : "#ffffff";
      ctx.strokeStyle = on ? "#ffffff" : rgba(rgb, 1);
      ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      ctx.strokeRect(x - r, y - r, 2 * r, 2 * r);
    }
  }

  /** The class (and score, and the keypoint's name) of the selected or hovered shape. */
  private drawLabel(ctx: CanvasRenderingContext2D, s: Shape): void {
    const b = bboxOfShape(s);
    if (!b) return;
    let text = s.class;
    if (typeof s.score === "number") text += ` ${Math.round(s.score * 100)}%`;
    const vertex = this.ed.selVertex;
    if (s.type === "keypoints" && vertex && this.ed.sel?.id === s.id) {
      const name = skeletonOf(this.scene.taskSpec, s.class)?.names[vertex.index];
      if (name) text += ` · ${name}`;
    }
    const [x, y] = this.vp.toScreen(b[0], b[1]);
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "bottom";
    const w = (ctx.measureText?.(text)?.width ?? text.length * 7) + 6;
    ctx.fillStyle = "rgba(0,0,0,0.7)";
    ctx.fillRect(x, y - 16, w, 16);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(text, x + 3, y - 2);
  }

  /** The shape being drawn: a box, a path with its closing edge, keypoints with the next point's name, a cuboid. */
  private drawDraft(ctx: CanvasRenderingContext2D, scale: number): void {
    const d = this.ed.draft;
    if (!d || !hasPath2D()) return;
    const cls = d.kind === "keypoints" ? d.cls : this.ed.currentClass;
    const rgb = this.graphics.colorOf(cls);
    ctx.strokeStyle = rgba(rgb, 1);
    ctx.fillStyle = rgba(rgb, FILL_ALPHA);
    ctx.lineWidth = EDIT_LINE_PX / scale;
    if (d.kind === "box") {
      const b = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
      ctx.fillRect(b[0], b[1], b[2], b[3]);
      ctx.strokeRect(b[0], b[1], b[2], b[3]);
    } else if (d.kind === "path") {
      const pts: number[][] = d.points.slice();
      if (d.hover) pts.push(d.hover);
      const p = pathOf(pts, false);
      ctx.stroke(p);
      if (d.type === "polygon" && pts.length >= 3) {
        ctx.setLineDash([4 / scale, 4 / scale]);
        const closing = pathOf([pts[pts.length - 1], pts[0]], false);
        ctx.stroke(closing);
        ctx.setLineDash([]);
        ctx.fill(pathOf(pts, true));
      }
      this.drawDots(ctx, d.points, rgb, scale);
    } else if (d.kind === "keypoints") {
      const sk = skeletonOf(this.scene.taskSpec, d.cls);
      ctx.stroke(skeletonPath(d.points, sk?.edges ?? []) ?? new Path2D());
      this.drawDots(ctx, d.points.filter((q) => q[2]), rgb, scale);
      const next = d.names[d.points.length];
      if (next && d.hover) {
        ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
        const [x, y] = this.vp.toScreen(d.hover[0], d.hover[1]);
        ctx.font = "12px sans-serif";
        ctx.textBaseline = "top";
        ctx.fillStyle = "rgba(0,0,0,0.7)";
        ctx.fillRect(x + 10, y + 10, next.length * 7 + 8, 16);
        ctx.fillStyle = "#ffffff";
        ctx.fillText(next, x + 14, y + 12);
        this.imageTransform(ctx);
      }
    } else if (d.kind === "cuboid") {
      const at = d.phase === "back" ? d.hover : null;
      const { front, back } = cuboidFaces(d, at);
      ctx.fill(pathOf(front, true));
      ctx.stroke(cuboidPath(front, at ? back : null));
    }
  }

  private drawDots(ctx: CanvasRenderingContext2D, pts: number[][], rgb: Rgb, scale: number): void {
    const r = KEYPOINT_PX / scale;
    const p = new Path2D();
    for (const q of pts) addDot(p, q, r);
    ctx.fillStyle = rgba(rgb, 1);
    ctx.fill(p);
  }

  private drawStroke(ctx: CanvasRenderingContext2D): void {
    const st = this.ed.stroke;
    if (!st || !hasPath2D()) return;
    const p = pathOf(st.points, false);
    if (st.points.length === 1) p.lineTo(st.points[0][0] + 0.01, st.points[0][1]);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = st.r * 2;
    ctx.strokeStyle = st.erase ? "rgba(255,255,255,0.55)" : rgba(this.graphics.colorOf(st.cls), MASK_ALPHA);
    ctx.stroke(p);
    ctx.lineCap = "butt";
    ctx.lineJoin = "miter";
  }

  /** Crosshair (drawing tools) and the brush's outline at the pointer. */
  private drawPointer(ctx: CanvasRenderingContext2D, item: Item): void {
    const ed = this.ed;
    const ptr = ed.pointer;
    if (!ptr || ed.tool === "select" || ed.drag?.kind === "pan") return;
    const [sx, sy] = ptr;
    if (ed.tool === "brush" || ed.tool === "eraser") {
      const r = ed.brushR * this.vp.scale;
      ctx.beginPath();
      ctx.arc(sx, sy, Math.max(1, r), 0, Math.PI * 2);
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#ffffff";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(sx, sy, Math.max(1, r) + 1, 0, Math.PI * 2);
      ctx.strokeStyle = "#000000";
      ctx.stroke();
      return;
    }
    const [x0, y0] = this.vp.toScreen(0, 0);
    const [x1, y1] = this.vp.toScreen(item.fullW, item.fullH);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(255,255,255,0.8)";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x0, sy + 0.5);
    ctx.lineTo(x1, sy + 0.5);
    ctx.moveTo(sx + 0.5, y0);
    ctx.lineTo(sx + 0.5, y1);
    ctx.stroke();
    ctx.setLineDash([]);
  }
}
