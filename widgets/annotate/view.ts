/**
 * AnnotateWidget front end: boxes, polygons, polylines, keypoints, masks and
 * cuboids drawn and edited on one item at a time (issue 5). This module holds
 * the view (`AnnotateView`): its wiring, what each key does, which item is
 * shown, the selection, and commit and undo (each change of the shown item's
 * shapes is one label). The parts: keys.ts (key map), shapes.ts (shapes as
 * values), items.ts (per-item shapes, history, suggestions), images.ts (where
 * items come from: lib/supply.ts plus image decoding and full-size images), state.ts (what is being edited), pointer.ts, select.ts,
 * tools.ts and brush.ts (the mouse and the tools), edits.ts (changes of
 * shapes), render.ts and paths.ts (the canvases), panel.ts (the DOM around).
 *
 * Messages are the label stream of the other views (lib/view.ts, lib/sender.ts,
 * workbench/stream.py): hello, need → items (a prefetch queue), item, and one
 * `label` per committed change whose value is the item's whole shapes list,
 * written to the outbox before it is sent and resent until acknowledged; plus
 * `full`, which asks once per item for the full-size image when zooming makes
 * the sent one coarser than the screen (images.ts); in team mode, `seen` marks
 * the reviewers' notes read (lib/feedback.ts: the strip and the shown item's
 * note sit at the top of the side panel); and, unasked, `prelabels`: model
 * suggestions stored while the view is open, for items it holds (items.ts
 * `applyPrelabel`: the shown item takes them unless the user is changing it).
 * When the queue runs out, the stage shrinks to a done card (`.wb-done-card`,
 * root class `wb-done`) with ← back through the items left. An item arriving while the
 * outbox still holds label entries for it shows the newest of them, not the
 * payload (items.ts).
 *
 * Shapes are immutable values (lib/geometry.ts, shapes.ts); an edit makes a
 * new object and every committed change pushes the previous list on the
 * item's History. Drawing is on two stacked canvases (render.ts).
 *
 * Test hooks: root `div.wb-root.wb-annotate` with data-item-id, data-tool,
 * data-ready="1" (first item painted), data-full ("1" while the image shown is
 * at full size), data-queue, data-outbox; `canvas.wb-canvas` and above it
 * `canvas.wb-canvas-overlay`, which takes the mouse; `root.wbAnnotate` =
 * {toClient, shapes, suggestions, viewport, frames, latencies, paints,
 * resetTimings, setTool} (see `hooks()`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { h, now } from "../lib/dom";
import { progressText } from "../lib/status";
import { PaintTimings, pushLast } from "../lib/timings";
import { FeedbackStrip, itemFeedbackSlot, paintItemFeedback } from "../lib/feedback";
import { NOTES_KEY } from "../lib/keys";
import type { Pt, Shape } from "../lib/geometry";
import type { KernelMessage } from "../lib/protocol";
import { REQUEST_TIMEOUT_MS, StreamView, type ViewModel, type ViewOptions } from "../lib/view";
import { Viewport } from "../lib/viewport";
import { acceptAll, acceptSuggestions, changeClass, changeZ, copyPrevious, cycleVisibility, deleteShape, deleteVertexOf, dismiss, setAttribute } from "./edits";
import { applyPrelabel, ItemShapes, pendingShapes, takeLaterPrelabel, type Item, type Suspect, type WirePrelabel } from "./items";
import { annotateAction, keysHelp, repeats, TOOL_NAME, TOOLS, toolsOf, type AnnotateAction, type Tool } from "./keys";
import { Panels } from "./panel";
import { cancelDrag, listenPointer, setCursor } from "./pointer";
import { Renderer } from "./render";
import { cleanShape, skeletonOf, type ShapesSpec } from "./shapes";
import { EditState, type Editor, type Selection, type Vertex } from "./state";
import { DrawingSupply } from "./images";
import { dropLastPoint, finishDraft, notLabeled } from "./tools";

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
}

/** Canvas size while the stage has none (not laid out yet, jsdom). */
const DEFAULT_VIEW: Pt = [800, 560];
/** Label times kept for the labels-per-minute rate. */
const LABEL_TIMES = 1000;

export type AnnotateOptions = ViewOptions;

