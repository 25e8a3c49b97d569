/**
 * The drawing widget's items: the shared item supply (lib/supply.ts: prefetch
 * queue, cache, `need` and `item` requests, going back) plus what only this
 * widget does with images: decoding kept to the items that may be shown soon,
 * and the full-size image asked for once when zooming makes the sent one
 * coarser than the screen (`full`).
 */

import { now } from "../lib/dom";
import { toBytes, type KernelMessage } from "../lib/protocol";
import { ItemSupply, type SupplyHost } from "../lib/supply";
import { REQUEST_TIMEOUT_MS } from "../lib/view";
import { decodeBlob, dropImage, makeItem, setImage, type Item } from "./items";

/** Items kept in memory beyond those queued, for going back. */
const CACHE_LIMIT = 200;
/** Decoded images kept for items already left (going back is instant for these). */
const KEEP_DECODED = 3;
/** Queued items decoded ahead (a 4096² bitmap is 64 MB: not the whole queue). */
const DECODE_AHEAD = 3;

/** What the drawing supply needs from its view. */
export interface DrawingHost {
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

/** Items left here are not asked for again; no type-ahead (a key without an item does nothing). */
export class DrawingSupply extends ItemSupply<Item> {
  constructor(private readonly view: DrawingHost) {
    const host: SupplyHost<Item> = {
      clientId: view.clientId,
      nextReq: () => view.nextReq(),
      send: (msg) => view.send(msg),
      prefetch: () => view.prefetch(),
      destroyed: () => view.destroyed(),
      make: makeItem,
      drop: dropImage,
      remembered: (item, old) => {
        if (old) item.fullFailed = old.fullFailed; // keep what the view learnt about it
        view.remembered(item);
      },
      showError: (text) => view.showError(text),
    };
    super(host, { cacheLimit: CACHE_LIMIT, refuseLeft: true });
  }

  /** Every tick: a full-size image unanswered is asked again, then whatever is missing. */
  poll(scale: number): void {
    const item = this.shownItem();
    if (item?.fullAsk && now() - item.fullAsk.at > REQUEST_TIMEOUT_MS) item.fullAsk = null; // unanswered: ask again
    this.checkFull(scale);
    this.ensure();
  }

  /** An error answering request `req` of this view: a need or a full-size image is no longer waited for. */
  onError(req: unknown): void {
    super.onError(req);
    const asked = [...this.cache.values()].find((it) => it.fullAsk?.req === req);
    if (asked) {
      asked.fullAsk = null;
      asked.fullFailed = true;
    }
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
        if (this.view.destroyed() || gen !== item.decodeGen) return d.close();
        setImage(item, d);
        this.view.imageArrived(item, d.width, d.height);
      },
      (err) => {
        if (gen !== item.decodeGen) return;
        item.imageState = "failed";
        item.imageError = String((err as Error)?.message ?? err);
        this.view.imageArrived(item, 0, 0);
      },
    );
  }

  /** Keep decoded only the images that may be shown soon: the next few queued, the shown one, the last few left. */
  keepImages(): void {
    const keep = new Set<string>(this.queue.ids().slice(0, DECODE_AHEAD));
    if (this.current) keep.add(this.current);
    const shown = this.shownId();
    if (shown) keep.add(shown);
    for (const id of this.left.slice(-KEEP_DECODED)) keep.add(id);
    if (this.prevShown) keep.add(this.prevShown);
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
    const req = this.view.nextReq();
    item.fullAsk = { req, at: now() };
    this.view.send({ type: "full", client_id: this.view.clientId, req, item_id: item.item_id });
  }

  /** `full`, the answer to a full-size request: decode it and show it in place of the sent image. */
  onFull(msg: KernelMessage, buffers: unknown[]): void {
    const item = this.cache.get(String(msg.item_id));
    if (!item || !item.fullAsk || item.fullAsk.req !== msg.req) return;
    item.fullAsk = null;
    if (msg.error) {
      item.fullFailed = true;
      this.view.showError(`full-size image of ${item.item_id}: ${String(msg.error)}`);
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
        if (this.view.destroyed() || !this.cache.has(item.item_id)) return d.close();
        dropImage(item);
        item.blob = blob; // a later re-decode (after eviction) gets the full image too
        item.isFull = true;
        setImage(item, d);
        if (!item.fullW) {
          item.fullW = d.width;
          item.fullH = d.height;
        }
        this.view.fullArrived(item);
      },
      () => {
        item.fullFailed = true;
        this.view.showError(`full-size image of ${item.item_id} could not be decoded`);
      },
    );
  }
}
