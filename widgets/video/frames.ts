/**
 * The frames of the video shown: asked of the kernel in runs (`frames`
 * message), decoded (createImageBitmap, else an <img>), kept near the
 * playhead, the next ones asked for before they are needed.
 */

import { toBytes } from "../lib/protocol";

/** Frames asked for in one message. */
export const RUN = 8;
/** Frames kept ahead of and behind the playhead. */
export const AHEAD = 24;
export const BEHIND = 8;
/** Most frames held decoded. */
export const HOLD = 160;

export type Picture = ImageBitmap | HTMLImageElement;

export interface FrameHost {
  ask(start: number, count: number): void;
}

export class FrameCache {
  private readonly pictures = new Map<number, Picture>();
  private readonly asked = new Set<number>();
  /** Frames decoded and kept (the benchmark counts them). */
  received = 0;

  constructor(private readonly host: FrameHost, readonly frames: number) {}

  get(frame: number): Picture | undefined {
    return this.pictures.get(frame);
  }

  has(frame: number): boolean {
    return this.pictures.has(frame);
  }

  /** The nearest frame held at or before `frame` (what to show while it comes). */
  nearest(frame: number): Picture | undefined {
    for (let f = frame; f >= Math.max(0, frame - AHEAD); f--) {
      const p = this.pictures.get(f);
      if (p) return p;
    }
    return undefined;
  }

  /** Ask for the frames around `frame` not held or asked for yet, in runs; drop far ones. */
  want(frame: number, ahead = AHEAD): void {
    const lo = Math.max(0, frame - (ahead > 0 ? BEHIND : 0));
    const hi = Math.min(this.frames - 1, frame + ahead);
    // The playhead's own run first, then on ahead, then behind.
    const order: number[] = [];
    for (let f = frame; f <= hi; f++) order.push(f);
    for (let f = frame - 1; f >= lo; f--) order.push(f);
    let inFlight = this.asked.size;
    for (const f of order) {
      if (inFlight >= 3 * RUN) break;
      if (this.pictures.has(f) || this.asked.has(f)) continue;
      let n = 0;
      while (n < Math.max(1, Math.min(RUN, ahead)) && f + n <= hi && !this.pictures.has(f + n) && !this.asked.has(f + n)) n++;
      if (n === 0) continue;
      for (let k = 0; k < n; k++) this.asked.add(f + k);
      inFlight += n;
      this.host.ask(f, n);
    }
    if (this.pictures.size > HOLD) {
      const far = [...this.pictures.keys()].sort((a, b) => Math.abs(b - frame) - Math.abs(a - frame));
      for (const f of far.slice(0, this.pictures.size - HOLD)) this.drop(f);
    }
  }

  /** A `frames` reply: decode and keep each. `done` runs after each frame is kept. */
  async receive(start: number, count: number, mimes: string[], buffers: unknown[], done: (frame: number) => void): Promise<void> {
    for (let k = 0; k < count; k++) {
      const f = start + k;
      this.asked.delete(f);
      const bytes = toBytes(buffers[k]);
      if (!bytes) continue;
      const pic = await decode(bytes, mimes[k] ?? "image/jpeg");
      if (!pic) continue;
      this.drop(f);
      this.pictures.set(f, pic);
      this.received++;
      done(f);
    }
  }

  /** A failed request: its frames may be asked again. */
  forget(start: number, count: number): void {
    for (let k = 0; k < count; k++) this.asked.delete(start + k);
  }

  keep(frame: number, pic: Picture): void {
    this.drop(frame);
    this.pictures.set(frame, pic);
  }

  private drop(frame: number): void {
    const p = this.pictures.get(frame);
    if (p && "close" in p && typeof p.close === "function") p.close();
    this.pictures.delete(frame);
  }

  release(): void {
    for (const f of [...this.pictures.keys()]) this.drop(f);
    this.asked.clear();
  }
}

export async function decode(bytes: Uint8Array, mime: string): Promise<Picture | null> {
  const blob = new Blob([bytes.slice().buffer as ArrayBuffer], { type: mime });
  if (typeof createImageBitmap === "function") {
    try {
      return await createImageBitmap(blob);
    } catch {
      return null;
    }
  }
  if (typeof Image === "undefined" || typeof URL === "undefined" || !URL.createObjectURL) return null;
  const url = URL.createObjectURL(blob);
  try {
    const img = new Image();
    img.src = url;
    await img.decode?.();
    return img;
  } catch {
    return null;
  } finally {
    URL.revokeObjectURL(url);
  }
}
