/**
 * Where the drawing widget's items come from and which one is shown: the
 * prefetch queue and the cache of items held, `need` and `item` requests (each
 * asked again when unanswered), the items left with Enter or skip and the walk
 * back through them, image decoding kept to the items that may be shown soon,
 * and the full-size image asked for once when zooming makes the sent one
 * coarser than the screen (`full`).
 */

import { now } from "../lib/dom";
import { sentBack } from "../lib/feedback";
import { toBytes, type KernelMessage, type WireItem } from "../lib/protocol";
import { ItemQueue } from "../lib/queue";
import { REQUEST_TIMEOUT_MS } from "../lib/view";
import { decodeBlob, dropImage, makeItem, setImage, type Item } from "./items";

/** Items kept in memory beyond those queued, for going back. */
const CACHE_LIMIT = 200;
/** Decoded images kept for items already left (going back is instant for these). */
const KEEP_DECODED = 3;
/** Queued items decoded ahead (a 4096² bitmap is 64 MB: not the whole queue). */
const DECODE_AHEAD = 3;
const EXHAUSTED_RECHECK_MS = 15000;

/** What the supply needs from its view. */
export interface SupplyHost {
  readonly clientId: string;
  /** The number of a new request. */
  nextReq(): number;
  send(msg: Record<string, unknown>): void;
  /** Items to hold queued (the `prefetch` trait). */
  prefetch(): number;
  destroyed(): boolean;
  /** An item is held (new, or again). */
  remembered(item: Item): void;
  /** An item's image is decoded (or failed to decode: `item.imageState`); its size, 0 when unknown. */
  imageArrived(item: Item, w: number, h: number): void;
  /** An item's full-size image is decoded and shown in place of the sent one. */
  fullArrived(item: Item): void;
  showError(text: string): void;
}

export class ItemSupply {
  private queue = new ItemQueue<Item>();
  private cache = new Map<string, Item>();
  private current: string | null = null;
  /** Items left with Enter or skip, in order (← → walk them). */
  private history: string[] = [];
  private _reviewIdx: number | null = null;
  /** The item painted now, and the one painted before it (Shift+C copies from it). */
  private shownKey: string | null = null;
  private _prevShown: string | null = null;
  private needInFlight: { req: number; at: number } | null = null;
  private itemRequests = new Map<string, { req: number; at: number }>();
  private exhaustedAt: number | null = null;

  constructor(private readonly host: SupplyHost) {}

  /** Items waiting in the queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** Where the walk back through the items left stands, or null when the queue's item is shown. */
  get reviewIdx(): number | null {
    return this._reviewIdx;
  }

  /** How many items were left (done or skipped) in this view. */
  get seen(): number {
    return this.history.length;
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
    return this.needInFlight !== null;
  }

  get(itemId: string): Item | undefined {
    return this.cache.get(itemId);
  }

  shownId(): string | null {
    return this._reviewIdx !== null ? (this.history[this._reviewIdx] ?? null) : this.current;
  }

