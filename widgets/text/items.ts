/**
 * Text items in the browser and what the view holds per item: the item's
 * spans and relations as this view knows them (its own edits, else the newest
 * label for the item still in the outbox, else the stored label), their undo
 * history, and the suggestions rejected here.
 */

import { History } from "../lib/history";
import type { LabelMessage, WireItem } from "../lib/protocol";
import { Offsets } from "./offsets";
import { EMPTY, parseValue, spanKey, type Span, type SpansValue } from "./spans";
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

/** What this view holds about one item. */
export class ItemEdit {
  readonly history = new History<SpansValue>(500);
  readonly rejected = new Set<string>();
  /** The user changed the value in this view. */
  changed = false;
  /** The newest value the kernel stored from this view (the item's value when shown, before that), and its seq. */
  stored: SpansValue;
  storedSeq = 0;
  constructor(public value: SpansValue) {
    this.stored = value;
  }
}

/** The value of the newest label for `itemId` still in the outbox (not acknowledged), or null. */
export function pendingValue(entries: Iterable<LabelMessage>, task: string, itemId: string): SpansValue | null {
  let best: LabelMessage | null = null;
  for (const e of entries) {
    if (e.item_id !== itemId || e.task !== task || e.kind !== "label") continue;
    if (!best || e.created > best.created || (e.created === best.created && e.seq > best.seq)) best = e;
  }
  return best ? parseValue(best.value) : null;
}

/** The value to start from when an item is first shown. */
export function startValue(item: TextItem, pending: SpansValue | null): SpansValue {
  if (pending) return pending;
  if (item.state === "label" && item.label !== undefined) return parseValue(item.label);
  return EMPTY;
}

/** The suggestions still to decide on: not rejected here, and no span of the value has their offsets (accepted, as their class or another). */
export function openSuggestions(item: TextItem, edit: ItemEdit): Span[] {
  const have = new Set(edit.value.spans.map((s) => `${s.start}:${s.end}`));
  return item.suggestions.filter((s) => !edit.rejected.has(spanKey(s)) && !have.has(`${s.start}:${s.end}`));
}
