/**
 * ClassifyWidget front end: one item at a time, labeled with the keyboard.
 *
 * Labels travel as custom messages through the outbox (lib/outbox.ts): written
 * to localStorage, sent, removed on ack, resent until acknowledged. Items come
 * from the item supply (lib/supply.ts, shared with the drawing widget): a
 * prefetch queue, so the next item is painted inside the key handler, and a
 * type-ahead buffer, so keys pressed while the queue is empty are applied in
 * order as items arrive. This module is the view: what each key does to the
 * item shown, labels and undo, painting. The message protocol is documented
 * in workbench/stream.py.
 *
 * DOM hooks for browser tests: the root has class `wb-classify` and
 * data-item-id (item shown, or ""), data-queue (items prefetched and waiting),
 * data-outbox (unacknowledged labels), data-ready="1" once the first item is
 * painted. Key-to-paint times go to window.__workbenchTimings. In team mode,
 * the reviewers' unread notes and the shown item's own note (lib/feedback.ts,
 * with its hooks) sit above the item; `d` marks the notes read. In the
 * guidelines overlay, each class with examples has a `.wb-class-examples`
 * row (data-class) of `.wb-example` tiles (data-item-id, data-kind). Each
 * label, skip and undo shows a fading `.wb-toast` over the stage ("✓ cat →
 * item-12"; lib/status.ts Toast has its hooks).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { FeedbackStrip, itemFeedbackSlot, paintItemFeedback } from "./lib/feedback";
import { classifyAction, NOTES_KEY, type ClassifyAction } from "./lib/keys";
import type { ClassSpec, KernelMessage, LabelMessage, WireItem } from "./lib/protocol";
import { Ask } from "./lib/requests";
import { ItemSupply } from "./lib/supply";
import { REQUEST_TIMEOUT_MS, StreamView, type ViewModel, type ViewOptions } from "./lib/view";
import { h, now } from "./lib/dom";
import { exampleTile, type ExampleItem } from "./lib/guidelines";
import { imageUrl, itemImage, itemNode, revoke } from "./lib/images";
import { labelToast, progressText, Toast } from "./lib/status";
import { valueText } from "./lib/text";
import { PaintTimings } from "./lib/timings";

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
}

/** An item in the browser: the wire fields plus its decoded image. */
interface Item extends WireItem {
  url: string | null;
  img: HTMLImageElement | null;
}

interface LocalState {
  kind: "label" | "skip";
  value: unknown;
}

interface UndoEntry {
  item_id: string;
  client_id: string;
  seq: number;
  prev: LocalState | undefined;
  wasInHistory: boolean;
}

/** Items kept in memory beyond those queued, for going back. */
const CACHE_LIMIT = 300;

export type ClassifyOptions = ViewOptions;

export class ClassifyView extends StreamView<Model, ClassifyAction> {
  /** Items prefetched and held, the live one, the items labeled here (← →), keys waiting for items. */
  private supply: ItemSupply<Item, ClassifyAction>;
  private undoStack: UndoEntry[] = [];
  private local = new Map<string, LocalState>();
  private drafts = new Map<string, Set<string>>();
  private shownSince = now();
  /** Labels in the outbox not yet handed to the kernel (see `label`). */
  private unsent: LabelMessage[] = [];
  private labelTimes: number[] = [];
  private timings = new PaintTimings();
  /** Class examples for the guidelines, asked once per view when they first open. */
  private examples: Map<string, ExampleItem[]> | null = null;
  private examplesReq = new Ask();
  private examplesError = "";
  /** The examples node of each class row in the open overlay. */
  private exampleSlots = new Map<string, HTMLElement>();

  // DOM parts
  private stage: HTMLElement;
  private toast = new Toast();
  private feedback: FeedbackStrip;
  private itemNote = itemFeedbackSlot();
  private prelabelLine: HTMLElement;
  private progressLine: HTMLElement;

