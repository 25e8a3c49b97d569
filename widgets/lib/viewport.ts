/**
 * Zoom and pan of the annotate view: screen = image * scale + t, with image
 * coordinates those of the item's full-size image (the shapes' space) and
 * screen coordinates CSS pixels of the canvas. Swapping the sent bitmap for
 * the full-size one changes nothing here: draw it scaled to the full size.
 */

import type { Pt } from "./geometry";

/** Zoom out to at most 1/8 of the fit scale; zoom in to 64 screen px per image px. */
const MIN_OF_FIT = 1 / 8;
const MAX_SCALE = 64;

export class Viewport {
  scale = 1;
  tx = 0;
  ty = 0;
  minScale = MIN_OF_FIT;
  maxScale = MAX_SCALE;
  viewW: number;
  viewH: number;
  imgW: number;
  imgH: number;
  /** True from fit() until a zoom or pan changes the view; resize() refits while it holds. */
  fitted = true;

  constructor(viewW: number, viewH: number, imgW: number, imgH: number) {
    this.viewW = viewW;
    this.viewH = viewH;
    this.imgW = imgW;
    this.imgH = imgH;
    this.fit();
  }

  /**
   * Scale at which the whole image fits the view; 1 while either has no size
   * (a view not laid out yet), so coordinates stay finite.
   */
  get fitScale(): number {
    if (!(this.viewW > 0 && this.viewH > 0 && this.imgW > 0 && this.imgH > 0)) return 1;
    return Math.min(this.viewW / this.imgW, this.viewH / this.imgH);
  }

  private limits(): void {
    const f = this.fitScale;
    this.minScale = f * MIN_OF_FIT;
    // A tiny image may fit at more than 64x: fit must stay reachable.
    this.maxScale = Math.max(MAX_SCALE, f);
  }

  /** The view's new size: refits when fitted, else keeps the image point at the centre of the view there. */
  resize(viewW: number, viewH: number): void {
    const [cx, cy] = this.toImage(this.viewW / 2, this.viewH / 2);
    this.viewW = viewW;
    this.viewH = viewH;
    this.limits();
    if (this.fitted) {
      this.fit();
      return;
    }
    this.scale = Math.min(Math.max(this.scale, this.minScale), this.maxScale);
    this.tx = viewW / 2 - cx * this.scale;
    this.ty = viewH / 2 - cy * this.scale;
  }

  /** A new image (a new item): fit it. */
  setImage(imgW: number, imgH: number): void {
    this.imgW = imgW;
    this.imgH = imgH;
    this.fit();
  }

  /** The whole image, as large as fits, centred; recomputes minScale and maxScale. */
  fit(): void {
    this.limits();
    this.scale = this.fitScale;
    this.tx = (this.viewW - this.imgW * this.scale) / 2;
    this.ty = (this.viewH - this.imgH * this.scale) / 2;
    this.fitted = true;
  }

  toImage(sx: number, sy: number): Pt {
    return [(sx - this.tx) / this.scale, (sy - this.ty) / this.scale];
  }

  toScreen(ix: number, iy: number): Pt {
    return [ix * this.scale + this.tx, iy * this.scale + this.ty];
  }

  /** Multiply the scale by `factor` (clamped to [minScale, maxScale]) keeping the image point under (sx, sy) there. */
  zoomAt(sx: number, sy: number, factor: number): void {
    if (!(factor > 0) || !Number.isFinite(factor)) return;
    const next = Math.min(Math.max(this.scale * factor, this.minScale), this.maxScale);
    if (next === this.scale) return;
    const [ix, iy] = this.toImage(sx, sy);
    this.scale = next;
    this.tx = sx - ix * next;
    this.ty = sy - iy * next;
    this.fitted = false;
  }

  /** Move the image by (dx, dy) screen pixels. */
  pan(dx: number, dy: number): void {
    if (dx === 0 && dy === 0) return;
    this.tx += dx;
    this.ty += dy;
    this.fitted = false;
  }

  /** The part of image space the view shows, `[x0, y0, x1, y1]` (may reach outside the image). */
  visibleRect(): [number, number, number, number] {
    const [x0, y0] = this.toImage(0, 0);
    const [x1, y1] = this.toImage(this.viewW, this.viewH);
    return [x0, y0, x1, y1];
  }
}
