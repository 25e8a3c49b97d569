/**
 * Text items in the browser and what the view holds per item: the item's
 * spans and relations as this view knows them (its own edits, else the newest
 * label for the item still in the outbox, else the stored label), their undo
 * history, and the suggestions rejected here.
 */

import type { WireItem } from "../lib/protocol";
import type { ItemEdit } from "../lib/snapshots";
import { Offsets } from "./offsets";
import { parseValue, spanKey, type Span, type SpansValue } from "./spans";
import { tokenize, type Token, type Tokenizer } from "./tokens";

export interface TextItem extends WireItem {
  text: string;
  /** The model's suggested spans (code points, with their scores). */
  suggestions: Span[];
  /** The suggestion's relations (between suggestion ids). */
  suggestedRelations: SpansValue["relations"];
  /** Suggestions that came while the item was being edited: taken when it is shown again. */
  laterPrelabel: { value: unknown; score: number | null } | null;
  offsetsCache: Offsets | null;
  tokenCache: Map<Tokenizer, Token[]>;
}

export function makeItem(w: WireItem): TextItem {
  const item: TextItem = {
    ...w,
    text: typeof w.text === "string" ? w.text : "",
    suggestions: [],
    suggestedRelations: [],
    laterPrelabel: null,
    offsetsCache: null,
    tokenCache: new Map(),
  };
  setPrelabel(item, w.prelabel ?? null);
  return item;
}

/** The item's suggestions from a pre-label `{value, score}`; a span's own score wins over the item's. */
export function setPrelabel(item: TextItem, pre: { value: unknown; score: number | null } | null): void {
  item.prelabel = pre ?? undefined;
  const v = parseValue(pre?.value);
  const score = typeof pre?.score === "number" ? pre.score : undefined;
  item.suggestions = v.spans.map((s) => (s.score === undefined && score !== undefined ? { ...s, score } : s));
  item.suggestedRelations = v.relations;
}

export function offsetsOf(item: TextItem): Offsets {
  return (item.offsetsCache ??= new Offsets(item.text));
}

export function tokensOf(item: TextItem, tokenizer: Tokenizer): Token[] {
  let t = item.tokenCache.get(tokenizer);
  if (!t) {
    t = tokenize(item.text, tokenizer);
    item.tokenCache.set(tokenizer, t);
  }
  return t;
}

/** The suggestions still to decide on: not rejected here, and no span of the value has their offsets (accepted, as their class or another). */
export function openSuggestions(item: TextItem, edit: ItemEdit<SpansValue>): Span[] {
  const have = new Set(edit.value.spans.map((s) => `${s.start}:${s.end}`));
  return item.suggestions.filter((s) => !edit.rejected.has(spanKey(s)) && !have.has(`${s.start}:${s.end}`));
}
