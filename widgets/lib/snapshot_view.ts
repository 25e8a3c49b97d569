/**
 * The views that store an item's whole value on every change, one item at a
 * time (text spans, audio regions, video tracks): what they share besides the
 * label stream of StreamView. The item supply (a prefetch queue, going back and
 * forward, keys typed ahead), the item edits (lib/snapshots.ts), the messages
 * every such view takes (items, item, requeue, prelabels, error; a view's own
 * go to `onOtherMessage`), applying keys that waited for an item, and the
 * progress line.
 */

import type { AnyModel } from "@anywidget/types";
import { h } from "./dom";
import type { KernelMessage, WireItem } from "./protocol";
import type { SenderEvents } from "./sender";
import { Snapshots } from "./snapshots";
import { progressText } from "./status";
import { ItemSupply } from "./supply";
import { StreamView, type ViewModel, type ViewOptions, type ViewSpec } from "./view";

/** An item with the suggestions that came while it was being edited (taken when it is shown again). */
export interface SnapshotItem extends WireItem {
  laterPrelabel: { value: unknown; score: number | null } | null;
}

export interface ValueSpec<I, V> {
  /** The view's item for a wire item. */
  make(w: WireItem, buffers: unknown[]): I;
  /** The item's suggestions from a pre-label. */
  setPrelabel(item: I, pre: { value: unknown; score: number | null }): void;
  parse(raw: unknown): V;
  same(a: V, b: V): boolean;
  wire(value: V): unknown;
  empty: V;
  /** Items kept for going back beyond those queued. */
  cacheLimit: number;
  /** What the items are called in the notices ("items", "clips", "videos"). */
  noun: string;
}

export abstract class SnapshotView<M extends ViewModel & { prefetch: number }, A extends { type: string }, I extends SnapshotItem, V> extends StreamView<M, A> {
  protected readonly supply: ItemSupply<I, A>;
  protected readonly snaps: Snapshots<V>;
  protected readonly progressLine = h("div", { class: "wb-progress" });

  constructor(model: AnyModel<M>, el: HTMLElement, spec: ViewSpec<A>, private readonly values: ValueSpec<I, V>, options: ViewOptions, events: Partial<Omit<SenderEvents, "error">> = {}) {
    super(
      model,
      el,
      spec,
      {
        ...events,
        acked: (clientId, seq) => this.snaps.answer(clientId, seq, true),
        refused: (_entry, clientId, seq) => this.snaps.answer(clientId, seq, false),
      },
      options,
    );
    this.snaps = new Snapshots<V>({
      task: this.task.name,
      sender: this.sender,
      clientId: this.clientId,
      parse: (raw) => values.parse(raw),
      same: (a, b) => values.same(a, b),
      wire: (v) => values.wire(v),
      empty: values.empty,
      shownId: () => this.supply.shownId(),
      repaint: () => this.refresh(),
    });
    this.supply = new ItemSupply<I, A>(
      {
        clientId: this.clientId,
        nextReq: () => ++this.req,
        send: (msg) => this.sender.send(msg),
        prefetch: () => Math.max(0, Math.floor(this.model.get("prefetch") ?? 0)),
        destroyed: () => this.destroyed,
        make: (w, buffers) => values.make(w, buffers),
        drop: () => undefined,
        excluded: () => this.sender.outbox.pendingItemIds(),
        unwanted: () => (id, back) => this.snaps.has(id) && this.supply.hasLeft(id) && !back,
        showError: (text) => this.showError(text, true),
      },
      { cacheLimit: values.cacheLimit, refuseLeft: true, needsItem: (a) => a.type === "commit" || a.type === "skip" },
    );
  }

  /** Apply a key's action to the shown item (going back and forward is the base's). */
  protected abstract apply(action: A, t: number): void;
  /** Show the item the supply says is shown; `t` is when the key that led here was pressed. */
  protected abstract show(t: number | null): void;
  /** Repaint the shown item (its value or its suggestions changed). */
  protected abstract refresh(): void;

  /** A key's action; one that needs an item and finds none waits for the next (in order). */
  dispatch(action: A, t: number): void {
    if (this.supply.mustWait(action)) {
      if (!this.supply.wait(action, t)) this.notice = `too many keys waiting for ${this.values.noun}; key ignored`;
      this.supply.ensure();
      this.renderStatus();
      return;
    }
    this.notice = "";
    this.act(action, t);
  }

  /** Walk the items left (Alt+← →), else apply the action to the item shown. */
  private act(action: A, t: number): void {
    if (action.type === "back" || action.type === "forward") {
      if (action.type === "back") this.supply.back();
      else this.supply.forward();
      this.show(t);
      return;
    }
    this.apply(action, t);
  }

  /** A message this base does not take (a view's own requests' answers). */
  protected onOtherMessage(_msg: KernelMessage, _buffers: unknown[], _mine: boolean): void {}

  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "items":
        if (mine) {
          this.setProgress(msg.progress);
          this.supply.onItems(msg, buffers);
          this.afterArrival();
        }
        break;
      case "item":
        if (mine) {
          this.supply.onItem(msg, buffers);
          this.afterArrival();
        }
        break;
      case "requeue":
        this.supply.requeue();
        break;
      case "prelabels":
        this.onPrelabels(msg);
        break;
      case "error":
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        if (mine) this.supply.onError(msg.req);
        break;
      default:
        this.onOtherMessage(msg, buffers, mine);
        break;
    }
  }

  /** Suggestions stored while the view is open: at once, unless the user is changing the item shown. */
  private onPrelabels(msg: KernelMessage): void {
    if (msg.task !== this.task.name || !Array.isArray(msg.items)) return;
    const shown = this.supply.shownId();
    for (const x of msg.items as { item_id?: string; prelabel?: { value: unknown; score: number | null } }[]) {
      if (!x || typeof x.item_id !== "string" || !x.prelabel) continue;
      const item = this.supply.get(x.item_id);
      if (!item) continue;
      if (x.item_id === shown && this.snaps.edits.get(x.item_id)?.changed) item.laterPrelabel = x.prelabel;
      else this.values.setPrelabel(item, x.prelabel);
    }
    if (shown && (msg.items as { item_id?: string }[]).some((x) => x?.item_id === shown)) this.refresh();
  }

  /** Suggestions that came while the shown item was being edited, taken now (it is shown again). */
  protected takeLaterPrelabel(item: I): void {
    if (item.laterPrelabel) {
      this.values.setPrelabel(item, item.laterPrelabel);
      item.laterPrelabel = null;
    }
  }

  private afterArrival(): void {
    const applied = this.supply.drain((action, t) => this.act(action, t));
    if (!applied) this.show(null);
    const dropped = this.supply.dropStranded();
    if (dropped) this.notice = `no ${this.values.noun} left: ${dropped} key${dropped === 1 ? "" : "s"} had no item to apply to`;
    this.supply.ensure();
  }

  protected renderCounts(): string | null {
    this.root.dataset.queue = String(this.supply.queued);
    this.progressLine.textContent = progressText(this.progress, this.snaps.labelTimes);
    return null;
  }
}
