/**
 * The tokenizers of workbench/kinds/spans/schema.py (`tokenize`, `snap`),
 * mirrored so that the widget snaps a selection where the kernel expects
 * spans to start and end. Python's `\s` is `str.isspace()` (listed below:
 * JavaScript's `\s` differs in U+001C–U+001F, U+0085 and U+FEFF) and its
 * `\w` is `str.isalnum()` or "_" (letters and numbers: combining marks are
 * not word characters, in either). Offsets here are UTF-16; the `u` flag
 * keeps every token whole on surrogate pairs, so they convert exactly.
 */

export const TOKENIZERS = ["whitespace", "words"] as const;
export type Tokenizer = (typeof TOKENIZERS)[number];

/** Python's whitespace (`str.isspace`), as a character-class body. */
const SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WORD = "\\p{L}\\p{N}_";
const PATTERNS: Record<Tokenizer, string> = {
  whitespace: `[^${SPACE}]+`,
  words: `[${WORD}]+|[^${WORD}${SPACE}]`,
};

/** A token's [start, end) in UTF-16 units. */
export type Token = [number, number];

/** The tokens of `text` by the named tokenizer, in order. */
export function tokenize(text: string, tokenizer: Tokenizer): Token[] {
  const re = new RegExp(PATTERNS[tokenizer], "gu");
  const out: Token[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push([m.index, m.index + m[0].length]);
  return out;
}

/** Index of the first token ending after `pos` (tokens.length when none). */
export function tokenAfter(tokens: Token[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid][1] <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `[start, end)` grown to the tokens it touches (the first one's start to the
 * last one's end), or null when it touches none (only spaces): `snap` of
 * schema.py. An empty range touches the token it sits inside.
 */
export function snap(tokens: Token[], start: number, end: number): Token | null {
  const first = tokenAfter(tokens, start);
  if (first >= tokens.length) return null;
  const t0 = tokens[first];
  if (end <= start) return t0[0] < start ? [t0[0], t0[1]] : null;
  if (t0[0] >= end) return null;
  let last = first;
  while (last + 1 < tokens.length && tokens[last + 1][0] < end) last++;
  return [t0[0], tokens[last][1]];
}