  shownItem(): Item | null {
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
  /** Ask for items when the queue runs low or an item we navigated to is missing. */
  ensure(): void {
    if (this.host.destroyed()) return;
    const t = now();
    const want = this.shownId();
    if (want && !this.cache.has(want)) this.requestItem(want);
    if (this.needInFlight && t - this.needInFlight.at < REQUEST_TIMEOUT_MS) return;
    if (this.exhaustedAt !== null && t - this.exhaustedAt < EXHAUSTED_RECHECK_MS) return;
    const prefetch = this.host.prefetch();
    const live = this.current !== null ? 1 : 0;
    let n: number;
    if (prefetch === 0) {
      n = live ? 0 : 1; // baseline: each item asked for when it is needed
    } else {
      const low = Math.max(1, Math.ceil(prefetch / 2));
      if (this.queue.length >= low && live) return;
      n = prefetch - this.queue.length + (live ? 0 : 1);
    }
    if (n <= 0) return;
    const req = this.host.nextReq();
    this.needInFlight = { req, at: t };
    this.host.send({ type: "need", client_id: this.host.clientId, req, n: Math.min(n, 500), exclude: this.excluded() });
  }

  private requestItem(itemId: string): void {
    const t = now();
    const prev = this.itemRequests.get(itemId);
    if (prev && t - prev.at < REQUEST_TIMEOUT_MS) return;
    const req = this.host.nextReq();
    this.itemRequests.set(itemId, { req, at: t });
    this.host.send({ type: "item", client_id: this.host.clientId, req, item_id: itemId });
  }

  private excluded(): string[] {
    const ids = new Set<string>(this.queue.ids());
    if (this.current) ids.add(this.current);
    for (const id of this.history) ids.add(id);
    return [...ids];
  }

  /** Every tick: a full-size image unanswered is asked again, then whatever is missing. */
  poll(scale: number): void {
    const item = this.shownItem();
    if (item?.fullAsk && now() - item.fullAsk.at > REQUEST_TIMEOUT_MS) item.fullAsk = null; // unanswered: ask again
    this.checkFull(scale);
    this.ensure();
  }

  // -- answers -------------------------------------------------------------------
  /** `items`, the answer to a need: queue the new ones; with nothing shown, the first becomes current. */
  onItems(msg: KernelMessage, buffers: unknown[]): void {
    if (this.needInFlight && msg.req === this.needInFlight.req) this.needInFlight = null;
    const wire = Array.isArray(msg.items) ? (msg.items as WireItem[]) : [];
    const done = new Set(this.history);
    const skip = (id: string): boolean => id === this.current || done.has(id);
    const added = this.queue.push(
      wire.filter((w) => w && typeof w.item_id === "string").map((w) => makeItem(w, buffers)),
      skip,
    );
    for (const item of added) this.remember(item);
    // Items a reviewer sent back to this user go before those already queued.
    for (const item of added.filter(sentBack).reverse()) this.queue.unshift(item);
    const asked = Number(msg.n ?? 1);
    this.exhaustedAt = wire.length === 0 && asked > 0 ? now() : null;
    if (this.current === null && this._reviewIdx === null) {
      const next = this.queue.shift();
      if (next) this.current = next.item_id;
    }
  }

  /** `item`, the answer to an item request: hold it; returns its id (null when the answer names none). */
  onItem(msg: KernelMessage, buffers: unknown[]): string | null {
    const w = msg.item as WireItem | undefined;
    const id = (w?.item_id ?? msg.item_id) as string | undefined;
    if (id) this.itemRequests.delete(id);
    if (w && typeof w.item_id === "string") this.remember(makeItem(w, buffers));
    else if (msg.error) this.host.showError(String(msg.error));
    return id ?? null;
  }

  /** An error answering request `req` of this view: a need or a full-size image is no longer waited for. */
  onError(req: unknown): void {
    if (this.needInFlight && req === this.needInFlight.req) this.needInFlight = null;
    const asked = [...this.cache.values()].find((it) => it.fullAsk?.req === req);
    if (asked) {
      asked.fullAsk = null;
      asked.fullFailed = true;
    }
  }

  /** The kernel's order changed: forget prefetched items (not the one shown) and ask again. */
  requeue(): void {
    const shown = this.shownId();
    for (const item of this.queue.clear()) {
      if (item.item_id !== shown) {
        dropImage(item);
        this.cache.delete(item.item_id);
      }
    }
    this.needInFlight = null;
    this.exhaustedAt = null;
    this.ensure();
  }

  private remember(item: Item): void {
    const old = this.cache.get(item.item_id);
    if (old && old !== item) {
      dropImage(old);
      // Keep what the view learnt about it.
      item.fullFailed = old.fullFailed;
    }
    this.cache.delete(item.item_id);
    this.cache.set(item.item_id, item);
    this.host.remembered(item);
    this.queue.trimCache(this.cache, CACHE_LIMIT, [this.current, this.shownId()], dropImage);
  }

  // -- navigation -----------------------------------------------------------------
  /** Leave the shown item (done or skipped): it joins the items left; then the next one left, or the queue's next. */
  leave(): void {
    const id = this.shownId();
    if (id && !this.history.includes(id)) this.history.push(id);
    if (this._reviewIdx !== null) {
      const at = id ? this.history.indexOf(id) : this._reviewIdx;
      this._reviewIdx = at + 1 >= this.history.length ? null : at + 1;
    } else {
      const next = this.queue.shift();
      this.current = next ? next.item_id : null;
    }
  }

  /** One item back among those left (call only when there is one). */
  back(): void {
    this._reviewIdx = this._reviewIdx === null ? this.history.length - 1 : Math.max(0, this._reviewIdx - 1);
  }

  /** One item forward among those left, past the last: the queue's item (call only while walking back). */
  forward(): void {
    if (this._reviewIdx === null) return;
    this._reviewIdx = this._reviewIdx + 1 >= this.history.length ? null : this._reviewIdx + 1;
  }

  // -- images -----------------------------------------------------------------
  decodeImage(item: Item): void {
    if (item.imageState !== "idle" || !item.blob) return;
    const decoding = decodeBlob(item.blob, Number(item.width) || 0, Number(item.height) || 0);
    if (!decoding) {
      item.imageState = "none";
      return;
    }
    const gen = ++item.decodeGen;
    item.imageState = "loading";
    decoding.then(
      (d) => {
        if (this.host.destroyed() || gen !== item.decodeGen) return d.close();
        setImage(item, d);
        this.host.imageArrived(item, d.width, d.height);
      },
      (err) => {
        if (gen !== item.decodeGen) return;
        item.imageState = "failed";
        item.imageError = String((err as Error)?.message ?? err);
        this.host.imageArrived(item, 0, 0);
      },
    );
  }

  /** Keep decoded only the images that may be shown soon: the next few queued, the shown one, the last few left. */
  keepImages(): void {
    const keep = new Set<string>(this.queue.ids().slice(0, DECODE_AHEAD));
    if (this.current) keep.add(this.current);
    const shown = this.shownId();
    if (shown) keep.add(shown);
    for (const id of this.history.slice(-KEEP_DECODED)) keep.add(id);
    if (this._prevShown) keep.add(this._prevShown);
    for (const [id, item] of this.cache) {
      if (keep.has(id)) this.decodeImage(item);
      else if (item.image || item.imageState === "loading") dropImage(item);
    }
  }

  /** Ask once for the full-size image when the sent one is magnified on screen (`scale`: screen px per full-image px). */
  checkFull(scale: number): void {
    const item = this.shownItem();
    if (!item || item.isFull || item.fullAsk || item.fullFailed || !item.blob) return;
    const sentW = Number(item.width) || 0;
    if (!sentW || !item.fullW || sentW >= item.fullW) return;
    if (scale * (item.fullW / sentW) <= 1.0) return;
    const req = this.host.nextReq();
    item.fullAsk = { req, at: now() };
    this.host.send({ type: "full", client_id: this.host.clientId, req, item_id: item.item_id });
  }

  /** `full`, the answer to a full-size request: decode it and show it in place of the sent image. */
  onFull(msg: KernelMessage, buffers: unknown[]): void {
    const item = this.cache.get(String(msg.item_id));
    if (!item || !item.fullAsk || item.fullAsk.req !== msg.req) return;
    item.fullAsk = null;
    if (msg.error) {
      item.fullFailed = true;
      this.host.showError(`full-size image of ${item.item_id}: ${String(msg.error)}`);
      return;
    }
    const bytes = typeof msg.buffer === "number" ? toBytes(buffers[msg.buffer]) : null;
    if (!bytes || typeof Blob === "undefined") {
      item.fullFailed = true;
      return;
    }
    const blob = new Blob([bytes.slice()], { type: String(msg.mime || item.mime || "image/png") });
    const decoding = decodeBlob(blob, Number(msg.width) || 0, Number(msg.height) || 0);
    if (!decoding) {
      item.fullFailed = true;
      return;
    }
    decoding.then(
      (d) => {
        if (this.host.destroyed() || !this.cache.has(item.item_id)) return d.close();
        dropImage(item);
        item.blob = blob; // a later re-decode (after eviction) gets the full image too
        item.isFull = true;
        setImage(item, d);
        if (!item.fullW) {
          item.fullW = d.width;
          item.fullH = d.height;
        }
        this.host.fullArrived(item);
      },
      () => {
        item.fullFailed = true;
        this.host.showError(`full-size image of ${item.item_id} could not be decoded`);
      },
    );
  }

  /** Close every decoded image and forget the items (the view is destroyed). */
  release(): void {
    for (const item of this.cache.values()) dropImage(item);
    for (const item of this.queue.clear()) dropImage(item);
    this.cache.clear();
  }
}
