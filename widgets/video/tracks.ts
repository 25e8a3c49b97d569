/**
 * A video's value for a VideoTracks task (workbench/kinds/video/schema.py),
 * the shapes of a frame (interpolated between keyframes exactly as
 * workbench/kinds/video/tracks.py does: linear between two keyframes in view,
 * held after the last until an outside keyframe, none before the first) and
 * the edits the widget makes. Values are immutable: every edit returns a new
 * one, so the undo history keeps snapshots.
 */

export type Box = [number, number, number, number];
export type Point = [number, number];

export interface Keyframe {
  frame: number;
  bbox?: Box;
  points?: Point[];
  outside: boolean;
  occluded: boolean;
  score?: number;
}

export interface Track {
  id: string;
  class: string;
  attributes: Record<string, unknown>;
  keyframes: Keyframe[];
}

export interface TracksValue {
  tracks: Track[];
}

/** A track's shape at a frame. */
export interface Shown {
  track: string;
  class: string;
  bbox?: Box;
  points?: Point[];
  occluded: boolean;
  keyframe: boolean;
}

export const EMPTY: TracksValue = Object.freeze({ tracks: [] }) as TracksValue;

const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function parseValue(raw: unknown): TracksValue {
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? (raw as { tracks?: unknown }).tracks : null;
  if (!Array.isArray(list)) return EMPTY;
  const tracks: Track[] = [];
  for (const t of list as Record<string, unknown>[]) {
    if (!t || typeof t !== "object" || typeof t.class !== "string" || !Array.isArray(t.keyframes)) continue;
    const keyframes: Keyframe[] = [];
    for (const k of t.keyframes as Record<string, unknown>[]) {
      if (!k || typeof k !== "object" || !Number.isInteger(k.frame)) continue;
      const kf: Keyframe = { frame: k.frame as number, outside: k.outside === true, occluded: k.occluded === true };
      if (Array.isArray(k.bbox) && k.bbox.length === 4 && k.bbox.every(num)) kf.bbox = [...(k.bbox as number[])] as Box;
      if (Array.isArray(k.points) && k.points.every((p) => Array.isArray(p) && p.length === 2 && p.every(num))) kf.points = (k.points as number[][]).map((p) => [p[0], p[1]] as Point);
      if (num(k.score)) kf.score = k.score;
      if (kf.outside || kf.bbox || kf.points) keyframes.push(kf);
    }
    if (!keyframes.length) continue;
    keyframes.sort((a, b) => a.frame - b.frame);
    tracks.push({ id: typeof t.id === "string" ? t.id : `t${tracks.length + 1}`, class: t.class, attributes: t.attributes && typeof t.attributes === "object" ? { ...(t.attributes as Record<string, unknown>) } : {}, keyframes });
  }
  return { tracks };
}

export function toWire(value: TracksValue): TracksValue {
  return {
    tracks: value.tracks.map((t) => ({
      id: t.id,
      class: t.class,
      attributes: { ...t.attributes },
      keyframes: t.keyframes.map((k) => {
        const out: Keyframe = { frame: k.frame, outside: k.outside, occluded: k.occluded };
        if (k.bbox) out.bbox = [...k.bbox] as Box;
        if (k.points) out.points = k.points.map((p) => [p[0], p[1]] as Point);
        return out;
      }),
    })),
  };
}

export function sameValue(a: TracksValue, b: TracksValue): boolean {
  return JSON.stringify(toWire(a)) === JSON.stringify(toWire(b));
}

