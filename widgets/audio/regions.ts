/**
 * A clip's value for an AudioRegions task (workbench/kinds/audio/schema.py)
 * and the edits the widget makes to it. Values are immutable: every edit
 * returns a new one, so the undo history keeps snapshots. Times are seconds,
 * rounded to the microsecond as the kernel keeps them. Edits keep the value
 * valid for the kernel: start < end, inside the clip, no region twice, no
 * overlap unless the task allows it (a new region then replaces those it
 * overlaps), text only when the task has transcripts.
 */

export interface Region {
  id: string;
  start: number;
  end: number;
  class: string;
  attributes: Record<string, unknown>;
  text?: string;
  score?: number;
}

export interface RegionsValue {
  regions: Region[];
}

export const EMPTY: RegionsValue = Object.freeze({ regions: [] }) as RegionsValue;

/** Seconds to the microsecond, as the task stores them. */
export function roundTime(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** A value from the wire (a label, a suggestion, a plain list), kept only where well formed. */
export function parseValue(raw: unknown): RegionsValue {
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? (raw as { regions?: unknown }).regions : null;
  if (!Array.isArray(list)) return EMPTY;
  const out: Region[] = [];
  for (const r of list as Record<string, unknown>[]) {
    if (!r || typeof r !== "object" || !isNum(r.start) || !isNum(r.end) || typeof r.class !== "string" || !(r.start < r.end)) continue;
    const region: Region = {
      id: typeof r.id === "string" ? r.id : `r${out.length + 1}`,
      start: r.start,
      end: r.end,
      class: r.class,
      attributes: r.attributes && typeof r.attributes === "object" ? { ...(r.attributes as Record<string, unknown>) } : {},
    };
    if (typeof r.text === "string") region.text = r.text;
    if (isNum(r.score)) region.score = r.score;
    out.push(region);
  }
  return { regions: sorted(out) };
}

export function sorted(regions: Region[]): Region[] {
  return [...regions].sort((a, b) => a.start - b.start || a.end - b.end || (a.class < b.class ? -1 : a.class > b.class ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What goes in a label message: the value without suggestion scores. */
export function toWire(value: RegionsValue): RegionsValue {
  return {
    regions: value.regions.map((r) => {
      const out: Region = { id: r.id, start: r.start, end: r.end, class: r.class, attributes: { ...r.attributes } };
      if (r.text !== undefined) out.text = r.text;
      return out;
    }),
  };
}

export function sameValue(a: RegionsValue, b: RegionsValue): boolean {
  return JSON.stringify(toWire(a)) === JSON.stringify(toWire(b));
}

/** What identifies a suggestion across edits: its times and class. */
export function regionKey(r: Pick<Region, "start" | "end" | "class">): string {
  return `${r.start}:${r.end}:${r.class}`;
}

function newId(regions: Region[]): string {
  const used = new Set(regions.map((r) => r.id));
  let n = regions.length + 1;
  while (used.has(`r${n}`)) n++;
  return `r${n}`;
}

export interface AddOptions {
  overlap: boolean;
  duration: number;
  attributes?: Record<string, unknown>;
  text?: string | null;
  score?: number;
}

/** Add a region of `cls` over [start, end) (clipped to the clip); without overlap it replaces those it overlaps. */
export function addRegion(value: RegionsValue, start: number, end: number, cls: string, opts: AddOptions): { value: RegionsValue; id: string | null } {
  const s = roundTime(Math.max(0, Math.min(start, end)));
  const e = roundTime(Math.min(opts.duration, Math.max(start, end)));
  if (!(s < e)) return { value, id: null };
  let rest = value.regions.filter((r) => !(r.start === s && r.end === e && r.class === cls));
  if (!opts.overlap) rest = rest.filter((r) => r.end <= s || r.start >= e);
  const id = newId(rest);
  const region: Region = { id, start: s, end: e, class: cls, attributes: { ...(opts.attributes ?? {}) } };
  if (opts.text !== undefined && opts.text !== null) region.text = opts.text;
  return { value: { regions: sorted([...rest, region]) }, id };
}

export function removeRegions(value: RegionsValue, ids: string[]): RegionsValue {
  const gone = new Set(ids);
  return { regions: value.regions.filter((r) => !gone.has(r.id)) };
}

/** Give region `id` class `cls`; one identical to it (same times, that class) goes. */
export function relabel(value: RegionsValue, id: string, cls: string): RegionsValue {
  const r = value.regions.find((x) => x.id === id);
  if (!r || r.class === cls) return value;
  const rest = value.regions.filter((x) => x.id !== id && !(x.start === r.start && x.end === r.end && x.class === cls));
  return { regions: sorted([...rest, { ...r, class: cls }]) };
}

/** Move region `id`'s start or end to `t` (clipped, kept at least a millisecond long). */
export function setEdge(value: RegionsValue, id: string, edge: "start" | "end", t: number, duration: number, overlap: boolean): RegionsValue {
  const r = value.regions.find((x) => x.id === id);
  if (!r) return value;
  let start = r.start;
  let end = r.end;
  if (edge === "start") start = roundTime(Math.max(0, Math.min(t, end - 0.001)));
  else end = roundTime(Math.min(duration, Math.max(t, start + 0.001)));
  if (!overlap && value.regions.some((x) => x.id !== id && x.start < end && x.end > start)) return value;
  if (value.regions.some((x) => x.id !== id && x.start === start && x.end === end && x.class === r.class)) return value;
  return { regions: sorted(value.regions.map((x) => (x.id === id ? { ...x, start, end } : x))) };
}

export function setText(value: RegionsValue, id: string, text: string): RegionsValue {
  return { regions: value.regions.map((r) => (r.id === id ? { ...r, text } : r)) };
}

export function setAttribute(value: RegionsValue, id: string, name: string, v: unknown): RegionsValue {
  return { regions: value.regions.map((r) => (r.id === id ? { ...r, attributes: { ...r.attributes, [name]: v } } : r)) };
}

/** The regions under time `t`, innermost (shortest) first. */
export function regionsAt(value: RegionsValue, t: number): Region[] {
  return value.regions.filter((r) => r.start <= t && t <= r.end).sort((a, b) => a.end - a.start - (b.end - b.start));
}
