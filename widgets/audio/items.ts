/**
 * Audio clips in the browser and what the view holds per clip: its
 * whole-clip waveform (min/max pairs sent with the item), the zoomed
 * waveform it asked for last, its regions as this view knows them (its own
 * edits, else the newest label still in the outbox, else the stored label),
 * their undo history and the suggestions rejected here.
 */

import type { ItemEdit } from "../lib/snapshots";
import { toBytes, type WireItem } from "../lib/protocol";
import { parseValue, regionKey, type Region, type RegionsValue } from "./regions";

/** A waveform: `bins` (min, max) pairs over [start, end) seconds. */
export interface Peaks {
  start: number;
  end: number;
  min: Float32Array;
  max: Float32Array;
}

export interface AudioItem extends WireItem {
  duration: number;
  sampleRate: number;
  /** The whole clip's waveform. */
  overview: Peaks | null;
  /** The waveform of the window asked for last (zoomed in), or null. */
  zoomed: Peaks | null;
  suggestions: Region[];
  laterPrelabel: { value: unknown; score: number | null } | null;
}

/** Pairs of float32 (min, max) from a buffer. */
export function readPeaks(buf: unknown, start: number, end: number): Peaks | null {
  const bytes = toBytes(buf);
  if (!bytes || bytes.byteLength % 8 !== 0) return null;
  const copy = new Float32Array(bytes.slice().buffer);
  const n = copy.length / 2;
  const min = new Float32Array(n);
  const max = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    min[i] = copy[2 * i];
    max[i] = copy[2 * i + 1];
  }
  return { start, end, min, max };
}

export function makeItem(w: WireItem, buffers: unknown[]): AudioItem {
  const duration = typeof w.duration === "number" && Number.isFinite(w.duration) ? w.duration : 0;
  const item: AudioItem = {
    ...w,
    duration,
    sampleRate: typeof w.sample_rate === "number" ? w.sample_rate : 0,
    overview: w.kind === "audio" && typeof w.buffer === "number" ? readPeaks(buffers[w.buffer], 0, duration) : null,
    zoomed: null,
    suggestions: [],
    laterPrelabel: null,
  };
  setPrelabel(item, w.prelabel ?? null);
  return item;
}

/** The item's suggestions from a pre-label `{value, score}`; a region's own score wins over the item's. */
export function setPrelabel(item: AudioItem, pre: { value: unknown; score: number | null } | null): void {
  item.prelabel = pre ?? undefined;
  const score = typeof pre?.score === "number" ? pre.score : undefined;
  item.suggestions = parseValue(pre?.value).regions.map((r) => (r.score === undefined && score !== undefined ? { ...r, score } : r));
}

/** Suggestions still to decide on: not rejected here, and no region of the value has their times. */
export function openSuggestions(item: AudioItem, edit: ItemEdit<RegionsValue>): Region[] {
  const have = new Set(edit.value.regions.map((r) => `${r.start}:${r.end}`));
  return item.suggestions.filter((s) => !edit.rejected.has(regionKey(s)) && !have.has(`${s.start}:${s.end}`));
}
