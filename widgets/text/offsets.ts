/**
 * Offsets between the two ways of counting a text's characters: Python `str`
 * indices (code points), which stored values use, and the UTF-16 code units
 * of the browser's strings and DOM ranges. They differ only by the astral
 * characters before a position (emoji, rare CJK, maths letters: two UTF-16
 * units, one code point). Combining marks and right-to-left text are one code
 * point per unit in both, and DOM offsets are in logical order, so they need
 * nothing. A lone surrogate is one code point in Python as in UTF-16.
 */

const HAS_SURROGATE = /[\uD800-\uDFFF]/;

export class Offsets {
  /** Length in code points (Python's `len`). */
  readonly length: number;
  /** UTF-16 position of each astral character (a surrogate pair), ascending; null when there is none. */
  private readonly pairs: Int32Array | null;

  constructor(readonly text: string) {
    if (!HAS_SURROGATE.test(text)) {
      this.pairs = null;
      this.length = text.length;
      return;
    }
    const found: number[] = [];
    const n = text.length;
    for (let i = 0; i < n - 1; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          found.push(i);
          i++;
        }
      }
    }
    this.pairs = found.length ? Int32Array.from(found) : null;
    this.length = n - found.length;
  }

  /** Pairs starting before UTF-16 position `u`. */
  private before16(u: number): number {
    const p = this.pairs!;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The UTF-16 position of code point offset `cp` (clamped to the text). */
  toUtf16(cp: number): number {
    const c = Math.max(0, Math.min(Math.floor(cp), this.length));
    const p = this.pairs;
    if (!p) return c;
    // The pair number i sits at code point p[i] - i: count those before c.
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid] - mid < c) lo = mid + 1;
      else hi = mid;
    }
    return c + lo;
  }

  /** The code point offset of UTF-16 position `u` (clamped); a position inside a pair counts as its start. */
  toCodePoint(u: number): number {
    const x = Math.max(0, Math.min(Math.floor(u), this.text.length));
    return this.pairs ? x - this.before16(x) : x;
  }

  /** `u` moved off the middle of a surrogate pair, to the pair's start. */
  align(u: number): number {
    return this.toUtf16(this.toCodePoint(u));
  }
}