  constructor(model: AnyModel<Model>, el: HTMLElement, options: ClassifyOptions = {}) {
    super(
      model,
      el,
      { name: "classify", label: "Classify items", data: { "data-item-id": "", "data-queue": "0" }, keys: classifyAction },
      { refused: (_entry, clientId, seq) => this.onRefused(clientId, seq) },
      options,
    );
    if (this.task.multi_label) this.root.classList.add("wb-multi");
    this.supply = new ItemSupply<Item, ClassifyAction>(
      {
        clientId: this.clientId,
        nextReq: () => ++this.req,
        send: (msg) => this.send(msg),
        prefetch: () => Math.max(0, Math.floor(this.model.get("prefetch") ?? 0)),
        destroyed: () => this.destroyed,
        make: (w, buffers) => this.makeItem(w, buffers),
        drop: (item) => revoke(item.url),
        // Labels not acknowledged yet are not asked for, nor queued when they come.
        excluded: () => this.sender.outbox.pendingItemIds(),
        unwanted: () => {
          const pending = new Set(this.sender.outbox.pendingItemIds());
          // An item this view labeled comes again only when a reviewer sent it back (team mode).
          return (id, back) => (this.local.has(id) && !back) || pending.has(id);
        },
        showError: (text) => this.showError(text, true),
      },
      { cacheLimit: CACHE_LIMIT, needsItem },
    );
    this.stage = h("div", { class: "wb-stage", attrs: { "aria-live": "polite" } });
    this.feedback = new FeedbackStrip({
      clientId: this.clientId,
      nextReq: () => ++this.req,
      send: (msg) => this.send(msg),
      clickable: (node, fn) => this.clickable(node, fn),
      shapes: false,
    });
    this.prelabelLine = h("div", { class: "wb-prelabel" });
    const classes = this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    this.progressLine = h("div", { class: "wb-progress" });
    const hint = h("div", {
      class: "wb-hint",
      text: this.task.multi_label
        ? "keys toggle classes · Enter saves · ← → move · Backspace undo · s skip · ? guidelines"
        : "press a class key · Enter accepts the suggestion · ← → move · Backspace undo · s skip · ? guidelines",
    });
    const head = h("div", { class: "wb-head" }, [
      h("span", { class: "wb-task", text: this.task.name }),
      this.progressLine,
    ]);
    const stageWrap = h("div", { class: "wb-stage-wrap" }, [this.stage, this.toast.el]);
    this.root.append(head, this.feedback.el, this.itemNote, stageWrap, this.prelabelLine, classes, hint, this.statusLine, this.errorBox);
    this.listen(this.root, "mousedown", () => this.root.focus({ preventScroll: true }));

    this.paint();
    this.start();
    this.supply.ensure();
  }

  private send(content: object): void {
    this.sender.send(content);
  }

  protected release(): void {
    this.timings.cancel();
    this.supply.release();
    for (const list of this.examples?.values() ?? []) for (const ex of list) revoke(ex.url);
  }

  protected poll(): void {
    this.feedback.poll(now(), REQUEST_TIMEOUT_MS);
    this.supply.ensure();
  }

  // -- keys -------------------------------------------------------------------
  protected once(action: ClassifyAction): boolean {
    return needsItem(action);
  }

  /** Apply an action now, or queue it behind earlier keys still waiting for items. */
  dispatch(action: ClassifyAction, t: number): void {
    if (action.type === "readNotes") {
      this.feedback.markRead(); // about no item: never waits behind keys
      return;
    }
    if (this.supply.mustWait(action)) {
      // Nothing left last time we asked: asked again now (items may have been added or
      // undone elsewhere); if there is still nothing, the waiting keys are reported.
      if (!this.supply.wait(action, t)) this.notice = "too many keys waiting for items; key ignored";
      this.supply.ensure();
      this.renderStatus();
      return;
    }
    this.apply(action, t);
    this.transmitLabels();
  }

