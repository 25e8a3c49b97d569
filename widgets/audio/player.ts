/**
 * Playback of a clip a window at a time: the kernel sends each window as a
 * 16-bit WAV (the `audio` message, at most a minute), decoded with Web Audio
 * and scheduled back to back, the next asked for while the one before plays.
 * Without Web Audio (a browser that has none, or refuses it) the playhead
 * still moves with the clock, silently, so the keys that work while playing
 * (a class key starts, then ends a region) work the same.
 */

/** Seconds of one window asked for. */
export const WINDOW_S = 8;
/** Ask for the next window when what is scheduled ends sooner than this. */
const AHEAD_S = 4;

export type Fetch = (start: number, end: number) => Promise<ArrayBuffer | null>;

type Ctx = AudioContext;

export class Player {
  playing = false;
  /** Whether sound comes out (Web Audio is there and decoded the windows). */
  audible = true;
  private ctx: Ctx | null = null;
  private origin = 0;
  private started = 0;
  private paused = 0;
  private until = 0;
  private generation = 0;
  private fetching = false;
  private sources: AudioBufferSourceNode[] = [];
  private clockStart = 0;

  constructor(
    private readonly fetch: Fetch,
    private readonly duration: () => number,
    private readonly onEnd: () => void,
  ) {}

  /** The clip time now, in seconds. */
  position(): number {
    if (!this.playing) return this.paused;
    const t = this.origin + (this.ctx && this.audible ? this.ctx.currentTime - this.started : (performance.now() - this.clockStart) / 1000);
    return Math.min(t, this.duration());
  }

  seek(t: number): void {
    const to = Math.max(0, Math.min(t, this.duration()));
    if (this.playing) {
      this.stopSources();
      this.start(to);
    } else this.paused = to;
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.start(this.paused >= this.duration() ? 0 : this.paused);
  }

  pause(): void {
    if (!this.playing) return;
    this.paused = this.position();
    this.playing = false;
    this.generation++;
    this.stopSources();
  }

  /** Called every frame while playing: the end, and the next window. */
  tick(): void {
    if (!this.playing) return;
    const at = this.position();
    if (at >= this.duration() - 1e-3) {
      this.pause();
      this.paused = this.duration();
      this.onEnd();
      return;
    }
    if (this.audible && this.ctx && !this.fetching && this.until < this.duration() && this.until - at < AHEAD_S) void this.schedule(this.generation);
  }

  close(): void {
    this.pause();
    void this.ctx?.close?.().catch(() => undefined);
    this.ctx = null;
  }

  private start(from: number): void {
    this.generation++;
    this.playing = true;
    this.origin = from;
    this.until = from;
    this.clockStart = performance.now();
    const Ctor = (globalThis as { AudioContext?: new () => Ctx }).AudioContext;
    if (!this.ctx && Ctor) {
      try {
        this.ctx = new Ctor();
      } catch {
        this.ctx = null;
      }
    }
    if (!this.ctx) {
      this.audible = false;
      return;
    }
    void this.ctx.resume?.().catch(() => undefined);
    this.started = this.ctx.currentTime + 0.05;
    void this.schedule(this.generation);
  }

  private async schedule(gen: number): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    this.fetching = true;
    const from = this.until;
    const to = Math.min(this.duration(), from + WINDOW_S);
    try {
      const data = await this.fetch(from, to);
      if (gen !== this.generation || !this.playing || !data) return;
      const buffer = await ctx.decodeAudioData(data);
      if (gen !== this.generation || !this.playing) return;
      const src = ctx.createBufferSource();
      src.buffer = buffer;
      src.connect(ctx.destination);
      const when = this.started + (from - this.origin);
      const offset = Math.max(0, ctx.currentTime - when);
      src.start(Math.max(when, ctx.currentTime), offset);
      this.sources.push(src);
      this.until = from + buffer.duration;
    } catch {
      // No decoder (or no output): keep the clock going, silently.
      if (gen === this.generation && this.playing && this.audible) {
        const at = this.position();
        this.audible = false;
        this.origin = at;
        this.clockStart = performance.now();
      }
    } finally {
      if (gen === this.generation) this.fetching = false;
    }
  }

  private stopSources(): void {
    for (const s of this.sources.splice(0)) {
      try {
        s.stop();
      } catch {
        // already stopped
      }
    }
    this.fetching = false;
  }
}
