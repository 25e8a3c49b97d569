/**
 * The prefetch queue and the type-ahead buffer (parts of lib/supply.ts; the
 * review widget's type-ahead too).
 *
 * ItemQueue holds items already in the browser, in the kernel's priority order,
 * never the same id twice, and trims the cache of items a view keeps for
 * going back. TypeAhead holds key actions pressed while there was
 * no item to apply them to (a burst faster than the queue refills); they are
 * applied, in order, to the next items as they arrive, so no key is dropped.
 */

export class ItemQueue<T extends { item_id: string }> {
  private items: T[] = [];

  get length(): number {
    return this.items.length;
  }

  /** Append items whose id is neither queued nor rejected by `skip`; returns those added. */
  push(items: Iterable<T>, skip: (id: string) => boolean = () => false): T[] {
    const have = new Set(this.items.map((i) => i.item_id));
    const added: T[] = [];
    for (const item of items) {
      if (have.has(item.item_id) || skip(item.item_id)) continue;
      have.add(item.item_id);
      this.items.push(item);
      added.push(item);
    }
    return added;
  }

  /** Put an item back at the front (an item shown again after an undo). */
  unshift(item: T): void {
    this.remove(item.item_id);
    this.items.unshift(item);
  }

  shift(): T | undefined {
    return this.items.shift();
  }

  peek(): T | undefined {
    return this.items[0];
  }

  has(id: string): boolean {
    return this.items.some((i) => i.item_id === id);
  }

  remove(id: string): T | undefined {
    const at = this.items.findIndex((i) => i.item_id === id);
    return at < 0 ? undefined : this.items.splice(at, 1)[0];
  }

  ids(): string[] {
    return this.items.map((i) => i.item_id);
  }

  clear(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  /**
   * Forget the oldest items of `cache` (a view's items by id, in insertion
   * order) while it holds more than `limit` beyond those queued; queued items
   * and the ids in `keep` stay. `drop` frees each item forgotten.
   */
  trimCache(cache: Map<string, T>, limit: number, keep: (string | null)[], drop: (item: T) => void): void {
    if (cache.size <= limit + this.items.length) return;
    const spare = new Set<string>(this.ids());
    for (const id of keep) if (id) spare.add(id);
    for (const [id, it] of cache) {
      if (cache.size <= limit + this.items.length) break;
      if (spare.has(id)) continue;
      drop(it);
      cache.delete(id);
    }
  }
}

/** A pressed key waiting for an item: the action and the keydown's timestamp. */
export interface Pending<A> {
  action: A;
  t: number;
}

export class TypeAhead<A> {
  private buf: Pending<A>[] = [];
  /** Bound on what we hold; a stuck kernel should not grow it forever. */
  constructor(readonly limit = 10000) {}

  get length(): number {
    return this.buf.length;
  }

  /** Returns false (and keeps nothing) when full. */
  push(action: A, t: number): boolean {
    if (this.buf.length >= this.limit) return false;
    this.buf.push({ action, t });
    return true;
  }

  peek(): Pending<A> | undefined {
    return this.buf[0];
  }

  shift(): Pending<A> | undefined {
    return this.buf.shift();
  }

  /**
   * Apply the waiting keys in order until the first one `blocked` holds back
   * (asked again before each key: applying one may block the next); true when
   * one was applied.
   */
  drain(blocked: (a: A) => boolean, apply: (a: A, t: number) => void): boolean {
    let applied = false;
    while (this.buf.length) {
      const head = this.buf[0];
      if (blocked(head.action)) break;
      this.buf.shift();
      apply(head.action, head.t);
      applied = true;
    }
    return applied;
  }

  count(pred: (a: A) => boolean): number {
    return this.buf.reduce((n, p) => n + (pred(p.action) ? 1 : 0), 0);
  }

  clear(): Pending<A>[] {
    const out = this.buf;
    this.buf = [];
    return out;
  }
}
