/**
 * AnnotateAudioWidget front end: time regions on one clip at a time (issue
 * 16). This module holds the view (`AudioView`): its wiring, what each key,
 * drag and click does, and commit and undo (each change of the shown clip's
 * regions is one label, whose value is the clip's whole regions, written to
 * the outbox before it is sent and resent until acknowledged: a reload or a
 * kernel restart loses no region). The parts: regions.ts (values and their
 * edits), items.ts (clips and what the view holds per clip), wave.ts
 * (drawing), player.ts (playback a window at a time), keys.ts.
 *
 * Messages are the label stream of the other views (lib/view.ts,
 * lib/supply.ts, workbench/stream.py): hello, need → items (a prefetch queue
 * of clips, each with its whole-clip waveform), item, label; `peaks` (the
 * waveform of a zoomed window), `spectrogram` (the window's, when shown) and
 * `audio` (a window to play); and, unasked,
 * `prelabels` and `requeue`.
 *
 * Test hooks: root `div.wb-root.wb-annotate-audio` with data-item-id,
 * data-ready="1", data-queue, data-outbox, data-regions (regions of the shown
 * clip), data-selection ("start:end" seconds, or ""), data-picked (a region
 * id), data-playing ("1"/"0"), data-view ("v0:v1"), data-spectrogram ("1"
 * when shown). The waveform is `canvas.wb-wave`, the spectrogram
 * `canvas.wb-spectrogram`. `root.wbAudio` = {value, select, pick, playhead,
 * view, peaksAsked, source, spectrogram} (see `hooks()`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { h, now, raf, cancelRaf } from "../lib/dom";
import { attributeDefaults, attributeRows, type AttributeSpec } from "../lib/attributes";
import { safeColor } from "../lib/colors";
import type { KernelMessage, TaskSpec } from "../lib/protocol";
import { toBytes } from "../lib/protocol";
import { labelToast, Toast } from "../lib/status";
import { PaintTimings } from "../lib/timings";
import { SnapshotView } from "../lib/snapshot_view";
import type { ViewModel, ViewOptions } from "../lib/view";
import { makeItem, openSuggestions, readPeaks, setPrelabel, type AudioItem } from "./items";
import { audioAction, audioKeysHelp, type AudioAction } from "./keys";
import { Player } from "./player";
import { addRegion, EMPTY, parseValue, regionKey, regionsAt, relabel, removeRegions, roundTime, sameValue, setAttribute, setEdge, setText, toWire, type Region, type RegionsValue } from "./regions";
import { drawSpectrogram, type Spectrogram } from "./spectrogram";
import { draw, formatTime, pickPeaks, timeOf, type Scene } from "./wave";

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
}

export interface AudioSpec extends TaskSpec {
  attributes?: AttributeSpec[];
  overlapping?: boolean;
  transcripts?: boolean;
}

export type AudioOptions = ViewOptions;

const CACHE_LIMIT = 30;
const FALLBACK_COLOR = "#888888";
const HEIGHT = 140;
/** Shortest window shown, in seconds. */
const MIN_SPAN_S = 0.02;
/** Pixels within which a drag starts on a region's edge. */
const EDGE_PX = 5;
/** Height of the spectrogram in CSS px, and its bands. */
const SPEC_HEIGHT = 96;
const SPEC_ROWS = 96;

export class AudioView extends SnapshotView<Model, AudioAction, AudioItem, RegionsValue> {
  private readonly audioSpec: AudioSpec;
  private readonly colors = new Map<string, string>();
  private readonly waiting = new Map<number, (msg: KernelMessage, buffers: unknown[]) => void>();
  private readonly player: Player;
  private v0 = 0;
  private v1 = 1;
  private sel: [number, number] | null = null;
  private picked: string | null = null;
  private pickedSuggestion: string | null = null;
  private pending: { cls: string; start: number } | null = null;
  private drag: { mode: "select" | "start" | "end"; id: string | null; x: number; t: number; moved: boolean } | null = null;
  private peaksAsked = 0;
  private spectrogramOn = false;
  private spectrogram: (Spectrogram & { itemId: string }) | null = null;
  private spectrogramTimer: ReturnType<typeof setTimeout> | null = null;
  private spectrogramsAsked = 0;
  private peaksTimer: ReturnType<typeof setTimeout> | null = null;
  private frame: number | null = null;
  private readonly timings = new PaintTimings();

