/**
 * Videos in the browser and what the view holds per video: its size, frame
 * count and rate, the frames it fetched (decoded images, kept near the
 * playhead), its tracks as this view knows them (its own edits, else the
 * newest label still in the outbox, else the stored label), their undo
 * history and the suggestions rejected here.
 */

import type { ItemEdit } from "../lib/snapshots";
import { toBytes, type WireItem } from "../lib/protocol";
import { parseValue, type Track, type TracksValue } from "./tracks";

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

/** Suggested tracks still to decide on: not rejected here, not accepted (no track of the value has their first keyframe). */
export function openSuggestions(item: VideoItem, edit: ItemEdit<TracksValue>): Track[] {
  const have = new Set(edit.value.tracks.map((t) => JSON.stringify(t.keyframes[0])));
  return item.suggestions.filter((s) => !edit.rejected.has(s.id) && !have.has(JSON.stringify({ ...s.keyframes[0], score: undefined })) && !have.has(JSON.stringify(s.keyframes[0])));
}
