/**
 * Drawing a clip on a canvas: the waveform of the window shown (from the
 * whole-clip waveform, or the zoomed one when it covers the window at a finer
 * resolution), the regions (filled in their class's colour, labelled), the
 * suggestions (dashed, with their score), the selection and the playhead.
 * Pure drawing: the view says what, this draws it.
 */

import type { Peaks } from "./items";
import type { Region } from "./regions";

export interface Scene {
  width: number;
  height: number;
  ratio: number;
  /** The window shown, in seconds. */
  v0: number;
  v1: number;
  peaks: Peaks[];
  regions: Region[];
  picked: string | null;
  suggestions: Region[];
  pickedSuggestion: string | null;
  selection: [number, number] | null;
  /** A region being recorded while playing: its class and start. */
  pending: { cls: string; start: number } | null;
  playhead: number;
  color: (cls: string) => string;
  theme: { fg: string; muted: string; wave: string; accent: string; bg: string };
}

/** x (CSS px) of time t. */
export function xOf(s: Scene, t: number): number {
  return ((t - s.v0) / Math.max(1e-9, s.v1 - s.v0)) * s.width;
}

/** Time of x (CSS px). */
export function timeOf(v0: number, v1: number, width: number, x: number): number {
  return v0 + (x / Math.max(1, width)) * (v1 - v0);
}

/** The best peaks for the window: the finest source that covers it. */
export function pickPeaks(list: Peaks[], v0: number, v1: number): Peaks | null {
  let best: Peaks | null = null;
  let bestRes = Infinity;
  for (const p of list) {
    if (!p || p.min.length === 0) continue;
    if (p.start > v0 + 1e-9 || p.end < v1 - 1e-9) continue;
    const res = (p.end - p.start) / p.min.length;
    if (res < bestRes) {
      best = p;
      bestRes = res;
    }
  }
  return best;
}

/** Column x's (min, max) from `p` over [t0, t1). */
function column(p: Peaks, t0: number, t1: number): [number, number] | null {
  const n = p.min.length;
  const span = p.end - p.start;
  if (span <= 0 || n === 0) return null;
  let i0 = Math.floor(((t0 - p.start) / span) * n);
  let i1 = Math.ceil(((t1 - p.start) / span) * n);
  i0 = Math.max(0, i0);
  i1 = Math.min(n, Math.max(i1, i0 + 1));
  if (i0 >= n) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = i0; i < i1; i++) {
    if (p.min[i] < lo) lo = p.min[i];
    if (p.max[i] > hi) hi = p.max[i];
  }
  return [lo, hi];
}

export function draw(ctx: CanvasRenderingContext2D, s: Scene): void {
  const { width, height, ratio } = s;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = s.theme.bg;
  ctx.fillRect(0, 0, width, height);
  const axis = 14;
  const h = height - axis;
  const mid = h / 2;
  // Regions below the waveform.
  for (const r of s.regions) {
    const x0 = xOf(s, r.start);
    const x1 = xOf(s, r.end);
    if (x1 < 0 || x0 > width) continue;
    ctx.globalAlpha = r.id === s.picked ? 0.4 : 0.22;
    ctx.fillStyle = s.color(r.class);
    ctx.fillRect(x0, 0, Math.max(1, x1 - x0), h);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = s.color(r.class);
    ctx.lineWidth = r.id === s.picked ? 2 : 1;
    ctx.strokeRect(x0 + 0.5, 0.5, Math.max(1, x1 - x0 - 1), h - 1);
  }
  // The waveform.
  const p = pickPeaks(s.peaks, s.v0, s.v1);
  ctx.fillStyle = s.theme.wave;
  if (p) {
    const dt = (s.v1 - s.v0) / Math.max(1, width);
    for (let x = 0; x < width; x++) {
      const t0 = s.v0 + x * dt;
      const c = column(p, t0, t0 + dt);
      if (!c) continue;
      const y0 = mid - c[1] * mid * 0.95;
      const y1 = mid - c[0] * mid * 0.95;
      ctx.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
  } else {
    ctx.fillRect(0, mid, width, 1);
  }
  // Suggestions, dashed.
  ctx.setLineDash([5, 4]);
  for (const r of s.suggestions) {
    const x0 = xOf(s, r.start);
    const x1 = xOf(s, r.end);
    if (x1 < 0 || x0 > width) continue;
    ctx.strokeStyle = s.color(r.class);
    ctx.lineWidth = `${r.start}:${r.end}:${r.class}` === s.pickedSuggestion ? 3 : 1.5;
    ctx.strokeRect(x0 + 1, 1, Math.max(1, x1 - x0 - 2), h - 2);
  }
  ctx.setLineDash([]);
  // Labels of regions and suggestions.
  ctx.font = "11px var(--jp-ui-font-family, system-ui, sans-serif)";
  ctx.textBaseline = "top";
  for (const r of s.regions) {
    const x0 = Math.max(0, xOf(s, r.start));
    if (x0 > width || xOf(s, r.end) < 0) continue;
    ctx.fillStyle = s.theme.fg;
    ctx.fillText(r.text ? `${r.class}: ${r.text}` : r.class, x0 + 3, 3, Math.max(10, xOf(s, r.end) - x0 - 4));
  }
  for (const r of s.suggestions) {
    const x0 = Math.max(0, xOf(s, r.start));
    if (x0 > width || xOf(s, r.end) < 0) continue;
    ctx.fillStyle = s.theme.muted;
    const score = typeof r.score === "number" ? ` ${Math.round(r.score * 100)}%` : "";
    ctx.fillText(`${r.class}?${score}`, x0 + 3, h - 15, Math.max(10, xOf(s, r.end) - x0 - 4));
  }
  // The selection and a region being recorded.
  const band = (a: number, b: number, color: string): void => {
    const x0 = xOf(s, Math.min(a, b));
    const x1 = xOf(s, Math.max(a, b));
    ctx.globalAlpha = 0.25;
    ctx.fillStyle = color;
    ctx.fillRect(x0, 0, Math.max(1, x1 - x0), h);
    ctx.globalAlpha = 1;
  };
  if (s.selection) band(s.selection[0], s.selection[1], s.theme.accent);
  if (s.pending) band(s.pending.start, s.playhead, s.color(s.pending.cls));
  // The time axis.
  ctx.fillStyle = s.theme.muted;
  ctx.fillRect(0, h, width, 1);
  const span = s.v1 - s.v0;
  const step = niceStep(span / Math.max(1, width / 90));
  for (let t = Math.ceil(s.v0 / step) * step; t <= s.v1; t += step) {
    const x = xOf(s, t);
    ctx.fillRect(x, h, 1, 4);
    ctx.fillText(formatTime(t, step), x + 2, h + 2);
  }
  // The playhead.
  const px = xOf(s, s.playhead);
  if (px >= 0 && px <= width) {
    ctx.fillStyle = s.theme.accent;
    ctx.fillRect(px - 0.5, 0, 2, h);
  }
}

function niceStep(raw: number): number {
  const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => s >= raw) ?? 7200;
}

/** `m:ss.mmm`, with as many decimals as the step needs. */
export function formatTime(t: number, step = 1): string {
  const decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  const m = Math.floor(t / 60);
  const sec = t - m * 60;
  const s = sec.toFixed(decimals).padStart(decimals ? 3 + decimals : 2, "0");
  return `${m}:${s}`;
}