  private apply(action: ClassifyAction, t: number): void {
    const item = this.shownItem();
    switch (action.type) {
      case "class":
        if (!item) return;
        if (this.task.multi_label) {
          const draft = this.draftOf(item);
          if (draft.has(action.name)) draft.delete(action.name);
          else draft.add(action.name);
          this.renderChips(item);
        } else {
          this.label(item, "label", action.name);
          this.advance(t);
        }
        return;
      case "commit": {
        if (!item) return;
        if (this.task.multi_label) {
          const draft = this.draftOf(item);
          this.label(item, "label", this.task.classes.map((c) => c.name).filter((n) => draft.has(n)));
          this.advance(t);
        } else if (item.prelabel && typeof item.prelabel.value === "string") {
          this.label(item, "label", item.prelabel.value);
          this.advance(t);
        } else if (this.supply.reviewIdx !== null) {
          this.advance(t);
        }
        return;
      }
      case "skip":
        if (!item) return;
        this.label(item, "skip", null);
        this.advance(t);
        return;
      case "back":
        if (!this.supply.seen) return;
        this.supply.back();
        this.show(t);
        return;
      case "forward":
        if (this.supply.reviewIdx === null) return;
        this.supply.forward();
        this.show(t);
        return;
      case "undo":
        this.undo(t);
        return;
      default:
        return;
    }
  }

  // -- labels -----------------------------------------------------------------
  private label(item: Item, kind: "label" | "skip", value: unknown): void {
    const t = now();
    const msg = this.sender.post(
      {
        item_id: item.item_id,
        task: this.task.name,
        kind,
        value,
        duration_ms: Math.max(0, Math.round(t - this.shownSince)),
      },
      { send: false }, // stored now; sent after the request for the next item
    );
    this.unsent.push(msg);
    this.undoStack.push({
      item_id: item.item_id,
      client_id: msg.client_id,
      seq: msg.seq,
      prev: this.local.get(item.item_id),
      wasInHistory: this.supply.hasLeft(item.item_id),
    });
    if (this.undoStack.length > 1000) this.undoStack.shift();
    this.local.set(item.item_id, { kind, value });
    this.toast.show(labelToast(kind, value, item.item_id), kind);
    this.labelTimes.push(t);
    if (this.labelTimes.length > 1000) this.labelTimes.shift();
  }

  private undo(t: number): void {
    this.transmitLabels(); // the label being undone goes before its retraction
    const last = this.undoStack.pop();
    if (!last) {
      this.notice = "nothing to undo";
      this.renderStatus();
      return;
    }
    this.sender.post({
      item_id: last.item_id,
      task: this.task.name,
      kind: "retract",
      value: null,
      retracts: { client_id: last.client_id, seq: last.seq },
      duration_ms: null,
    });
    if (last.prev) this.local.set(last.item_id, last.prev);
    else this.local.delete(last.item_id);
    this.toast.show(labelToast("undo", null, last.item_id), "undo");
    this.drafts.delete(last.item_id);
    // Show the undone item again as the live item; what was live goes back to the front.
    this.supply.reshow(last.item_id, !last.wasInHistory);
    this.show(t);
  }

  /** The shown item is labeled (or passed while walking back): it joins the items left; the next one is shown. */
  private advance(t: number): void {
    this.supply.leave();
    this.show(t);
    this.supply.ensure();
    this.transmitLabels();
  }

  /** Send the labels stored since the last call, in order. */
  private transmitLabels(): void {
    for (const msg of this.unsent.splice(0)) this.sender.transmit(msg);
  }

  // -- items ------------------------------------------------------------------
  private shownItem(): Item | null {
    return this.supply.shownItem();
  }

  private draftOf(item: Item): Set<string> {
    let d = this.drafts.get(item.item_id);
    if (!d) {
      const local = this.local.get(item.item_id);
      let start: unknown = [];
      if (local && local.kind === "label") start = local.value;
      else if (item.state === "label" && item.label !== undefined) start = item.label;
      else if (item.prelabel) start = item.prelabel.value;
      d = new Set(Array.isArray(start) ? start.map(String) : []);
      this.drafts.set(item.item_id, d);
    }
    return d;
  }