/** The last keyframe at or before `frame` (its index), or -1. */
export function keyBefore(track: Track, frame: number): number {
  let lo = 0;
  let hi = track.keyframes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (track.keyframes[mid].frame <= frame) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function shapeAt(track: Track, frame: number): Shown | null {
  const i = keyBefore(track, frame);
  if (i < 0) return null;
  const a = track.keyframes[i];
  if (a.outside || (!a.bbox && !a.points)) return null;
  const out: Shown = { track: track.id, class: track.class, occluded: a.occluded, keyframe: a.frame === frame };
  const b = track.keyframes[i + 1];
  const hold = a.frame === frame || !b || b.outside || (a.bbox ? !b.bbox : !b.points);
  if (hold) {
    if (a.bbox) out.bbox = [...a.bbox] as Box;
    else out.points = a.points!.map((p) => [p[0], p[1]] as Point);
    return out;
  }
  const t = (frame - a.frame) / (b.frame - a.frame);
  if (a.bbox && b.bbox) out.bbox = a.bbox.map((x, j) => x + (b.bbox![j] - x) * t) as Box;
  else if (a.points && b.points && a.points.length === b.points.length) out.points = a.points.map((p, j) => [p[0] + (b.points![j][0] - p[0]) * t, p[1] + (b.points![j][1] - p[1]) * t] as Point);
  else out.points = a.points!.map((p) => [p[0], p[1]] as Point);
  return out;
}

export function shapesAt(value: TracksValue, frame: number): Shown[] {
  const out: Shown[] = [];
  for (const t of value.tracks) {
    const s = shapeAt(t, frame);
    if (s) out.push(s);
  }
  return out;
}

function newId(tracks: Track[]): string {
  const used = new Set(tracks.map((t) => t.id));
  let n = tracks.length + 1;
  while (used.has(`t${n}`)) n++;
  return `t${n}`;
}

const copy = (value: TracksValue): Track[] => value.tracks.map((t) => ({ ...t, attributes: { ...t.attributes }, keyframes: t.keyframes.map((k) => ({ ...k })) }));

function sortTracks(tracks: Track[]): TracksValue {
  return { tracks: [...tracks].sort((a, b) => a.keyframes[0].frame - b.keyframes[0].frame || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

/** A new track of `cls` with one keyframe (a box or polygon) at `frame`. */
export function addTrack(value: TracksValue, cls: string, frame: number, shape: { bbox?: Box; points?: Point[] }, attributes: Record<string, unknown> = {}): { value: TracksValue; id: string } {
  const tracks = copy(value);
  const id = newId(tracks);
  tracks.push({ id, class: cls, attributes: { ...attributes }, keyframes: [{ frame, ...shape, outside: false, occluded: false }] });
  return { value: sortTracks(tracks), id };
}

/** Track `id`'s keyframe at `frame` set (added or replaced), its flags kept from the shape shown there. */
export function setKeyframe(value: TracksValue, id: string, frame: number, shape: { bbox?: Box; points?: Point[] }, flags: Partial<Pick<Keyframe, "outside" | "occluded">> = {}): TracksValue {
  const tracks = copy(value);
  const t = tracks.find((x) => x.id === id);
  if (!t) return value;
  const shown = shapeAt(t, frame);
  const kf: Keyframe = { frame, ...shape, outside: flags.outside ?? false, occluded: flags.occluded ?? shown?.occluded ?? false };
  t.keyframes = [...t.keyframes.filter((k) => k.frame !== frame), kf].sort((a, b) => a.frame - b.frame);
  return sortTracks(tracks);
}

export function removeKeyframe(value: TracksValue, id: string, frame: number): TracksValue {
  const tracks = copy(value);
  const t = tracks.find((x) => x.id === id);
  if (!t) return value;
  t.keyframes = t.keyframes.filter((k) => k.frame !== frame);
  return sortTracks(tracks.filter((x) => x.keyframes.length > 0));
}

export function removeTracks(value: TracksValue, ids: string[]): TracksValue {
  const gone = new Set(ids);
  return { tracks: copy(value).filter((t) => !gone.has(t.id)) };
}

export function relabel(value: TracksValue, id: string, cls: string): TracksValue {
  return { tracks: copy(value).map((t) => (t.id === id ? { ...t, class: cls } : t)) };
}

/** The track leaves the view at `frame`: an outside keyframe there (the shape shown before it stays in the value). */
export function setOutside(value: TracksValue, id: string, frame: number): TracksValue {
  const tracks = copy(value);
  const t = tracks.find((x) => x.id === id);
  if (!t) return value;
  t.keyframes = [...t.keyframes.filter((k) => k.frame !== frame), { frame, outside: true, occluded: false }].sort((a, b) => a.frame - b.frame);
  if (!t.keyframes.some((k) => !k.outside)) return removeTracks(value, [id]);
  return sortTracks(tracks);
}

/** Toggle occluded at `frame`: a keyframe there with the shape shown and the flag flipped. */
export function toggleOccluded(value: TracksValue, id: string, frame: number): TracksValue {
  const t = value.tracks.find((x) => x.id === id);
  const shown = t ? shapeAt(t, frame) : null;
  if (!t || !shown) return value;
  return setKeyframe(value, id, frame, shown.bbox ? { bbox: shown.bbox } : { points: shown.points }, { occluded: !shown.occluded });
}

/** Cut track `id` at `frame` (as workbench.kinds.video.tracks.split_track): the first part keeps
 * its shapes (a keyframe at frame - 1 when the shape there was interpolated) and ends there
 * (outside); a new track goes on from `frame` with the shape shown. */
export function splitTrack(value: TracksValue, id: string, frame: number): { value: TracksValue; id: string | null } {
  const t = value.tracks.find((x) => x.id === id);
  const shown = t ? shapeAt(t, frame) : null;
  if (!t || !shown || !t.keyframes.some((k) => k.frame < frame)) return { value, id: null };
  const tracks = copy(value);
  const a = tracks.find((x) => x.id === id)!;
  const after = a.keyframes.filter((k) => k.frame > frame);
  const before = a.keyframes.filter((k) => k.frame < frame);
  const last = shapeAt(t, frame - 1);
  if (last && before[before.length - 1].frame < frame - 1) before.push({ frame: frame - 1, ...geometry(last), outside: false, occluded: last.occluded });
  a.keyframes = [...before, { frame, outside: true, occluded: false }];
  const nid = newId(tracks);
  tracks.push({ id: nid, class: a.class, attributes: { ...a.attributes }, keyframes: [{ frame, ...geometry(shown), outside: false, occluded: shown.occluded }, ...after] });
  return { value: sortTracks(tracks), id: nid };
}

function geometry(s: Shown): { bbox?: Box; points?: Point[] } {
  return s.bbox ? { bbox: s.bbox } : { points: s.points };
}

/** Fold track `other` into `keep` (as workbench.kinds.video.tracks.merge_tracks): keep's class and
 * attributes; at a frame where both have a keyframe the one in view wins; an outside keyframe
 * where the other part shows the object becomes that shape; around the cut, keyframes that
 * interpolation gives back go. */
export function mergeTracks(value: TracksValue, keep: string, other: string): TracksValue {
  if (keep === other) return value;
  const tracks = copy(value);
  const a = tracks.find((x) => x.id === keep);
  const b = tracks.find((x) => x.id === other);
  if (!a || !b) return value;
  const keys = new Map<number, [Track, Keyframe]>();
  for (const k of b.keyframes) keys.set(k.frame, [b, k]);
  for (const k of a.keyframes) {
    const there = keys.get(k.frame);
    if (there && k.outside && !there[1].outside) continue;
    keys.set(k.frame, [a, k]);
  }
  const cuts = new Set([...a.keyframes, ...b.keyframes].filter((k) => k.outside).map((k) => k.frame));
  const merged: Keyframe[] = [...keys.keys()].sort((x, y) => x - y).map((f) => {
    const [owner, k] = keys.get(f)!;
    if (!k.outside) return k;
    const shown = shapeAt(owner === a ? b : a, f);
    return shown ? { frame: f, ...geometry(shown), outside: false, occluded: shown.occluded } : k;
  });
  const near = new Set([...cuts].flatMap((f) => [f - 1, f]));
  const kept: Keyframe[] = [];
  merged.forEach((k, n) => {
    const after = merged[n + 1];
    if (near.has(k.frame) && kept.length && after && redundant(kept[kept.length - 1], k, after)) return;
    kept.push(k);
  });
  a.keyframes = kept;
  return sortTracks(tracks.filter((x) => x !== b));
}

function redundant(a: Keyframe, k: Keyframe, b: Keyframe): boolean {
  if (a.outside || k.outside || b.outside || k.score !== undefined || a.occluded !== k.occluded) return false;
  const shown = shapeAt({ id: "", class: "", attributes: {}, keyframes: [a, b] }, k.frame);
  if (!shown) return false;
  const got = (shown.bbox ?? shown.points?.flat()) as number[] | undefined;
  const want = (k.bbox ?? k.points?.flat()) as number[] | undefined;
  return !!got && !!want && got.length === want.length && got.every((v, j) => Math.abs(v - want[j]) <= 1e-9);
}

/** Frames of track `id`'s keyframes. */
export function keyframesOf(value: TracksValue, id: string | null): number[] {
  const t = id ? value.tracks.find((x) => x.id === id) : undefined;
  return t ? t.keyframes.map((k) => k.frame) : [];
}
