/**
 * Selection in a grid of `n` tiles: a cursor, an anchor for ranges, and the set
 * of selected indices. Mouse: click selects one, shift-click a range from the
 * anchor, ctrl/cmd-click toggles one. Keys: arrows move the cursor (shift
 * extends the range), space toggles, select all, clear.
 */

export class GridSelection {
  readonly selected = new Set<number>();
  cursor = 0;
  anchor: number | null = null;
  private n = 0;

  constructor(n = 0) {
    this.reset(n);
  }

  get size(): number {
    return this.n;
  }

  reset(n: number): void {
    this.n = Math.max(0, n);
    this.selected.clear();
    this.cursor = 0;
    this.anchor = null;
  }

  private clamp(i: number): number {
    return Math.min(Math.max(0, i), Math.max(0, this.n - 1));
  }

  private range(a: number, b: number): number[] {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  }

  click(i: number, { shift = false, toggle = false }: { shift?: boolean; toggle?: boolean } = {}): void {
    if (this.n === 0) return;
    i = this.clamp(i);
    if (shift && this.anchor !== null) {
      if (!toggle) this.selected.clear();
      for (const k of this.range(this.anchor, i)) this.selected.add(k);
    } else if (toggle) {
      if (this.selected.has(i)) this.selected.delete(i);
      else this.selected.add(i);
      this.anchor = i;
    } else {
      this.selected.clear();
      this.selected.add(i);
      this.anchor = i;
    }
    this.cursor = i;
  }

  /** Move the cursor by `delta` tiles; with `extend`, select from the anchor to it. */
  move(delta: number, extend = false): void {
    if (this.n === 0) return;
    const from = this.cursor;
    this.cursor = this.clamp(this.cursor + delta);
    if (extend) {
      if (this.anchor === null) this.anchor = from;
      this.selected.clear();
      for (const k of this.range(this.anchor, this.cursor)) this.selected.add(k);
    } else {
      this.anchor = this.cursor;
    }
  }

  toggleCursor(): void {
    if (this.n === 0) return;
    if (this.selected.has(this.cursor)) this.selected.delete(this.cursor);
    else this.selected.add(this.cursor);
    this.anchor = this.cursor;
  }

  selectAll(): void {
    for (let i = 0; i < this.n; i++) this.selected.add(i);
  }

  clear(): void {
    this.selected.clear();
    this.anchor = null;
  }

  /** What a class key labels: the selection in order, or the cursor's tile when none. */
  targets(): number[] {
    if (this.selected.size) return [...this.selected].sort((a, b) => a - b);
    return this.n ? [this.cursor] : [];
  }
}
