/**
 * Undo / redo of snapshots (the annotate view keeps an item's whole shapes
 * list; shapes are immutable, so a snapshot is an array copy).
 *
 * Before each change the caller pushes the state it is about to leave;
 * undo(current) hands back the state to restore and remembers `current` for
 * redo. A new change clears the redo side. At most `limit` undo steps are
 * kept; the oldest go first.
 */

export class History<T> {
  private past: T[] = [];
  private future: T[] = [];
  readonly limit: number;

  constructor(limit = 500) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`History limit must be an int >= 1; got ${limit}`);
    this.limit = limit;
  }

  /** Remember `prev`, the state before a change; clears redo. */
  push(prev: T): void {
    this.past.push(prev);
    if (this.past.length > this.limit) this.past.splice(0, this.past.length - this.limit);
    this.future.length = 0;
  }

  /** The state to restore, or null when there is nothing to undo; `current` becomes redoable. */
  undo(current: T): T | null {
    if (!this.past.length) return null;
    this.future.push(current);
    return this.past.pop()!;
  }

  /** The state undone last, or null; `current` becomes undoable again. */
  redo(current: T): T | null {
    if (!this.future.length) return null;
    this.past.push(current);
    if (this.past.length > this.limit) this.past.splice(0, this.past.length - this.limit);
    return this.future.pop()!;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Undo steps held. */
  get undoDepth(): number {
    return this.past.length;
  }

  /** Redo steps held. */
  get redoDepth(): number {
    return this.future.length;
  }

  /** Forget everything (a new item). */
  clear(): void {
    this.past.length = 0;
    this.future.length = 0;
  }
}