  private makeItem(w: WireItem, buffers: unknown[]): Item {
    return { ...w, ...itemImage(w, buffers, Math.max(16, Number(this.model.get("max_size")) || 512)) };
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "items":
        if (mine) this.onItems(msg, buffers);
        break;
      case "item":
        if (mine) {
          this.supply.onItem(msg, buffers);
          this.afterArrival();
        }
        break;
      case "requeue":
        this.supply.requeue();
        this.renderStatus();
        break;
      case "examples":
        if (mine) this.onExamples(msg, buffers);
        break;
      case "seen":
        if (mine) this.feedback.onSeen(msg.req);
        break;
      case "error":
        if (mine && this.examplesReq.settle(msg.req)) {
          this.examplesError = String(msg.error ?? "kernel error");
          this.renderExamples();
        }
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        if (mine) this.supply.onError(msg.req);
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
    if (this.supply.onItems(msg, buffers)) this.shownSince = now();
    this.afterArrival();
  }

  /** New items are in: apply waiting keys in order, then paint what is shown. */
  private afterArrival(): void {
    const applied = this.supply.drain((action, t) => this.apply(action, t));
    if (!applied) this.show(null);
    this.transmitLabels();
    const dropped = this.supply.dropStranded();
    if (dropped) this.notice = `no items left: ${dropped} key${dropped === 1 ? "" : "s"} had no item to apply to`;
    this.supply.ensure();
  }

  private onRefused(clientId: string, seq: number): void {
    if (clientId === this.clientId) {
      const at = this.undoStack.findIndex((u) => u.seq === seq && u.client_id === clientId);
      if (at >= 0) {
        const u = this.undoStack.splice(at, 1)[0];
        if (u.prev) this.local.set(u.item_id, u.prev);
        else this.local.delete(u.item_id);
      }
    }
  }

  // -- painting ---------------------------------------------------------------
  /** Paint the shown item; `t` is the timestamp of the key that led here. */
  private show(t: number | null): void {
    this.timings.key(t);
    this.shownSince = now();
    this.paint();
  }

  private paint(): void {
    const id = this.supply.shownId();
    const item = this.supply.shownItem();
    this.root.dataset.itemId = item ? item.item_id : "";
    this.root.classList.toggle("wb-reviewing", this.supply.reviewIdx !== null);
    let node: HTMLElement;
    if (item) node = this.itemNode(item);
    else if (id !== null || this.supply.waiting || this.supply.keysWaiting) node = h("div", { class: "wb-loading", text: "loading…" });
    else if (this.supply.exhausted) node = h("div", { class: "wb-done", text: "All items are labeled. Nothing left in the queue." });
    else node = h("div", { class: "wb-loading", text: "loading…" });
    this.stage.replaceChildren(node);
    paintItemFeedback(this.itemNote, item?.feedback, false);
    this.renderChips(item);
    this.renderStatus();
    if (item) {
      this.markReady();
      this.timings.painted(item.item_id);
    }
  }

  private itemNode(item: Item): HTMLElement {
    const at = this.supply.reviewIdx;
    const back = at !== null ? h("span", { class: "wb-badge", text: `back ${this.supply.seen - at}` }) : null;
    return itemNode(item, item.img, back);
  }

  private currentState(item: Item): LocalState | null {
    const local = this.local.get(item.item_id);
    if (local) return local;
    if (item.state === "label") return { kind: "label", value: item.label };
    if (item.state === "skip") return { kind: "skip", value: null };
    return null;
  }

  private renderChips(item: Item | null): void {
    const state = item ? this.currentState(item) : null;
    const current = new Set<string>();
    if (state && state.kind === "label") {
      for (const v of Array.isArray(state.value) ? state.value : [state.value]) current.add(String(v));
    }
    const suggested = new Set<string>();
    const pre = item?.prelabel;
    if (pre) for (const v of Array.isArray(pre.value) ? pre.value : [pre.value]) suggested.add(String(v));
    const draft = item && this.task.multi_label ? this.draftOf(item) : null;
    for (const [name, chip] of this.chips) {
      chip.classList.toggle("wb-current", current.has(name));
      chip.classList.toggle("wb-suggested", suggested.has(name));
      const on = draft ? draft.has(name) : current.has(name);
      chip.classList.toggle("wb-on", on);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
    }
    const parts: string[] = [];
    if (state) parts.push(state.kind === "skip" ? "skipped" : `label: ${valueText(state.value)}`);
    if (pre) {
      const score = typeof pre.score === "number" ? ` (${Math.round(pre.score * 100)}%)` : "";
      const accept = this.task.multi_label ? "" : " · Enter accepts";
      parts.push(`model suggests: ${valueText(pre.value)}${score}${accept}`);
    }
    this.prelabelLine.textContent = parts.join(" · ");
  }