export class AnnotateView extends StreamView<Model, AnnotateAction> implements Editor {
  /** The task's spec with its shapes fields (types, attributes, skeletons, masks). */
  readonly taskSpec: ShapesSpec;
  readonly state: EditState;
  readonly vp: Viewport;
  readonly overlayCanvas: HTMLCanvasElement;
  /** The tools the task offers. */
  private readonly tools: readonly Tool[];
  private readonly itemShapes = new ItemShapes((itemId) => pendingShapes(this.sender.outbox.entries(), this.taskSpec.name, itemId));
  private readonly supply: DrawingSupply;
  private readonly renderer: Renderer;
  private readonly panels: Panels;
  private readonly stage: HTMLElement;
  private readonly stageNote: HTMLElement;
  /** The done state: what is done, ← back through the items left here. */
  private readonly doneCard: HTMLElement;
  private readonly doneTitle: HTMLElement;
  private readonly doneText: HTMLElement;
  private readonly doneBack: HTMLButtonElement;
  private readonly doneHint: HTMLElement;
  /** Team mode: the reviewers' unread notes, and the shown item's own. */
  private readonly feedback: FeedbackStrip;
  private readonly itemNote = itemFeedbackSlot();
  /** The item the viewport was last fitted to. */
  private fittedFor: Item | null = null;
  private labelTimes: number[] = [];
  private shownSince = now();
  private lastCommitAt = now();
  /** Key-to-paint ms of item changes (test hooks). */
  private paintTimes: number[] = [];
  private readonly timings = new PaintTimings((ms) => pushLast(this.paintTimes, ms));
  private resizeObserver: ResizeObserver | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement, options: AnnotateOptions = {}) {
    super(
      model,
      el,
      {
        name: "annotate",
        label: "Annotate items",
        data: { "data-item-id": "", "data-tool": "select", "data-full": "0", "data-queue": "0" },
        keys: annotateAction,
      },
      {},
      options,
    );
    this.taskSpec = this.task as ShapesSpec;
    this.tools = toolsOf(this.taskSpec);
    this.state = new EditState(this.taskSpec.classes[0]?.name ?? "");
    this.supply = new DrawingSupply({
      clientId: this.clientId,
      nextReq: () => ++this.req,
      send: (msg) => this.sender.send(msg),
      prefetch: () => Math.max(0, Math.floor(Number(this.model.get("prefetch")) || 0)),
      destroyed: () => this.destroyed,
      remembered: (item) => this.itemShapes.load(item),
      imageArrived: (item, w, hh) => this.imageArrived(item, w, hh),
      fullArrived: (item) => {
        if (item.item_id === this.supply.shownId()) {
          this.root.dataset.full = "1";
          this.markDirty(true);
        }
      },
      showError: (text) => this.showError(text, true),
    });

    // Stage: the two canvases
    const base = h("canvas", { class: "wb-canvas" });
    this.overlayCanvas = h("canvas", { class: "wb-canvas-overlay" });
    this.stageNote = h("div", { class: "wb-stage-note" });
    this.doneTitle = h("div", { class: "wb-done-title", attrs: { role: "status" } });
    this.doneText = h("div", { class: "wb-done-text" });
    this.doneBack = h("button", { class: "wb-button wb-done-back", text: "← Back", attrs: { type: "button" } });
    this.doneHint = h("div", { class: "wb-done-hint" });
    this.doneCard = h("div", { class: "wb-done-card" }, [this.doneTitle, this.doneText, this.doneBack, this.doneHint]);
    this.doneCard.hidden = true;
    this.stage = h("div", { class: "wb-canvas-box" }, [base, this.overlayCanvas, this.stageNote, this.doneCard]);
    this.renderer = new Renderer(this, base, this.overlayCanvas, (b, inFrame) => this.painted(b, inFrame));

    // Head, toolbar and side panel
    this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    this.clickable(this.doneBack, () => this.dispatch({ type: "back" }, now()));
    this.panels = new Panels(this, {
      root: this.root,
      clientId: this.clientId,
      listen: (target, type, fn) => this.listen(target, type, fn),
      clickable: (node, fn) => this.clickable(node, fn),
      chips: this.chips,
      tools: this.tools,
      setTool: (t) => this.setTool(t),
      fit: () => this.dispatch({ type: "fit" }, now()),
      setHidden: (cls, hidden) => this.setHidden(cls, hidden),
      selectSuspect: (sp) => this.selectSuspect(sp),
      attributeChanged: (s, sug, name, value) => this.attributeChanged(s, sug, name, value),
      itemState: (itemId) => this.itemShapes.local.get(itemId),
      stepsBack: () => (this.supply.reviewIdx === null ? null : this.supply.seen - this.supply.reviewIdx),
    });
    const p = this.panels;
    this.feedback = new FeedbackStrip({
      clientId: this.clientId,
      nextReq: () => ++this.req,
      send: (msg) => this.sender.send(msg),
      clickable: (node, fn) => this.clickable(node, fn),
      shapes: true,
    });
    p.side.prepend(this.feedback.el, this.itemNote);
    const body = h("div", { class: "wb-body" }, [this.stage, p.side]);
    this.root.append(p.head, p.toolbar, body, p.infoLine, p.hint, this.statusLine, this.errorBox);

    // Viewport and listeners
    this.renderer.layout(...this.viewSize());
    this.vp = new Viewport(this.viewSize()[0], this.viewSize()[1], 1, 1);
    this.renderer.readTheme(this.root);
    listenPointer(this, (target, type, fn) => this.listen(target, type, fn), el.ownerDocument?.defaultView ?? globalThis);
    this.listen(this.root, "keyup", (ev) => {
      if ((ev as KeyboardEvent).key === " ") this.state.spaceDown = false;
    });
    this.listen(this.root, "blur", () => (this.state.spaceDown = false));
    this.listen(this.root, "mousedown", (ev) => {
      const t = ev.target as HTMLElement | null;
      if (t && /^(INPUT|SELECT|TEXTAREA|OPTION)$/.test(t.tagName)) return;
      this.root.focus({ preventScroll: true });
    });
    if (typeof ResizeObserver === "function") {
      this.resizeObserver = new ResizeObserver(() => this.onResize());
      this.resizeObserver.observe(this.stage);
    }
    (this.root as unknown as { wbAnnotate: unknown }).wbAnnotate = this.hooks();

    this.panels.renderToolbar();
    this.renderPanels();
    this.paintNote();
    this.start();
    this.supply.ensure();
  }

  // -- lifecycle ---------------------------------------------------------------
  protected release(): void {
    this.renderer.stop();
    this.timings.cancel();
    this.resizeObserver?.disconnect();
    this.supply.release();
  }

  protected poll(): void {
    this.feedback.poll(now(), REQUEST_TIMEOUT_MS);
    this.supply.poll(this.vp.scale);
  }

  /** The hooks browser tests and benchmarks use (`root.wbAnnotate`). */
  private hooks(): Record<string, unknown> {
    return {
      toClient: (ix: number, iy: number): Pt => {
        const [sx, sy] = this.vp.toScreen(ix, iy);
        const r = this.overlayCanvas.getBoundingClientRect();
        return [r.left + sx, r.top + sy];
      },
      shapes: (): Shape[] => {
        const item = this.shownItem();
        return item ? this.shapesOf(item).map(cleanShape) : [];
      },
      suggestions: (): Shape[] => {
        const item = this.shownItem();
        return item ? this.visibleSuggestions(item).map(cleanShape) : [];
      },
      viewport: () => ({ scale: this.vp.scale, tx: this.vp.tx, ty: this.vp.ty }),
      /** ms each painted frame's drawing took (with a pixel read back after resetTimings, so rasterization counts). */
      frames: (): number[] => this.renderer.frames(),
      /** ms from the input event that asked for a frame to the end of its paint. */
      latencies: (): number[] => this.renderer.latencies(),
      /** Key-to-paint ms of item changes: keydown to the frame that shows the new item's image with its shapes. */
      paints: (): number[] => this.paintTimes.slice(),
      resetTimings: (): void => {
        this.renderer.resetTimings();
        this.paintTimes = [];
      },
      setTool: (t: Tool): void => this.setTool(t),
    };
  }

  // -- what the parts use (Editor) ------------------------------------------------
  isDestroyed(): boolean {
    return this.destroyed;
  }

  note(text: string): void {
    this.notice = text;
  }

  renderStatus(): void {
    super.renderStatus();
  }

  showError(text: string, final: boolean): void {
    super.showError(text, final);
  }

  markDirty(base: boolean, t?: number): void {
    if (this.destroyed) return;
    this.renderer.markDirty(base, t);
  }

  viewChanged(t: number): void {
    this.markDirty(true, t);
    this.checkFull();
  }

  // -- keys -------------------------------------------------------------------
  protected once(action: AnnotateAction): boolean {
    return !repeats(action);
  }

  protected letsThrough(action: AnnotateAction): boolean {
    const st = this.state;
    return action.type === "escape" && !this.overlay && !st.draft && !st.drag && !st.sel;
  }

  dispatch(action: AnnotateAction, t: number): void {
    this.notice = "";
    switch (action.type) {
      case "tool":
        this.setTool(action.tool);
        break;
      case "class":
        this.pickClass(action.name);
        break;
      case "nextClass": {
        const names = this.taskSpec.classes.map((c) => c.name);
        if (names.length) this.setCurrentClass(names[(names.indexOf(this.state.currentClass) + 1) % names.length]);
        break;
      }
      case "enter":
        this.enter(t);
        break;
      case "escape":
        this.escape();
        break;
      case "delete":
        this.deleteKey();
        break;
      case "skip":
        this.skip(t);
        break;
      case "back":
        this.back(t);
        break;
      case "forward":
        this.forward(t);
        break;
      case "undo":
        this.undo(false);
        break;
      case "redo":
        this.undo(true);
        break;
      case "acceptAll":
        acceptAll(this);
        break;
      case "copyPrevious":
        copyPrevious(this);
        break;
      case "hide": {
        const sel = this.selectedShape();
        const cls = sel ? sel.class : this.state.currentClass;
        this.setHidden(cls, !this.state.hidden.has(cls));
        break;
      }
      case "z":
        changeZ(this, action.delta);
        break;
      case "zoom": {
        const [w, hh] = this.viewSize();
        this.vp.zoomAt(w / 2, hh / 2, action.factor);
        this.viewChanged(t);
        break;
      }
      case "fit":
        this.vp.fit();
        this.viewChanged(t);
        break;
      case "brushSize":
        this.state.brushR = Math.min(500, Math.max(0.5, this.state.brushR * action.factor));
        this.state.brushSet = true;
        this.panels.renderToolbar();
        this.markDirty(false, t);
        break;
      case "notLabeled":
        notLabeled(this);
        break;
      case "visibility":
        cycleVisibility(this);
        break;
      case "pan":
        this.state.spaceDown = true;
        break;
      case "readNotes":
        this.feedback.markRead();
        break;
      default:
        break;
    }
    this.renderStatus();
  }

  private enter(t: number): void {
    if (finishDraft(this)) return;
    if (this.state.sel?.sug) {
      const s = this.selectedShape();
      if (s) acceptSuggestions(this, [s], true);
      return;
    }
    this.done(t);
  }

  private escape(): void {
    const st = this.state;
    if (this.overlay) {
      this.toggleOverlay(false);
    } else if (st.draft) {
      st.draft = null;
    } else if (st.drag) {
      cancelDrag(this);
    } else if (st.selVertex) {
      st.selVertex = null;
    } else if (st.sel) {
      this.select(null);
    }
    this.markDirty(false);
  }

  private deleteKey(): void {
    const st = this.state;
    if (st.draft) {
      dropLastPoint(this);
      return;
    }
    const s = this.selectedShape();
    if (!s || !st.sel) {
      this.notice = "nothing selected";
      return;
    }
    if (st.sel.sug) {
      dismiss(this, s);
      return;
    }
    const vertexEditable = s.type === "polygon" || s.type === "polyline" || s.type === "keypoints";
    if (st.selVertex && vertexEditable) {
      deleteVertexOf(this, s, st.selVertex.index);
      return;
    }
    deleteShape(this, s);
  }

  // -- tools and classes --------------------------------------------------------
  private setTool(tool: Tool): void {
    if (!TOOLS.includes(tool)) return;
    if (!this.tools.includes(tool)) {
      this.notice = `this task has no ${TOOL_NAME[tool].toLowerCase()} tool`;
      this.renderStatus();
      return;
    }
    const st = this.state;
    st.draft = null;
    if (st.drag) cancelDrag(this);
    // Brush and eraser act on the selected mask; other drawing tools start afresh.
    if (tool !== "select" && tool !== "brush" && tool !== "eraser") this.select(null);
    else if ((tool === "brush" || tool === "eraser") && this.selectedShape()?.type !== "mask") this.select(null);
    if (tool === "keypoints" && !skeletonOf(this.taskSpec, st.currentClass)) {
      const first = this.taskSpec.classes.find((c) => skeletonOf(this.taskSpec, c.name));
      if (first) {
        st.currentClass = first.name;
        this.notice = `keypoints: class ${first.name} (the first with a skeleton)`;
      }
    }
    st.tool = tool;
    this.root.dataset.tool = tool;
    this.panels.renderToolbar();
    this.renderPanels();
    setCursor(this);
    this.markDirty(false);
  }

  /** A class key or a click on a class: the selected shape's class, else the class of the next shape. */
  private pickClass(name: string): void {
    const s = this.selectedShape();
    if (s && this.state.sel && !this.state.draft) {
      changeClass(this, s, this.state.sel.sug, name);
      return;
    }
    this.setCurrentClass(name);
  }

  private setCurrentClass(name: string): void {
    const st = this.state;
    st.currentClass = name;
    if (st.draft?.kind === "keypoints" && st.draft.cls !== name) st.draft = null; // another skeleton
    this.renderPanels();
    this.markDirty(false);
  }

  setHidden(cls: string, hidden: boolean): void {
    const st = this.state;
    if (hidden) st.hidden.add(cls);
    else st.hidden.delete(cls);
    this.panels.renderHidden(cls, hidden);
    const s = this.selectedShape();
    if (s && hidden && s.class === cls) this.select(null);
    if (st.hover) st.setHover(null, null);
    this.repaintShapes();
  }

  // -- items ------------------------------------------------------------------
  shownItem(): Item | null {
    return this.supply.shownItem();
  }

  /** The item's shapes: this view's list, else the newest pending snapshot, else its stored label. */
  shapesOf(item: Item): Shape[] {
    return this.itemShapes.of(item);
  }

  /** Suggestions not accepted (no shape with their id) and not dismissed. */
  visibleSuggestions(item: Item): Shape[] {
    return this.itemShapes.suggestions(item);
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "items":
        if (mine) this.onItems(msg, buffers);
        break;
      case "item":
        if (mine) {
          const id = this.supply.onItem(msg, buffers);
          if (id && id === this.supply.shownId()) this.show(null);
        }
        break;
      case "full":
        if (mine) this.supply.onFull(msg, buffers);
        break;
      case "requeue":
        this.supply.requeue();
        break;
      case "prelabels":
        this.onPrelabels(msg);
        break;
      case "seen":
        if (mine) this.feedback.onSeen(msg.req);
        break;
      case "error":
        if (mine) this.supply.onError(msg.req);
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        break;
      default:
        break;
    }
  }

  protected onHello(msg: KernelMessage): void {
    this.feedback.set(msg.feedback);
  }

  private onItems(msg: KernelMessage, buffers: unknown[]): void {
    this.setProgress(msg.progress);
    this.feedback.set(msg.feedback);
    this.supply.onItems(msg, buffers);
    if (this.supply.moved() || this.shownItem() !== this.fittedFor) {
      this.show(null);
    } else {
      this.supply.keepImages(); // the next items decode now, so showing one costs no decode
      this.paintNote();
    }
    this.supply.ensure();
  }

  /**
   * Suggestions stored after their items came (`prelabels`, pushed by the kernel):
   * the items held take them; the item shown too, unless the user is changing
   * its shapes (then they show when the item is shown again, and a note says so).
   */
  private onPrelabels(msg: KernelMessage): void {
    if (msg.task !== undefined && msg.task !== this.taskSpec.name) return;
    const list = Array.isArray(msg.items) ? (msg.items as { item_id?: unknown; prelabel?: WirePrelabel }[]) : [];
    const shown = this.supply.shownId();
    let repaint = false;
    for (const w of list) {
      const item = typeof w?.item_id === "string" ? this.supply.get(w.item_id) : undefined;
      if (!item) continue; // not held here: it comes with its suggestions when asked for
      const isShown = item.item_id === shown;
      const changed = applyPrelabel(item, w.prelabel, isShown && this.editing(item));
      if (isShown && changed) repaint = true;
      else if (isShown && item.laterPrelabel) this.notice = "new model suggestions for this item: they show when you come back to it";
    }
    if (repaint) {
      this.notice = "new model suggestions";
      this.repaintShapes();
    }
    this.renderStatus();
  }

  /** The user has started changing the shown item: a change sent, a suggestion dismissed or selected, a shape being drawn or dragged. */
  private editing(item: Item): boolean {
    const st = this.state;
    return (
      this.itemShapes.edited.has(item.item_id) ||
      this.itemShapes.dismissedOf(item.item_id).size > 0 ||
      !!st.draft ||
      !!st.drag ||
      !!st.stroke ||
      !!st.sel?.sug
    );
  }

  private imageArrived(item: Item, w: number, h: number): void {
    if (this.destroyed || item.item_id !== this.supply.shownId()) return;
    if (!item.fullW && w && h) {
      item.fullW = w;
      item.fullH = h;
      this.vp.setImage(w, h);
    }
    if (item.imageState === "failed") this.paintNote();
    this.markDirty(true);
  }

  /** Ask once for the full-size image when the sent one is magnified on screen. */
  private checkFull(): void {
    this.supply.checkFull(this.vp.scale);
  }

  // -- navigation ----------------------------------------------------------------
  /** Enter with nothing drawn: an item with no label records its list (maybe empty: "nothing here"); then the next item. */
  private done(t: number): void {
    const item = this.shownItem();
    if (!item) return;
    if (item.kind !== "image" || item.imageState === "failed") {
      // "Nothing here" needs an image that was seen.
      this.notice = "this item cannot be shown: s skips it";
      return;
    }
    // An item with no label records its list ("nothing here" when empty); in a
    // review of audit issues, Enter on an unchanged item confirms its label.
    const unlabeled = this.itemShapes.local.get(item.item_id) !== "label";
    if (!this.itemShapes.edited.has(item.item_id) && (unlabeled || item.issue)) this.postLabel(item, this.shapesOf(item));
    this.leave(t);
  }

  private skip(t: number): void {
    const item = this.shownItem();
    if (!item) return;
    if (this.state.draft || this.state.drag) this.cancelInteractions();
    this.sender.post({
      item_id: item.item_id,
      task: this.taskSpec.name,
      kind: "skip",
      value: null,
      duration_ms: Math.max(0, Math.round(now() - this.shownSince)),
    });
    this.itemShapes.local.set(item.item_id, "skip");
    this.leave(t);
  }

  private leave(t: number): void {
    this.cancelInteractions();
    this.supply.leave();
    this.show(t);
    this.supply.ensure();
  }

  private back(t: number): void {
    if (!this.supply.seen || this.busy()) return;
    this.supply.back();
    this.show(t);
    this.supply.ensure();
  }

  /**
   * → : the next item. Walking back, the next item left here (past the last: the
   * live one); on the live item, the queue's next one, the live item joining the
   * items left (← comes back to it). Nothing is committed here: every change of
   * shapes is stored when it is made, and an untouched item stays unlabeled
   * (Enter records "nothing here"). Arrow keys never move shapes, so a selected
   * shape does not stop it; a shape being drawn or dragged does (busy).
   */
  private forward(t: number): void {
    if (this.busy()) return;
    if (this.supply.reviewIdx !== null) this.supply.forward();
    else if (this.shownItem()) this.supply.leave();
    else return;
    this.cancelInteractions();
    this.show(t);
    this.supply.ensure();
  }

  /** A shape being drawn or dragged: navigation waits for Enter or Escape. */
  private busy(): boolean {
    if (this.state.draft || this.state.drag) {
      this.notice = "finish the shape (Enter, or a click) or cancel it (Esc) first";
      return true;
    }
    return false;
  }

  private cancelInteractions(): void {
    this.state.draft = null;
    if (this.state.drag) cancelDrag(this);
  }

  /** Paint the shown item; `t` is the timestamp of the key that led here (null: none). */
  private show(t: number | null): void {
    if (this.destroyed) return;
    const st = this.state;
    this.timings.key(t);
    if (this.supply.turn()) {
      this.cancelInteractions();
      st.sel = null;
      st.selVertex = null;
      st.setHover(null, null);
      this.renderer.invalidate();
      this.shownSince = now();
      this.lastCommitAt = this.shownSince;
      const fresh = this.shownItem();
      if (fresh) takeLaterPrelabel(fresh); // suggestions that waited while it was being edited
    }
    const item = this.shownItem();
    if (item && item !== this.fittedFor) {
      this.fittedFor = item;
      this.renderer.invalidate();
      this.vp.setImage(item.fullW || 1, item.fullH || 1);
      if (!st.brushSet) st.brushR = Math.max(2, Math.round(Math.min(item.fullW || 500, item.fullH || 500) / 100));
    }
    this.root.dataset.itemId = item ? item.item_id : "";
    this.root.dataset.full = item && item.isFull ? "1" : "0";
    this.root.classList.toggle("wb-reviewing", this.supply.reviewIdx !== null);
    if (item) {
      this.supply.decodeImage(item);
      this.supply.keepImages();
      this.checkFull(); // a small sent image may be magnified at fit already
    }
    this.paintNote();
    paintItemFeedback(this.itemNote, item?.feedback, true);
    // Paint now, inside the key handler: the next item shows in this frame.
    this.renderer.paint(false);
    this.panels.renderToolbar();
    this.renderPanels();
    this.renderStatus();
  }

  /** After each paint: the zoom label; once the shown item's image is painted, readiness and the key-to-paint timings. */
  private painted(base: boolean, inFrame: boolean): void {
    const item = this.shownItem();
    this.panels.renderZoom(item ? this.vp.scale : null);
    if (item && base && item.imageState !== "idle" && item.imageState !== "loading") {
      this.markReady();
      this.timings.painted(item.item_id, inFrame);
    }
  }

  /** A note over the stage: loading, all done, or why an item cannot be shown. */
  private paintNote(): void {
    const id = this.supply.shownId();
    const item = this.shownItem();
    let text = "";
    if (item) {
      if (item.kind === "error") text = item.error || `item ${item.item_id} cannot be shown`;
      else if (item.kind !== "image") text = `item ${item.item_id} is not an image (${item.kind}); s skips it`;
      else if (item.imageState === "failed") text = `the image of ${item.item_id} could not be decoded (${item.imageError})`;
    } else if (id !== null || this.supply.waiting) text = "loading…";
    else if (this.supply.exhausted) {
      this.timings.forget(); // the keys that led here show no item: nothing to time
    } else text = "loading…";
    const isDone = !item && id === null && !this.supply.waiting && this.supply.exhausted;
    this.stageNote.textContent = text;
    this.stageNote.hidden = !text || isDone;
    this.paintDone(isDone);
  }

  /**
   * The done state, instead of an empty canvas: whether every item has a label
   * (the progress) or only this queue ran out, and ← back through the items
   * left in this view; with none, how to open labeled items again.
   */
  private paintDone(isDone: boolean): void {
    this.root.classList.toggle("wb-done", isDone);
    this.doneCard.hidden = !isDone;
    if (!isDone) return;
    const { done, total } = this.progress;
    const all = total > 0 && done >= total;
    this.doneTitle.textContent = all ? "All items are done" : "Nothing left in this queue";
    const counted = `${done} of ${total} item${total === 1 ? "" : "s"} ${done === 1 ? "has" : "have"} a label or a skip.`;
    const seen = this.supply.seen;
    this.doneText.textContent = seen
      ? `${counted} ← (or the button) goes back through the ${seen} item${seen === 1 ? "" : "s"} you left here; → comes forward again.`
      : all
        ? `${counted}`
        : `${counted} The others are not in this view's queue.`;
    this.doneBack.hidden = !seen;
    this.doneHint.replaceChildren(
      ...(seen ? [] : [h("span", { text: "To look at labeled items again: " }), h("code", { text: "project.annotate(issues=item_ids)" })]),
    );
    this.doneHint.hidden = !!seen;
  }

  // -- labels -----------------------------------------------------------------
  private postLabel(item: Item, list: Shape[]): void {
    const t = now();
    this.sender.post({
      item_id: item.item_id,
      task: this.taskSpec.name,
      kind: "label",
      value: list.map(cleanShape),
      duration_ms: Math.max(0, Math.round(t - this.lastCommitAt)),
    });
    this.lastCommitAt = t;
    this.itemShapes.local.set(item.item_id, "label");
    pushLast(this.labelTimes, t, LABEL_TIMES);
  }

  /** A committed change of the shown item's shapes: remember the old list for undo, show the new one, send it. */
  commit(next: Shape[]): void {
    const item = this.shownItem();
    if (!item) return;
    this.itemShapes.history(item.item_id).push(this.shapesOf(item));
    this.setShapes(item, next);
    this.itemShapes.edited.add(item.item_id);
    this.postLabel(item, next);
  }

  private setShapes(item: Item, next: Shape[]): void {
    const st = this.state;
    this.itemShapes.set(item.item_id, next);
    if (st.sel && !this.selectedShape()) {
      st.sel = null;
      st.selVertex = null;
    }
    if (st.hover && !this.shapeById(st.hover)) st.setHover(null, null);
    this.repaintShapes();
  }

  /** Undo (or redo) the shown item's last change; the restored list is sent as a new label. */
  private undo(redo: boolean): void {
    const item = this.shownItem();
    if (!item) return;
    const st = this.state;
    if (st.draft) {
      // While drawing, undo takes back the last point.
      if (!redo && (st.draft.kind === "path" || st.draft.kind === "keypoints")) {
        dropLastPoint(this);
        return;
      }
      st.draft = null;
    }
    if (st.drag) cancelDrag(this);
    const hist = this.itemShapes.history(item.item_id);
    const cur = this.shapesOf(item);
    const restored = redo ? hist.redo(cur) : hist.undo(cur);
    if (!restored) {
      this.notice = redo ? "nothing to redo" : "nothing to undo";
      return;
    }
    this.setShapes(item, restored);
    this.itemShapes.edited.add(item.item_id);
    this.postLabel(item, restored);
  }

  repaintShapes(): void {
    this.renderer.invalidate();
    this.markDirty(true);
    this.renderPanels();
  }

  dismissedOf(itemId: string): Set<string> {
    return this.itemShapes.dismissedOf(itemId);
  }

  previousShapes(): { id: string; shapes: Shape[] } | null {
    const prevId = this.supply.prevShown;
    if (!prevId) return null;
    const prev = this.supply.get(prevId);
    return { id: prevId, shapes: this.itemShapes.get(prevId) ?? (prev ? this.shapesOf(prev) : []) };
  }

  /** A field of the attribute panel changed. */
  private attributeChanged(s: Shape, sug: boolean, name: string, value: unknown): void {
    setAttribute(this, s, sug, name, value);
    this.root.focus({ preventScroll: true });
    this.renderStatus();
  }

  // -- selection ------------------------------------------------------------------
  shapeById(sel: Selection | null): Shape | null {
    if (!sel) return null;
    const item = this.shownItem();
    if (!item) return null;
    const list = sel.sug ? this.visibleSuggestions(item) : this.shapesOf(item);
    return list.find((s) => s.id === sel.id) ?? null;
  }

  selectedShape(): Shape | null {
    return this.shapeById(this.state.sel);
  }

  select(sel: Selection | null, vertex: Vertex | null = null): void {
    const st = this.state;
    const same = (st.sel?.id ?? null) === (sel?.id ?? null) && (st.sel?.sug ?? false) === (sel?.sug ?? false);
    st.sel = sel;
    st.selVertex = sel ? vertex : null;
    if (same) this.markDirty(false);
    else this.repaintShapes(); // the selected shape moves from the base canvas to the overlay
  }

  /** A click on a suspect of the review's issue: select its shape (or suggestion). */
  private selectSuspect(sp: Suspect): void {
    const item = this.shownItem();
    if (!item || !sp.shape) return;
    if (this.shapesOf(item).some((s) => s.id === sp.shape)) this.select({ id: sp.shape, sug: false });
    else if (this.visibleSuggestions(item).some((s) => s.id === sp.shape)) this.select({ id: sp.shape, sug: true });
    else this.notice = `shape ${sp.shape} is not on this item any more`;
    this.renderStatus();
  }

  // -- layout -------------------------------------------------------------------
  private onResize(): void {
    if (this.destroyed) return;
    const [w, hh] = this.viewSize();
    const dpr = globalThis.devicePixelRatio || 1;
    if (w === this.vp.viewW && hh === this.vp.viewH && dpr === this.renderer.dpr) return;
    this.renderer.layout(...this.viewSize());
    this.vp.resize(w, hh);
    this.markDirty(true);
    this.checkFull();
  }

  private viewSize(): Pt {
    const w = this.stage.clientWidth;
    const hh = this.stage.clientHeight;
    return w > 0 && hh > 0 ? [w, hh] : DEFAULT_VIEW;
  }

  // -- panels -------------------------------------------------------------------
  renderPanels(): void {
    if (this.destroyed) return;
    this.panels.render();
  }

  protected renderCounts(): string | null {
    this.root.dataset.queue = String(this.supply.queued);
    if (!this.doneCard.hidden) this.paintDone(true); // the counts follow the progress
    this.panels.renderProgress(progressText(this.progress, this.labelTimes));
    return null;
  }

  protected keysHelp(): [string, string][] {
    const keys = keysHelp(this.tools, this.taskSpec.classes);
    if (this.team && !this.keymap.has(NOTES_KEY)) keys.push([NOTES_KEY, "mark the reviewers' notes read"]);
    return keys;
  }
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new AnnotateView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
