/**
 * What a view that stores an item's whole value on every change holds per item
 * (the text, audio and video views): the value as this view knows it, its undo
 * history, and the labels on their way.
 *
 * - `editOf(item)`: the item's edit, started from the newest label for it still
 *   in the outbox (a reload's), else its stored label, else the empty value;
 * - `commit(item, value)`: the item's value becomes `value`, one label (and one
 *   undo step) when it differs;
 * - `undoRedo(item, which)`: back or forward one step, one label;
 * - `answer(clientId, seq, ok)`: the kernel stored or refused a label; a refused
 *   value must not stay the item's (each later change would carry it and be
 *   refused too): the item goes back to its newest value still on its way, else
 *   the last one stored.
 */

import { now } from "./dom";
import { History } from "./history";
import type { LabelMessage, WireItem } from "./protocol";
import type { LabelSender } from "./sender";
import { pushLast } from "./timings";

/** What a view holds about one item. */
export class ItemEdit<V> {
  readonly history = new History<V>(500);
  /** Suggestions rejected in this view (their keys). */
  readonly rejected = new Set<string>();
  /** The user changed the value in this view. */
  changed = false;
  /** The newest value the kernel stored from this view (the item's value when shown, before that), and its seq. */
  stored: V;
  storedSeq = 0;
  constructor(public value: V) {
    this.stored = value;
  }
}

/** The value of the newest label for `itemId` still in the outbox, parsed, or null. */
export function pendingValue<V>(entries: Iterable<LabelMessage>, task: string, itemId: string, parse: (raw: unknown) => V): V | null {
  let best: LabelMessage | null = null;
  for (const e of entries) {
    if (e.item_id !== itemId || e.task !== task || e.kind !== "label") continue;
    if (!best || e.created > best.created || (e.created === best.created && e.seq > best.seq)) best = e;
  }
  return best ? parse(best.value) : null;
}

/** The value to start from when an item is first shown: a pending label's, else its stored label, else `empty`. */
export function startValue<V>(item: WireItem, pending: V | null, parse: (raw: unknown) => V, empty: V): V {
  if (pending) return pending;
  if (item.state === "label" && item.label !== undefined) return parse(item.label);
  return empty;
}

export interface SnapshotHost<V> {
  readonly task: string;
  readonly sender: LabelSender;
  readonly clientId: string;
  parse(raw: unknown): V;
  same(a: V, b: V): boolean;
  /** What goes in a label message. */
  wire(value: V): unknown;
  empty: V;
  /** The item shown (a refused label repaints it). */
  shownId(): string | null;
  repaint(): void;
}

export class Snapshots<V> {
  readonly edits = new Map<string, ItemEdit<V>>();
  /** This view's labels not answered yet: seq → the item and the value sent. */
  private readonly unanswered = new Map<number, { itemId: string; value: V }>();
  /** When labels were made (the progress line's rate). */
  readonly labelTimes: number[] = [];
  /** When the shown item was shown (a label's duration). */
  shownSince = now();

  constructor(private readonly host: SnapshotHost<V>) {}

  editOf(item: WireItem): ItemEdit<V> {
    let ed = this.edits.get(item.item_id);
    if (!ed) {
      const h = this.host;
      ed = new ItemEdit(startValue(item, pendingValue(h.sender.outbox.entries(), h.task, item.item_id, (r) => h.parse(r)), (r) => h.parse(r), h.empty));
      this.edits.set(item.item_id, ed);
    }
    return ed;
  }

  has(itemId: string): boolean {
    return this.edits.has(itemId);
  }

  /** The item's value becomes `value`; true when that changed it (one label, one undo step). */
  commit(item: WireItem, value: V): boolean {
    const ed = this.editOf(item);
    if (this.host.same(ed.value, value)) return false;
    ed.history.push(ed.value);
    ed.value = value;
    ed.changed = true;
    this.post(item, value);
    return true;
  }

  /** Undo or redo one step (one label); the value moved to, or null when there was none. */
  undoRedo(item: WireItem, which: "undo" | "redo"): V | null {
    const ed = this.editOf(item);
    const to = which === "undo" ? ed.history.undo(ed.value) : ed.history.redo(ed.value);
    if (!to) return null;
    ed.value = to;
    ed.changed = true;
    this.post(item, to);
    return to;
  }

  post(item: WireItem, value: V): void {
    const at = now();
    const msg = this.host.sender.post({ item_id: item.item_id, task: this.host.task, kind: "label", value: this.host.wire(value), duration_ms: Math.max(0, Math.round(at - this.shownSince)) });
    this.unanswered.set(msg.seq, { itemId: item.item_id, value });
    pushLast(this.labelTimes, at, 1000);
  }

  /** Enter on an item this view did not change: its value confirmed (nothing here, or the state under review). */
  confirm(item: WireItem & { issue?: unknown }): void {
    const ed = this.editOf(item);
    if (!ed.changed && (item.state !== "label" || item.issue)) {
      this.post(item, ed.value);
      ed.changed = true;
    }
  }

  /** The kernel stored (`ok`) or refused this view's label `seq` (see the module docstring). */
  answer(clientId: string, seq: number, ok: boolean): void {
    if (clientId !== this.host.clientId) return;
    const sent = this.unanswered.get(seq);
    if (!sent) return;
    this.unanswered.delete(seq);
    const ed = this.edits.get(sent.itemId);
    if (!ed) return;
    if (ok) {
      if (seq > ed.storedSeq) {
        ed.storedSeq = seq;
        ed.stored = sent.value;
      }
      return;
    }
    let back: V = ed.stored;
    let newest = ed.storedSeq;
    for (const [s, other] of this.unanswered) {
      if (other.itemId === sent.itemId && s > newest) {
        newest = s;
        back = other.value;
      }
    }
    if (this.host.same(back, ed.value)) return;
    ed.history.push(ed.value);
    ed.value = back;
    if (this.host.shownId() === sent.itemId) this.host.repaint();
  }
}