  protected renderCounts(): string | null {
    this.root.dataset.queue = String(this.supply.queued);
    this.progressLine.textContent = progressText(this.progress, this.labelTimes);
    const keys = this.supply.keysWaiting;
    return keys ? `${keys} keys waiting for items` : null;
  }

  // -- class examples in the guidelines ----------------------------------------------
  private hasExamples(): boolean {
    return this.task.classes.some((c) => Array.isArray(c.examples) && c.examples.length > 0);
  }

  /** Ask for the classes' examples unless they are here or on their way (once per view). */
  private requestExamples(): void {
    if (this.examples || !this.hasExamples()) return;
    if (this.examplesReq.fresh(now(), REQUEST_TIMEOUT_MS)) return;
    const req = ++this.req;
    this.examplesReq.start(req, now());
    this.examplesError = "";
    this.send({ type: "examples", client_id: this.clientId, req });
    this.renderExamples();
  }

  private onExamples(msg: KernelMessage, buffers: unknown[]): void {
    if (!this.examplesReq.answers(msg.req) || this.examples) return;
    this.examplesReq.clear();
    const map = new Map<string, ExampleItem[]>();
    const wire = msg.examples && typeof msg.examples === "object" ? (msg.examples as Record<string, unknown>) : {};
    for (const [name, list] of Object.entries(wire)) {
      if (!Array.isArray(list)) continue;
      map.set(
        name,
        (list as WireItem[])
          .filter((w) => w && typeof w === "object" && typeof w.item_id === "string")
          .map((w) => ({
            item_id: w.item_id,
            kind: String(w.kind),
            url: imageUrl(w, buffers),
            width: w.width,
            height: w.height,
            text: w.text,
            error: w.error,
          })),
      );
    }
    this.examples = map;
    this.renderExamples();
  }

  /** The examples node of one class row in the overlay, or null for a class without examples. */
  protected examplesOf(c: ClassSpec): HTMLElement | null {
    if (!Array.isArray(c.examples) || !c.examples.length) return null;
    const slot = h("div", { class: "wb-class-examples", attrs: { "data-class": c.name } });
    this.exampleSlots.set(c.name, slot);
    this.fillExamples(c.name, slot);
    return slot;
  }

  private fillExamples(name: string, slot: HTMLElement): void {
    if (this.examples) {
      slot.replaceChildren(...(this.examples.get(name) ?? []).map(exampleTile));
    } else {
      const text = this.examplesError ? `examples could not be loaded: ${this.examplesError}` : "loading examples…";
      slot.replaceChildren(h("span", { class: "wb-examples-note", text }));
    }
  }

  private renderExamples(): void {
    for (const [name, slot] of this.exampleSlots) this.fillExamples(name, slot);
  }

  protected keysHelp(): [string, string][] {
    const keys: [string, string][] = this.task.multi_label
      ? [["key", "toggle class"], ["Enter", "save"], ["← →", "back / forward"], ["Backspace", "undo"], ["s", "skip"], ["?", "guidelines"], ["Esc", "close"]]
      : [["key", "label"], ["Enter", "accept suggestion"], ["← →", "back / forward"], ["Backspace", "undo"], ["s", "skip"], ["?", "guidelines"], ["Esc", "close"]];
    if (this.team && !this.keymap.has(NOTES_KEY)) keys.splice(keys.length - 2, 0, [NOTES_KEY, "mark the reviewers' notes read"]);
    return keys;
  }

  /** The overlay's example slots are its own: forgotten when it opens or closes; examples asked for on opening. */
  protected toggleOverlay(open?: boolean): void {
    if ((open ?? !this.overlay) === Boolean(this.overlay)) return; // open already, or closed already
    this.exampleSlots.clear();
    super.toggleOverlay(open);
    if (this.overlay) this.requestExamples();
  }
}

function needsItem(a: ClassifyAction): boolean {
  return a.type === "class" || a.type === "skip" || a.type === "commit";
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new ClassifyView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
