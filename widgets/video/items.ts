/**
 * Videos in the browser and what the view holds per video: its size, frame
 * count and rate, the frames it fetched (decoded images, kept near the
 * playhead), its tracks as this view knows them (its own edits, else the
 * newest label still in the outbox, else the stored label), their undo
 * history and the suggestions rejected here.
 */

import { History } from "../lib/history";
import { toBytes, type LabelMessage, type WireItem } from "../lib/protocol";
import { EMPTY, parseValue, type Track, type TracksValue } from "./tracks";

export interface VideoItem extends WireItem {
  frames: number;
  fps: number;
  fullWidth: number;
  fullHeight: number;
  suggestions: Track[];
  laterPrelabel: { value: unknown; score: number | null } | null;
  /** The first frame as sent with the item (bytes and type), decoded on first use. */
  first: { bytes: Uint8Array; mime: string } | null;
}

export function makeItem(w: WireItem & { frames?: number; fps?: number }, buffers: unknown[]): VideoItem {
  const bytes = w.kind === "video" && typeof w.buffer === "number" ? toBytes(buffers[w.buffer]) : null;
  const item: VideoItem = {
    ...w,
    frames: Number.isInteger(w.frames) ? (w.frames as number) : 0,
    fps: typeof w.fps === "number" && w.fps > 0 ? w.fps : 25,
    fullWidth: w.full_width ?? w.width ?? 0,
    fullHeight: w.full_height ?? w.height ?? 0,
    suggestions: [],
    laterPrelabel: null,
    first: bytes ? { bytes: bytes.slice(), mime: w.mime ?? "image/jpeg" } : null,
  };
  setPrelabel(item, w.prelabel ?? null);
  return item;
}

export function setPrelabel(item: VideoItem, pre: { value: unknown; score: number | null } | null): void {
  item.prelabel = pre ?? undefined;
  item.suggestions = parseValue(pre?.value).tracks;
}

export class ItemEdit {
  readonly history = new History<TracksValue>(500);
  readonly rejected = new Set<string>();
  changed = false;
  stored: TracksValue;
  storedSeq = 0;
  constructor(public value: TracksValue) {
    this.stored = value;
  }
}

export function pendingValue(entries: Iterable<LabelMessage>, task: string, itemId: string): TracksValue | null {
  let best: LabelMessage | null = null;
  for (const e of entries) {
    if (e.item_id !== itemId || e.task !== task || e.kind !== "label") continue;
    if (!best || e.created > best.created || (e.created === best.created && e.seq > best.seq)) best = e;
  }
  return best ? parseValue(best.value) : null;
}

export function startValue(item: VideoItem, pending: TracksValue | null): TracksValue {
  if (pending) return pending;
  if (item.state === "label" && item.label !== undefined) return parseValue(item.label);
  return EMPTY;
}

/** Suggested tracks still to decide on: not rejected here, not accepted (no track of the value has their first keyframe). */
export function openSuggestions(item: VideoItem, edit: ItemEdit): Track[] {
  const have = new Set(edit.value.tracks.map((t) => JSON.stringify(t.keyframes[0])));
  return item.suggestions.filter((s) => !edit.rejected.has(s.id) && !have.has(JSON.stringify({ ...s.keyframes[0], score: undefined })) && !have.has(JSON.stringify(s.keyframes[0])));
}
