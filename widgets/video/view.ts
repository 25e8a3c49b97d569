/**
 * AnnotateVideoWidget front end: objects followed through one video at a time
 * as tracks of keyframes (issue 16). This module holds the view
 * (`VideoView`): its wiring, what each key, drag and click does, and commit and
 * undo (each change of the shown video's tracks is one label, whose value is
 * the video's whole tracks, written to the outbox before it is sent and resent
 * until acknowledged: a reload or a kernel restart loses no keyframe). The
 * parts: tracks.ts (values, interpolation, edits), items.ts (videos and what
 * the view holds per video), frames.ts (frames fetched around the playhead),
 * keys.ts.
 *
 * Messages are the label stream of the other views (lib/view.ts,
 * lib/supply.ts, workbench/stream.py): hello, need → items (a prefetch queue
 * of videos, each with its first frame), item, label; `frames` (runs of
 * frames at the widget's max_size); and, unasked, `prelabels` and `requeue`.
 *
 * Test hooks: root `div.wb-root.wb-annotate-video` with data-item-id,
 * data-ready="1", data-queue, data-outbox, data-frame (the frame shown),
 * data-tracks, data-picked (a track id), data-playing. The frame is
 * `canvas.wb-frame`, the timeline `canvas.wb-timeline`. `root.wbVideo` =
 * {value, frame, seek, pick, shapes, stepPaints, toCanvas} (see `hooks()`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { afterPaint, cancelRaf, h, now, raf } from "../lib/dom";
import { safeColor } from "../lib/colors";
import type { KernelMessage, TaskSpec } from "../lib/protocol";
import { labelToast, Toast } from "../lib/status";
import { PaintTimings, pushLast } from "../lib/timings";
import { SnapshotView } from "../lib/snapshot_view";
import type { ViewModel, ViewOptions } from "../lib/view";
import { decode, FrameCache, type Picture } from "./frames";
import { makeItem, openSuggestions, setPrelabel, type VideoItem } from "./items";
import { videoAction, videoKeysHelp, type VideoAction } from "./keys";
import { addTrack, EMPTY, keyframesOf, mergeTracks, parseValue, relabel, removeKeyframe, removeTracks, sameValue, setKeyframe, setOutside, shapeAt, shapesAt, splitTrack, toggleOccluded, toWire, type Box, type Point, type Shown, type Track, type TracksValue } from "./tracks";

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
  frame_prefetch: number;
}

export interface VideoSpec extends TaskSpec {
  shape?: "box" | "polygon";
  attributes?: { name: string; default?: unknown }[];
}

export type VideoOptions = ViewOptions;

const CACHE_LIMIT = 10;
const FALLBACK_COLOR = "#888888";
const HANDLE_PX = 7;
const TIMELINE_H = 28;

type Drag =
  | { mode: "draw"; x0: number; y0: number; x1: number; y1: number }
  | { mode: "move"; id: string; x0: number; y0: number; shape: Shown; dx: number; dy: number }
  | { mode: "resize"; id: string; corner: number; shape: Shown; box: Box }
  | { mode: "vertex"; id: string; index: number; shape: Shown; points: Point[] }
  | { mode: "scrub" };

export class VideoView extends SnapshotView<Model, VideoAction, VideoItem, TracksValue> {
  private readonly videoSpec: VideoSpec;
  private readonly colors = new Map<string, string>();
  private cache: FrameCache | null = null;
  private cacheFor = "";
  private frame = 0;
  private playing = false;
  private playFrom = { at: 0, frame: 0 };
  private loop: number | null = null;
  private picked: string | null = null;
  private pickedBefore: string | null = null;
  private pickedSuggestion: string | null = null;
  private drawClass: string;
  private polygon: Point[] = [];
  private drag: Drag | null = null;
  private readonly timings = new PaintTimings();
  /** Key-to-paint ms of frame steps whose frame was painted (video.seek_ms). */
  private readonly stepPaints: number[] = [];
  private pendingStep: { frame: number; t: number } | null = null;
  private shownPicture: Picture | null = null;

  private readonly canvas: HTMLCanvasElement;
  private readonly timeline: HTMLCanvasElement;
  private readonly wrap: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly frameLine: HTMLElement;
  private readonly trackLine: HTMLElement;
  private readonly toast = new Toast();

  constructor(model: AnyModel<Model>, el: HTMLElement, options: VideoOptions = {}) {
    super(
      model,
      el,
      {
        name: "annotate-video",
        label: "Annotate video tracks",
        data: { "data-item-id": "", "data-queue": "0", "data-frame": "0", "data-tracks": "0", "data-picked": "", "data-playing": "0" },
        keys: (ev, keymap) => videoAction(ev, keymap),
      },
      { make: (w, buffers) => makeItem(w as never, buffers), setPrelabel, parse: parseValue, same: sameValue, wire: toWire, empty: EMPTY, cacheLimit: CACHE_LIMIT, noun: "videos" },
      options,
    );
    this.videoSpec = this.task as VideoSpec;
    for (const c of this.videoSpec.classes) this.colors.set(c.name, safeColor(c.color, FALLBACK_COLOR));
    this.drawClass = this.videoSpec.classes[0]?.name ?? "";
    this.canvas = h("canvas", { class: "wb-frame" });
    this.timeline = h("canvas", { class: "wb-timeline" });
    this.wrap = h("div", { class: "wb-frame-wrap" }, [this.canvas, this.timeline]);
    this.placeholder = h("div", { class: "wb-loading", text: "loading…" });
    this.frameLine = h("div", { class: "wb-time" });
    this.trackLine = h("div", { class: "wb-prelabel" });
    const classes = this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    const hint = h("div", { class: "wb-hint", text: ". , step · Space play · drag: a new track · drag a box: a keyframe · o outside · h occluded · x split · m merge · Delete · Enter next · ? keys" });
    const head = h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: this.task.name }), this.progressLine]);
    const stage = h("div", { class: "wb-stage-wrap wb-video-stage" }, [this.placeholder, this.wrap, this.toast.el]);
    this.root.append(head, stage, this.frameLine, this.trackLine, classes, hint, this.statusLine, this.errorBox);
    this.wrap.hidden = true;
    this.listen(this.canvas, "mousedown", (ev) => this.onDown(ev as MouseEvent));
    this.listen(this.timeline, "mousedown", (ev) => this.onScrub(ev as MouseEvent, true));
    this.listen(window, "mousemove", (ev) => this.onMove(ev as MouseEvent));
    this.listen(window, "mouseup", (ev) => this.onUp(ev as MouseEvent));
    this.listen(this.canvas, "dblclick", () => this.closePolygon());
    if (typeof ResizeObserver !== "undefined") {
      const ro = new ResizeObserver(() => this.redraw());
      ro.observe(this.wrap);
      this.cleanups.push(() => ro.disconnect());
    }
    (this.root as HTMLElement & { wbVideo?: unknown }).wbVideo = this.hooks();
    this.paint();
    this.start();
    this.supply.ensure();
  }

  private hooks(): Record<string, unknown> {
    return {
      value: () => {
        const item = this.supply.shownItem();
        return item ? toWire(this.editOf(item).value) : null;
      },
      frame: () => this.frame,
      seek: (f: number) => this.seek(f, null),
      pick: (id: string | null) => {
        this.picked = id;
        this.repaint();
      },
      shapes: () => {
        const item = this.supply.shownItem();
        return item ? shapesAt(this.editOf(item).value, this.frame) : [];
      },
      stepPaints: () => [...this.stepPaints],
      clearStepPaints: () => (this.stepPaints.length = 0),
      /** The page position of a point given in the video's pixels. */
      toPage: (x: number, y: number) => {
        const r = this.canvas.getBoundingClientRect();
        const s = this.scale();
        return [r.left + x * s, r.top + y * s];
      },
      held: () => (this.cache ? [...Array(this.cache.frames).keys()].filter((f) => this.cache!.has(f)) : []),
    };
  }

  protected release(): void {
    this.timings.cancel();
    if (this.loop !== null) cancelRaf(this.loop);
    this.cache?.release();
    this.supply.release();
  }

  protected poll(): void {
    this.supply.ensure();
    const item = this.supply.shownItem();
    if (item && this.cache) this.cache.want(this.frame, this.ahead(1));
  }

  /** Frames to fetch ahead of the playhead (the frame_prefetch setting), times `factor` while playing. */
  private ahead(factor: number): number {
    const n = Math.max(0, Math.floor(this.model.get("frame_prefetch") ?? 24));
    return n * factor;
  }

  protected once(action: VideoAction): boolean {
    return !["step", "undo", "redo", "keyframe"].includes(action.type);
  }

  protected letsThrough(action: VideoAction): boolean {
    return action.type === "close" && !this.overlay && !this.picked && !this.pickedSuggestion && !this.polygon.length;
  }

  // -- keys -------------------------------------------------------------------
  protected apply(action: VideoAction, t: number): void {
    if (action.type === "close") {
      if (this.overlay) this.toggleOverlay(false);
      this.picked = null;
      this.pickedSuggestion = null;
      this.polygon = [];
      this.repaint();
      return;
    }
    const item = this.supply.shownItem();
    if (!item) return;
    const ed = this.editOf(item);
    switch (action.type) {
      case "class":
        this.drawClass = action.name;
        if (this.pickedSuggestion) return this.accept(item, action.name);
        if (this.picked) return this.commit(item, relabel(ed.value, this.picked, action.name));
        this.say(`new tracks: ${action.name}`);
        return;
      case "play":
        return this.togglePlay(item);
      case "step":
        this.stopPlay();
        return this.seek(this.frame + action.by, t);
      case "seekTo":
        this.stopPlay();
        return this.seek(action.to === "start" ? 0 : item.frames - 1, t);
      case "keyframe": {
        const frames = keyframesOf(ed.value, this.picked);
        const to = action.dir > 0 ? frames.find((f) => f > this.frame) : [...frames].reverse().find((f) => f < this.frame);
        if (to === undefined) return this.say(this.picked ? "no keyframe that way" : "select a track first");
        return this.seek(to, t);
      }
      case "outside":
        if (!this.picked) return this.say("select a track first");
        return this.commit(item, setOutside(ed.value, this.picked, this.frame));
      case "occluded":
        if (!this.picked) return this.say("select a track first");
        return this.commit(item, toggleOccluded(ed.value, this.picked, this.frame));
      case "split": {
        if (!this.picked) return this.say("select a track first");
        const out = splitTrack(ed.value, this.picked, this.frame);
        if (!out.id) return this.say("the track shows nothing before this frame to split off");
        this.picked = out.id;
        return this.commit(item, out.value);
      }
      case "merge":
        if (!this.picked || !this.pickedBefore) return this.say("select a track, then the one to merge into it (click one, then the other)");
        {
          const keep = this.pickedBefore;
          const value = mergeTracks(ed.value, keep, this.picked);
          this.picked = keep;
          this.pickedBefore = null;
          return this.commit(item, value);
        }
      case "delete":
        if (this.pickedSuggestion) return this.reject(item);
        if (!this.picked) return this.say("select a track first");
        if (action.keyframe) return this.commit(item, removeKeyframe(ed.value, this.picked, this.frame));
        {
          const id = this.picked;
          this.picked = null;
          return this.commit(item, removeTracks(ed.value, [id]));
        }
      case "undo":
      case "redo": {
        if (!this.snaps.undoRedo(item, action.type)) return this.say(`nothing to ${action.type}`);
        this.toast.show(action.type === "undo" ? "↶ undone" : "↷ redone", "undo");
        return this.repaint();
      }
      case "nextSuggestion":
        return this.nextSuggestion(item);
      case "accept":
        return this.accept(item, null);
      case "acceptAll": {
        let value = ed.value;
        for (const s of openSuggestions(item, ed)) {
          const first = s.keyframes[0];
          const out = addTrack(value, s.class, first.frame, first.bbox ? { bbox: first.bbox } : { points: first.points });
          value = { tracks: value.tracks.concat([]) };
          value = { tracks: out.value.tracks.map((x) => (x.id === out.id ? { ...x, keyframes: s.keyframes.map(({ score: _s, ...k }) => k) } : x)) };
        }
        this.pickedSuggestion = null;
        return this.commit(item, value);
      }
      case "reject":
        return this.reject(item);
      case "commit":
        if (this.polygon.length >= 3) return this.closePolygon();
        return this.finish(item, "label", t);
      case "skip":
        return this.finish(item, "skip", t);
      default:
        return;
    }
  }

  // -- suggestions ----------------------------------------------------------------
  private nextSuggestion(item: VideoItem): void {
    const open = openSuggestions(item, this.editOf(item));
    if (!open.length) return this.say("no suggestions left");
    const at = open.findIndex((s) => s.id === this.pickedSuggestion);
    const next = open[(at + 1) % open.length];
    this.pickedSuggestion = next.id;
    this.picked = null;
    const start = next.keyframes[0].frame;
    if (!shapeAt(next, this.frame)) this.seek(start, null);
    else this.repaint();
  }

  private accept(item: VideoItem, cls: string | null): void {
    const s = item.suggestions.find((x) => x.id === this.pickedSuggestion);
    if (!s) return this.nextSuggestion(item);
    const first = s.keyframes[0];
    const out = addTrack(this.editOf(item).value, cls ?? s.class, first.frame, first.bbox ? { bbox: first.bbox } : { points: first.points });
    const value = { tracks: out.value.tracks.map((x) => (x.id === out.id ? { ...x, keyframes: s.keyframes.map(({ score: _s, ...k }) => k) } : x)) };
    this.pickedSuggestion = null;
    this.picked = out.id;
    this.commit(item, value);
  }

  private reject(item: VideoItem): void {
    if (!this.pickedSuggestion) return this.nextSuggestion(item);
    this.editOf(item).rejected.add(this.pickedSuggestion);
    this.pickedSuggestion = null;
    this.nextSuggestion(item);
  }

  // -- labels -----------------------------------------------------------------
  private editOf(item: VideoItem) {
    return this.snaps.editOf(item);
  }

  private commit(item: VideoItem, value: TracksValue): void {
    if (this.snaps.commit(item, value)) this.toast.show(`✓ ${value.tracks.length} track${value.tracks.length === 1 ? "" : "s"}`, "label");
    this.repaint();
  }

  private finish(item: VideoItem, kind: "label" | "skip", t: number): void {
    this.stopPlay();
    if (kind === "skip") {
      this.sender.post({ item_id: item.item_id, task: this.task.name, kind: "skip", value: null, duration_ms: Math.round(now() - this.snaps.shownSince) });
      this.toast.show(labelToast("skip", null, item.item_id), "skip");
    } else this.snaps.confirm(item);
    this.supply.leave();
    this.show(t);
    this.supply.ensure();
  }

  // -- frames and playing ---------------------------------------------------------
  private seek(to: number, t: number | null): void {
    const item = this.supply.shownItem();
    if (!item) return;
    this.frame = Math.max(0, Math.min(item.frames - 1, Math.round(to)));
    this.pendingStep = t === null ? null : { frame: this.frame, t };
    this.cache?.want(this.frame, this.ahead(this.playing ? 2 : 1));
    this.repaint();
  }

  private togglePlay(item: VideoItem): void {
    if (this.playing) return this.stopPlay();
    if (this.frame >= item.frames - 1) this.frame = 0;
    this.playing = true;
    this.playFrom = { at: now(), frame: this.frame };
    const step = (): void => {
      this.loop = null;
      if (!this.playing || this.destroyed) return;
      const shown = this.supply.shownItem();
      if (!shown) return this.stopPlay();
      const want = this.playFrom.frame + Math.floor(((now() - this.playFrom.at) / 1000) * shown.fps);
      // Playback waits for frames that have not come: no frame is skipped.
      let next = Math.min(want, shown.frames - 1);
      while (next > this.frame && !this.cache?.has(next) && this.cache?.has(this.frame)) next--;
      if (next !== this.frame) this.seek(next, null);
      else this.cache?.want(this.frame, this.ahead(2));
      if (next >= shown.frames - 1) return this.stopPlay();
      this.loop = raf(step);
    };
    this.loop = raf(step);
    this.repaint();
  }

  private stopPlay(): void {
    this.playing = false;
    if (this.loop !== null) cancelRaf(this.loop);
    this.loop = null;
    this.root.dataset.playing = "0";
  }

  private askFrames(start: number, count: number): void {
    const item = this.supply.shownItem();
    if (!item) return;
    this.sender.send({ type: "frames", client_id: this.clientId, req: ++this.req, item_id: item.item_id, start, count });
  }

  // -- the mouse --------------------------------------------------------------
  /** CSS px per video pixel. */
  private scale(): number {
    const item = this.supply.shownItem();
    const width = this.canvas.getBoundingClientRect().width || Number.parseFloat(this.canvas.style.width) || 640;
    return item && item.fullWidth ? width / item.fullWidth : 1;
  }

  private at(ev: MouseEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    const s = this.scale();
    return [(ev.clientX - r.left) / s, (ev.clientY - r.top) / s];
  }

  private onDown(ev: MouseEvent): void {
    const item = this.supply.shownItem();
    if (!item || ev.button !== 0) return;
    ev.preventDefault();
    this.root.focus({ preventScroll: true });
    this.stopPlay();
    const [x, y] = this.at(ev);
    const s = this.scale();
    const shapes = shapesAt(this.editOf(item).value, this.frame);
    // A corner of the picked box resizes it; inside a box moves it (the smallest first).
    const picked = shapes.find((sh) => sh.track === this.picked && sh.bbox);
    if (picked?.bbox) {
      const [bx, by, bw, bh] = picked.bbox;
      const corners: Point[] = [[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]];
      const corner = corners.findIndex(([cx, cy]) => Math.abs(cx - x) * s <= HANDLE_PX && Math.abs(cy - y) * s <= HANDLE_PX);
      if (corner >= 0) {
        this.drag = { mode: "resize", id: picked.track, corner, shape: picked, box: [...picked.bbox] as Box };
        return;
      }
    }
    // A vertex of the picked polygon moves alone.
    const poly = shapes.find((sh) => sh.track === this.picked && sh.points);
    if (poly?.points) {
      const index = poly.points.findIndex(([px, py]) => Math.abs(px - x) * s <= HANDLE_PX && Math.abs(py - y) * s <= HANDLE_PX);
      if (index >= 0) {
        this.drag = { mode: "vertex", id: poly.track, index, shape: poly, points: poly.points.map((p) => [p[0], p[1]] as Point) };
        return;
      }
    }
    const hit = shapes.filter((sh) => contains(sh, x, y)).sort((a, b) => area(a) - area(b))[0];
    if (hit) {
      if (this.picked !== hit.track) {
        this.pickedBefore = this.picked;
        this.picked = hit.track;
      }
      this.pickedSuggestion = null;
      this.drag = { mode: "move", id: hit.track, x0: x, y0: y, shape: hit, dx: 0, dy: 0 };
      this.repaint();
      return;
    }
    const sugg = openSuggestions(item, this.editOf(item)).map((t) => shapeAt(t, this.frame)).find((sh) => sh && contains(sh, x, y));
    if (sugg) {
      this.pickedSuggestion = sugg.track;
      this.picked = null;
      this.repaint();
      return;
    }
    if (this.videoSpec.shape === "polygon") {
      this.polygon.push([x, y]);
      this.repaint();
      return;
    }
    this.drag = { mode: "draw", x0: x, y0: y, x1: x, y1: y };
  }

  private onMove(ev: MouseEvent): void {
    const d = this.drag;
    if (!d) return;
    if (d.mode === "scrub") return this.onScrub(ev, false);
    const [x, y] = this.at(ev);
    if (d.mode === "draw") {
      d.x1 = x;
      d.y1 = y;
    } else if (d.mode === "move") {
      d.dx = x - d.x0;
      d.dy = y - d.y0;
    } else if (d.mode === "vertex") {
      d.points[d.index] = [x, y];
    } else {
      const [bx, by, bw, bh] = d.shape.bbox!;
      let [x0, y0, x1, y1] = [bx, by, bx + bw, by + bh];
      if (d.corner === 0 || d.corner === 3) x0 = x;
      else x1 = x;
      if (d.corner === 0 || d.corner === 1) y0 = y;
      else y1 = y;
      d.box = [Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0)];
    }
    this.redraw();
  }

  private onUp(_ev: MouseEvent): void {
    const d = this.drag;
    this.drag = null;
    const item = this.supply.shownItem();
    if (!d || !item || d.mode === "scrub") return;
    const ed = this.editOf(item);
    const clamp = (b: Box): Box => {
      const x0 = Math.max(0, Math.min(item.fullWidth, b[0]));
      const y0 = Math.max(0, Math.min(item.fullHeight, b[1]));
      const x1 = Math.max(0, Math.min(item.fullWidth, b[0] + b[2]));
      const y1 = Math.max(0, Math.min(item.fullHeight, b[1] + b[3]));
      return [round(x0), round(y0), round(x1 - x0), round(y1 - y0)];
    };
    if (d.mode === "draw") {
      const box = clamp([Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0)]);
      if (box[2] * this.scale() < 4 || box[3] * this.scale() < 4) {
        this.picked = null;
        this.pickedSuggestion = null;
        return this.repaint();
      }
      const out = addTrack(ed.value, this.drawClass, this.frame, { bbox: box });
      this.pickedBefore = this.picked;
      this.picked = out.id;
      return this.commit(item, out.value);
    }
    if (d.mode === "move") {
      if (Math.abs(d.dx) * this.scale() < 2 && Math.abs(d.dy) * this.scale() < 2) return this.repaint();
      const shape = d.shape.bbox ? { bbox: clamp([d.shape.bbox[0] + d.dx, d.shape.bbox[1] + d.dy, d.shape.bbox[2], d.shape.bbox[3]]) } : { points: d.shape.points!.map(([px, py]) => [round(px + d.dx), round(py + d.dy)] as Point) };
      return this.commit(item, setKeyframe(ed.value, d.id, this.frame, shape));
    }
    if (d.mode === "vertex") {
      const points = d.points.map(([px, py]) => [round(Math.max(0, Math.min(item.fullWidth, px))), round(Math.max(0, Math.min(item.fullHeight, py)))] as Point);
      return this.commit(item, setKeyframe(ed.value, d.id, this.frame, { points }));
    }
    const box = clamp(d.box);
    if (box[2] > 0 && box[3] > 0) this.commit(item, setKeyframe(ed.value, d.id, this.frame, { bbox: box }));
  }

  private closePolygon(): void {
    const item = this.supply.shownItem();
    if (!item || this.polygon.length < 3) return;
    const points = this.polygon.map(([x, y]) => [round(x), round(y)] as Point);
    this.polygon = [];
    const out = addTrack(this.editOf(item).value, this.drawClass, this.frame, { points });
    this.picked = out.id;
    this.commit(item, out.value);
  }

  private onScrub(ev: MouseEvent, start: boolean): void {
    const item = this.supply.shownItem();
    if (!item) return;
    if (start) {
      ev.preventDefault();
      this.root.focus({ preventScroll: true });
      this.stopPlay();
      this.drag = { mode: "scrub" };
    }
    const r = this.timeline.getBoundingClientRect();
    const f = ((ev.clientX - r.left) / Math.max(1, r.width)) * (item.frames - 1);
    this.seek(f, null);
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onOtherMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    if (msg.type === "frames" && mine) this.onFrames(msg, buffers);
  }

  private onFrames(msg: KernelMessage, buffers: unknown[]): void {
    const cache = this.cache;
    if (!cache || msg.item_id !== this.cacheFor) return;
    const start = Number(msg.start);
    const count = Number(msg.count);
    if (msg.error || !Number.isInteger(start) || !Number.isInteger(count)) {
      if (msg.error) this.showError(String(msg.error), false);
      return;
    }
    void cache.receive(start, count, (msg.mime as string[]) ?? [], buffers, (f) => {
      if (f === this.frame && this.supply.shownId() === this.cacheFor) this.redraw();
    });
  }

  protected refresh(): void {
    this.repaint();
  }

  // -- painting ---------------------------------------------------------------
  protected show(t: number | null): void {
    if (!this.supply.moved() && this.supply.shownItem() && !this.wrap.hidden) {
      this.repaint();
      return;
    }
    this.timings.key(t);
    this.paint();
  }

  private paint(): void {
    const item = this.supply.shownItem();
    this.supply.turn();
    this.stopPlay();
    this.picked = null;
    this.pickedBefore = null;
    this.pickedSuggestion = null;
    this.polygon = [];
    this.frame = 0;
    this.root.dataset.itemId = item ? item.item_id : "";
    if (!item || item.kind !== "video") {
      this.wrap.hidden = true;
      this.placeholder.hidden = false;
      const done = !item && this.supply.exhausted && !this.supply.waiting && this.supply.shownId() === null;
      this.placeholder.className = item ? "wb-error" : done ? "wb-done" : "wb-loading";
      this.placeholder.textContent = item ? `cannot show this item: ${item.error ?? "not a video"}` : done ? "All items are labeled. Nothing left in the queue." : "loading…";
      this.renderStatus();
      if (item) this.markReady();
      return;
    }
    this.takeLaterPrelabel(item);
    this.snaps.shownSince = now();
    this.placeholder.hidden = true;
    this.wrap.hidden = false;
    if (this.cacheFor !== item.item_id) {
      this.cache?.release();
      this.cache = new FrameCache({ ask: (s, c) => this.askFrames(s, c) }, item.frames);
      this.cacheFor = item.item_id;
      if (item.first) {
        const cache = this.cache;
        void decode(item.first.bytes, item.first.mime).then((pic) => {
          if (pic && this.cache === cache && !cache.has(0)) {
            cache.keep(0, pic);
            if (this.frame === 0) this.redraw();
          }
        });
      }
    }
    this.cache!.want(0, this.ahead(1));
    this.repaint();
    this.markReady();
    this.timings.painted(item.item_id);
  }

  private redraw(): void {
    const item = this.supply.shownItem();
    if (!item || this.wrap.hidden || !item.fullWidth) return;
    const box = this.wrap.getBoundingClientRect().width || 640;
    const width = Math.max(160, Math.min(box, 1280));
    const height = Math.round((width * item.fullHeight) / item.fullWidth);
    const ratio = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
    for (const [c, w, hgt] of [[this.canvas, width, height], [this.timeline, width, TIMELINE_H]] as [HTMLCanvasElement, number, number][]) {
      if (c.width !== Math.round(w * ratio) || c.height !== Math.round(hgt * ratio)) {
        c.width = Math.round(w * ratio);
        c.height = Math.round(hgt * ratio);
        c.style.width = `${w}px`;
        c.style.height = `${hgt}px`;
      }
    }
    const ctx = this.canvas.getContext?.("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const picture = this.cache?.get(this.frame) ?? null;
    const fallback = picture ?? this.cache?.nearest(this.frame) ?? this.shownPicture;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, width, height);
    if (fallback) ctx.drawImage(fallback as CanvasImageSource, 0, 0, width, height);
    if (picture) this.shownPicture = picture;
    const s = width / item.fullWidth;
    const ed = this.editOf(item);
    const drawShape = (sh: Shown, color: string, dashed: boolean, bold: boolean, label: string): void => {
      ctx.strokeStyle = color;
      ctx.lineWidth = bold ? 3 : 2;
      ctx.setLineDash(dashed || sh.occluded ? [6, 4] : []);
      if (sh.bbox) ctx.strokeRect(sh.bbox[0] * s, sh.bbox[1] * s, sh.bbox[2] * s, sh.bbox[3] * s);
      else if (sh.points) {
        ctx.beginPath();
        sh.points.forEach(([px, py], j) => (j ? ctx.lineTo(px * s, py * s) : ctx.moveTo(px * s, py * s)));
        ctx.closePath();
        ctx.stroke();
      }
      ctx.setLineDash([]);
      const [lx, ly] = sh.bbox ? [sh.bbox[0] * s, sh.bbox[1] * s] : [sh.points![0][0] * s, sh.points![0][1] * s];
      ctx.font = "12px var(--jp-ui-font-family, system-ui, sans-serif)";
      ctx.fillStyle = color;
      ctx.fillText(label, lx + 2, Math.max(12, ly - 3));
      if (bold && sh.points) {
        ctx.fillStyle = color;
        for (const [px, py] of sh.points) ctx.fillRect(px * s - 3, py * s - 3, 6, 6);
      }
      if (bold && sh.bbox) {
        ctx.fillStyle = color;
        for (const [cx, cy] of [[sh.bbox[0], sh.bbox[1]], [sh.bbox[0] + sh.bbox[2], sh.bbox[1]], [sh.bbox[0] + sh.bbox[2], sh.bbox[1] + sh.bbox[3]], [sh.bbox[0], sh.bbox[1] + sh.bbox[3]]]) ctx.fillRect(cx * s - 3, cy * s - 3, 6, 6);
      }
    };
    const drag = this.drag;
    for (const sh of shapesAt(ed.value, this.frame)) {
      let shown = sh;
      if (drag && drag.mode === "move" && drag.id === sh.track) shown = sh.bbox ? { ...sh, bbox: [sh.bbox[0] + drag.dx, sh.bbox[1] + drag.dy, sh.bbox[2], sh.bbox[3]] } : { ...sh, points: sh.points!.map(([x, y]) => [x + drag.dx, y + drag.dy] as Point) };
      if (drag && drag.mode === "resize" && drag.id === sh.track) shown = { ...sh, bbox: drag.box };
      if (drag && drag.mode === "vertex" && drag.id === sh.track) shown = { ...sh, points: drag.points };
      drawShape(shown, this.colors.get(sh.class) ?? FALLBACK_COLOR, false, sh.track === this.picked, `${sh.class} ${sh.track}${sh.keyframe ? " ◆" : ""}${sh.occluded ? " (occluded)" : ""}`);
    }
    for (const t of openSuggestions(item, ed)) {
      const sh = shapeAt(t, this.frame);
      if (sh) drawShape(sh, this.colors.get(sh.class) ?? FALLBACK_COLOR, true, t.id === this.pickedSuggestion, `${sh.class}?`);
    }
    if (drag && drag.mode === "draw") {
      ctx.strokeStyle = this.colors.get(this.drawClass) ?? FALLBACK_COLOR;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(Math.min(drag.x0, drag.x1) * s, Math.min(drag.y0, drag.y1) * s, Math.abs(drag.x1 - drag.x0) * s, Math.abs(drag.y1 - drag.y0) * s);
      ctx.setLineDash([]);
    }
    if (this.polygon.length) {
      ctx.strokeStyle = this.colors.get(this.drawClass) ?? FALLBACK_COLOR;
      ctx.beginPath();
      this.polygon.forEach(([px, py], j) => (j ? ctx.lineTo(px * s, py * s) : ctx.moveTo(px * s, py * s)));
      ctx.stroke();
    }
    this.drawTimeline(item, ed.value, width, ratio);
    this.frameLine.textContent = `frame ${this.frame + 1} / ${item.frames} · ${(this.frame / item.fps).toFixed(2)} s${this.playing ? " ▶" : ""}${picture ? "" : " · loading frame…"}`;
    const pending = this.pendingStep;
    if (pending && picture && pending.frame === this.frame) {
      this.pendingStep = null;
      afterPaint(() => pushLast(this.stepPaints, now() - pending.t));
    }
  }

  private drawTimeline(item: VideoItem, value: TracksValue, width: number, ratio: number): void {
    const ctx = this.timeline.getContext?.("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const style = this.root.ownerDocument.defaultView?.getComputedStyle(this.root);
    const v = (name: string, fb: string): string => style?.getPropertyValue(name).trim() || fb;
    ctx.fillStyle = v("--wb-bg", "#fff");
    ctx.fillRect(0, 0, width, TIMELINE_H);
    const x = (f: number): number => (f / Math.max(1, item.frames - 1)) * (width - 1);
    // Each track as a bar where it is in view; the picked one on top, with its keyframes.
    const tracks = [...value.tracks].sort((a, b) => Number(a.id === this.picked) - Number(b.id === this.picked));
    for (const t of tracks) {
      const picked = t.id === this.picked;
      ctx.fillStyle = this.colors.get(t.class) ?? FALLBACK_COLOR;
      ctx.globalAlpha = picked ? 0.9 : 0.35;
      const y = picked ? 8 : 12;
      let from: number | null = null;
      t.keyframes.forEach((k, j) => {
        if (!k.outside && from === null) from = k.frame;
        const end = k.outside ? k.frame : j === t.keyframes.length - 1 ? item.frames - 1 : null;
        if (from !== null && end !== null) {
          ctx.fillRect(x(from), y, Math.max(2, x(end) - x(from)), picked ? 10 : 4);
          from = null;
        }
      });
      if (picked) {
        ctx.globalAlpha = 1;
        ctx.fillStyle = v("--wb-fg", "#222");
        for (const k of t.keyframes) ctx.fillRect(x(k.frame) - 2, 4, 4, 18);
      }
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = v("--wb-accent", "#1976d2");
    ctx.fillRect(x(this.frame) - 1, 0, 2, TIMELINE_H);
  }

  private repaint(): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const ed = this.editOf(item);
    this.redraw();
    const track = ed.value.tracks.find((t) => t.id === this.picked);
    const open = openSuggestions(item, ed);
    this.trackLine.textContent = (track ? `${track.class} ${track.id}: keyframes ${track.keyframes.map((k) => (k.outside ? `${k.frame + 1}✕` : String(k.frame + 1))).join(", ")} · ` : "") + `new tracks: ${this.drawClass}` + (open.length ? ` · ${open.length} suggested track${open.length === 1 ? "" : "s"} (Tab, y, n)` : "");
    this.root.dataset.frame = String(this.frame);
    this.root.dataset.tracks = String(ed.value.tracks.length);
    this.root.dataset.picked = this.picked ?? "";
    this.root.dataset.playing = this.playing ? "1" : "0";
    this.renderStatus();
  }

  private say(text: string): void {
    this.notice = text;
    this.repaint();
  }

  protected keysHelp(): [string, string][] {
    return videoKeysHelp();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function contains(sh: Shown, x: number, y: number): boolean {
  if (sh.bbox) return x >= sh.bbox[0] && x <= sh.bbox[0] + sh.bbox[2] && y >= sh.bbox[1] && y <= sh.bbox[1] + sh.bbox[3];
  if (!sh.points) return false;
  let inside = false;
  const p = sh.points;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
    if (p[i][1] > y !== p[j][1] > y && x < ((p[j][0] - p[i][0]) * (y - p[i][1])) / (p[j][1] - p[i][1]) + p[i][0]) inside = !inside;
  }
  return inside;
}

function area(sh: Shown): number {
  if (sh.bbox) return sh.bbox[2] * sh.bbox[3];
  const p = sh.points ?? [];
  let a = 0;
  for (let i = 0, j = p.length - 1; i < p.length; j = i++) a += (p[j][0] + p[i][0]) * (p[j][1] - p[i][1]);
  return Math.abs(a / 2);
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new VideoView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };

export type { Track };
