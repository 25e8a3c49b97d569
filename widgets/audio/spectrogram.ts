/**
 * The spectrogram under the waveform: the kernel computes it for the window
 * shown at the canvas's width (`spectrogram` message: rows × columns of
 * uint8, row 0 the lowest band), this paints it with a perceptual colour map,
 * low frequencies at the bottom. While a new window's is on its way, the last
 * one is drawn stretched to where its window falls.
 */

export interface Spectrogram {
  start: number;
  end: number;
  columns: number;
  rows: number;
  maxHz: number;
  data: Uint8Array;
}

/** Stops of a dark-to-bright map (magma-like), for 0..255. */
const STOPS: [number, number, number][] = [
  [0, 0, 4],
  [59, 15, 112],
  [140, 41, 129],
  [222, 73, 104],
  [254, 159, 109],
  [252, 253, 191],
];

let table: Uint8ClampedArray | null = null;

/** The colour map as 256 RGBA entries. */
export function colorTable(): Uint8ClampedArray {
  if (table) return table;
  table = new Uint8ClampedArray(256 * 4);
  for (let v = 0; v < 256; v++) {
    const x = (v / 255) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(x));
    const f = x - i;
    for (let c = 0; c < 3; c++) table[v * 4 + c] = Math.round(STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f);
    table[v * 4 + 3] = 255;
  }
  return table;
}

/** RGBA pixels of a spectrogram (columns × rows, the top row the highest band). */
export function spectrogramPixels(sp: Spectrogram): Uint8ClampedArray<ArrayBuffer> {
  const lut = colorTable();
  const out = new Uint8ClampedArray(new ArrayBuffer(sp.columns * sp.rows * 4));
  for (let r = 0; r < sp.rows; r++) {
    const y = sp.rows - 1 - r;
    for (let c = 0; c < sp.columns; c++) {
      const v = sp.data[r * sp.columns + c];
      out.set(lut.subarray(v * 4, v * 4 + 4), (y * sp.columns + c) * 4);
    }
  }
  return out;
}

/** Paint `sp` on `ctx` (CSS px `width` × `height`) for the window [v0, v1). */
export function drawSpectrogram(ctx: CanvasRenderingContext2D, sp: Spectrogram | null, v0: number, v1: number, width: number, height: number, ratio: number, bg: string): void {
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, width, height);
  if (!sp || sp.columns === 0 || sp.rows === 0) return;
  const doc = ctx.canvas.ownerDocument;
  const tmp = doc?.createElement?.("canvas");
  const tctx = tmp?.getContext?.("2d");
  if (!tmp || !tctx || typeof ImageData === "undefined") return;
  tmp.width = sp.columns;
  tmp.height = sp.rows;
  tctx.putImageData(new ImageData(spectrogramPixels(sp), sp.columns, sp.rows), 0, 0);
  const scale = width / Math.max(1e-9, v1 - v0);
  const x0 = (sp.start - v0) * scale;
  const x1 = (sp.end - v0) * scale;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, x0, 0, Math.max(1, x1 - x0), height);
}
