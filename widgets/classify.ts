/**
 * ClassifyWidget front end: one item at a time, labeled with the keyboard.
 *
 * Labels travel as custom messages through the outbox (lib/outbox.ts): written
 * to localStorage, sent, removed on ack, resent until acknowledged. Items are
 * prefetched into a queue so the next one is painted inside the key handler;
 * keys pressed while the queue is empty wait in a type-ahead buffer and are
 * applied in order as items arrive. The message protocol is documented in
 * workbench/stream.py.
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
import { FeedbackStrip, itemFeedbackSlot, paintItemFeedback, sentBack } from "./lib/feedback";
import { classifyAction, NOTES_KEY, type ClassifyAction } from "./lib/keys";
import type { ClassSpec, KernelMessage, LabelMessage, WireItem } from "./lib/protocol";
import { ItemQueue, TypeAhead } from "./lib/queue";
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
/** After the kernel said "no more items", ask again this often (another view may undo). */
const EXHAUSTED_RECHECK_MS = 15000;

export type ClassifyOptions = ViewOptions;

export class ClassifyView extends StreamView<Model, ClassifyAction> {
  private queue = new ItemQueue<Item>();
  private typeahead = new TypeAhead<ClassifyAction>();
  private cache = new Map<string, Item>();
  private current: string | null = null;
  private history: string[] = [];
  private reviewIdx: number | null = null;
  private undoStack: UndoEntry[] = [];
  private local = new Map<string, LocalState>();
  private drafts = new Map<string, Set<string>>();
  private shownSince = now();
  private needInFlight: { req: number; at: number } | null = null;
  private itemRequests = new Map<string, { req: number; at: number }>();
  private exhaustedAt: number | null = null;
  /** Labels in the outbox not yet handed to the kernel (see `label`). */
  private unsent: LabelMessage[] = [];
  private labelTimes: number[] = [];
  private timings = new PaintTimings();
  /** Class examples for the guidelines, asked once per view when they first open. */
  private examples: Map<string, ExampleItem[]> | null = null;
  private examplesReq: { req: number; at: number } | null = null;
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
    this.ensureSupply();
  }

  private send(content: object): void {
    this.sender.send(content);
  }

  protected release(): void {
    this.timings.cancel();
    for (const item of this.cache.values()) revoke(item.url);
    for (const item of this.queue.clear()) revoke(item.url);
    for (const list of this.examples?.values() ?? []) for (const ex of list) revoke(ex.url);
    this.cache.clear();
  }

  protected poll(): void {
    this.feedback.poll(now(), REQUEST_TIMEOUT_MS);
    this.ensureSupply();
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
    if (this.typeahead.length > 0 || (needsItem(action) && !this.shownItem())) {
      // Nothing left last time we asked: ask again now (items may have been added or
      // undone elsewhere); if there is still nothing, the waiting keys are reported.
      if (this.exhausted() && !this.shownId()) this.exhaustedAt = null;
      if (!this.typeahead.push(action, t)) this.notice = "too many keys waiting for items; key ignored";
      this.ensureSupply();
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
        } else if (this.reviewIdx !== null) {
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
        if (!this.history.length) return;
        this.reviewIdx = this.reviewIdx === null ? this.history.length - 1 : Math.max(0, this.reviewIdx - 1);
        this.show(t);
        return;
      case "forward":
        if (this.reviewIdx === null) return;
        this.reviewIdx = this.reviewIdx + 1 >= this.history.length ? null : this.reviewIdx + 1;
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
      wasInHistory: this.history.includes(item.item_id),
    });
    if (this.undoStack.length > 1000) this.undoStack.shift();
    this.local.set(item.item_id, { kind, value });
    this.toast.show(labelToast(kind, value, item.item_id), kind);
    if (!this.history.includes(item.item_id)) this.history.push(item.item_id);
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
    if (!last.wasInHistory) this.history = this.history.filter((id) => id !== last.item_id);
    this.drafts.delete(last.item_id);
    // Show the undone item again as the live item; what was live goes back to the front.
    this.reviewIdx = null;
    if (this.current && this.current !== last.item_id) {
      const cur = this.cache.get(this.current);
      if (cur) this.queue.unshift(cur);
    }
    this.queue.remove(last.item_id);
    this.current = last.item_id;
    this.show(t);
  }

  private advance(t: number): void {
    if (this.reviewIdx !== null) {
      this.reviewIdx = this.reviewIdx + 1 >= this.history.length ? null : this.reviewIdx + 1;
    } else {
      const next = this.queue.shift();
      this.current = next ? next.item_id : null;
    }
    this.show(t);
    this.ensureSupply();
    this.transmitLabels();
  }

  /** Send the labels stored since the last call, in order. */
  private transmitLabels(): void {
    for (const msg of this.unsent.splice(0)) this.sender.transmit(msg);
  }

  // -- items ------------------------------------------------------------------
  private shownId(): string | null {
    return this.reviewIdx !== null ? (this.history[this.reviewIdx] ?? null) : this.current;
  }

  private shownItem(): Item | null {
    const id = this.shownId();
    return id === null ? null : (this.cache.get(id) ?? null);
  }

  private exhausted(): boolean {
    return this.exhaustedAt !== null;
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

  private excluded(): string[] {
    const ids = new Set<string>(this.queue.ids());
    if (this.current) ids.add(this.current);
    for (const id of this.sender.outbox.pendingItemIds()) ids.add(id);
    return [...ids];
  }

  /** Ask for items when the queue runs low, an item is missing, or keys wait. */
  private ensureSupply(): void {
    if (this.destroyed) return;
    const t = now();
    // An item we navigated to but do not hold (evicted, or an undo after a reload).
    const want = this.shownId();
    if (want && !this.cache.has(want)) this.requestItem(want);
    if (this.needInFlight && t - this.needInFlight.at < REQUEST_TIMEOUT_MS) return;
    if (this.exhaustedAt !== null && t - this.exhaustedAt < EXHAUSTED_RECHECK_MS) return;
    const prefetch = Math.max(0, Math.floor(this.model.get("prefetch") ?? 0));
    const waiting = this.typeahead.count(needsItem);
    const live = this.current !== null ? 1 : 0;
    let n: number;
    if (prefetch === 0) {
      // Baseline: no queue, each item fetched from the kernel when it is needed.
      n = live ? 0 : Math.max(1, waiting);
    } else {
      const low = Math.max(1, Math.ceil(prefetch / 2));
      if (this.queue.length >= low && live && !waiting) return;
      n = prefetch - this.queue.length + (live ? 0 : 1) + waiting;
    }
    if (n <= 0) return;
    n = Math.min(n, 500);
    const req = ++this.req;
    this.needInFlight = { req, at: t };
    this.send({ type: "need", client_id: this.clientId, req, n, exclude: this.excluded() });
  }

  private requestItem(itemId: string): void {
    const t = now();
    const prev = this.itemRequests.get(itemId);
    if (prev && t - prev.at < REQUEST_TIMEOUT_MS) return;
    const req = ++this.req;
    this.itemRequests.set(itemId, { req, at: t });
    this.send({ type: "item", client_id: this.clientId, req, item_id: itemId });
  }

  private makeItem(w: WireItem, buffers: unknown[]): Item {
    return { ...w, ...itemImage(w, buffers, Math.max(16, Number(this.model.get("max_size")) || 512)) };
  }

  private remember(item: Item): void {
    const old = this.cache.get(item.item_id);
    if (old && old.url && old.url !== item.url) revoke(old.url);
    this.cache.delete(item.item_id);
    this.cache.set(item.item_id, item);
    this.queue.trimCache(this.cache, CACHE_LIMIT, [this.current, this.shownId()], (it) => revoke(it.url));
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "items":
        if (mine) this.onItems(msg, buffers);
        break;
      case "item":
        if (mine) this.onItem(msg, buffers);
        break;
      case "requeue":
        this.requeue();
        break;
      case "examples":
        if (mine) this.onExamples(msg, buffers);
        break;
      case "seen":
        if (mine) this.feedback.onSeen(msg.req);
        break;
      case "error":
        if (mine && this.examplesReq && msg.req === this.examplesReq.req) {
          this.examplesReq = null;
          this.examplesError = String(msg.error ?? "kernel error");
          this.renderExamples();
        }
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        if (mine && this.needInFlight && msg.req === this.needInFlight.req) this.needInFlight = null;
        break;
      default:
        break;
    }
  }

  /** The kernel's order changed: forget prefetched items (not the one shown) and ask again. */
  private requeue(): void {
    for (const item of this.queue.clear()) {
      if (item.item_id !== this.shownId()) {
        revoke(item.url);
        this.cache.delete(item.item_id);
      }
    }
    this.needInFlight = null;
    this.exhaustedAt = null;
    this.renderStatus();
    this.ensureSupply();
  }

  protected onHello(msg: KernelMessage): void {
    this.feedback.set(msg.feedback);
  }

  private onItems(msg: KernelMessage, buffers: unknown[]): void {
    if (this.needInFlight && msg.req === this.needInFlight.req) this.needInFlight = null;
    this.setProgress(msg.progress);
    this.feedback.set(msg.feedback);
    const wire = Array.isArray(msg.items) ? (msg.items as WireItem[]) : [];
    const pending = new Set(this.sender.outbox.pendingItemIds());
    // An item this view labeled comes again only when a reviewer sent it back (team mode).
    const back = new Set(wire.filter(sentBack).map((w) => w.item_id));
    const skip = (id: string) => id === this.current || (this.local.has(id) && !back.has(id)) || pending.has(id);
    const added = this.queue.push(
      wire.map((w) => this.makeItem(w, buffers)),
      skip,
    );
    for (const item of added) this.remember(item);
    // Items a reviewer sent back to this user go before those already queued.
    for (const item of added.filter(sentBack).reverse()) this.queue.unshift(item);
    const asked = Number(msg.n ?? 1);
    this.exhaustedAt = wire.length === 0 && asked > 0 ? now() : null;
    if (this.current === null && this.reviewIdx === null) {
      const next = this.queue.shift();
      if (next) {
        this.current = next.item_id;
        this.shownSince = now();
      }
    }
    this.afterArrival();
  }

  private onItem(msg: KernelMessage, buffers: unknown[]): void {
    const w = msg.item as WireItem | undefined;
    const id = (w?.item_id ?? msg.item_id) as string | undefined;
    if (id) this.itemRequests.delete(id);
    if (w) this.remember(this.makeItem(w, buffers));
    else if (msg.error) this.showError(String(msg.error), true);
    this.afterArrival();
  }

  /** New items are in: apply waiting keys in order, then paint what is shown. */
  private afterArrival(): void {
    let applied = false;
    while (this.typeahead.length) {
      const head = this.typeahead.peek()!;
      if (needsItem(head.action) && !this.shownItem()) break;
      this.typeahead.shift();
      this.apply(head.action, head.t);
      applied = true;
    }
    if (!applied) this.show(null);
    this.transmitLabels();
    if (this.typeahead.length && this.exhausted() && !this.needInFlight && !this.shownId()) {
      const dropped = this.typeahead.clear().length;
      this.notice = `no items left: ${dropped} key${dropped === 1 ? "" : "s"} had no item to apply to`;
    }
    this.ensureSupply();
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
    const id = this.shownId();
    const item = id === null ? null : (this.cache.get(id) ?? null);
    this.root.dataset.itemId = item ? item.item_id : "";
    this.root.classList.toggle("wb-reviewing", this.reviewIdx !== null);
    let node: HTMLElement;
    if (item) node = this.itemNode(item);
    else if (id !== null || this.needInFlight || this.typeahead.length) node = h("div", { class: "wb-loading", text: "loading…" });
    else if (this.exhausted()) node = h("div", { class: "wb-done", text: "All items are labeled. Nothing left in the queue." });
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
    const back = this.reviewIdx !== null ? h("span", { class: "wb-badge", text: `back ${this.history.length - this.reviewIdx}` }) : null;
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
    this.root.dataset.queue = String(this.queue.length);
    this.progressLine.textContent = progressText(this.progress, this.labelTimes);
    return this.typeahead.length ? `${this.typeahead.length} keys waiting for items` : null;
  }

  // -- class examples in the guidelines ----------------------------------------------
  private hasExamples(): boolean {
    return this.task.classes.some((c) => Array.isArray(c.examples) && c.examples.length > 0);
  }

  /** Ask for the classes' examples unless they are here or on their way (once per view). */
  private requestExamples(): void {
    if (this.examples || !this.hasExamples()) return;
    if (this.examplesReq && now() - this.examplesReq.at < REQUEST_TIMEOUT_MS) return;
    const req = ++this.req;
    this.examplesReq = { req, at: now() };
    this.examplesError = "";
    this.send({ type: "examples", client_id: this.clientId, req });
    this.renderExamples();
  }

  private onExamples(msg: KernelMessage, buffers: unknown[]): void {
    if (!this.examplesReq || msg.req !== this.examplesReq.req || this.examples) return;
    this.examplesReq = null;
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
