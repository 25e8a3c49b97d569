/**
 * The item supply of the views that show one item at a time (classify, the
 * drawing widget): where their items come from and which one is shown.
 *
 * - Requests: `need` asks for up to n items ahead, with `exclude` naming the
 *   ids the view holds or must not get again (the queue, the live item, and
 *   what the view adds: its unacknowledged labels, or the items left); one
 *   need is in flight at a time, asked again after REQUEST_TIMEOUT_MS. The
 *   queue is refilled when it falls below half of `prefetch` (prefetch 0: each
 *   item asked for when it is needed). After an empty answer (nothing left)
 *   the supply asks again only every EXHAUSTED_RECHECK_MS, or at once when a
 *   key waits. `item` asks for one item the view walked back to and no longer
 *   holds.
 * - Holding: the prefetch queue (kernel order; items a reviewer sent back go
 *   first) and the cache of items held for going back (trimmed to `cacheLimit`
 *   beyond those queued; the host frees what each holds).
 * - Going back and forward: the items left (labeled, skipped, or passed with
 *   Enter), in order; ← → walk them, past the last is the live item again.
 * - Type-ahead: keys that need an item and come while none is shown wait, in
 *   order, and are applied as items arrive, each to the item shown when its
 *   turn comes (`drain`); keys waiting count towards the next need's size.
 *
 * Answers are taken only for this view (`mine`, checked by StreamView) and
 * only for the open need (`req`); the message shapes are workbench/stream.py's.
 */

import { now } from "./dom";
import { sentBack } from "./feedback";
import type { KernelMessage, WireItem } from "./protocol";
import { ItemQueue, TypeAhead } from "./queue";
import { Ask } from "./requests";
import { REQUEST_TIMEOUT_MS } from "./view";

/** After the kernel said "no more items", ask again this often (another view may undo). */
export const EXHAUSTED_RECHECK_MS = 15000;
/** The most items one `need` asks for. */
export const MAX_NEED = 500;

/** What the supply needs from its view. */
export interface SupplyHost<T> {
  readonly clientId: string;
  /** The number of a new request. */
  nextReq(): number;
  send(msg: Record<string, unknown>): void;
  /** Items to hold queued (the `prefetch` trait). */
  prefetch(): number;
  destroyed(): boolean;
  /** The view's item for a wire item (its image decoded, or decoding). */
  make(w: WireItem, buffers: unknown[]): T;
  /** Free what an item holds (its image): it is forgotten, or replaced by a newer copy. */
  drop(item: T): void;
  /** An item is held (new, or again: `old` is the copy it replaces, dropped already). */
  remembered?(item: T, old: T | undefined): void;
  /** Ids a need excludes besides the queued and live ones (e.g. labels not acknowledged yet). */
  excluded?(): Iterable<string>;
  /**
   * Asked once per `items` answer: which of the items that came are not
   * queued (`back`: a reviewer sent the item back to this user).
   */
  unwanted?(): (itemId: string, back: boolean) => boolean;
  showError(text: string): void;
}

export interface SupplyOptions<A> {
  /** Items kept in memory beyond those queued, for going back. */
  cacheLimit: number;
  /** Items left in this view are neither asked for again nor queued when they come. */
  refuseLeft?: boolean;
  /** Which key actions need an item (they wait, type-ahead, while none is shown). */
  needsItem?: (action: A) => boolean;
}

export class ItemSupply<T extends { item_id: string }, A = never> {
  protected readonly queue = new ItemQueue<T>();
  protected readonly cache = new Map<string, T>();
  /** The live item: the queue's item being worked on (null: none yet, or none left). */
  protected current: string | null = null;
  /** Items left, in order (← → walk them). */
  protected readonly left: string[] = [];
  private _reviewIdx: number | null = null;
  /** The item painted now, and the one painted before it. */
  private shownKey: string | null = null;
  private _prevShown: string | null = null;
  private readonly need = new Ask();
  private readonly itemRequests = new Map<string, { req: number; at: number }>();
  private exhaustedAt: number | null = null;
  private readonly typeahead = new TypeAhead<A>();
  private readonly needsItem: (action: A) => boolean;

  constructor(
    protected readonly host: SupplyHost<T>,
    private readonly options: SupplyOptions<A>,
  ) {
    this.needsItem = options.needsItem ?? (() => false);
  }

  /** Items waiting in the queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** The ids queued, in the order they will be shown. */
  queuedIds(): string[] {
    return this.queue.ids();
  }

  /** Where the walk back through the items left stands, or null when the live item is shown. */
  get reviewIdx(): number | null {
    return this._reviewIdx;
  }

  /** How many items were left in this view. */
  get seen(): number {
    return this.left.length;
  }