  private readonly canvas: HTMLCanvasElement;
  private readonly specCanvas: HTMLCanvasElement;
  private readonly wrap: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly timeLine: HTMLElement;
  private readonly suggestionLine: HTMLElement;
  private readonly regionPanel: HTMLElement;
  private readonly toast = new Toast();

  constructor(model: AnyModel<Model>, el: HTMLElement, options: AudioOptions = {}) {
    super(
      model,
      el,
      {
        name: "annotate-audio",
        label: "Annotate audio regions",
        data: { "data-item-id": "", "data-queue": "0", "data-regions": "0", "data-selection": "", "data-playing": "0", "data-view": "" },
        keys: (ev, keymap) => audioAction(ev, keymap),
      },
      { make: makeItem, setPrelabel, parse: parseValue, same: sameValue, wire: toWire, empty: EMPTY, cacheLimit: CACHE_LIMIT, noun: "clips" },
      options,
    );
    this.audioSpec = this.task as AudioSpec;
    for (const c of this.audioSpec.classes) this.colors.set(c.name, safeColor(c.color, FALLBACK_COLOR));
    this.player = new Player(
      (start, end) => this.fetchAudio(start, end),
      () => this.supply.shownItem()?.duration ?? 0,
      () => this.finishPending(),
    );

    this.canvas = h("canvas", { class: "wb-wave" });
    this.specCanvas = h("canvas", { class: "wb-spectrogram" });
    this.specCanvas.hidden = true;
    this.wrap = h("div", { class: "wb-wave-wrap" }, [this.canvas, this.specCanvas]);
    this.placeholder = h("div", { class: "wb-loading", text: "loading…" });
    this.timeLine = h("div", { class: "wb-time" });
    this.suggestionLine = h("div", { class: "wb-prelabel" });
    this.regionPanel = h("div", { class: "wb-span-attrs wb-region-panel" });
    const classes = this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    const hint = h("div", {
      class: "wb-hint",
      text: "Space play · drag to select, class key to label · while playing: class key starts, same key ends · click a region to select it · Delete removes · wheel zooms · Enter next · ? keys",
    });
    const head = h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: this.task.name }), this.progressLine]);
    const stage = h("div", { class: "wb-stage-wrap wb-audio-stage" }, [this.placeholder, this.wrap, this.toast.el]);
    this.root.append(head, stage, this.timeLine, this.suggestionLine, this.regionPanel, classes, hint, this.statusLine, this.errorBox);
    this.wrap.hidden = true;

    this.listen(this.canvas, "mousedown", (ev) => this.onDown(ev as MouseEvent));
    this.listen(window, "mousemove", (ev) => this.onMove(ev as MouseEvent));
    this.listen(window, "mouseup", (ev) => this.onUp(ev as MouseEvent));
    this.listen(this.canvas, "wheel", (ev) => this.onWheel(ev as WheelEvent));
    this.listen(this.specCanvas, "wheel", (ev) => this.onWheel(ev as WheelEvent));
    this.listen(this.specCanvas, "mousedown", (ev) => this.onDown(ev as MouseEvent));
    if (typeof ResizeObserver !== "undefined") {
      const ro = new ResizeObserver(() => this.redraw());
      ro.observe(this.wrap);
      this.cleanups.push(() => ro.disconnect());
    }
    (this.root as HTMLElement & { wbAudio?: unknown }).wbAudio = this.hooks();
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
      /** Select [start, end) seconds, as a drag would. */
      select: (start: number, end: number) => {
        this.sel = [Math.min(start, end), Math.max(start, end)];
        this.picked = null;
        this.pickedSuggestion = null;
        this.repaint();
      },
      pick: (id: string | null) => {
        this.picked = id;
        this.sel = null;
        this.repaint();
      },
      playhead: () => this.player.position(),
      playing: () => this.player.playing,
      audible: () => this.player.audible,
      view: () => [this.v0, this.v1],
      setView: (a: number, b: number) => this.setView(a, b),
      peaksAsked: () => this.peaksAsked,
      spectrogram: () => (this.spectrogramOn && this.spectrogram ? { start: this.spectrogram.start, end: this.spectrogram.end, columns: this.spectrogram.columns, rows: this.spectrogram.rows, maxHz: this.spectrogram.maxHz, asked: this.spectrogramsAsked } : null),
      /** "zoomed" when the waveform drawn comes from a zoomed window, else "overview". */
      source: () => {
        const item = this.supply.shownItem();
        if (!item) return null;
        const p = pickPeaks([item.overview, item.zoomed].filter(Boolean) as NonNullable<AudioItem["overview"]>[], this.v0, this.v1);
        return p && p === item.zoomed ? "zoomed" : "overview";
      },
    };
  }

  protected release(): void {
    this.timings.cancel();
    this.player.close();
    if (this.frame !== null) cancelRaf(this.frame);
    if (this.peaksTimer !== null) clearTimeout(this.peaksTimer);
    if (this.spectrogramTimer !== null) clearTimeout(this.spectrogramTimer);
    this.supply.release();
  }

  protected poll(): void {
    this.supply.ensure();
  }

  protected once(action: AudioAction): boolean {
    return !["seek", "zoom", "undo", "redo"].includes(action.type);
  }

  protected letsThrough(action: AudioAction): boolean {
    return action.type === "close" && !this.overlay && !this.sel && !this.picked && !this.pickedSuggestion && !this.pending;
  }

  // -- keys -------------------------------------------------------------------
  protected apply(action: AudioAction, t: number): void {
    if (action.type === "close") {
      if (this.overlay) this.toggleOverlay(false);
      else {
        this.sel = null;
        this.picked = null;
        this.pickedSuggestion = null;
        this.pending = null;
        this.repaint();
      }
      return;
    }
    const item = this.supply.shownItem();
    if (!item) return;
    switch (action.type) {
      case "class":
        return this.onClass(item, action.name);
      case "play":
        this.player.toggle();
        if (!this.player.playing) this.pending = null;
        this.animate();
        return this.repaint();
      case "seek":
        this.player.seek(this.player.position() + action.by);
        this.follow();
        return this.repaint();
      case "seekTo":
        this.player.seek(action.to === "start" ? 0 : item.duration);
        this.follow();
        return this.repaint();
      case "zoom": {
        const c = this.player.position();
        const at = c >= this.v0 && c <= this.v1 ? c : (this.v0 + this.v1) / 2;
        return this.zoomAt(at, action.factor);
      }
      case "fit":
        return this.setView(0, item.duration);
      case "spectrogram":
        this.spectrogramOn = !this.spectrogramOn;
        this.specCanvas.hidden = !this.spectrogramOn;
        this.root.dataset.spectrogram = this.spectrogramOn ? "1" : "0";
        if (this.spectrogramOn) this.wantSpectrogram(item);
        return this.repaint();
      case "delete":
        return this.deletePicked(item);
      case "undo":
      case "redo":
        return this.undoRedo(item, action.type);
      case "nextSuggestion":
        return this.nextSuggestion(item);
      case "accept":
        return this.accept(item, null);
      case "acceptAll":
        return this.acceptAll(item);
      case "reject":
        return this.reject(item);
      case "commit":
        return this.finish(item, "label", t);
      case "skip":
        return this.finish(item, "skip", t);
      default:
        return;
    }
  }

  private opts(item: AudioItem): { overlap: boolean; duration: number; attributes: Record<string, unknown>; text: string | null } {
    return { overlap: Boolean(this.audioSpec.overlapping ?? true), duration: item.duration, attributes: attributeDefaults(this.audioSpec.attributes), text: this.audioSpec.transcripts ? "" : null };
  }

  private onClass(item: AudioItem, cls: string): void {
    const ed = this.editOf(item);
    if (this.sel && this.sel[1] - this.sel[0] > 0) {
      const out = addRegion(ed.value, this.sel[0], this.sel[1], cls, this.opts(item));
      this.sel = null;
      if (out.id) this.picked = out.id;
      return this.commit(item, out.value);
    }
    if (this.pickedSuggestion) return this.accept(item, cls);
    if (this.picked) return this.commit(item, relabel(ed.value, this.picked, cls));
    if (this.player.playing) {
      const at = this.player.position();
      if (this.pending && this.pending.cls === cls) {
        const out = addRegion(ed.value, this.pending.start, at, cls, this.opts(item));
        this.pending = null;
        return this.commit(item, out.value);
      }
      if (this.pending) {
        // Another class while one is recorded: end that one here, start this one.
        const out = addRegion(ed.value, this.pending.start, at, this.pending.cls, this.opts(item));
        this.pending = { cls, start: at };
        return this.commit(item, out.value);
      }
      this.pending = { cls, start: at };
      this.toast.show(`● ${cls} from ${formatTime(at, 0.01)}: press ${cls}'s key again to end it`, "label");
      return this.repaint();
    }
    this.say("drag over the waveform to select a stretch, or press a class key while playing");
  }

  /** Playback reached the end while a region was being recorded: it ends there. */
  private finishPending(): void {
    const item = this.supply.shownItem();
    if (item && this.pending) {
      const out = addRegion(this.editOf(item).value, this.pending.start, item.duration, this.pending.cls, this.opts(item));
      this.pending = null;
      this.commit(item, out.value);
    }
    this.repaint();
  }

  private deletePicked(item: AudioItem): void {
    if (this.picked) {
      const id = this.picked;
      this.picked = null;
      return this.commit(item, removeRegions(this.editOf(item).value, [id]));
    }
    if (this.pickedSuggestion) return this.reject(item);
    if (this.sel) {
      const [a, b] = this.sel;
      const inside = this.editOf(item).value.regions.filter((r) => r.start >= a && r.end <= b).map((r) => r.id);
      if (inside.length) this.commit(item, removeRegions(this.editOf(item).value, inside));
    }
  }

  private undoRedo(item: AudioItem, which: "undo" | "redo"): void {
    const to = this.snaps.undoRedo(item, which);
    if (!to) return this.say(`nothing to ${which}`);
    if (this.picked && !to.regions.some((r) => r.id === this.picked)) this.picked = null;
    this.toast.show(which === "undo" ? "↶ undone" : "↷ redone", "undo");
    this.repaint();
  }

  // -- suggestions ------------------------------------------------------------
  private suggestion(item: AudioItem): Region | null {
    if (!this.pickedSuggestion) return null;
    return openSuggestions(item, this.editOf(item)).find((s) => regionKey(s) === this.pickedSuggestion) ?? null;
  }

  private nextSuggestion(item: AudioItem): void {
    const open = openSuggestions(item, this.editOf(item));
    if (!open.length) return this.say("no suggestions left");
    const at = open.findIndex((s) => regionKey(s) === this.pickedSuggestion);
    this.pickSuggestion(open[(at + 1) % open.length]);
    this.repaint();
  }

  private pickSuggestion(s: Region | undefined): void {
    this.pickedSuggestion = s ? regionKey(s) : null;
    this.sel = null;
    this.picked = null;
    if (s && (s.end < this.v0 || s.start > this.v1)) {
      const span = this.v1 - this.v0;
      this.setView(s.start - span * 0.1, s.start + span * 0.9, false);
    }
  }

  private accept(item: AudioItem, cls: string | null): void {
    const s = this.suggestion(item);
    if (!s) return this.nextSuggestion(item);
    const open = openSuggestions(item, this.editOf(item));
    const after = open[open.findIndex((x) => regionKey(x) === regionKey(s)) + 1];
    const o = this.opts(item);
    const out = addRegion(this.editOf(item).value, s.start, s.end, cls ?? s.class, { ...o, attributes: { ...o.attributes, ...s.attributes }, text: s.text ?? o.text });
    this.commit(item, out.value);
    this.pickSuggestion(after);
    this.repaint();
  }

  private acceptAll(item: AudioItem): void {
    const open = openSuggestions(item, this.editOf(item));
    if (!open.length) return this.say("no suggestions left");
    let value = this.editOf(item).value;
    const o = this.opts(item);
    for (const s of open) value = addRegion(value, s.start, s.end, s.class, { ...o, attributes: { ...o.attributes, ...s.attributes }, text: s.text ?? o.text }).value;
    this.pickedSuggestion = null;
    this.commit(item, value);
  }

  private reject(item: AudioItem): void {
    const s = this.suggestion(item);
    if (!s) return this.nextSuggestion(item);
    const open = openSuggestions(item, this.editOf(item));
    const after = open[open.findIndex((x) => regionKey(x) === regionKey(s)) + 1];
    this.editOf(item).rejected.add(regionKey(s));
    this.pickSuggestion(after);
    this.repaint();
  }

  // -- labels -----------------------------------------------------------------
  private editOf(item: AudioItem) {
    return this.snaps.editOf(item);
  }

  private commit(item: AudioItem, value: RegionsValue): void {
    if (this.snaps.commit(item, value)) this.toast.show(`✓ ${value.regions.length} region${value.regions.length === 1 ? "" : "s"}`, "label");
    this.repaint();
  }

  private finish(item: AudioItem, kind: "label" | "skip", t: number): void {
    if (this.pending && this.player.playing) this.onClass(item, this.pending.cls);
    this.player.pause();
    this.pending = null;
    if (kind === "skip") {
      this.sender.post({ item_id: item.item_id, task: this.task.name, kind: "skip", value: null, duration_ms: Math.round(now() - this.snaps.shownSince) });
      this.toast.show(labelToast("skip", null, item.item_id), "skip");
    } else this.snaps.confirm(item);
    this.supply.leave();
    this.show(t);
    this.supply.ensure();
  }

  // -- the mouse --------------------------------------------------------------
  private timeAt(ev: MouseEvent): { x: number; t: number } {
    const rect = this.canvas.getBoundingClientRect();
    const x = Math.max(0, Math.min(rect.width, ev.clientX - rect.left));
    return { x, t: timeOf(this.v0, this.v1, rect.width || 1, x) };
  }

  private onDown(ev: MouseEvent): void {
    const item = this.supply.shownItem();
    if (!item || ev.button !== 0) return;
    ev.preventDefault();
    this.root.focus({ preventScroll: true });
    const { x, t } = this.timeAt(ev);
    const width = this.canvas.getBoundingClientRect().width || 1;
    const pxPerS = width / Math.max(1e-9, this.v1 - this.v0);
    // An edge of the picked region (else of any region) starts a resize.
    const regions = this.editOf(item).value.regions;
    const candidates = this.picked ? [...regions.filter((r) => r.id === this.picked), ...regions] : regions;
    for (const r of candidates) {
      for (const edge of ["start", "end"] as const) {
        if (Math.abs((r[edge] - t) * pxPerS) <= EDGE_PX) {
          this.drag = { mode: edge, id: r.id, x, t, moved: false };
          this.picked = r.id;
          this.repaint();
          return;
        }
      }
    }
    this.drag = { mode: "select", id: null, x, t, moved: false };
  }

  private onMove(ev: MouseEvent): void {
    const d = this.drag;
    const item = this.supply.shownItem();
    if (!d || !item) return;
    const { x, t } = this.timeAt(ev);
    if (!d.moved && Math.abs(x - d.x) < 3) return;
    d.moved = true;
    const clipped = Math.max(0, Math.min(item.duration, t));
    if (d.mode === "select") {
      this.sel = [roundTime(Math.min(d.t, clipped)), roundTime(Math.max(d.t, clipped))];
      this.picked = null;
      this.pickedSuggestion = null;
    } else {
      this.sel = [clipped, clipped];
    }
    this.repaint();
  }

  private onUp(ev: MouseEvent): void {
    const d = this.drag;
    this.drag = null;
    const item = this.supply.shownItem();
    if (!d || !item) return;
    const { t } = this.timeAt(ev);
    const clipped = Math.max(0, Math.min(item.duration, t));
    if (d.mode !== "select") {
      this.sel = null;
      if (d.moved && d.id) {
        const ed = this.editOf(item);
        this.commit(item, setEdge(ed.value, d.id, d.mode, clipped, item.duration, Boolean(this.audioSpec.overlapping ?? true)));
      }
      return;
    }
    if (d.moved) return; // the selection stays; a class key labels it
    // A click: a region (the innermost), else a suggestion, else the playhead goes there.
    this.sel = null;
    const hit = regionsAt(this.editOf(item).value, clipped)[0];
    const sugg = openSuggestions(item, this.editOf(item)).find((s) => s.start <= clipped && clipped <= s.end);
    if (hit) {
      this.picked = hit.id;
      this.pickedSuggestion = null;
    } else if (sugg) {
      this.pickSuggestion(sugg);
    } else {
      this.picked = null;
      this.pickedSuggestion = null;
      this.player.seek(clipped);
    }
    this.repaint();
  }

  private onWheel(ev: WheelEvent): void {
    if (!this.supply.shownItem()) return;
    ev.preventDefault();
    const { t } = this.timeAt(ev);
    const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(dy)) {
      const span = this.v1 - this.v0;
      const by = ((ev.deltaX || dy) / Math.max(1, this.canvas.getBoundingClientRect().width)) * span;
      this.setView(this.v0 + by, this.v1 + by);
      return;
    }
    this.zoomAt(t, Math.exp(dy * 0.002));
  }

  // -- the window shown ---------------------------------------------------------
  private zoomAt(t: number, factor: number): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const span = Math.max(MIN_SPAN_S, Math.min(item.duration, (this.v1 - this.v0) * factor));
    const f = (t - this.v0) / Math.max(1e-9, this.v1 - this.v0);
    this.setView(t - f * span, t - f * span + span);
  }

  /** Show [a, b) seconds (kept inside the clip); ask for its waveform when the overview is too coarse. */
  private setView(a: number, b: number, redraw = true): void {
    const item = this.supply.shownItem();
    const duration = item?.duration ?? 1;
    let span = Math.max(Math.min(MIN_SPAN_S, duration), Math.min(duration, b - a));
    if (!(span > 0)) span = duration || 1;
    let v0 = Math.max(0, Math.min(a, duration - span));
    if (!Number.isFinite(v0)) v0 = 0;
    this.v0 = v0;
    this.v1 = v0 + span;
    if (item) {
      this.wantPeaks(item);
      if (this.spectrogramOn) this.wantSpectrogram(item);
    }
    if (redraw) this.repaint();
  }

  /** Keep the playhead in view while playing (the window pages along). */
  private follow(): void {
    const at = this.player.position();
    if (at < this.v0 || at > this.v1) {
      const span = this.v1 - this.v0;
      this.setView(at - span * 0.1, at + span * 0.9, false);
    }
  }

  private wantPeaks(item: AudioItem): void {
    const width = Math.max(1, Math.round(this.canvas.getBoundingClientRect().width || 600));
    const overview = item.overview;
    const needed = (this.v1 - this.v0) / width;
    const have = overview ? (overview.end - overview.start) / Math.max(1, overview.min.length) : Infinity;
    const zoomed = item.zoomed;
    const covered = zoomed && zoomed.start <= this.v0 && zoomed.end >= this.v1 && (zoomed.end - zoomed.start) / zoomed.min.length <= needed * 1.5;
    if (have <= needed * 1.5 || covered) return;
    if (this.peaksTimer !== null) clearTimeout(this.peaksTimer);
    this.peaksTimer = setTimeout(() => {
      this.peaksTimer = null;
      const shown = this.supply.shownItem();
      if (!shown || shown.item_id !== item.item_id) return;
      const span = this.v1 - this.v0;
      const start = Math.max(0, this.v0 - span / 2);
      const end = Math.min(item.duration, this.v1 + span / 2);
      const bins = Math.min(65536, Math.max(1, Math.round(((end - start) / span) * width)));
      const req = ++this.req;
      this.peaksAsked++;
      this.waiting.set(req, (msg, buffers) => {
        if (msg.error || typeof msg.start !== "number" || typeof msg.end !== "number") return;
        const p = readPeaks(buffers[Number(msg.buffer ?? 0)], msg.start, msg.end);
        if (p) item.zoomed = p;
        if (this.supply.shownId() === item.item_id) this.repaint();
      });
      this.sender.send({ type: "peaks", client_id: this.clientId, req, item_id: item.item_id, start, end, bins });
    }, 40);
  }

  /** Ask for the spectrogram of the window shown, at the canvas's width (after a pause in zooming). */
  private wantSpectrogram(item: AudioItem): void {
    const have = this.spectrogram;
    if (have && have.itemId === item.item_id && Math.abs(have.start - this.v0) < 1e-6 && Math.abs(have.end - this.v1) < 1e-6) return;
    if (this.spectrogramTimer !== null) clearTimeout(this.spectrogramTimer);
    this.spectrogramTimer = setTimeout(() => {
      this.spectrogramTimer = null;
      const shown = this.supply.shownItem();
      if (!shown || shown.item_id !== item.item_id || !this.spectrogramOn) return;
      const columns = Math.min(4096, Math.max(1, Math.round(this.wrap.getBoundingClientRect().width || 600)));
      const req = ++this.req;
      this.spectrogramsAsked++;
      this.waiting.set(req, (msg, buffers) => {
        const bytes = msg.error ? null : toBytes(buffers[Number(msg.buffer ?? 0)]);
        const cols = Number(msg.columns);
        const rows = Number(msg.rows);
        if (!bytes || typeof msg.start !== "number" || typeof msg.end !== "number" || bytes.length !== cols * rows) return;
        this.spectrogram = { itemId: item.item_id, start: msg.start, end: msg.end, columns: cols, rows, maxHz: Number(msg.max_hz), data: bytes.slice() };
        if (this.supply.shownId() === item.item_id) this.repaint();
      });
      this.sender.send({ type: "spectrogram", client_id: this.clientId, req, item_id: item.item_id, start: this.v0, end: this.v1, columns, rows: SPEC_ROWS });
    }, 60);
  }

  private fetchAudio(start: number, end: number): Promise<ArrayBuffer | null> {
    const item = this.supply.shownItem();
    if (!item) return Promise.resolve(null);
    const req = ++this.req;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(req);
        resolve(null);
      }, 10000);
      this.waiting.set(req, (msg, buffers) => {
        clearTimeout(timer);
        const bytes = msg.error ? null : toBytes(buffers[Number(msg.buffer ?? 0)]);
        resolve(bytes ? (bytes.slice().buffer as ArrayBuffer) : null);
      });
      this.sender.send({ type: "audio", client_id: this.clientId, req, item_id: item.item_id, start, end });
    });
  }

  /** Redraw every frame while playing. */
  private animate(): void {
    if (this.frame !== null || !this.player.playing) return;
    const step = (): void => {
      this.frame = null;
      if (this.destroyed) return;
      this.player.tick();
      this.follow();
      this.redraw();
      this.root.dataset.playing = this.player.playing ? "1" : "0";
      if (this.player.playing) this.frame = raf(step);
    };
    this.frame = raf(step);
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onOtherMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    if ((msg.type === "peaks" || msg.type === "audio" || msg.type === "spectrogram") && mine && typeof msg.req === "number") {
      const fn = this.waiting.get(msg.req);
      this.waiting.delete(msg.req);
      fn?.(msg, buffers);
    }
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
    this.player.pause();
    this.player.seek(0);
    this.sel = null;
    this.picked = null;
    this.pickedSuggestion = null;
    this.pending = null;
    this.root.dataset.itemId = item ? item.item_id : "";
    if (!item) {
      this.wrap.hidden = true;
      this.placeholder.hidden = false;
      const done = this.supply.exhausted && !this.supply.waiting && this.supply.shownId() === null;
      this.placeholder.className = done ? "wb-done" : "wb-loading";
      this.placeholder.textContent = done ? "All items are labeled. Nothing left in the queue." : "loading…";
      this.suggestionLine.textContent = "";
      this.timeLine.textContent = "";
      this.regionPanel.replaceChildren();
      this.root.dataset.regions = "0";
      this.root.dataset.selection = "";
      this.renderStatus();
      return;
    }
    this.takeLaterPrelabel(item);
    this.snaps.shownSince = now();
    this.placeholder.hidden = true;
    this.wrap.hidden = false;
    if (item.kind !== "audio") {
      this.placeholder.hidden = false;
      this.placeholder.className = "wb-error";
      this.placeholder.textContent = item.error ? `cannot show this item: ${item.error}` : "this item is not audio";
      this.wrap.hidden = true;
    }
    this.v0 = 0;
    this.v1 = item.duration > 0 ? item.duration : 1;
    if (this.spectrogramOn && item.kind === "audio") this.wantSpectrogram(item);
    this.repaint();
    this.markReady();
    this.timings.painted(item.item_id);
  }

  /** Draw the canvas now (sized to its box and the screen's pixel ratio). */
  private redraw(): void {
    const item = this.supply.shownItem();
    if (!item || this.wrap.hidden) return;
    const width = Math.max(100, Math.floor(this.wrap.getBoundingClientRect().width || 600));
    const ratio = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(HEIGHT * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(HEIGHT * ratio);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${HEIGHT}px`;
    }
    const ctx = this.canvas.getContext?.("2d");
    const ed = this.editOf(item);
    const playhead = this.player.position();
    this.timeLine.textContent = `${formatTime(playhead, 0.01)} / ${formatTime(item.duration, 0.01)}` + (this.player.playing ? " ▶" : "") + (this.player.playing && !this.player.audible ? " (no audio output)" : "") + (this.pending ? ` · ● ${this.pending.cls} from ${formatTime(this.pending.start, 0.01)}` : "");
    if (!ctx) return;
    const style = this.root.ownerDocument.defaultView?.getComputedStyle(this.root);
    const v = (name: string, fallback: string): string => style?.getPropertyValue(name).trim() || fallback;
    const scene: Scene = {
      width,
      height: HEIGHT,
      ratio,
      v0: this.v0,
      v1: this.v1,
      peaks: [item.overview, item.zoomed].filter(Boolean) as NonNullable<AudioItem["overview"]>[],
      regions: ed.value.regions,
      picked: this.picked,
      suggestions: openSuggestions(item, ed),
      pickedSuggestion: this.pickedSuggestion,
      selection: this.sel,
      pending: this.pending,
      playhead,
      color: (cls) => this.colors.get(cls) ?? FALLBACK_COLOR,
      theme: { fg: v("--wb-fg", "#222"), muted: v("--wb-fg2", "#777"), wave: v("--wb-wave", "#4a7ab0"), accent: v("--wb-accent", "#1976d2"), bg: v("--wb-bg", "#fff") },
    };
    draw(ctx, scene);
    if (this.spectrogramOn) {
      if (this.specCanvas.width !== Math.round(width * ratio) || this.specCanvas.height !== Math.round(SPEC_HEIGHT * ratio)) {
        this.specCanvas.width = Math.round(width * ratio);
        this.specCanvas.height = Math.round(SPEC_HEIGHT * ratio);
        this.specCanvas.style.width = `${width}px`;
        this.specCanvas.style.height = `${SPEC_HEIGHT}px`;
      }
      const sctx = this.specCanvas.getContext?.("2d");
      const sp = this.spectrogram && this.spectrogram.itemId === item.item_id ? this.spectrogram : null;
      if (sctx) drawSpectrogram(sctx, sp, this.v0, this.v1, width, SPEC_HEIGHT, ratio, scene.theme.bg);
    }
  }

  /** Repaint the waveform, the lines under it and the data attributes. */
  private repaint(): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const ed = this.editOf(item);
    this.redraw();
    const open = openSuggestions(item, ed);
    const pick = this.suggestion(item);
    this.suggestionLine.textContent = open.length
      ? `${open.length} suggestion${open.length === 1 ? "" : "s"}` +
        (pick ? ` · ${pick.class} ${formatTime(pick.start, 0.01)}–${formatTime(pick.end, 0.01)}${typeof pick.score === "number" ? ` (${Math.round(pick.score * 100)}%)` : ""} · y accept · n reject · class key: accept as` : " · Tab: next · Y: accept all")
      : "";
    this.paintRegionPanel(item, ed.value);
    this.root.dataset.regions = String(ed.value.regions.length);
    this.root.dataset.selection = this.sel ? `${this.sel[0]}:${this.sel[1]}` : "";
    this.root.dataset.picked = this.picked ?? "";
    this.root.dataset.playing = this.player.playing ? "1" : "0";
    this.root.dataset.view = `${this.v0}:${this.v1}`;
    this.renderStatus();
  }

  /** The picked region's transcription and attributes; a change is one label. */
  private paintRegionPanel(item: AudioItem, value: RegionsValue): void {
    const region = this.picked ? value.regions.find((r) => r.id === this.picked) : undefined;
    const attrs = this.audioSpec.attributes ?? [];
    if (!region || (!attrs.length && !this.audioSpec.transcripts)) {
      if (this.regionPanel.childElementCount) this.regionPanel.replaceChildren();
      this.regionPanel.dataset.region = "";
      return;
    }
    const key = JSON.stringify([region.id, region.attributes, region.text]);
    if (this.regionPanel.dataset.region === key) return;
    this.regionPanel.dataset.region = key;
    const set = (v: RegionsValue): void => this.commit(item, v);
    const rows: HTMLElement[] = [h("span", { class: "wb-span-attrs-title", text: `${region.class} ${formatTime(region.start, 0.01)}–${formatTime(region.end, 0.01)}:` })];
    if (this.audioSpec.transcripts) {
      const input = h("input", { class: "wb-transcript", attrs: { type: "text", placeholder: "transcription", "data-transcript": region.id } });
      input.value = region.text ?? "";
      const save = (): void => set(setText(this.editOf(item).value, region.id, input.value));
      input.addEventListener("change", save);
      input.addEventListener("keydown", (ev) => {
        // Enter stores the text and gives the keys back to the view; Escape just gives them back.
        if (ev.key === "Enter") save();
        if (ev.key === "Enter" || ev.key === "Escape") {
          ev.preventDefault();
          ev.stopPropagation();
          this.root.focus({ preventScroll: true });
        }
      });
      rows.push(input);
    }
    rows.push(...attributeRows(attrs, region.attributes, (name, v) => set(setAttribute(this.editOf(item).value, region.id, name, v))));
    this.regionPanel.replaceChildren(...rows);
  }

  private say(text: string): void {
    this.notice = text;
    this.repaint();
  }

  protected keysHelp(): [string, string][] {
    return audioKeysHelp();
  }
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new AudioView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