  /** The item painted before the one painted now. */
  get prevShown(): string | null {
    return this._prevShown;
  }

  /** The last `need` got no items. */
  get exhausted(): boolean {
    return this.exhaustedAt !== null;
  }

  /** A `need` is unanswered. */
  get waiting(): boolean {
    return this.need.pending !== null;
  }

  /** Keys waiting for items. */
  get keysWaiting(): number {
    return this.typeahead.length;
  }

  get(itemId: string): T | undefined {
    return this.cache.get(itemId);
  }

  /** `itemId` was left in this view (it is among the items ← walks). */
  hasLeft(itemId: string): boolean {
    return this.left.includes(itemId);
  }

  shownId(): string | null {
    return this._reviewIdx !== null ? (this.left[this._reviewIdx] ?? null) : this.current;
  }

  shownItem(): T | null {
    const id = this.shownId();
    return id === null ? null : (this.cache.get(id) ?? null);
  }

  /** The item to show is not the one painted last. */
  moved(): boolean {
    return this.shownId() !== this.shownKey;
  }

  /** The item to show is painted now: true when it is another than the one painted last. */
  turn(): boolean {
    const id = this.shownId();
    if (id === this.shownKey) return false;
    if (this.shownKey !== null) this._prevShown = this.shownKey;
    this.shownKey = id;
    return true;
  }

  // -- requests -----------------------------------------------------------------
  /** Ask for items when the queue runs low, an item is missing, or keys wait. */
  ensure(): void {
    if (this.host.destroyed()) return;
    const t = now();
    // An item we navigated to but do not hold (evicted, or an undo after a reload).
    const want = this.shownId();
    if (want && !this.cache.has(want)) this.requestItem(want);
    if (this.need.fresh(t, REQUEST_TIMEOUT_MS)) return;
    if (this.exhaustedAt !== null && t - this.exhaustedAt < EXHAUSTED_RECHECK_MS) return;
    const prefetch = this.host.prefetch();
    const waiting = this.typeahead.count(this.needsItem);
    const live = this.current !== null ? 1 : 0;
    let n: number;
    if (prefetch === 0) {
      // Baseline: no queue, each item asked for when it is needed.
      n = live ? 0 : Math.max(1, waiting);
    } else {
      const low = Math.max(1, Math.ceil(prefetch / 2));
      if (this.queue.length >= low && live && !waiting) return;
      n = prefetch - this.queue.length + (live ? 0 : 1) + waiting;
    }
    if (n <= 0) return;
    const req = this.host.nextReq();
    this.need.start(req, t);
    this.host.send({ type: "need", client_id: this.host.clientId, req, n: Math.min(n, MAX_NEED), exclude: this.excluded() });
  }

  private requestItem(itemId: string): void {
    const t = now();
    const prev = this.itemRequests.get(itemId);
    if (prev && t - prev.at < REQUEST_TIMEOUT_MS) return;
    const req = this.host.nextReq();
    this.itemRequests.set(itemId, { req, at: t });
    this.host.send({ type: "item", client_id: this.host.clientId, req, item_id: itemId });
  }

  /** The ids a need excludes: queued, live, the host's, and the items left when those are refused. */
  private excluded(): string[] {
    const ids = new Set<string>(this.queue.ids());
    if (this.current) ids.add(this.current);
    if (this.options.refuseLeft) for (const id of this.left) ids.add(id);
    for (const id of this.host.excluded?.() ?? []) ids.add(id);
    return [...ids];
  }

  // -- answers -------------------------------------------------------------------
  /**
   * `items`, the answer to a need: queue the new ones (sent-back items first);
   * with nothing shown, the first becomes the live item. True when it did.
   */
  onItems(msg: KernelMessage, buffers: unknown[]): boolean {
    this.need.settle(msg.req);
    const sent = Array.isArray(msg.items) ? (msg.items as WireItem[]) : [];
    const wire = sent.filter((w) => w && typeof w.item_id === "string");
    // An item labeled here comes again only when a reviewer sent it back (team mode).
    const back = new Set(wire.filter(sentBack).map((w) => w.item_id));
    const refused = this.options.refuseLeft ? new Set(this.left) : null;
    const unwanted = this.host.unwanted?.() ?? (() => false);
    const skip = (id: string): boolean => id === this.current || (refused?.has(id) ?? false) || unwanted(id, back.has(id));
    const added = this.queue.push(
      wire.map((w) => this.host.make(w, buffers)),
      skip,
    );
    for (const item of added) this.remember(item);
    // Items a reviewer sent back to this user go before those already queued.
    for (const item of added.filter((it) => back.has(it.item_id)).reverse()) this.queue.unshift(item);
    const asked = Number(msg.n ?? 1);
    this.exhaustedAt = sent.length === 0 && asked > 0 ? now() : null;
    if (this.current === null && this._reviewIdx === null) {
      const next = this.queue.shift();
      if (next) {
        this.current = next.item_id;
        return true;
      }
    }
    return false;
  }

  /** `item`, the answer to an item request: hold it; returns its id (null when the answer names none). */
  onItem(msg: KernelMessage, buffers: unknown[]): string | null {
    const w = msg.item as WireItem | undefined;
    const id = (w?.item_id ?? msg.item_id) as string | undefined;
    if (id) this.itemRequests.delete(id);
    if (w && typeof w.item_id === "string") this.remember(this.host.make(w, buffers));
    else if (msg.error) this.host.showError(String(msg.error));
    return id ?? null;
  }

  /** An error answering request `req` of this view: the need is no longer waited for. */
  onError(req: unknown): void {
    this.need.settle(req);
  }

  /** The kernel's order changed: forget prefetched items (not the one shown) and ask again. */
  requeue(): void {
    const shown = this.shownId();
    for (const item of this.queue.clear()) {
      if (item.item_id !== shown) {
        this.host.drop(item);
        this.cache.delete(item.item_id);
      }
    }
    this.need.clear();
    this.exhaustedAt = null;
    this.ensure();
  }

  private remember(item: T): void {
    const old = this.cache.get(item.item_id);
    if (old && old !== item) this.host.drop(old);
    this.cache.delete(item.item_id);
    this.cache.set(item.item_id, item);
    this.host.remembered?.(item, old !== item ? old : undefined);
    this.queue.trimCache(this.cache, this.options.cacheLimit, [this.current, this.shownId()], (it) => this.host.drop(it));
  }

  // -- going back and forward ----------------------------------------------------------
  /** Leave the shown item (labeled, skipped or passed): it joins the items left; then the next one left, or the queue's next. */
  leave(): void {
    const id = this.shownId();
    if (id && !this.left.includes(id)) this.left.push(id);
    if (this._reviewIdx !== null) {
      const at = id ? this.left.indexOf(id) : this._reviewIdx;
      this._reviewIdx = at + 1 >= this.left.length ? null : at + 1;
    } else {
      const next = this.queue.shift();
      this.current = next ? next.item_id : null;
    }
  }

  /** One item back among those left (none left: nothing happens). */
  back(): void {
    if (!this.left.length) return;
    this._reviewIdx = this._reviewIdx === null ? this.left.length - 1 : Math.max(0, this._reviewIdx - 1);
  }

  /** One item forward among those left, past the last: the live item (only while walking back). */
  forward(): void {
    if (this._reviewIdx === null) return;
    this._reviewIdx = this._reviewIdx + 1 >= this.left.length ? null : this._reviewIdx + 1;
  }

  /**
   * Show `itemId` again as the live item (its label was undone); the live item
   * goes back to the front of the queue. `unleave`: it is no longer among the
   * items left (it had not been left before the label undone).
   */
  reshow(itemId: string, unleave: boolean): void {
    if (unleave) {
      const at = this.left.indexOf(itemId);
      if (at >= 0) this.left.splice(at, 1);
    }
    this._reviewIdx = null;
    if (this.current && this.current !== itemId) {
      const cur = this.cache.get(this.current);
      if (cur) this.queue.unshift(cur);
    }
    this.queue.remove(itemId);
    this.current = itemId;
  }

  // -- type-ahead -------------------------------------------------------------------
  /** `action` must wait behind the keys waiting, or for an item to apply to. */
  mustWait(action: A): boolean {
    return this.typeahead.length > 0 || (this.needsItem(action) && !this.shownItem());
  }

  /**
   * Keep `action` (pressed at `t`) until an item can take it; false when too
   * many keys wait (it is dropped). Nothing left last time: the next ensure()
   * asks again at once (items may have been added or undone elsewhere).
   */
  wait(action: A, t: number): boolean {
    if (this.exhausted && !this.shownId()) this.exhaustedAt = null;
    return this.typeahead.push(action, t);
  }

  /** Apply the waiting keys in order, each as soon as there is an item for it; true when one was applied. */
  drain(apply: (action: A, t: number) => void): boolean {
    return this.typeahead.drain((a) => this.needsItem(a) && !this.shownItem(), apply);
  }

  /** No item left for the keys waiting (the kernel has none, none is asked for or shown): drop them; how many. */
  dropStranded(): number {
    if (!this.typeahead.length || !this.exhausted || this.waiting || this.shownId()) return 0;
    return this.typeahead.clear().length;
  }

  /** Free every item held (the view is destroyed). */
  release(): void {
    for (const item of this.cache.values()) this.host.drop(item);
    for (const item of this.queue.clear()) this.host.drop(item);
    this.cache.clear();
  }
}
