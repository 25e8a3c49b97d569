/**
 * AnnotateWidget front end: boxes, polygons, polylines, keypoints, masks and
 * cuboids drawn and edited on one item at a time (issue 5).
 *
 * Messages are the label stream of the other views (lib/view.ts, lib/sender.ts,
 * workbench/stream.py): hello, need → items (a prefetch queue), item, and one
 * `label` per committed change whose value is the item's whole shapes list,
 * written to the outbox before it is sent and resent until acknowledged; plus
 * `full`, which asks once per item for the full-size image when zooming makes
 * the sent one coarser than the screen. An item arriving while the outbox still
 * holds label entries for it shows the newest of them, not the payload.
 *
 * Shapes are immutable values (lib/geometry.ts); an edit makes a new object
 * and every committed change pushes the previous list on the item's History.
 *
 * Drawing: two stacked canvases, never DOM nodes per shape. The base canvas
 * holds the image and every shape but the selected one; it is redrawn on an
 * animation frame only when the view, the shapes or the selection changed.
 * Each shape has one Path2D in image coordinates, cached per shape object, and
 * the paths of a class (at one z) are combined into one fill path and one
 * stroke path, so a frame is a handful of draw calls under one
 * setTransform(scale, …). A mask is decoded once into a coloured canvas the
 * size of its bounding box and drawn with drawImage. The overlay canvas holds
 * what follows the pointer: the selected (or dragged) shape with its handles,
 * the hovered one, the shape being drawn, the brush and the crosshair.
 *
 * Test hooks: root `div.wb-root.wb-annotate` with data-item-id, data-tool,
 * data-ready="1" (first item painted), data-full ("1" while the image shown is
 * at full size), data-queue, data-outbox; `canvas.wb-canvas` and above it
 * `canvas.wb-canvas-overlay`, which takes the mouse; `root.wbAnnotate` =
 * {toClient, shapes, suggestions, viewport, frames, latencies, paints,
 * resetTimings, setTool} (see `hooks()`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { classForKey, keyLabel, type KeyLike } from "./lib/keys";
import type { KernelMessage, LabelMessage, TaskSpec, WireItem } from "./lib/protocol";
import { toBytes } from "./lib/protocol";
import { ItemQueue } from "./lib/queue";
import { REQUEST_TIMEOUT_MS, StreamView, type ViewModel, type ViewOptions } from "./lib/view";
import { cancelRaf, h, keyTime, now, progressText, raf, recordTiming } from "./lib/dom";
import {
  bboxOfShape,
  boxHandles,
  clampShape,
  deleteVertex,
  hitTest,
  insertVertex,
  moveVertex,
  normBox,
  paintOrder,
  resizeBox,
  translate,
  type BBox,
  type Handle,
  type Hit,
  type Pt,
  type Shape,
  type ShapeType,
} from "./lib/geometry";
import { area as rleArea, countsToRuns, decode as rleDecode, encode as rleEncode, paintSegment, toBbox as rleBbox, type Rle } from "./lib/rle";
import { Viewport } from "./lib/viewport";
import { History } from "./lib/history";

// ---------------------------------------------------------------------------
// schema and settings

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
}

export interface AttributeSpec {
  name: string;
  kind: "bool" | "choice" | "text" | "number";
  choices?: string[];
  default?: unknown;
}

export interface SkeletonSpec {
  points: string[];
  edges?: string[][];
}

/** `Shapes.to_dict()` (workbench/shapes.py). */
export interface ShapesSpec extends TaskSpec {
  types?: ShapeType[];
  attributes?: AttributeSpec[];
  skeletons?: Record<string, SkeletonSpec>;
  masks?: "instance" | "semantic";
}

export const TOOLS = ["select", "box", "polygon", "polyline", "keypoints", "brush", "eraser", "cuboid"] as const;
export type Tool = (typeof TOOLS)[number];

/** The fixed key of each tool. */
export const TOOL_KEYS: Readonly<Record<Tool, string>> = {
  select: "v",
  box: "b",
  polygon: "p",
  polyline: "l",
  keypoints: "k",
  brush: "m",
  eraser: "e",
  cuboid: "c",
};
const KEY_TOOL = new Map<string, Tool>(TOOLS.map((t) => [TOOL_KEYS[t], t]));
const TOOL_TYPE: Readonly<Record<Tool, ShapeType | null>> = {
  select: null,
  box: "box",
  polygon: "polygon",
  polyline: "polyline",
  keypoints: "keypoints",
  brush: "mask",
  eraser: "mask",
  cuboid: "cuboid",
};
const TOOL_NAME: Readonly<Record<Tool, string>> = {
  select: "Select",
  box: "Box",
  polygon: "Polygon",
  polyline: "Polyline",
  keypoints: "Keypoints",
  brush: "Brush",
  eraser: "Eraser",
  cuboid: "Cuboid",
};
const SHAPE_TYPES: readonly ShapeType[] = ["box", "polygon", "polyline", "keypoints", "mask", "cuboid"];
const GEOMETRY: Readonly<Record<ShapeType, readonly string[]>> = {
  box: ["bbox"],
  polygon: ["points"],
  polyline: ["points"],
  keypoints: ["points"],
  mask: ["rle"],
  cuboid: ["front", "back"],
};

/** Command keys (besides tools, Enter, Escape, Delete, Backspace, arrows, PageUp/Down, Tab, Ctrl+…). */
export const ACCEPT_ALL_KEY = "a";
export const SKIP_KEY = "s";
export const HIDE_KEY = "h";
export const NOT_LABELED_KEY = "n";
export const VISIBILITY_KEY = "o";
export const FIT_KEY = "f";
export const COPY_KEY = "C"; // Shift+C
/** Every key that is not a class key even when a class is bound to it. */
export const FIXED_KEYS: ReadonlySet<string> = new Set([
  ...Object.values(TOOL_KEYS),
  ACCEPT_ALL_KEY,
  SKIP_KEY,
  HIDE_KEY,
  NOT_LABELED_KEY,
  VISIBILITY_KEY,
  FIT_KEY,
  COPY_KEY,
  "=",
  "+",
  "-",
  "_",
  "[",
  "]",
  "?",
  " ",
]);

// Sizes in CSS pixels of the screen, whatever the zoom.
const HIT_PX = 6;
const CLOSE_PX = 8;
const DRAG_PX = 3;
/** Outline width; items crowded past MANY_SHAPES get 1 px, which Skia draws as hairlines, twice as fast. */
const LINE_PX = 1.5;
const CROWDED_LINE_PX = 1;
const MANY_SHAPES = 300;
const EDIT_LINE_PX = 2;
const HANDLE_PX = 3.5;
const KEYPOINT_PX = 3.5;
const MIN_BOX_PX = 3;
const FILL_ALPHA = 0.18;
const SUGGESTION_FILL_ALPHA = 0.06;
const MASK_ALPHA = 0.45;
const ZOOM_STEP = 1.25;
/** Wheel: the scale doubles per this many pixels of deltaY. */
const WHEEL_DOUBLE = 300;
/** Canvas size while the stage has none (not laid out yet, jsdom). */
const DEFAULT_VIEW: Pt = [800, 560];
/** Items kept in memory beyond those queued, for going back. */
const CACHE_LIMIT = 200;
/** Decoded images kept for items already left (going back is instant for these). */
const KEEP_DECODED = 3;
/** Queued items decoded ahead (a 4096² bitmap is 64 MB: not the whole queue). */
const DECODE_AHEAD = 3;
const EXHAUSTED_RECHECK_MS = 15000;
const TIMING_LIMIT = 2000;
const FALLBACK_COLOR = "#999999";

// ---------------------------------------------------------------------------
// keys

export type AnnotateAction =
  | { type: "tool"; tool: Tool }
  | { type: "class"; name: string }
  | { type: "nextClass" }
  | { type: "enter" }
  | { type: "escape" }
  | { type: "delete" }
  | { type: "skip" }
  | { type: "back" }
  | { type: "forward" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "acceptAll" }
  | { type: "copyPrevious" }
  | { type: "hide" }
  | { type: "z"; delta: 1 | -1 }
  | { type: "zoom"; factor: number }
  | { type: "fit" }
  | { type: "brushSize"; factor: number }
  | { type: "notLabeled" }
  | { type: "visibility" }
  | { type: "pan" }
  | { type: "help" };

/**
 * What a key does in the drawing widget, or null when it is not ours. Tool and
 * command keys are fixed and win over class keys bound to the same key (such
 * a class is picked by clicking it, or with Tab). Ctrl/Cmd+Z undoes,
 * Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo; other modified keys are never ours.
 */
export function annotateAction(ev: KeyLike, keymap: Map<string, string>): AnnotateAction | null {
  const key = ev.key;
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey) {
    const k = key.toLowerCase();
    if (k === "z") return { type: ev.shiftKey ? "redo" : "undo" };
    if (k === "y" && !ev.shiftKey) return { type: "redo" };
    return null;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return null;
  switch (key) {
    case "Enter":
      return { type: "enter" };
    case "Escape":
      return { type: "escape" };
    case "Delete":
    case "Backspace":
      return { type: "delete" };
    case "ArrowLeft":
      return { type: "back" };
    case "ArrowRight":
      return { type: "forward" };
    case "PageUp":
      return { type: "z", delta: 1 };
    case "PageDown":
      return { type: "z", delta: -1 };
    case "Tab":
      return ev.shiftKey ? null : { type: "nextClass" }; // Shift+Tab leaves the widget
    case " ":
      return { type: "pan" };
    case "?":
      return { type: "help" };
    case "=":
    case "+":
      return { type: "zoom", factor: ZOOM_STEP };
    case "-":
    case "_":
      return { type: "zoom", factor: 1 / ZOOM_STEP };
    case "[":
      return { type: "brushSize", factor: 1 / 1.25 };
    case "]":
      return { type: "brushSize", factor: 1.25 };
    default:
      break;
  }
  if (key === COPY_KEY && ev.shiftKey) return { type: "copyPrevious" };
  // Caps Lock: an upper-case letter typed without Shift is the lower-case key.
  const k = key.length === 1 && !ev.shiftKey ? key.toLowerCase() : key;
  const tool = KEY_TOOL.get(k);
  if (tool) return { type: "tool", tool };
  switch (k) {
    case ACCEPT_ALL_KEY:
      return { type: "acceptAll" };
    case SKIP_KEY:
      return { type: "skip" };
    case HIDE_KEY:
      return { type: "hide" };
    case NOT_LABELED_KEY:
      return { type: "notLabeled" };
    case VISIBILITY_KEY:
      return { type: "visibility" };
    case FIT_KEY:
      return { type: "fit" };
    default:
      break;
  }
  const name = classForKey(key, keymap);
  return name === undefined ? null : { type: "class", name };
}

/** Whether a class key is taken by a tool or command key (then the class is picked by clicking it or with Tab). */
export function keyTaken(key: string | null | undefined): boolean {
  return !!key && FIXED_KEYS.has(key);
}

// ---------------------------------------------------------------------------
// shapes as values

/** The shape as stored: its common fields and its type's geometry, nothing else (workbench/shapes.py refuses extra fields). */
export function cleanShape(s: Shape): Shape {
  const out: Record<string, unknown> = { type: s.type, class: s.class, id: s.id, z: s.z ?? 0, attributes: s.attributes ?? {} };
  if (s.score !== undefined && s.score !== null) out.score = s.score;
  for (const k of GEOMETRY[s.type]) out[k] = (s as unknown as Record<string, unknown>)[k];
  return out as unknown as Shape;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Coordinates rounded to 1/100 px (what a pointer can mean; keeps labels small). */
function roundShape(s: Shape): Shape {
  switch (s.type) {
    case "box":
      return { ...s, bbox: s.bbox!.map(r2) as BBox };
    case "polygon":
    case "polyline":
      return { ...s, points: s.points!.map((q) => [r2(q[0]), r2(q[1])]) };
    case "keypoints":
      return { ...s, points: s.points!.map((q) => [r2(q[0]), r2(q[1]), q[2] ?? 2]) };
    case "cuboid":
      return { ...s, front: s.front!.map((q): Pt => [r2(q[0]), r2(q[1])]), back: s.back!.map((q): Pt => [r2(q[0]), r2(q[1])]) };
    default:
      return s;
  }
}

/** Shapes from the wire (a label, a pre-label, an outbox entry): the well-formed ones, each with an id. */
export function parseShapes(value: unknown, idPrefix = "s"): Shape[] {
  if (!Array.isArray(value)) return [];
  const out: Shape[] = [];
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (!v || typeof v !== "object") return;
    const s = v as Shape;
    if (!SHAPE_TYPES.includes(s.type) || typeof s.class !== "string") return;
    if (!GEOMETRY[s.type].every((k) => (s as unknown as Record<string, unknown>)[k] != null)) return;
    let id = s.id == null ? "" : String(s.id);
    if (!id || seen.has(id)) id = `${idPrefix}${i + 1}`;
    seen.add(id);
    out.push(id === s.id ? s : { ...s, id });
  });
  return out;
}

function hexRgb(color: string | null | undefined): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec((color || FALLBACK_COLOR).trim());
  const n = parseInt(m ? m[1] : FALLBACK_COLOR.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function rgba(rgb: [number, number, number], a: number): string {
  return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`;
}

/** The points of a polygon in the orientation of `rect` (positive shoelace with y down), so combined fills never cancel out. */
function oriented(points: number[][]): number[][] {
  let s = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) s += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  return s < 0 ? points.slice().reverse() : points;
}

function hasPath2D(): boolean {
  return typeof Path2D !== "undefined";
}

function pathOf(points: number[][], closed: boolean, into?: Path2D): Path2D {
  const p = into ?? new Path2D();
  if (!points.length) return p;
  p.moveTo(points[0][0], points[0][1]);
  for (let i = 1; i < points.length; i++) p.lineTo(points[i][0], points[i][1]);
  if (closed) p.closePath();
  return p;
}

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return canvas.getContext("2d");
  } catch {
    return null;
  }
}

interface Decoded {
  image: CanvasImageSource;
  width: number;
  height: number;
  close: () => void;
}

/** Decode image bytes off the main thread where the browser can (createImageBitmap); null where it cannot decode at all (jsdom). */
function decodeBlob(blob: Blob): Promise<Decoded> | null {
  if (typeof createImageBitmap === "function") {
    return createImageBitmap(blob).then((b) => ({ image: b, width: b.width, height: b.height, close: () => b.close?.() }));
  }
  if (typeof URL !== "undefined" && typeof URL.createObjectURL === "function" && typeof Image !== "undefined") {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(blob);
      const img = new Image();
      img.onload = () => {
        URL.revokeObjectURL(url);
        resolve({ image: img, width: img.naturalWidth, height: img.naturalHeight, close: () => undefined });
      };
      img.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error("the image could not be decoded"));
      };
      img.src = url;
    });
  }
  return null;
}

// ---------------------------------------------------------------------------
// state types

/** One suspect of an audit (workbench.audit_shapes.shape_issues): a shape (or a model's overlooked one) or a class confusion. */
export interface Suspect {
  issue?: string;
  shape?: string;
  class?: string;
  suggested?: string;
  bbox?: BBox;
  score?: number;
  pixels?: number;
}

/** `item.issue` in a review of audit issues (AnnotateStream with `issues`). */
export interface IssueInfo {
  position?: number;
  total?: number;
  quality?: number;
  label?: string;
  suggested?: string;
  is_issue?: boolean;
  suspects?: Suspect[];
}

function parseIssue(v: unknown): IssueInfo | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as IssueInfo;
  const suspects = Array.isArray(o.suspects) ? o.suspects.filter((x) => x && typeof x === "object") : [];
  return { ...o, suspects };
}

/** `none`: no bytes (or no decoder); `idle`: bytes, not decoded now. */
type ImageState = "none" | "idle" | "loading" | "ready" | "failed";

interface Item extends WireItem {
  /** The coordinate space of shapes: the full image's size. */
  fullW: number;
  fullH: number;
  blob: Blob | null;
  image: CanvasImageSource | null;
  closeImage: (() => void) | null;
  imageState: ImageState;
  imageError: string;
  decodeGen: number;
  /** The bytes held are the full-size image. */
  isFull: boolean;
  fullAsk: { req: number; at: number } | null;
  fullFailed: boolean;
  suggestions: Shape[];
  /** Set when the item is served for a review of audit issues. */
  issue: IssueInfo | null;
}

type Draft =
  | { kind: "box"; p0: Pt; p1: Pt; waiting: boolean }
  | { kind: "path"; type: "polygon" | "polyline"; points: Pt[]; hover: Pt | null }
  | { kind: "keypoints"; cls: string; names: string[]; points: number[][]; hover: Pt | null }
  | { kind: "cuboid"; phase: "front" | "back"; p0: Pt; p1: Pt; hover: Pt | null };

interface Drag {
  kind: "pan" | "move" | "vertex" | "handle" | "box" | "cuboid" | "stroke";
  /** Screen point at the press and at the last move. */
  sx: number;
  sy: number;
  lastX: number;
  lastY: number;
  moved: boolean;
  /** Image point at the press. */
  start: Pt;
  orig?: Shape;
  sug?: boolean;
  index?: number;
  face?: "front" | "back";
  handle?: Handle;
  /** A press on empty image in select mode: a click (no move) deselects. */
  clickDeselect?: boolean;
}

interface Stroke {
  erase: boolean;
  cls: string;
  w: number;
  h: number;
  r: number;
  /** The mask painted into (brush), or null for a new one. */
  target: Shape | null;
  paint: Uint8Array | null;
  /** Masks losing pixels: the eraser's, or the other classes' in semantic mode. */
  others: { shape: Shape; mask: Uint8Array }[];
  points: Pt[];
}

interface Selection {
  id: string;
  /** A suggestion (pre-label), not a shape of the item. */
  sug: boolean;
}

interface Paths {
  fill: Path2D | null;
  stroke: Path2D | null;
}

interface MaskRender {
  canvas: HTMLCanvasElement;
  x: number;
  y: number;
}

interface Batch {
  z: number;
  order: number;
  cls: string;
  sug: boolean;
  fills: Path2D[];
  strokes: Path2D[];
  masks: Shape[];
  keypoints: Shape[];
}

// ---------------------------------------------------------------------------
// the view

export type AnnotateOptions = ViewOptions;

export class AnnotateView extends StreamView<Model, AnnotateAction> {
  /** The task's spec with its shapes fields (types, attributes, skeletons, masks). */
  private readonly taskSpec: ShapesSpec;
  private queue = new ItemQueue<Item>();
  private cache = new Map<string, Item>();
  private current: string | null = null;
  /** Items left with Enter or skip, in order (← → walk them). */
  private history: string[] = [];
  private reviewIdx: number | null = null;
  /** The item painted now, and the one painted before it (Shift+C copies from it). */
  private shownKey: string | null = null;
  /** The item the viewport was last fitted to. */
  private fittedFor: Item | null = null;
  private prevShown: string | null = null;
  private needInFlight: { req: number; at: number } | null = null;
  private itemRequests = new Map<string, { req: number; at: number }>();
  private exhaustedAt: number | null = null;
  private labelTimes: number[] = [];
  private shownSince = now();
  private lastCommitAt = now();

  // per item
  private shapes = new Map<string, Shape[]>();
  private histories = new Map<string, History<Shape[]>>();
  /** Items this view changed (a label sent for them). */
  private edited = new Set<string>();
  /** The item's state as this view knows it: a label (stored, pending or sent here) or a skip. */
  private local = new Map<string, "label" | "skip">();
  private dismissed = new Map<string, Set<string>>();

  // tools
  private tool: Tool = "select";
  private currentClass: string;
  private hidden = new Set<string>();
  private brushR = 5;
  private brushSet = false;
  private draft: Draft | null = null;
  private drag: Drag | null = null;
  private stroke: Stroke | null = null;
  private sel: Selection | null = null;
  private selVertex: { index: number; face?: "front" | "back" } | null = null;
  /** The selected shape as it is being dragged (shown on the overlay until the release commits it). */
  private live: Shape | null = null;
  private liveOffset: Pt | null = null;
  private hover: Selection | null = null;
  private hoverHit: Hit | null = null;
  private pointer: Pt | null = null;
  /** The last pointer event's client position: fractional, where mouse events' are whole pixels. */
  private exactPointer: Pt | null = null;
  private spaceDown = false;

  // drawing
  private vp: Viewport;
  private dpr = 1;
  private baseCtx: CanvasRenderingContext2D | null;
  private overlayCtx: CanvasRenderingContext2D | null;
  private dirtyBase = true;
  private frameId: number | null = null;
  /** When the first input event waiting for the next frame happened. */
  private frameAsk: number | null = null;
  private batches: Batch[] | null = null;
  /** Outline width of the base canvas's shapes (CSS px), set with the batches. */
  private lineWidth = LINE_PX;
  private paths = new WeakMap<Shape, Paths>();
  private maskRenders = new WeakMap<Shape, MaskRender | null>();
  private colors = new Map<string, [number, number, number]>();
  private placeholder = "#808080";
  private sugCache: { list: Shape[]; item: Item; dismissed: number; out: Shape[] } | null = null;

  // timings (test hooks)
  private frameTimes: number[] = [];
  private latencyTimes: number[] = [];
  private paintTimes: number[] = [];
  private paintKeys: number[] = [];
  private paintFrames = new Set<number>();
  /** Read one pixel back after each frame so that the timings include the canvas's rasterization. */
  private exactTimings = false;

  // DOM
  private readonly stage: HTMLElement;
  private readonly base: HTMLCanvasElement;
  private readonly overlayCanvas: HTMLCanvasElement;
  private readonly stageNote: HTMLElement;
  private readonly progressLine: HTMLElement;
  private readonly toolButtons = new Map<Tool, HTMLButtonElement>();
  private readonly toggles = new Map<string, HTMLInputElement>();
  private readonly zoomLabel: HTMLElement;
  private readonly brushLabel: HTMLElement;
  private readonly attrsPanel: HTMLElement;
  private readonly suggestionLine: HTMLElement;
  private readonly issueBox: HTMLElement;
  private readonly infoLine: HTMLElement;
  private resizeObserver: ResizeObserver | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement, options: AnnotateOptions = {}) {
    super(
      model,
      el,
      {
        name: "annotate",
        label: "Annotate items",
        data: { "data-item-id": "", "data-tool": "select", "data-full": "0", "data-queue": "0" },
        keys: annotateAction,
      },
      {},
      options,
    );
    this.taskSpec = this.task as ShapesSpec;
    this.currentClass = this.taskSpec.classes[0]?.name ?? "";
    for (const c of this.taskSpec.classes) this.colors.set(c.name, hexRgb(c.color));

    // Head, toolbar
    this.progressLine = h("div", { class: "wb-progress" });
    const head = h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: this.taskSpec.name }), this.progressLine]);
    const toolbar = h("div", { class: "wb-toolbar", attrs: { role: "toolbar", "aria-label": "Tools" } });
    for (const t of TOOLS) {
      if (!this.offered(t)) continue;
      const b = h("button", {
        class: "wb-tool",
        attrs: { type: "button", "data-tool": t, "aria-pressed": "false" },
        title: `${TOOL_NAME[t]} (${TOOL_KEYS[t]})`,
      }, [h("span", { text: TOOL_NAME[t] }), h("kbd", { class: "wb-key", text: TOOL_KEYS[t] })]);
      this.clickable(b, () => this.setTool(t));
      this.toolButtons.set(t, b);
      toolbar.appendChild(b);
    }
    this.zoomLabel = h("span", { class: "wb-zoom" });
    this.brushLabel = h("span", { class: "wb-brush-size" });
    const fit = h("button", { class: "wb-tool", text: "Fit", attrs: { type: "button", "data-action": "fit" }, title: "Fit the image (f)" });
    this.clickable(fit, () => this.dispatch({ type: "fit" }, now()));
    toolbar.append(h("span", { class: "wb-spacer" }), this.brushLabel, this.zoomLabel, fit);

    // Stage: the two canvases
    this.base = h("canvas", { class: "wb-canvas" });
    this.overlayCanvas = h("canvas", { class: "wb-canvas-overlay" });
    this.stageNote = h("div", { class: "wb-stage-note" });
    this.stage = h("div", { class: "wb-canvas-box" }, [this.base, this.overlayCanvas, this.stageNote]);
    this.baseCtx = context2d(this.base);
    this.overlayCtx = context2d(this.overlayCanvas);

    // Side panel: classes (with show/hide), attributes, suggestions
    this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    const classList = h("div", { class: "wb-class-list", attrs: { "aria-label": "Classes" } });
    for (const c of this.taskSpec.classes) {
      const chip = this.chips.get(c.name)!;
      if (keyTaken(c.key)) {
        const kbd = chip.querySelector(".wb-key");
        kbd?.classList.add("wb-key-taken");
        chip.title = `${c.description || c.name} (key ${keyLabel(c.key)} is a tool key here: click, or Tab)`;
      }
      const toggle = h("input", { class: "wb-class-toggle", attrs: { type: "checkbox", "data-class": c.name, "aria-label": `show ${c.name}` } });
      toggle.checked = true;
      this.listen(toggle, "change", () => {
        this.setHidden(c.name, !toggle.checked);
        this.root.focus({ preventScroll: true });
      });
      this.toggles.set(c.name, toggle);
      classList.appendChild(h("div", { class: "wb-class-line", attrs: { "data-class": c.name } }, [toggle, chip]));
    }
    this.attrsPanel = h("div", { class: "wb-attrs" });
    this.listen(this.attrsPanel, "keydown", (ev) => {
      // Typing in an attribute field stays there (and out of JupyterLab's shortcuts).
      const k = (ev as KeyboardEvent).key;
      if (k === "Escape") this.root.focus({ preventScroll: true });
      ev.stopPropagation();
    });
    this.suggestionLine = h("div", { class: "wb-suggestion-line" });
    this.issueBox = h("div", { class: "wb-issue" });
    const side = h("div", { class: "wb-side" }, [
      this.issueBox,
      h("div", { class: "wb-side-title", text: "Classes" }),
      classList,
      this.attrsPanel,
      this.suggestionLine,
    ]);
    const body = h("div", { class: "wb-body" }, [this.stage, side]);
    this.infoLine = h("div", { class: "wb-info" });
    const hint = h("div", {
      class: "wb-hint",
      text: "v select · b box · p polygon · l line · k keypoints · m brush · e eraser · c cuboid · Enter done · ← → move · s skip · Ctrl+Z undo · ? keys",
    });
    this.root.append(head, toolbar, body, this.infoLine, hint, this.statusLine, this.errorBox);

    // Viewport and listeners
    this.layoutCanvas();
    this.vp = new Viewport(this.viewSize()[0], this.viewSize()[1], 1, 1);
    this.readTheme();
    const ov = this.overlayCanvas;
    this.listen(ov, "mousedown", (ev) => this.onDown(ev as MouseEvent));
    this.listen(ov, "dblclick", (ev) => this.onDoubleClick(ev as MouseEvent));
    this.listen(ov, "wheel", (ev) => this.onWheel(ev as WheelEvent));
    this.listen(ov, "contextmenu", (ev) => ev.preventDefault());
    this.listen(ov, "mouseleave", () => {
      if (this.drag) return;
      this.pointer = null;
      this.setHover(null, null);
      this.markDirty(false);
    });
    const win = el.ownerDocument?.defaultView ?? globalThis;
    // Chromium gives mouse and wheel events whole-pixel (truncated) positions but
    // pointer events exact ones: keep those, so zooming at the pointer keeps the
    // exact spot under it, however far it zooms.
    const exact = (ev: Event): void => {
      const e = ev as MouseEvent;
      this.exactPointer = [e.clientX, e.clientY];
    };
    this.listen(win, "pointermove", exact);
    this.listen(win, "pointerdown", exact);
    this.listen(win, "mousemove", (ev) => this.onMove(ev as MouseEvent));
    this.listen(win, "mouseup", (ev) => this.onUp(ev as MouseEvent));
    this.listen(this.root, "keyup", (ev) => {
      if ((ev as KeyboardEvent).key === " ") this.spaceDown = false;
    });
    this.listen(this.root, "blur", () => (this.spaceDown = false));
    this.listen(this.root, "mousedown", (ev) => {
      const t = ev.target as HTMLElement | null;
      if (t && /^(INPUT|SELECT|TEXTAREA|OPTION)$/.test(t.tagName)) return;
      this.root.focus({ preventScroll: true });
    });
    if (typeof ResizeObserver === "function") {
      this.resizeObserver = new ResizeObserver(() => this.onResize());
      this.resizeObserver.observe(this.stage);
    }
    (this.root as unknown as { wbAnnotate: unknown }).wbAnnotate = this.hooks();

    this.renderToolbar();
    this.renderPanels();
    this.paintNote();
    this.start();
    this.ensureSupply();
  }

  // -- lifecycle ---------------------------------------------------------------
  protected release(): void {
    if (this.frameId !== null) cancelRaf(this.frameId);
    for (const f of this.paintFrames) cancelRaf(f);
    this.paintFrames.clear();
    this.resizeObserver?.disconnect();
    for (const item of this.cache.values()) this.dropImage(item);
    for (const item of this.queue.clear()) this.dropImage(item);
    this.cache.clear();
  }

  protected poll(): void {
    const item = this.shownItem();
    if (item?.fullAsk && now() - item.fullAsk.at > REQUEST_TIMEOUT_MS) item.fullAsk = null; // unanswered: ask again
    this.checkFull();
    this.ensureSupply();
  }

  /** The hooks browser tests and benchmarks use (`root.wbAnnotate`). */
  private hooks(): Record<string, unknown> {
    return {
      toClient: (ix: number, iy: number): Pt => {
        const [sx, sy] = this.vp.toScreen(ix, iy);
        const r = this.overlayCanvas.getBoundingClientRect();
        return [r.left + sx, r.top + sy];
      },
      shapes: (): Shape[] => {
        const item = this.shownItem();
        return item ? this.shapesOf(item).map(cleanShape) : [];
      },
      suggestions: (): Shape[] => {
        const item = this.shownItem();
        return item ? this.visibleSuggestions(item).map(cleanShape) : [];
      },
      viewport: () => ({ scale: this.vp.scale, tx: this.vp.tx, ty: this.vp.ty }),
      /** ms each painted frame's drawing took (with a pixel read back after resetTimings, so rasterization counts). */
      frames: (): number[] => this.frameTimes.slice(),
      /** ms from the input event that asked for a frame to the end of its paint. */
      latencies: (): number[] => this.latencyTimes.slice(),
      /** Key-to-paint ms of item changes: keydown to the frame that shows the new item's image with its shapes. */
      paints: (): number[] => this.paintTimes.slice(),
      resetTimings: (): void => {
        this.frameTimes = [];
        this.latencyTimes = [];
        this.paintTimes = [];
        this.exactTimings = true;
      },
      setTool: (t: Tool): void => this.setTool(t),
    };
  }

  // -- keys -------------------------------------------------------------------
  protected once(action: AnnotateAction): boolean {
    switch (action.type) {
      case "zoom":
      case "brushSize":
      case "undo":
      case "redo":
      case "back":
      case "forward":
      case "z":
      case "pan":
      case "nextClass":
        return false;
      default:
        return true;
    }
  }

  protected letsThrough(action: AnnotateAction): boolean {
    return action.type === "escape" && !this.overlay && !this.draft && !this.drag && !this.sel;
  }

  dispatch(action: AnnotateAction, t: number): void {
    this.notice = "";
    switch (action.type) {
      case "tool":
        this.setTool(action.tool);
        break;
      case "class":
        this.pickClass(action.name);
        break;
      case "nextClass": {
        const names = this.taskSpec.classes.map((c) => c.name);
        if (names.length) this.setCurrentClass(names[(names.indexOf(this.currentClass) + 1) % names.length]);
        break;
      }
      case "enter":
        this.enter(t);
        break;
      case "escape":
        this.escape();
        break;
      case "delete":
        this.deleteKey();
        break;
      case "skip":
        this.skip(t);
        break;
      case "back":
        this.back(t);
        break;
      case "forward":
        this.forward(t);
        break;
      case "undo":
        this.undo(false);
        break;
      case "redo":
        this.undo(true);
        break;
      case "acceptAll":
        this.acceptAll();
        break;
      case "copyPrevious":
        this.copyPrevious();
        break;
      case "hide": {
        const sel = this.selectedShape();
        const cls = sel ? sel.class : this.currentClass;
        this.setHidden(cls, !this.hidden.has(cls));
        break;
      }
      case "z":
        this.changeZ(action.delta);
        break;
      case "zoom": {
        const [w, hh] = this.viewSize();
        this.vp.zoomAt(w / 2, hh / 2, action.factor);
        this.viewChanged(t);
        break;
      }
      case "fit":
        this.vp.fit();
        this.viewChanged(t);
        break;
      case "brushSize":
        this.brushR = Math.min(500, Math.max(0.5, this.brushR * action.factor));
        this.brushSet = true;
        this.renderToolbar();
        this.markDirty(false, t);
        break;
      case "notLabeled":
        this.notLabeled();
        break;
      case "visibility":
        this.cycleVisibility();
        break;
      case "pan":
        this.spaceDown = true;
        break;
      default:
        break;
    }
    this.renderStatus();
  }

  private enter(t: number): void {
    const d = this.draft;
    if (d?.kind === "path") return this.finishPath();
    if (d?.kind === "keypoints") return this.finishKeypoints();
    if (d) return; // a box or cuboid waits for its next click
    if (this.sel?.sug) {
      const s = this.selectedShape();
      if (s) this.acceptSuggestions([s], true);
      return;
    }
    this.done(t);
  }

  private escape(): void {
    if (this.overlay) {
      this.toggleOverlay(false);
    } else if (this.draft) {
      this.draft = null;
    } else if (this.drag) {
      this.cancelDrag();
    } else if (this.selVertex) {
      this.selVertex = null;
    } else if (this.sel) {
      this.select(null);
    }
    this.markDirty(false);
  }

  private deleteKey(): void {
    const d = this.draft;
    if (d) {
      if (d.kind === "path" || d.kind === "keypoints") {
        d.points.pop();
        if (!d.points.length) this.draft = null;
      } else {
        this.draft = null;
      }
      this.markDirty(false);
      return;
    }
    const s = this.selectedShape();
    if (!s || !this.sel) {
      this.notice = "nothing selected";
      return;
    }
    if (this.sel.sug) {
      this.dismiss(s);
      return;
    }
    const vertexEditable = s.type === "polygon" || s.type === "polyline" || s.type === "keypoints";
    if (this.selVertex && vertexEditable) {
      this.deleteVertexOf(s, this.selVertex.index);
      return;
    }
    const list = this.currentShapes();
    this.commit(list.filter((o) => o.id !== s.id));
  }

  // -- tools and classes --------------------------------------------------------
  private offered(tool: Tool): boolean {
    const type = TOOL_TYPE[tool];
    if (type === null) return true;
    const types = this.taskSpec.types ?? SHAPE_TYPES;
    if (!types.includes(type)) return false;
    if (tool === "keypoints") return Object.keys(this.taskSpec.skeletons ?? {}).length > 0;
    return true;
  }

  private setTool(tool: Tool): void {
    if (!TOOLS.includes(tool)) return;
    if (!this.offered(tool)) {
      this.notice = `this task has no ${TOOL_NAME[tool].toLowerCase()} tool`;
      this.renderStatus();
      return;
    }
    this.draft = null;
    if (this.drag) this.cancelDrag();
    // Brush and eraser act on the selected mask; other drawing tools start afresh.
    if (tool !== "select" && tool !== "brush" && tool !== "eraser") this.select(null);
    else if ((tool === "brush" || tool === "eraser") && this.selectedShape()?.type !== "mask") this.select(null);
    if (tool === "keypoints" && !this.skeletonOf(this.currentClass)) {
      const first = this.taskSpec.classes.find((c) => this.skeletonOf(c.name));
      if (first) {
        this.currentClass = first.name;
        this.notice = `keypoints: class ${first.name} (the first with a skeleton)`;
      }
    }
    this.tool = tool;
    this.root.dataset.tool = tool;
    this.renderToolbar();
    this.renderPanels();
    this.setCursor();
    this.markDirty(false);
  }

  /** A class key or a click on a class: the selected shape's class, else the class of the next shape. */
  private pickClass(name: string): void {
    const s = this.selectedShape();
    if (s && this.sel && !this.draft) {
      this.changeClass(s, this.sel.sug, name);
      return;
    }
    this.setCurrentClass(name);
  }

  private setCurrentClass(name: string): void {
    this.currentClass = name;
    if (this.draft?.kind === "keypoints" && this.draft.cls !== name) this.draft = null; // another skeleton
    this.renderPanels();
    this.markDirty(false);
  }

  private setHidden(cls: string, hidden: boolean): void {
    if (hidden) this.hidden.add(cls);
    else this.hidden.delete(cls);
    const toggle = this.toggles.get(cls);
    if (toggle) toggle.checked = !hidden;
    const s = this.selectedShape();
    if (s && hidden && s.class === cls) this.select(null);
    if (this.hover) this.setHover(null, null);
    this.batches = null;
    this.renderPanels();
    this.markDirty(true);
  }

  private skeletonOf(cls: string): { names: string[]; edges: [number, number][] } | null {
    const sk = this.taskSpec.skeletons?.[cls];
    if (!sk || !Array.isArray(sk.points) || !sk.points.length) return null;
    const idx = new Map(sk.points.map((n, i) => [n, i]));
    const edges: [number, number][] = [];
    for (const e of sk.edges ?? []) {
      const a = idx.get(e[0]), b = idx.get(e[1]);
      if (a !== undefined && b !== undefined) edges.push([a, b]);
    }
    return { names: sk.points, edges };
  }

  private defaultAttributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of this.taskSpec.attributes ?? []) {
      let v = a.default;
      if (v === undefined || (v === null && a.kind !== "number")) {
        v = a.kind === "bool" ? false : a.kind === "choice" ? (a.choices?.[0] ?? null) : a.kind === "text" ? "" : null;
      }
      out[a.name] = v;
    }
    return out;
  }

  private colorOf(cls: string): [number, number, number] {
    let c = this.colors.get(cls);
    if (!c) {
      c = hexRgb(FALLBACK_COLOR);
      this.colors.set(cls, c);
    }
    return c;
  }

  // -- items ------------------------------------------------------------------
  private shownId(): string | null {
    return this.reviewIdx !== null ? (this.history[this.reviewIdx] ?? null) : this.current;
  }

  private shownItem(): Item | null {
    const id = this.shownId();
    return id === null ? null : (this.cache.get(id) ?? null);
  }

  /** The item's shapes: this view's list, else the newest pending snapshot, else its stored label. */
  private shapesOf(item: Item): Shape[] {
    let list = this.shapes.get(item.item_id);
    if (!list) {
      list = this.initialShapes(item);
      this.shapes.set(item.item_id, list);
    }
    return list;
  }

  private currentShapes(): Shape[] {
    const item = this.shownItem();
    return item ? this.shapesOf(item) : [];
  }

  private initialShapes(item: Item): Shape[] {
    const pending = this.pendingSnapshot(item.item_id);
    if (pending) {
      this.local.set(item.item_id, "label");
      return pending;
    }
    if (item.state === "label") {
      this.local.set(item.item_id, "label");
      return parseShapes(item.label);
    }
    if (item.state === "skip") this.local.set(item.item_id, "skip");
    return [];
  }

  /** The newest unacknowledged label of this task for the item in the outbox (any view's), or null. */
  private pendingSnapshot(itemId: string): Shape[] | null {
    let best: LabelMessage | null = null;
    for (const e of this.sender.outbox.entries()) {
      if (e.item_id === itemId && e.task === this.taskSpec.name && e.kind === "label" && Array.isArray(e.value)) best = e;
    }
    return best ? parseShapes(best.value) : null;
  }

  private historyOf(itemId: string): History<Shape[]> {
    let hist = this.histories.get(itemId);
    if (!hist) {
      hist = new History<Shape[]>();
      this.histories.set(itemId, hist);
    }
    return hist;
  }

  private dismissedOf(itemId: string): Set<string> {
    let d = this.dismissed.get(itemId);
    if (!d) {
      d = new Set();
      this.dismissed.set(itemId, d);
    }
    return d;
  }

  /** Suggestions not accepted (no shape with their id) and not dismissed. */
  private visibleSuggestions(item: Item): Shape[] {
    if (!item.suggestions.length) return item.suggestions;
    const list = this.shapesOf(item);
    const dismissed = this.dismissedOf(item.item_id);
    const c = this.sugCache;
    if (c && c.item === item && c.list === list && c.dismissed === dismissed.size) return c.out;
    const ids = new Set(list.map((s) => s.id));
    const out = item.suggestions.filter((s) => !ids.has(s.id) && !dismissed.has(s.id));
    this.sugCache = { list, item, dismissed: dismissed.size, out };
    return out;
  }

  private makeItem(w: WireItem, buffers: unknown[]): Item {
    const bytes = w.kind === "image" && w.buffer != null ? toBytes(buffers[w.buffer]) : null;
    // Copy: the widget manager may reuse the message's buffer.
    const blob = bytes && typeof Blob !== "undefined" ? new Blob([bytes.slice()], { type: w.mime || "image/png" }) : null;
    const num = (v: unknown): number => (typeof v === "number" && v > 0 ? v : 0);
    const fullW = num(w.full_width) || num(w.width);
    const fullH = num(w.full_height) || num(w.height);
    const pre = w.prelabel && typeof w.prelabel === "object" ? w.prelabel : null;
    return {
      ...w,
      fullW,
      fullH,
      blob,
      image: null,
      closeImage: null,
      imageState: blob ? "idle" : "none",
      imageError: "",
      decodeGen: 0,
      isFull: !!blob && (!num(w.full_width) || num(w.width) >= num(w.full_width)),
      fullAsk: null,
      fullFailed: false,
      suggestions: parseShapes(pre?.value, "p"),
      issue: parseIssue((w as { issue?: unknown }).issue),
    };
  }

  private remember(item: Item): void {
    const old = this.cache.get(item.item_id);
    if (old && old !== item) {
      this.dropImage(old);
      // Keep what the view learnt about it.
      item.fullFailed = old.fullFailed;
    }
    this.cache.delete(item.item_id);
    this.cache.set(item.item_id, item);
    if (!this.shapes.has(item.item_id)) this.shapes.set(item.item_id, this.initialShapes(item));
    if (this.cache.size <= CACHE_LIMIT + this.queue.length) return;
    const keep = this.keepSet();
    for (const [id, it] of this.cache) {
      if (this.cache.size <= CACHE_LIMIT + this.queue.length) break;
      if (keep.has(id)) continue;
      this.dropImage(it);
      this.cache.delete(id);
    }
  }

  private keepSet(): Set<string> {
    const keep = new Set<string>(this.queue.ids());
    if (this.current) keep.add(this.current);
    const shown = this.shownId();
    if (shown) keep.add(shown);
    return keep;
  }

  private excluded(): string[] {
    const ids = new Set<string>(this.queue.ids());
    if (this.current) ids.add(this.current);
    for (const id of this.history) ids.add(id);
    return [...ids];
  }

  /** Ask for items when the queue runs low or an item we navigated to is missing. */
  private ensureSupply(): void {
    if (this.destroyed) return;
    const t = now();
    const want = this.shownId();
    if (want && !this.cache.has(want)) this.requestItem(want);
    if (this.needInFlight && t - this.needInFlight.at < REQUEST_TIMEOUT_MS) return;
    if (this.exhaustedAt !== null && t - this.exhaustedAt < EXHAUSTED_RECHECK_MS) return;
    const prefetch = Math.max(0, Math.floor(Number(this.model.get("prefetch")) || 0));
    const live = this.current !== null ? 1 : 0;
    let n: number;
    if (prefetch === 0) {
      n = live ? 0 : 1; // baseline: each item asked for when it is needed
    } else {
      const low = Math.max(1, Math.ceil(prefetch / 2));
      if (this.queue.length >= low && live) return;
      n = prefetch - this.queue.length + (live ? 0 : 1);
    }
    if (n <= 0) return;
    const req = ++this.req;
    this.needInFlight = { req, at: t };
    this.sender.send({ type: "need", client_id: this.clientId, req, n: Math.min(n, 500), exclude: this.excluded() });
  }

  private requestItem(itemId: string): void {
    const t = now();
    const prev = this.itemRequests.get(itemId);
    if (prev && t - prev.at < REQUEST_TIMEOUT_MS) return;
    const req = ++this.req;
    this.itemRequests.set(itemId, { req, at: t });
    this.sender.send({ type: "item", client_id: this.clientId, req, item_id: itemId });
  }

  // -- messages from the kernel ----------------------------------------------------
  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "items":
        if (mine) this.onItems(msg, buffers);
        break;
      case "item":
        if (mine) this.onItem(msg, buffers);
        break;
      case "full":
        if (mine) this.onFull(msg, buffers);
        break;
      case "requeue":
        this.requeue();
        break;
      case "error": {
        if (mine && this.needInFlight && msg.req === this.needInFlight.req) this.needInFlight = null;
        const asked = mine ? [...this.cache.values()].find((it) => it.fullAsk?.req === msg.req) : undefined;
        if (asked) {
          asked.fullAsk = null;
          asked.fullFailed = true;
        }
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        break;
      }
      default:
        break;
    }
  }

  private requeue(): void {
    const shown = this.shownId();
    for (const item of this.queue.clear()) {
      if (item.item_id !== shown) {
        this.dropImage(item);
        this.cache.delete(item.item_id);
      }
    }
    this.needInFlight = null;
    this.exhaustedAt = null;
    this.ensureSupply();
  }

  private onItems(msg: KernelMessage, buffers: unknown[]): void {
    if (this.needInFlight && msg.req === this.needInFlight.req) this.needInFlight = null;
    this.setProgress(msg.progress);
    const wire = Array.isArray(msg.items) ? (msg.items as WireItem[]) : [];
    const done = new Set(this.history);
    const skip = (id: string): boolean => id === this.current || done.has(id);
    const added = this.queue.push(
      wire.filter((w) => w && typeof w.item_id === "string").map((w) => this.makeItem(w, buffers)),
      skip,
    );
    for (const item of added) this.remember(item);
    const asked = Number(msg.n ?? 1);
    this.exhaustedAt = wire.length === 0 && asked > 0 ? now() : null;
    if (this.current === null && this.reviewIdx === null) {
      const next = this.queue.shift();
      if (next) this.current = next.item_id;
    }
    if (this.shownId() !== this.shownKey || this.shownItem() !== this.fittedFor) {
      this.show(null);
    } else {
      this.keepImages(); // the next items decode now, so showing one costs no decode
      this.paintNote();
    }
    this.ensureSupply();
  }

  private onItem(msg: KernelMessage, buffers: unknown[]): void {
    const w = msg.item as WireItem | undefined;
    const id = (w?.item_id ?? msg.item_id) as string | undefined;
    if (id) this.itemRequests.delete(id);
    if (w && typeof w.item_id === "string") this.remember(this.makeItem(w, buffers));
    else if (msg.error) this.showError(String(msg.error), true);
    if (id && id === this.shownId()) this.show(null);
  }

  private onFull(msg: KernelMessage, buffers: unknown[]): void {
    const item = this.cache.get(String(msg.item_id));
    if (!item || !item.fullAsk || item.fullAsk.req !== msg.req) return;
    item.fullAsk = null;
    if (msg.error) {
      item.fullFailed = true;
      this.showError(`full-size image of ${item.item_id}: ${String(msg.error)}`, true);
      return;
    }
    const bytes = typeof msg.buffer === "number" ? toBytes(buffers[msg.buffer]) : null;
    if (!bytes || typeof Blob === "undefined") {
      item.fullFailed = true;
      return;
    }
    const blob = new Blob([bytes.slice()], { type: String(msg.mime || item.mime || "image/png") });
    const decoding = decodeBlob(blob);
    if (!decoding) {
      item.fullFailed = true;
      return;
    }
    decoding.then(
      (d) => {
        if (this.destroyed || !this.cache.has(item.item_id)) return d.close();
        this.dropImage(item);
        item.blob = blob; // a later re-decode (after eviction) gets the full image too
        item.isFull = true;
        item.image = d.image;
        item.closeImage = d.close;
        item.imageState = "ready";
        if (!item.fullW) {
          item.fullW = d.width;
          item.fullH = d.height;
        }
        if (item.item_id === this.shownId()) {
          this.root.dataset.full = "1";
          this.markDirty(true);
        }
      },
      () => {
        item.fullFailed = true;
        this.showError(`full-size image of ${item.item_id} could not be decoded`, true);
      },
    );
  }

  // -- images -----------------------------------------------------------------
  private decodeImage(item: Item): void {
    if (item.imageState !== "idle" || !item.blob) return;
    const decoding = decodeBlob(item.blob);
    if (!decoding) {
      item.imageState = "none";
      return;
    }
    const gen = ++item.decodeGen;
    item.imageState = "loading";
    decoding.then(
      (d) => {
        if (this.destroyed || gen !== item.decodeGen) return d.close();
        item.image = d.image;
        item.closeImage = d.close;
        item.imageState = "ready";
        this.imageArrived(item, d.width, d.height);
      },
      (err) => {
        if (gen !== item.decodeGen) return;
        item.imageState = "failed";
        item.imageError = String((err as Error)?.message ?? err);
        this.imageArrived(item, 0, 0);
      },
    );
  }

  private imageArrived(item: Item, w: number, h: number): void {
    if (this.destroyed || item.item_id !== this.shownId()) return;
    if (!item.fullW && w && h) {
      item.fullW = w;
      item.fullH = h;
      this.vp.setImage(w, h);
    }
    if (item.imageState === "failed") this.paintNote();
    this.markDirty(true);
  }

  /** Close a decoded image (its bytes stay, to decode again when needed). */
  private dropImage(item: Item): void {
    item.decodeGen++;
    item.closeImage?.();
    item.closeImage = null;
    item.image = null;
    if (item.imageState === "ready" || item.imageState === "loading") item.imageState = item.blob ? "idle" : "none";
  }

  /** Keep decoded only the images that may be shown soon: the next few queued, the shown one, the last few left. */
  private keepImages(): void {
    const keep = new Set<string>(this.queue.ids().slice(0, DECODE_AHEAD));
    if (this.current) keep.add(this.current);
    const shown = this.shownId();
    if (shown) keep.add(shown);
    for (const id of this.history.slice(-KEEP_DECODED)) keep.add(id);
    if (this.prevShown) keep.add(this.prevShown);
    for (const [id, item] of this.cache) {
      if (keep.has(id)) this.decodeImage(item);
      else if (item.image || item.imageState === "loading") this.dropImage(item);
    }
  }

  /** Ask once for the full-size image when the sent one is magnified on screen. */
  private checkFull(): void {
    const item = this.shownItem();
    if (!item || item.isFull || item.fullAsk || item.fullFailed || !item.blob) return;
    const sentW = Number(item.width) || 0;
    if (!sentW || !item.fullW || sentW >= item.fullW) return;
    if (this.vp.scale * (item.fullW / sentW) <= 1.0) return;
    const req = ++this.req;
    item.fullAsk = { req, at: now() };
    this.sender.send({ type: "full", client_id: this.clientId, req, item_id: item.item_id });
  }

  // -- navigation ----------------------------------------------------------------
  /** Enter with nothing drawn: an item with no label records its list (maybe empty: "nothing here"); then the next item. */
  private done(t: number): void {
    const item = this.shownItem();
    if (!item) return;
    if (item.kind !== "image" || item.imageState === "failed") {
      // "Nothing here" needs an image that was seen.
      this.notice = "this item cannot be shown: s skips it";
      return;
    }
    // An item with no label records its list ("nothing here" when empty); in a
    // review of audit issues, Enter on an unchanged item confirms its label.
    const unlabeled = this.local.get(item.item_id) !== "label";
    if (!this.edited.has(item.item_id) && (unlabeled || item.issue)) this.postLabel(item, this.shapesOf(item));
    this.leave(t);
  }

  private skip(t: number): void {
    const item = this.shownItem();
    if (!item) return;
    if (this.draft || this.drag) this.cancelInteractions();
    this.sender.post({
      item_id: item.item_id,
      task: this.taskSpec.name,
      kind: "skip",
      value: null,
      duration_ms: Math.max(0, Math.round(now() - this.shownSince)),
    });
    this.local.set(item.item_id, "skip");
    this.leave(t);
  }

  private leave(t: number): void {
    this.cancelInteractions();
    const id = this.shownId();
    if (id && !this.history.includes(id)) this.history.push(id);
    if (this.reviewIdx !== null) {
      const at = id ? this.history.indexOf(id) : this.reviewIdx;
      this.reviewIdx = at + 1 >= this.history.length ? null : at + 1;
    } else {
      const next = this.queue.shift();
      this.current = next ? next.item_id : null;
    }
    this.show(t);
    this.ensureSupply();
  }

  private back(t: number): void {
    if (!this.history.length || this.busy()) return;
    this.reviewIdx = this.reviewIdx === null ? this.history.length - 1 : Math.max(0, this.reviewIdx - 1);
    this.show(t);
    this.ensureSupply();
  }

  private forward(t: number): void {
    if (this.reviewIdx === null || this.busy()) return;
    this.reviewIdx = this.reviewIdx + 1 >= this.history.length ? null : this.reviewIdx + 1;
    this.show(t);
    this.ensureSupply();
  }

  /** A shape being drawn or dragged: navigation waits for Enter or Escape. */
  private busy(): boolean {
    if (this.draft || this.drag) {
      this.notice = "finish the shape (Enter, or a click) or cancel it (Esc) first";
      return true;
    }
    return false;
  }

  private cancelInteractions(): void {
    this.draft = null;
    if (this.drag) this.cancelDrag();
  }

  /** Paint the shown item; `t` is the timestamp of the key that led here (null: none). */
  private show(t: number | null): void {
    if (this.destroyed) return;
    const id = this.shownId();
    if (t !== null && this.paintKeys.length < 10000) this.paintKeys.push(t);
    if (id !== this.shownKey) {
      if (this.shownKey !== null) this.prevShown = this.shownKey;
      this.shownKey = id;
      this.cancelInteractions();
      this.sel = null;
      this.selVertex = null;
      this.hover = null;
      this.hoverHit = null;
      this.batches = null;
      this.shownSince = now();
      this.lastCommitAt = this.shownSince;
    }
    const item = this.shownItem();
    if (item && item !== this.fittedFor) {
      this.fittedFor = item;
      this.batches = null;
      this.vp.setImage(item.fullW || 1, item.fullH || 1);
      if (!this.brushSet) this.brushR = Math.max(2, Math.round(Math.min(item.fullW || 500, item.fullH || 500) / 100));
    }
    this.root.dataset.itemId = item ? item.item_id : "";
    this.root.dataset.full = item && item.isFull ? "1" : "0";
    this.root.classList.toggle("wb-reviewing", this.reviewIdx !== null);
    if (item) {
      this.decodeImage(item);
      this.keepImages();
      this.checkFull(); // a small sent image may be magnified at fit already
    }
    this.paintNote();
    // Paint now, inside the key handler: the next item shows in this frame.
    this.paintFrame(false);
    this.renderToolbar();
    this.renderPanels();
    this.renderStatus();
  }

  /** A note over the stage: loading, all done, or why an item cannot be shown. */
  private paintNote(): void {
    const id = this.shownId();
    const item = this.shownItem();
    let text = "";
    if (item) {
      if (item.kind === "error") text = item.error || `item ${item.item_id} cannot be shown`;
      else if (item.kind !== "image") text = `item ${item.item_id} is not an image (${item.kind}); s skips it`;
      else if (item.imageState === "failed") text = `the image of ${item.item_id} could not be decoded (${item.imageError})`;
    } else if (id !== null || this.needInFlight) text = "loading…";
    else if (this.exhaustedAt !== null) {
      text = "All items are done. Nothing left in the queue.";
      this.paintKeys = []; // the keys that led here show no item: nothing to time
    } else text = "loading…";
    this.stageNote.textContent = text;
    this.stageNote.hidden = !text;
  }

  // -- labels -----------------------------------------------------------------
  private postLabel(item: Item, list: Shape[]): void {
    const t = now();
    this.sender.post({
      item_id: item.item_id,
      task: this.taskSpec.name,
      kind: "label",
      value: list.map(cleanShape),
      duration_ms: Math.max(0, Math.round(t - this.lastCommitAt)),
    });
    this.lastCommitAt = t;
    this.local.set(item.item_id, "label");
    this.labelTimes.push(t);
    if (this.labelTimes.length > 1000) this.labelTimes.shift();
  }

  /** A committed change of the shown item's shapes: remember the old list for undo, show the new one, send it. */
  private commit(next: Shape[]): void {
    const item = this.shownItem();
    if (!item) return;
    this.historyOf(item.item_id).push(this.shapesOf(item));
    this.setShapes(item, next);
    this.edited.add(item.item_id);
    this.postLabel(item, next);
  }

  private setShapes(item: Item, next: Shape[]): void {
    this.shapes.set(item.item_id, next);
    this.batches = null;
    if (this.sel && !this.selectedShape()) {
      this.sel = null;
      this.selVertex = null;
    }
    if (this.hover && !this.shapeById(this.hover)) this.setHover(null, null);
    this.markDirty(true);
    this.renderPanels();
  }

  /** Undo (or redo) the shown item's last change; the restored list is sent as a new label. */
  private undo(redo: boolean): void {
    const item = this.shownItem();
    if (!item) return;
    if (this.draft) {
      // While drawing, undo takes back the last point.
      if (!redo && (this.draft.kind === "path" || this.draft.kind === "keypoints")) {
        this.deleteKey();
        return;
      }
      this.draft = null;
    }
    if (this.drag) this.cancelDrag();
    const hist = this.historyOf(item.item_id);
    const cur = this.shapesOf(item);
    const restored = redo ? hist.redo(cur) : hist.undo(cur);
    if (!restored) {
      this.notice = redo ? "nothing to redo" : "nothing to undo";
      return;
    }
    this.setShapes(item, restored);
    this.edited.add(item.item_id);
    this.postLabel(item, restored);
  }

  private nextId(list: Shape[], item: Item): string {
    let n = 0;
    for (const s of list) {
      const m = /^s(\d+)$/.exec(s.id);
      if (m) n = Math.max(n, Number(m[1]));
    }
    for (const s of item.suggestions) {
      const m = /^s(\d+)$/.exec(s.id);
      if (m) n = Math.max(n, Number(m[1]));
    }
    return `s${n + 1}`;
  }

  private topZ(list: Shape[]): number {
    let z = 0;
    for (const s of list) z = Math.max(z, s.z ?? 0);
    return z;
  }

  /**
   * `list` with `s` added. Semantic masks: a mask of a class that has one
   * already is merged into it (one mask per class per item).
   */
  private addShape(list: Shape[], s: Shape): Shape[] {
    if (this.taskSpec.masks === "semantic" && s.type === "mask" && s.rle) {
      const at = list.findIndex((o) => o.type === "mask" && o.class === s.class && o.id !== s.id);
      if (at >= 0) {
        const merged = unionRle(list[at].rle!, s.rle);
        if (merged) {
          const out = list.slice();
          out[at] = { ...list[at], rle: merged };
          return out;
        }
      }
    }
    return [...list, s];
  }

  /** A new shape of the current class from a drawing tool. */
  private addNew(type: ShapeType, cls: string, geometry: Partial<Shape>, select = false): void {
    const item = this.shownItem();
    if (!item) return;
    const list = this.shapesOf(item);
    let s: Shape = { type, class: cls, id: this.nextId(list, item), z: this.topZ(list), attributes: this.defaultAttributes(), ...geometry };
    s = roundShape(clampShape(s, item.fullW, item.fullH));
    if (this.hidden.has(cls)) this.setHidden(cls, false);
    this.commit(this.addShape(list, s));
    if (select && this.shapeById({ id: s.id, sug: false })) this.select({ id: s.id, sug: false });
  }

  private replaceShape(next: Shape): void {
    const list = this.currentShapes();
    const at = list.findIndex((o) => o.id === next.id);
    if (at < 0) return;
    const out = list.slice();
    out[at] = next;
    this.commit(out);
  }

  private changeClass(s: Shape, sug: boolean, name: string): void {
    if (s.class === name) return;
    if (s.type === "keypoints") {
      const sk = this.skeletonOf(name);
      if (!sk || sk.names.length !== (s.points?.length ?? 0)) {
        this.notice = `class ${name} has another skeleton: keypoints keep their class`;
        return;
      }
    }
    const next = { ...s, class: name };
    if (sug) {
      this.acceptSuggestions([next], true);
      return;
    }
    if (this.taskSpec.masks === "semantic" && s.type === "mask") {
      // One mask per class: renaming onto a class that has one merges the two.
      const rest = this.currentShapes().filter((o) => o.id !== s.id);
      if (rest.some((o) => o.type === "mask" && o.class === name)) {
        this.commit(this.addShape(rest, next));
        return;
      }
    }
    this.replaceShape(next);
    this.renderPanels();
  }

  private changeZ(delta: 1 | -1): void {
    const s = this.selectedShape();
    if (!s || !this.sel || this.sel.sug) {
      this.notice = "select a shape to raise or lower it";
      return;
    }
    const others = this.currentShapes().filter((o) => o.id !== s.id);
    if (!others.length) return;
    const zs = others.map((o) => o.z ?? 0);
    const z = s.z ?? 0;
    if (delta > 0) {
      const top = Math.max(...zs);
      if (z > top) return;
      this.replaceShape({ ...s, z: top + 1 });
    } else {
      const bottom = Math.min(...zs);
      if (z < bottom) return;
      this.replaceShape({ ...s, z: bottom - 1 });
    }
  }

  private deleteVertexOf(s: Shape, index: number): void {
    const next = deleteVertex(s, index);
    if (!next) {
      this.notice =
        s.type === "polygon" ? "a polygon keeps at least 3 points" : s.type === "polyline" ? "a polyline keeps at least 2 points" : `a ${s.type} has no vertex to delete`;
      return;
    }
    this.selVertex = null;
    this.replaceShape(next);
  }

  private cycleVisibility(): void {
    const s = this.selectedShape();
    if (!s || !this.sel || s.type !== "keypoints" || !this.selVertex || !s.points) {
      this.notice = "select a keypoint (click it) to change its visibility";
      return;
    }
    const i = this.selVertex.index;
    const q = s.points[i];
    if (!q) return;
    const v = q[2] === 2 ? 1 : q[2] === 1 ? 0 : 2;
    const points = s.points.slice();
    points[i] = [q[0], q[1], v];
    const next = { ...s, points };
    if (this.sel.sug) this.acceptSuggestions([next], true);
    else this.replaceShape(next);
    if (v === 0) this.selVertex = null;
  }

  private setAttribute(s: Shape, sug: boolean, name: string, value: unknown): void {
    const next = { ...s, attributes: { ...(s.attributes ?? {}), [name]: value } };
    if (sug) this.acceptSuggestions([next], true);
    else this.replaceShape(next);
  }

  // -- suggestions --------------------------------------------------------------
  /** Accept suggestions (maybe edited) as shapes of the item, in one commit. */
  private acceptSuggestions(list: Shape[], select: boolean): void {
    const item = this.shownItem();
    if (!item || !list.length) return;
    let out = this.shapesOf(item);
    const z = this.topZ(out);
    for (const s of list) {
      const plain: Shape = { ...s, z: s.z ?? z, attributes: { ...this.defaultAttributes(), ...(s.attributes ?? {}) } };
      delete plain.score;
      const before = out.length;
      out = this.addShape(out, roundShape(clampShape(plain, item.fullW || Infinity, item.fullH || Infinity)));
      if (out.length === before) this.dismissedOf(item.item_id).add(s.id); // merged into a semantic mask
    }
    this.commit(out);
    const last = list[list.length - 1];
    this.select(select && this.shapeById({ id: last.id, sug: false }) ? { id: last.id, sug: false } : null);
  }

  private acceptAll(): void {
    const item = this.shownItem();
    if (!item) return;
    const sugs = this.visibleSuggestions(item);
    if (!sugs.length) {
      this.notice = "no suggestions to accept";
      return;
    }
    this.acceptSuggestions(sugs.slice(), false);
  }

  /** Dismiss a suggestion: this view stops showing it (nothing is stored). */
  private dismiss(s: Shape): void {
    const item = this.shownItem();
    if (!item) return;
    this.dismissedOf(item.item_id).add(s.id);
    this.select(null);
    this.batches = null;
    this.markDirty(true);
    this.renderPanels();
  }

  // -- copy from the previous item ---------------------------------------------------
  private copyPrevious(): void {
    const item = this.shownItem();
    const prevId = this.prevShown;
    const prev = prevId ? this.cache.get(prevId) : undefined;
    const source = prevId ? (this.shapes.get(prevId) ?? (prev ? this.shapesOf(prev) : [])) : [];
    if (!item || !prevId) {
      this.notice = "no previous item in this view to copy from";
      return;
    }
    if (!source.length) {
      this.notice = `item ${prevId} has no shapes to copy`;
      return;
    }
    let out = this.shapesOf(item);
    let skipped = 0;
    const z0 = this.topZ(out);
    for (const s of source) {
      if (s.type === "mask" && (!s.rle || s.rle.size[0] !== Math.round(item.fullH) || s.rle.size[1] !== Math.round(item.fullW))) {
        skipped++;
        continue;
      }
      const copy: Shape = { ...s, id: this.nextId(out, item), z: (s.z ?? 0) + (out.length ? z0 : 0) };
      delete copy.score;
      out = this.addShape(out, roundShape(clampShape(copy, item.fullW, item.fullH)));
    }
    this.commit(out);
    this.notice = `copied ${source.length - skipped} shape${source.length - skipped === 1 ? "" : "s"} from ${prevId}` + (skipped ? ` (${skipped} mask${skipped === 1 ? "" : "s"} of another size left out)` : "");
  }

  // -- selection ------------------------------------------------------------------
  private shapeById(sel: Selection | null): Shape | null {
    if (!sel) return null;
    const item = this.shownItem();
    if (!item) return null;
    const list = sel.sug ? this.visibleSuggestions(item) : this.shapesOf(item);
    return list.find((s) => s.id === sel.id) ?? null;
  }

  private selectedShape(): Shape | null {
    return this.shapeById(this.sel);
  }

  private select(sel: Selection | null, vertex: { index: number; face?: "front" | "back" } | null = null): void {
    const same = (this.sel?.id ?? null) === (sel?.id ?? null) && (this.sel?.sug ?? false) === (sel?.sug ?? false);
    this.sel = sel;
    this.selVertex = sel ? vertex : null;
    if (!same) {
      this.batches = null; // the selected shape moves from the base canvas to the overlay
      this.markDirty(true);
      this.renderPanels();
    } else {
      this.markDirty(false);
    }
  }

  private setHover(sel: Selection | null, hit: Hit | null): void {
    this.hover = sel;
    this.hoverHit = hit;
  }

  /** What is under image point p: the selected shape's handles first, then shapes (topmost first), then suggestions. */
  private hitAt(p: Pt): { hit: Hit; shape: Shape; sug: boolean } | null {
    const item = this.shownItem();
    if (!item) return null;
    const tol = HIT_PX / this.vp.scale;
    const sel = this.selectedShape();
    if (sel && this.sel && !this.hidden.has(sel.class)) {
      const hit = hitTest([sel], p, tol);
      if (hit && hit.part !== "body") return { hit, shape: sel, sug: this.sel.sug };
    }
    const list = this.shapesOf(item);
    let hit = hitTest(list, p, tol, this.hidden);
    if (hit) {
      const shape = list.find((s) => s.id === hit!.id);
      if (shape) return { hit, shape, sug: false };
    }
    const sugs = this.visibleSuggestions(item);
    hit = sugs.length ? hitTest(sugs, p, tol, this.hidden) : null;
    if (hit) {
      const shape = sugs.find((s) => s.id === hit!.id);
      if (shape) return { hit, shape, sug: true };
    }
    return null;
  }

  // -- mouse --------------------------------------------------------------------
  private screenPoint(ev: MouseEvent): Pt {
    const r = this.overlayCanvas.getBoundingClientRect();
    let x = ev.clientX;
    let y = ev.clientY;
    const e = this.exactPointer;
    if (e && e[0] - x >= 0 && e[0] - x < 1 && e[1] - y >= 0 && e[1] - y < 1) {
      x = e[0];
      y = e[1];
    }
    return [x - r.left, y - r.top];
  }

  private clampPt(p: Pt): Pt {
    const item = this.shownItem();
    if (!item || !item.fullW || !item.fullH) return p;
    return [Math.min(Math.max(p[0], 0), item.fullW), Math.min(Math.max(p[1], 0), item.fullH)];
  }

  private onDown(ev: MouseEvent): void {
    if (this.destroyed) return;
    ev.preventDefault(); // no text selection, no middle-button autoscroll
    this.root.focus({ preventScroll: true });
    const item = this.shownItem();
    if (!item) return;
    if (this.drag) this.cancelDrag(); // its release never came (the pointer left the page)
    const [sx, sy] = this.screenPoint(ev);
    this.pointer = [sx, sy];
    const p = this.vp.toImage(sx, sy);
    const t = keyTime(ev);
    const drag = (kind: Drag["kind"], extra: Partial<Drag> = {}): void => {
      this.drag = { kind, sx, sy, lastX: sx, lastY: sy, moved: false, start: p, ...extra };
    };
    if (ev.button === 1 || (ev.button === 0 && this.spaceDown)) {
      drag("pan");
      this.setCursor();
      return;
    }
    if (ev.button !== 0) return;
    this.notice = "";
    switch (this.tool) {
      case "select":
        this.selectDown(p, ev, drag);
        break;
      case "box":
        this.boxDown(p, drag);
        break;
      case "polygon":
      case "polyline":
        this.pathDown(p, this.tool);
        break;
      case "keypoints":
        this.keypointDown(p, ev.shiftKey);
        break;
      case "brush":
      case "eraser":
        if (this.startStroke(p, this.tool === "eraser")) drag("stroke");
        break;
      case "cuboid":
        this.cuboidDown(p, drag);
        break;
    }
    this.markDirty(false, t);
    this.renderStatus();
  }

  private onMove(ev: MouseEvent): void {
    if (this.destroyed) return;
    const d = this.drag;
    if (!d && ev.target !== this.overlayCanvas) return;
    const item = this.shownItem();
    if (!item) return;
    const [sx, sy] = this.screenPoint(ev);
    this.pointer = [sx, sy];
    const t = keyTime(ev);
    const p = this.vp.toImage(sx, sy);
    if (d) {
      if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) > DRAG_PX) d.moved = true;
      this.dragMove(d, p, sx, sy, t);
      d.lastX = sx;
      d.lastY = sy;
      return;
    }
    const draft = this.draft;
    if (draft) {
      if (draft.kind === "box" && draft.waiting) draft.p1 = this.clampPt(p);
      else if (draft.kind === "cuboid" && draft.phase === "back") draft.hover = p;
      else if (draft.kind === "path" || draft.kind === "keypoints") draft.hover = this.clampPt(p);
    } else if (this.tool === "select") {
      const hit = this.hitAt(p);
      const next = hit ? { id: hit.shape.id, sug: hit.sug } : null;
      this.setHover(next, hit?.hit ?? null);
      this.setCursor();
    }
    this.markDirty(false, t);
  }

  private onUp(ev: MouseEvent): void {
    const d = this.drag;
    if (!d || this.destroyed) return;
    this.drag = null;
    const t = keyTime(ev);
    const [sx, sy] = this.screenPoint(ev);
    const p = this.vp.toImage(sx, sy);
    if (!d.moved && Math.hypot(sx - d.sx, sy - d.sy) > DRAG_PX) {
      d.moved = true;
      this.dragMove(d, p, sx, sy, t);
    }
    switch (d.kind) {
      case "pan":
        if (d.clickDeselect && !d.moved) this.select(null);
        break;
      case "move":
      case "vertex":
      case "handle": {
        const live = this.live;
        const offset = this.liveOffset;
        this.live = null;
        this.liveOffset = null;
        if (!d.moved || !d.orig) break;
        let next: Shape | null = live;
        if (d.orig.type === "mask" && offset) next = translate(d.orig, offset[0], offset[1]);
        if (!next) break;
        const item = this.shownItem();
        if (item && next.type !== "mask") next = roundShape(clampShape(next, item.fullW, item.fullH));
        if (d.sug) this.acceptSuggestions([next], true);
        else this.replaceShape(next);
        break;
      }
      case "box": {
        const draft = this.draft;
        if (draft?.kind !== "box") break;
        draft.p1 = this.clampPt(p);
        if (d.moved) this.finishBox();
        else draft.waiting = true; // a click: the next click sets the other corner
        break;
      }
      case "cuboid": {
        const draft = this.draft;
        if (draft?.kind !== "cuboid") break;
        draft.p1 = this.clampPt(p);
        const [, , w, hh] = normBox(draft.p0[0], draft.p0[1], draft.p1[0], draft.p1[1]);
        if (w * this.vp.scale < MIN_BOX_PX || hh * this.vp.scale < MIN_BOX_PX) {
          this.draft = null;
          this.notice = "drag the cuboid's front face first";
        } else {
          draft.phase = "back";
          draft.hover = p;
        }
        break;
      }
      case "stroke":
        this.endStroke();
        break;
    }
    this.setCursor();
    this.markDirty(true, t);
    this.renderStatus();
  }

  private cancelDrag(): void {
    const d = this.drag;
    this.drag = null;
    this.live = null;
    this.liveOffset = null;
    if (d?.kind === "stroke") this.stroke = null;
    if (d?.kind === "box" || d?.kind === "cuboid") this.draft = null;
    this.markDirty(true);
  }

  private dragMove(d: Drag, p: Pt, sx: number, sy: number, t: number): void {
    switch (d.kind) {
      case "pan":
        this.vp.pan(sx - d.lastX, sy - d.lastY);
        this.viewChanged(t);
        return;
      case "move": {
        if (!d.moved || !d.orig) return;
        const item = this.shownItem();
        let dx = p[0] - d.start[0];
        let dy = p[1] - d.start[1];
        const b = bboxOfShape(d.orig);
        if (b && item && item.fullW && item.fullH) {
          // Keep the whole shape on the image.
          dx = Math.min(Math.max(dx, -b[0]), item.fullW - (b[0] + b[2]));
          dy = Math.min(Math.max(dy, -b[1]), item.fullH - (b[1] + b[3]));
        }
        if (d.orig.type === "mask") {
          this.liveOffset = [Math.round(dx), Math.round(dy)];
          this.live = d.orig;
        } else {
          this.live = translate(d.orig, dx, dy);
        }
        break;
      }
      case "vertex":
        if (!d.moved || !d.orig || d.index === undefined) return;
        this.live = moveVertex(d.orig, d.index, this.clampPt(p), d.face ?? "front");
        break;
      case "handle":
        if (!d.moved || !d.orig?.bbox || !d.handle) return;
        this.live = { ...d.orig, bbox: resizeBox(d.orig.bbox, d.handle, this.clampPt(p)) };
        break;
      case "box":
      case "cuboid": {
        const draft = this.draft;
        if (draft && (draft.kind === "box" || (draft.kind === "cuboid" && draft.phase === "front"))) draft.p1 = this.clampPt(p);
        break;
      }
      case "stroke":
        this.extendStroke(p);
        break;
    }
    this.markDirty(false, t);
  }

  private onDoubleClick(ev: MouseEvent): void {
    const item = this.shownItem();
    if (!item) return;
    ev.preventDefault();
    const p = this.vp.toImage(...this.screenPoint(ev));
    const d = this.draft;
    if (d?.kind === "path") {
      // The double-click's two presses added the same point twice: finish with one.
      const pts = d.points;
      while (pts.length >= 2 && Math.hypot(pts[pts.length - 1][0] - pts[pts.length - 2][0], pts[pts.length - 1][1] - pts[pts.length - 2][1]) * this.vp.scale < CLOSE_PX) pts.pop();
      this.finishPath();
      return;
    }
    if (this.tool !== "select") return;
    const hit = this.hitAt(p);
    if (!hit || hit.hit.part !== "edge" || hit.hit.index === undefined) return;
    const s = hit.shape;
    if (s.type !== "polygon" && s.type !== "polyline") return;
    const next = roundShape(insertVertex(s, hit.hit.index, this.clampPt(hit.hit.at ?? p)));
    if (hit.sug) this.acceptSuggestions([next], true);
    else {
      this.replaceShape(next);
      this.select({ id: s.id, sug: false }, { index: hit.hit.index + 1 });
    }
    this.renderStatus();
  }

  private onWheel(ev: WheelEvent): void {
    if (!this.shownItem()) return;
    ev.preventDefault();
    const [sx, sy] = this.screenPoint(ev);
    let dy = ev.deltaY;
    if (ev.deltaMode === 1) dy *= 16;
    else if (ev.deltaMode === 2) dy *= 400;
    dy = Math.max(-600, Math.min(600, dy));
    if (!dy) return;
    this.vp.zoomAt(sx, sy, Math.pow(2, -dy / WHEEL_DOUBLE));
    this.pointer = [sx, sy];
    this.viewChanged(keyTime(ev));
  }

  private viewChanged(t: number): void {
    this.markDirty(true, t);
    this.checkFull();
  }

  private onResize(): void {
    if (this.destroyed) return;
    const [w, hh] = this.viewSize();
    const dpr = globalThis.devicePixelRatio || 1;
    if (w === this.vp.viewW && hh === this.vp.viewH && dpr === this.dpr) return;
    this.layoutCanvas();
    this.vp.resize(w, hh);
    this.markDirty(true);
    this.checkFull();
  }

  private viewSize(): Pt {
    const w = this.stage.clientWidth;
    const hh = this.stage.clientHeight;
    return w > 0 && hh > 0 ? [w, hh] : DEFAULT_VIEW;
  }

  private layoutCanvas(): void {
    const [w, hh] = this.viewSize();
    this.dpr = globalThis.devicePixelRatio || 1;
    for (const c of [this.base, this.overlayCanvas]) {
      c.width = Math.max(1, Math.round(w * this.dpr));
      c.height = Math.max(1, Math.round(hh * this.dpr));
      c.style.width = `${w}px`;
      c.style.height = `${hh}px`;
    }
    this.batches = null;
  }

  private readTheme(): void {
    try {
      const v = getComputedStyle(this.root).getPropertyValue("--jp-layout-color3").trim();
      if (v) this.placeholder = v;
    } catch {
      /* no styles (jsdom) */
    }
  }

  private setCursor(): void {
    let cursor = "default";
    if (this.drag?.kind === "pan") cursor = "grabbing";
    else if (this.spaceDown) cursor = "grab";
    else if (this.tool !== "select") cursor = "crosshair";
    else if (this.hoverHit) cursor = this.hoverHit.part === "body" ? "move" : this.hoverHit.part === "edge" ? "pointer" : "crosshair";
    if (this.overlayCanvas.style.cursor !== cursor) this.overlayCanvas.style.cursor = cursor;
  }

  // -- select tool ---------------------------------------------------------------
  private selectDown(p: Pt, ev: MouseEvent, drag: (kind: Drag["kind"], extra?: Partial<Drag>) => void): void {
    const found = this.hitAt(p);
    if (!found) {
      drag("pan", { clickDeselect: true });
      return;
    }
    const { hit, shape, sug } = found;
    if (ev.altKey && hit.part === "vertex" && hit.index !== undefined) {
      if (sug) {
        const next = deleteVertex(shape, hit.index);
        if (next) this.acceptSuggestions([next], true);
      } else {
        this.select({ id: shape.id, sug });
        this.deleteVertexOf(shape, hit.index);
      }
      return;
    }
    const vertex = hit.part === "vertex" && hit.index !== undefined ? { index: hit.index, face: hit.face } : null;
    this.select({ id: shape.id, sug }, vertex);
    if (hit.part === "vertex") drag("vertex", { orig: shape, sug, index: hit.index, face: hit.face });
    else if (hit.part === "handle" || (hit.part === "edge" && shape.type === "box" && hit.handle)) drag("handle", { orig: shape, sug, handle: hit.handle });
    else drag("move", { orig: shape, sug });
  }

  // -- drawing tools --------------------------------------------------------------
  private boxDown(p: Pt, drag: (kind: Drag["kind"], extra?: Partial<Drag>) => void): void {
    const d = this.draft;
    if (d?.kind === "box" && d.waiting) {
      d.p1 = this.clampPt(p);
      this.finishBox();
      return;
    }
    const q = this.clampPt(p);
    this.draft = { kind: "box", p0: q, p1: q, waiting: false };
    drag("box");
  }

  private finishBox(): void {
    const d = this.draft;
    if (d?.kind !== "box") return;
    this.draft = null;
    const b = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
    if (b[2] * this.vp.scale < MIN_BOX_PX || b[3] * this.vp.scale < MIN_BOX_PX) {
      this.notice = "box too small: drag from corner to corner";
      return;
    }
    this.addNew("box", this.currentClass, { bbox: b });
  }

  private pathDown(p: Pt, type: "polygon" | "polyline"): void {
    const q = this.clampPt(p);
    const d = this.draft;
    if (d?.kind !== "path") {
      this.draft = { kind: "path", type, points: [q], hover: q };
      return;
    }
    const pts = d.points;
    const first = pts[0];
    if (type === "polygon" && pts.length >= 3 && Math.hypot(q[0] - first[0], q[1] - first[1]) * this.vp.scale <= CLOSE_PX) {
      this.finishPath(); // a click on the first point closes the polygon
      return;
    }
    const last = pts[pts.length - 1];
    if (Math.hypot(q[0] - last[0], q[1] - last[1]) * this.vp.scale < 1) return; // the same point again
    pts.push(q);
  }

  private finishPath(): void {
    const d = this.draft;
    if (d?.kind !== "path") return;
    const least = d.type === "polygon" ? 3 : 2;
    if (d.points.length < least) {
      this.notice = `a ${d.type} needs at least ${least} points`;
      return;
    }
    this.draft = null;
    this.addNew(d.type, this.currentClass, { points: d.points.map((q) => [q[0], q[1]]) });
  }

  private keypointDown(p: Pt, notLabeled: boolean): void {
    const d = this.draft;
    if (!d) {
      // A selected keypoints shape with points not labeled: a click places the first of them.
      const s = this.selectedShape();
      if (s && this.sel && s.type === "keypoints" && s.points) {
        const i = s.points.findIndex((q) => q[2] === 0);
        if (i >= 0 && !notLabeled) {
          const q = this.clampPt(p);
          const points = s.points.slice();
          points[i] = [r2(q[0]), r2(q[1]), 2];
          if (this.sel.sug) this.acceptSuggestions([{ ...s, points }], true);
          else this.replaceShape({ ...s, points });
          return;
        }
      }
      if (!this.startKeypoints()) return;
    }
    this.addKeypoint(notLabeled ? null : this.clampPt(p));
  }

  private startKeypoints(): boolean {
    const sk = this.skeletonOf(this.currentClass);
    if (!sk) {
      this.notice = `class ${this.currentClass} has no skeleton: pick a keypoint class first`;
      return false;
    }
    this.select(null);
    this.draft = { kind: "keypoints", cls: this.currentClass, names: sk.names, points: [], hover: null };
    return true;
  }

  /** The next skeleton point at p, or not labeled (null). */
  private addKeypoint(p: Pt | null): void {
    const d = this.draft;
    if (d?.kind !== "keypoints") return;
    d.points.push(p ? [p[0], p[1], 2] : [0, 0, 0]);
    if (d.points.length >= d.names.length) this.finishKeypoints();
    this.markDirty(false);
  }

  private notLabeled(): void {
    if (this.draft?.kind !== "keypoints") {
      if (this.tool !== "keypoints") {
        this.notice = "n marks the next keypoint not labeled while drawing keypoints";
        return;
      }
      if (!this.startKeypoints()) return;
    }
    this.addKeypoint(null);
  }

  private finishKeypoints(): void {
    const d = this.draft;
    if (d?.kind !== "keypoints") return;
    this.draft = null;
    const points = d.points.slice(0, d.names.length);
    while (points.length < d.names.length) points.push([0, 0, 0]);
    if (!points.some((q) => q[2] !== 0)) {
      this.notice = "no keypoint placed";
      return;
    }
    this.addNew("keypoints", d.cls, { points });
  }

  private cuboidDown(p: Pt, drag: (kind: Drag["kind"], extra?: Partial<Drag>) => void): void {
    const d = this.draft;
    if (d?.kind === "cuboid" && d.phase === "back") {
      this.finishCuboid(p);
      return;
    }
    const q = this.clampPt(p);
    this.draft = { kind: "cuboid", phase: "front", p0: q, p1: q, hover: null };
    drag("cuboid");
  }

  /** The cuboid's faces: the front face dragged, the back face the same moved so its top-left corner is at `at`. */
  private cuboidFaces(d: { p0: Pt; p1: Pt }, at: Pt | null): { front: Pt[]; back: Pt[] } {
    const [x, y, w, hh] = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
    const front: Pt[] = [
      [x, y],
      [x + w, y],
      [x + w, y + hh],
      [x, y + hh],
    ];
    const dx = at ? at[0] - x : 0;
    const dy = at ? at[1] - y : 0;
    return { front, back: front.map((q): Pt => [q[0] + dx, q[1] + dy]) };
  }

  private finishCuboid(p: Pt): void {
    const d = this.draft;
    if (d?.kind !== "cuboid") return;
    this.draft = null;
    this.addNew("cuboid", this.currentClass, this.cuboidFaces(d, p));
  }

  // -- brush and eraser --------------------------------------------------------------
  /** Start a stroke at p; false when there is nothing to paint into (eraser without a mask). */
  private startStroke(p: Pt, erase: boolean): boolean {
    const item = this.shownItem();
    if (!item || !item.fullW || !item.fullH) return false;
    const w = Math.round(item.fullW);
    const hh = Math.round(item.fullH);
    const list = this.shapesOf(item);
    const semantic = this.taskSpec.masks === "semantic";
    const fits = (s: Shape): boolean => !!s.rle && s.rle.size[0] === hh && s.rle.size[1] === w;
    let target: Shape | null = null;
    let others: Shape[] = [];
    let cls = this.currentClass;
    const sel = this.sel && !this.sel.sug ? this.selectedShape() : null;
    if (!erase) {
      if (semantic) {
        target = list.find((s) => s.type === "mask" && s.class === cls) ?? null;
        others = list.filter((s) => s.type === "mask" && s.class !== cls);
      } else if (sel && sel.type === "mask") {
        target = sel;
        cls = sel.class;
      }
    } else if (semantic) {
      others = list.filter((s) => s.type === "mask" && !this.hidden.has(s.class));
    } else {
      let s = sel && sel.type === "mask" ? sel : null;
      if (!s) {
        const masks = list.filter((o) => o.type === "mask");
        const hit = masks.length ? hitTest(masks, p, 0, this.hidden) : null;
        s = hit ? (masks.find((o) => o.id === hit.id) ?? null) : null;
        if (s) this.select({ id: s.id, sug: false });
      }
      if (!s) {
        this.notice = "select a mask to erase from (or start on one)";
        return false;
      }
      others = [s];
    }
    const bad = [target, ...others].find((s) => s && !fits(s));
    if (bad) {
      this.notice = `mask ${bad.id} is not ${w}×${hh} (the image's size): it cannot be painted`;
      return false;
    }
    if (!erase && this.hidden.has(cls)) this.setHidden(cls, false);
    try {
      this.stroke = {
        erase,
        cls,
        w,
        h: hh,
        r: this.brushR,
        target,
        paint: erase ? null : target ? rleDecode(target.rle!) : new Uint8Array(w * hh),
        others: others.map((shape) => ({ shape, mask: rleDecode(shape.rle!) })),
        points: [p],
      };
    } catch (err) {
      this.showError(`cannot paint: ${String((err as Error)?.message ?? err)}`, true);
      return false;
    }
    this.paintStroke(p, p);
    return true;
  }

  private paintStroke(a: Pt, b: Pt): void {
    const st = this.stroke;
    if (!st) return;
    if (st.paint) paintSegment(st.paint, st.w, st.h, a[0], a[1], b[0], b[1], st.r, 1);
    for (const o of st.others) paintSegment(o.mask, st.w, st.h, a[0], a[1], b[0], b[1], st.r, 0);
  }

  private extendStroke(p: Pt): void {
    const st = this.stroke;
    if (!st) return;
    const last = st.points[st.points.length - 1];
    st.points.push(p);
    this.paintStroke(last, p);
  }

  /** The stroke's masks, encoded to RLE, committed as one change. */
  private endStroke(): void {
    const st = this.stroke;
    this.stroke = null;
    const item = this.shownItem();
    if (!st || !item) return;
    let out = this.shapesOf(item).slice();
    let changed = false;
    let created: string | null = null;
    for (const o of st.others) {
      const rle = rleEncode(o.mask, st.h, st.w);
      if (rle.counts === o.shape.rle!.counts) continue;
      changed = true;
      const at = out.findIndex((s) => s.id === o.shape.id);
      if (at < 0) continue;
      if (rleArea(rle) === 0) out.splice(at, 1);
      else out[at] = { ...o.shape, rle };
    }
    if (st.paint) {
      const rle = rleEncode(st.paint, st.h, st.w);
      if (st.target) {
        if (rle.counts !== st.target.rle!.counts) {
          changed = true;
          const at = out.findIndex((s) => s.id === st.target!.id);
          if (at >= 0) out[at] = { ...st.target, rle };
        }
      } else if (rleArea(rle) > 0) {
        changed = true;
        created = this.nextId(out, item);
        out.push({ type: "mask", class: st.cls, id: created, z: this.topZ(out), attributes: this.defaultAttributes(), rle });
      }
    }
    if (!changed) return;
    this.commit(out);
    // Instance masks: later strokes extend the new mask until Escape deselects it.
    if (created && this.taskSpec.masks !== "semantic") this.select({ id: created, sug: false });
  }

  // -- frames ---------------------------------------------------------------------
  /** Something changed: paint on the next animation frame (the base canvas too when `base`). `t`: the input event's time. */
  private markDirty(base: boolean, t?: number): void {
    if (this.destroyed) return;
    if (base) this.dirtyBase = true;
    if (t !== undefined) this.frameAsk = this.frameAsk === null ? t : Math.min(this.frameAsk, t);
    if (this.frameId === null) this.frameId = raf(() => this.onFrame());
  }

  private onFrame(): void {
    this.frameId = null;
    if (this.destroyed) return;
    this.paintFrame(true);
  }

  /** Paint what is dirty; `inFrame` when called from an animation frame (else from a key handler, painting at once). */
  private paintFrame(inFrame: boolean): void {
    const t0 = now();
    if (!inFrame) this.dirtyBase = true;
    const base = this.dirtyBase;
    if (base) this.renderBase();
    this.renderOverlay();
    if (base && this.exactTimings && this.baseCtx) {
      try {
        this.baseCtx.getImageData(0, 0, 1, 1); // wait for the canvas to rasterize what was drawn
      } catch {
        /* tainted or no readback: time the draw calls only */
      }
    }
    const t1 = now();
    if (inFrame) {
      push(this.frameTimes, t1 - t0);
      if (this.frameAsk !== null) push(this.latencyTimes, t1 - this.frameAsk);
      this.frameAsk = null;
    }
    const item = this.shownItem();
    this.zoomLabel.textContent = item ? `${Math.round(this.vp.scale * 100)}%` : "";
    if (item && base && item.imageState !== "idle" && item.imageState !== "loading") {
      this.markReady();
      this.itemPainted(item.item_id, inFrame);
    }
  }

  /** The keys that led to this item are painted: time them (at the next frame when painted outside one). */
  private itemPainted(itemId: string, inFrame: boolean): void {
    if (!this.paintKeys.length) return;
    const keys = this.paintKeys;
    this.paintKeys = [];
    const record = (): void => {
      const at = now();
      for (const t0 of keys) {
        recordTiming(itemId, at - t0);
        push(this.paintTimes, at - t0);
      }
    };
    if (inFrame) {
      record();
      return;
    }
    const frame = raf(() => {
      this.paintFrames.delete(frame);
      record();
    });
    this.paintFrames.add(frame);
  }

  private imageTransform(ctx: CanvasRenderingContext2D): void {
    const s = this.vp.scale * this.dpr;
    ctx.setTransform(s, 0, 0, s, this.vp.tx * this.dpr, this.vp.ty * this.dpr);
  }

  private renderBase(): void {
    this.dirtyBase = false;
    const ctx = this.baseCtx;
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    const item = this.shownItem();
    if (!item || !item.fullW || !item.fullH) return;
    const scale = this.vp.scale;
    this.imageTransform(ctx);
    if (item.image) {
      // Past 2 screen px per image px, show pixels as squares.
      ctx.imageSmoothingEnabled = scale * (item.fullW / (item.isFull ? item.fullW : Number(item.width) || item.fullW)) < 2;
      ctx.drawImage(item.image, 0, 0, item.fullW, item.fullH);
    } else {
      ctx.fillStyle = this.placeholder;
      ctx.fillRect(0, 0, item.fullW, item.fullH);
    }
    for (const b of this.getBatches(item)) this.drawBatch(ctx, b, scale);
    this.drawScores(ctx, item);
  }

  /** The base canvas's shapes grouped per (suggestion, z, class); rebuilt only when shapes, selection or hidden classes change. */
  private getBatches(item: Item): Batch[] {
    if (this.batches) return this.batches;
    const map = new Map<string, Batch>();
    const order = new Map(this.taskSpec.classes.map((c, i) => [c.name, i]));
    const canCombine = hasPath2D() && typeof Path2D.prototype.addPath === "function";
    const skip = this.sel;
    const add = (s: Shape, sug: boolean): void => {
      if (this.hidden.has(s.class)) return;
      if (skip && skip.id === s.id && skip.sug === sug) return;
      const z = s.z ?? 0;
      const key = `${sug ? 1 : 0}|${z}|${s.class}`;
      let b = map.get(key);
      if (!b) {
        b = { z, order: order.get(s.class) ?? 1e9, cls: s.class, sug, fills: [], strokes: [], masks: [], keypoints: [] };
        map.set(key, b);
      }
      if (s.type === "mask") {
        b.masks.push(s);
        return;
      }
      if (s.type === "keypoints") b.keypoints.push(s);
      const p = this.pathsOf(s);
      if (p.fill) {
        if (canCombine && b.fills.length) b.fills[0].addPath(p.fill);
        else b.fills.push(canCombine ? copyPath(p.fill) : p.fill);
      }
      if (p.stroke) {
        if (canCombine && b.strokes.length) b.strokes[0].addPath(p.stroke);
        else b.strokes.push(canCombine ? copyPath(p.stroke) : p.stroke);
      }
    };
    const list = this.shapesOf(item);
    const sugs = this.visibleSuggestions(item);
    this.lineWidth = list.length + sugs.length > MANY_SHAPES ? CROWDED_LINE_PX : LINE_PX;
    for (const i of paintOrder(list)) add(list[i], false);
    for (const s of sugs) add(s, true);
    this.batches = [...map.values()].sort((a, b) => Number(a.sug) - Number(b.sug) || a.z - b.z || a.order - b.order);
    return this.batches;
  }

  /** One Path2D per shape, in image coordinates, cached per shape object. */
  private pathsOf(s: Shape): Paths {
    const hit = this.paths.get(s);
    if (hit) return hit;
    let out: Paths = { fill: null, stroke: null };
    if (hasPath2D()) {
      switch (s.type) {
        case "box": {
          const p = new Path2D();
          if (s.bbox) p.rect(s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]);
          out = { fill: p, stroke: p };
          break;
        }
        case "polygon": {
          const p = pathOf(oriented(s.points ?? []), true);
          out = { fill: p, stroke: p };
          break;
        }
        case "polyline":
          out = { fill: null, stroke: pathOf(s.points ?? [], false) };
          break;
        case "cuboid": {
          const f = s.front ?? [];
          const b = s.back ?? [];
          const fill = pathOf(oriented(f), true);
          const stroke = pathOf(b, true, pathOf(f, true));
          for (let i = 0; i < Math.min(f.length, b.length); i++) {
            stroke.moveTo(f[i][0], f[i][1]);
            stroke.lineTo(b[i][0], b[i][1]);
          }
          out = { fill, stroke };
          break;
        }
        case "keypoints": {
          const sk = this.skeletonOf(s.class);
          const pts = s.points ?? [];
          let stroke: Path2D | null = null;
          for (const [a, b] of sk?.edges ?? []) {
            const qa = pts[a], qb = pts[b];
            if (!qa || !qb || !qa[2] || !qb[2]) continue;
            stroke ??= new Path2D();
            stroke.moveTo(qa[0], qa[1]);
            stroke.lineTo(qb[0], qb[1]);
          }
          out = { fill: null, stroke };
          break;
        }
        default:
          break;
      }
    }
    this.paths.set(s, out);
    return out;
  }

  /** A mask as a coloured canvas the size of its bounding box, made once per mask object. */
  private maskRender(s: Shape): MaskRender | null {
    if (this.maskRenders.has(s)) return this.maskRenders.get(s) ?? null;
    let out: MaskRender | null = null;
    try {
      out = s.rle ? buildMaskCanvas(s.rle, this.colorOf(s.class)) : null;
    } catch {
      out = null;
    }
    this.maskRenders.set(s, out);
    return out;
  }

  private drawBatch(ctx: CanvasRenderingContext2D, b: Batch, scale: number): void {
    const rgb = this.colorOf(b.cls);
    if (b.masks.length) {
      ctx.imageSmoothingEnabled = false;
      ctx.globalAlpha = b.sug ? 0.5 : 1;
      for (const m of b.masks) {
        const r = this.maskRender(m);
        if (r) ctx.drawImage(r.canvas, r.x, r.y);
      }
      ctx.globalAlpha = 1;
      if (b.sug) {
        // Suggested masks: a dashed frame, as the other suggestions.
        ctx.setLineDash([6 / scale, 4 / scale]);
        ctx.strokeStyle = rgba(rgb, 1);
        ctx.lineWidth = LINE_PX / scale;
        for (const m of b.masks) {
          const bb = m.rle ? rleBbox(m.rle) : null;
          if (bb && bb[2]) ctx.strokeRect(bb[0], bb[1], bb[2], bb[3]);
        }
        ctx.setLineDash([]);
      }
    }
    if (b.fills.length) {
      ctx.fillStyle = rgba(rgb, b.sug ? SUGGESTION_FILL_ALPHA : FILL_ALPHA);
      for (const f of b.fills) ctx.fill(f);
    }
    if (b.strokes.length) {
      ctx.strokeStyle = rgba(rgb, 1);
      ctx.lineWidth = this.lineWidth / scale;
      if (b.sug) ctx.setLineDash([6 / scale, 4 / scale]);
      for (const s of b.strokes) ctx.stroke(s);
      if (b.sug) ctx.setLineDash([]);
    }
    if (b.keypoints.length) this.drawKeypoints(ctx, b.keypoints, rgb, scale, 1);
  }

  /** Keypoint dots, KEYPOINT_PX on screen: filled when visible (v=2), a ring when labeled but hidden (v=1). */
  private drawKeypoints(ctx: CanvasRenderingContext2D, shapes: Shape[], rgb: [number, number, number], scale: number, grow: number): void {
    if (!hasPath2D()) return;
    const r = (KEYPOINT_PX * grow) / scale;
    const solid = new Path2D();
    const rings = new Path2D();
    for (const s of shapes) {
      for (const q of s.points ?? []) {
        if (!q[2]) continue;
        const p = q[2] === 1 ? rings : solid;
        p.moveTo(q[0] + r, q[1]);
        p.arc(q[0], q[1], r, 0, Math.PI * 2);
      }
    }
    ctx.fillStyle = rgba(rgb, 1);
    ctx.fill(solid);
    ctx.strokeStyle = rgba(rgb, 1);
    ctx.lineWidth = 1.5 / scale;
    ctx.stroke(rings);
  }

  /** Each suggestion's score by its top-left corner, in screen pixels. */
  private drawScores(ctx: CanvasRenderingContext2D, item: Item): void {
    const sugs = this.visibleSuggestions(item);
    if (!sugs.length) return;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "bottom";
    let n = 0;
    for (const s of sugs) {
      if (typeof s.score !== "number" || this.hidden.has(s.class)) continue;
      if (this.sel?.sug && this.sel.id === s.id) continue;
      if (++n > 500) break;
      const b = bboxOfShape(s);
      if (!b) continue;
      const [x, y] = this.vp.toScreen(b[0], b[1]);
      const text = `${s.class} ${Math.round(s.score * 100)}%`;
      ctx.fillStyle = "rgba(0,0,0,0.6)";
      ctx.fillRect(x, y - 14, text.length * 6.2 + 4, 14);
      ctx.fillStyle = rgba(this.colorOf(s.class), 1);
      ctx.fillText(text, x + 2, y - 1);
    }
  }

  private renderOverlay(): void {
    const ctx = this.overlayCtx;
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.overlayCanvas.width, this.overlayCanvas.height);
    const item = this.shownItem();
    if (!item || !item.fullW || !item.fullH) return;
    const scale = this.vp.scale;
    this.imageTransform(ctx);
    const sel = this.selectedShape();
    const shown = this.live ?? sel;
    const hover = this.hover && (!this.sel || this.hover.id !== this.sel.id || this.hover.sug !== this.sel.sug) ? this.shapeById(this.hover) : null;
    if (hover && !this.hidden.has(hover.class)) this.drawEdited(ctx, hover, this.hover!.sug, scale, false, null);
    if (shown && !this.hidden.has(shown.class)) this.drawEdited(ctx, shown, !!this.sel?.sug, scale, true, this.liveOffset);
    this.drawDraft(ctx, scale);
    this.drawStroke(ctx);
    // Screen space: handles, crosshair, brush, labels.
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    if (hover && !this.hidden.has(hover.class)) this.drawHandles(ctx, hover, false);
    if (shown && !this.hidden.has(shown.class)) {
      if (!this.liveOffset) this.drawHandles(ctx, shown, true);
      this.drawLabel(ctx, shown);
    } else if (hover) {
      this.drawLabel(ctx, hover);
    }
    this.drawSuspects(ctx, item);
    this.drawPointer(ctx, item);
  }

  /** An audit's suspect boxes, dashed, with what is suspected (screen space). */
  private drawSuspects(ctx: CanvasRenderingContext2D, item: Item): void {
    const suspects = item.issue?.suspects;
    if (!suspects?.length) return;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 3]);
    ctx.font = "11px sans-serif";
    ctx.textBaseline = "top";
    for (const sp of suspects) {
      const b = sp.bbox;
      if (!Array.isArray(b) || b.length !== 4) continue;
      const [x0, y0] = this.vp.toScreen(b[0], b[1]);
      const [x1, y1] = this.vp.toScreen(b[0] + b[2], b[1] + b[3]);
      ctx.strokeStyle = "#D55E00";
      ctx.strokeRect(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6);
      if (sp.issue) {
        ctx.fillStyle = "#D55E00";
        ctx.fillRect(x0 - 3, y1 + 3, sp.issue.length * 6.5 + 6, 14);
        ctx.fillStyle = "#ffffff";
        ctx.fillText(sp.issue, x0, y1 + 4);
      }
    }
    ctx.setLineDash([]);
  }

  /** A shape on the overlay: selected (thicker, filled) or hovered (outline). */
  private drawEdited(ctx: CanvasRenderingContext2D, s: Shape, sug: boolean, scale: number, selected: boolean, offset: Pt | null): void {
    const rgb = this.colorOf(s.class);
    if (s.type === "mask") {
      const r = this.maskRender(s);
      const dx = offset ? offset[0] : 0;
      const dy = offset ? offset[1] : 0;
      if (r && selected) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(r.canvas, r.x + dx, r.y + dy);
      }
      const b = s.rle ? rleBbox(s.rle) : null;
      if (b && b[2]) {
        ctx.setLineDash([4 / scale, 3 / scale]);
        ctx.strokeStyle = rgba(rgb, 1);
        ctx.lineWidth = (selected ? EDIT_LINE_PX : LINE_PX) / scale;
        ctx.strokeRect(b[0] + dx, b[1] + dy, b[2], b[3]);
        ctx.setLineDash([]);
      }
      return;
    }
    const p = this.pathsOf(s);
    if (p.fill && selected) {
      ctx.fillStyle = rgba(rgb, sug ? FILL_ALPHA / 2 : FILL_ALPHA * 1.6);
      ctx.fill(p.fill);
    }
    if (p.stroke) {
      ctx.strokeStyle = rgba(rgb, 1);
      ctx.lineWidth = (selected ? EDIT_LINE_PX : EDIT_LINE_PX * 0.75) / scale;
      if (sug) ctx.setLineDash([6 / scale, 4 / scale]);
      ctx.stroke(p.stroke);
      if (sug) ctx.setLineDash([]);
    }
    if (s.type === "keypoints") this.drawKeypoints(ctx, [s], rgb, scale, selected ? 1.3 : 1.15);
  }

  /** Vertices (or a box's handles) of a shape, as small squares; the selected vertex filled. */
  private drawHandles(ctx: CanvasRenderingContext2D, s: Shape, selected: boolean): void {
    const pts: { p: number[]; index: number; face?: "front" | "back" }[] = [];
    if (s.type === "box" && s.bbox) {
      const hs = boxHandles(s.bbox);
      Object.values(hs).forEach((p, i) => pts.push({ p, index: i }));
    } else if ((s.type === "polygon" || s.type === "polyline") && s.points) {
      s.points.forEach((p, i) => pts.push({ p, index: i }));
    } else if (s.type === "keypoints" && s.points) {
      s.points.forEach((p, i) => {
        if (p[2]) pts.push({ p, index: i });
      });
    } else if (s.type === "cuboid" && s.front && s.back) {
      s.front.forEach((p, i) => pts.push({ p, index: i, face: "front" }));
      s.back.forEach((p, i) => pts.push({ p, index: i, face: "back" }));
    }
    if (!pts.length) return;
    const rgb = this.colorOf(s.class);
    const r = HANDLE_PX;
    ctx.lineWidth = 1;
    for (const { p, index, face } of pts) {
      const [x, y] = this.vp.toScreen(p[0], p[1]);
      const on = selected && this.selVertex?.index === index && (this.selVertex.face ?? "front") === (face ?? "front") && s.type !== "box";
      ctx.fillStyle = on ? rgba(rgb, 1) : "#ffffff";
      ctx.strokeStyle = on ? "#ffffff" : rgba(rgb, 1);
      ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      ctx.strokeRect(x - r, y - r, 2 * r, 2 * r);
    }
  }

  /** The class (and score, and the keypoint's name) of the selected or hovered shape. */
  private drawLabel(ctx: CanvasRenderingContext2D, s: Shape): void {
    const b = bboxOfShape(s);
    if (!b) return;
    let text = s.class;
    if (typeof s.score === "number") text += ` ${Math.round(s.score * 100)}%`;
    if (s.type === "keypoints" && this.selVertex && this.sel?.id === s.id) {
      const name = this.skeletonOf(s.class)?.names[this.selVertex.index];
      if (name) text += ` · ${name}`;
    }
    const [x, y] = this.vp.toScreen(b[0], b[1]);
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "bottom";
    const w = (ctx.measureText?.(text)?.width ?? text.length * 7) + 6;
    ctx.fillStyle = "rgba(0,0,0,0.7)";
    ctx.fillRect(x, y - 16, w, 16);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(text, x + 3, y - 2);
  }

  private drawDraft(ctx: CanvasRenderingContext2D, scale: number): void {
    const d = this.draft;
    if (!d || !hasPath2D()) return;
    const cls = d.kind === "keypoints" ? d.cls : this.currentClass;
    const rgb = this.colorOf(cls);
    ctx.strokeStyle = rgba(rgb, 1);
    ctx.fillStyle = rgba(rgb, FILL_ALPHA);
    ctx.lineWidth = EDIT_LINE_PX / scale;
    if (d.kind === "box") {
      const b = normBox(d.p0[0], d.p0[1], d.p1[0], d.p1[1]);
      ctx.fillRect(b[0], b[1], b[2], b[3]);
      ctx.strokeRect(b[0], b[1], b[2], b[3]);
    } else if (d.kind === "path") {
      const pts: number[][] = d.points.slice();
      if (d.hover) pts.push(d.hover);
      const p = pathOf(pts, false);
      ctx.stroke(p);
      if (d.type === "polygon" && pts.length >= 3) {
        ctx.setLineDash([4 / scale, 4 / scale]);
        const closing = pathOf([pts[pts.length - 1], pts[0]], false);
        ctx.stroke(closing);
        ctx.setLineDash([]);
        ctx.fill(pathOf(pts, true));
      }
      this.drawDots(ctx, d.points, rgb, scale);
    } else if (d.kind === "keypoints") {
      const sk = this.skeletonOf(d.cls);
      const edges = new Path2D();
      for (const [a, b] of sk?.edges ?? []) {
        const qa = d.points[a], qb = d.points[b];
        if (qa && qb && qa[2] && qb[2]) {
          edges.moveTo(qa[0], qa[1]);
          edges.lineTo(qb[0], qb[1]);
        }
      }
      ctx.stroke(edges);
      this.drawDots(ctx, d.points.filter((q) => q[2]), rgb, scale);
      const next = d.names[d.points.length];
      if (next && d.hover) {
        ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
        const [x, y] = this.vp.toScreen(d.hover[0], d.hover[1]);
        ctx.font = "12px sans-serif";
        ctx.textBaseline = "top";
        ctx.fillStyle = "rgba(0,0,0,0.7)";
        ctx.fillRect(x + 10, y + 10, next.length * 7 + 8, 16);
        ctx.fillStyle = "#ffffff";
        ctx.fillText(next, x + 14, y + 12);
        this.imageTransform(ctx);
      }
    } else if (d.kind === "cuboid") {
      const at = d.phase === "back" ? d.hover : null;
      const { front, back } = this.cuboidFaces(d, at);
      ctx.fill(pathOf(front, true));
      const p = pathOf(front, true);
      if (at) {
        pathOf(back, true, p);
        for (let i = 0; i < 4; i++) {
          p.moveTo(front[i][0], front[i][1]);
          p.lineTo(back[i][0], back[i][1]);
        }
      }
      ctx.stroke(p);
    }
  }

  private drawDots(ctx: CanvasRenderingContext2D, pts: number[][], rgb: [number, number, number], scale: number): void {
    const r = KEYPOINT_PX / scale;
    const p = new Path2D();
    for (const q of pts) {
      p.moveTo(q[0] + r, q[1]);
      p.arc(q[0], q[1], r, 0, Math.PI * 2);
    }
    ctx.fillStyle = rgba(rgb, 1);
    ctx.fill(p);
  }

  private drawStroke(ctx: CanvasRenderingContext2D): void {
    const st = this.stroke;
    if (!st || !hasPath2D()) return;
    const p = pathOf(st.points, false);
    if (st.points.length === 1) p.lineTo(st.points[0][0] + 0.01, st.points[0][1]);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = st.r * 2;
    ctx.strokeStyle = st.erase ? "rgba(255,255,255,0.55)" : rgba(this.colorOf(st.cls), MASK_ALPHA);
    ctx.stroke(p);
    ctx.lineCap = "butt";
    ctx.lineJoin = "miter";
  }

  /** Crosshair (drawing tools) and the brush's outline at the pointer. */
  private drawPointer(ctx: CanvasRenderingContext2D, item: Item): void {
    const ptr = this.pointer;
    if (!ptr || this.tool === "select" || this.drag?.kind === "pan") return;
    const [sx, sy] = ptr;
    if (this.tool === "brush" || this.tool === "eraser") {
      const r = this.brushR * this.vp.scale;
      ctx.beginPath();
      ctx.arc(sx, sy, Math.max(1, r), 0, Math.PI * 2);
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#ffffff";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(sx, sy, Math.max(1, r) + 1, 0, Math.PI * 2);
      ctx.strokeStyle = "#000000";
      ctx.stroke();
      return;
    }
    const [x0, y0] = this.vp.toScreen(0, 0);
    const [x1, y1] = this.vp.toScreen(item.fullW, item.fullH);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(255,255,255,0.8)";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x0, sy + 0.5);
    ctx.lineTo(x1, sy + 0.5);
    ctx.moveTo(sx + 0.5, y0);
    ctx.lineTo(sx + 0.5, y1);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // -- panels -------------------------------------------------------------------
  private renderToolbar(): void {
    for (const [t, b] of this.toolButtons) {
      const on = t === this.tool;
      b.classList.toggle("wb-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
    const brush = this.tool === "brush" || this.tool === "eraser";
    this.brushLabel.hidden = !brush;
    this.brushLabel.textContent = `brush ${Math.round(this.brushR * 2)} px ([ ])`;
  }

  /** Class chips, the attributes of the selected shape, the suggestions line and the info line. */
  private renderPanels(): void {
    if (this.destroyed) return;
    const sel = this.selectedShape();
    for (const [name, chip] of this.chips) {
      const on = name === this.currentClass;
      chip.classList.toggle("wb-on", on);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      chip.classList.toggle("wb-current", !!sel && sel.class === name);
      chip.classList.toggle("wb-hidden", this.hidden.has(name));
    }
    this.renderAttributes(sel);
    const item = this.shownItem();
    this.renderIssue(item);
    const sugs = item ? this.visibleSuggestions(item) : [];
    if (sugs.length) {
      const pre = item?.prelabel;
      const score = pre && typeof pre.score === "number" ? ` (model score ${Math.round(pre.score * 100)}%)` : "";
      this.suggestionLine.textContent = `${sugs.length} suggestion${sugs.length === 1 ? "" : "s"}${score}: a accepts all · click one, Enter accepts · Delete dismisses`;
    } else {
      this.suggestionLine.textContent = "";
    }
    const bits: string[] = [];
    if (item) {
      bits.push(item.item_id);
      const n = this.shapesOf(item).length;
      bits.push(`${n} shape${n === 1 ? "" : "s"}`);
      bits.push(`tool ${TOOL_NAME[this.tool].toLowerCase()}`);
      bits.push(`class ${this.currentClass}`);
      if (sel) bits.push(`selected ${sel.type} ${sel.id}${this.sel?.sug ? " (suggestion)" : ""}`);
      const state = this.local.get(item.item_id);
      if (state === "skip") bits.push("skipped");
      if (this.reviewIdx !== null) bits.push(`back ${this.history.length - this.reviewIdx}`);
    }
    this.infoLine.textContent = bits.join(" · ");
  }

  /** In a review of audit issues: where the item stands, its quality, and its suspects (clicking one selects its shape). */
  private renderIssue(item: Item | null): void {
    const box = this.issueBox;
    const issue = item?.issue;
    if (!item || !issue) {
      if (box.childNodes.length) box.replaceChildren();
      box.hidden = true;
      return;
    }
    if (box.dataset.item === item.item_id && box.childNodes.length) return;
    box.dataset.item = item.item_id;
    box.hidden = false;
    const head: string[] = [];
    if (typeof issue.position === "number") head.push(`review ${issue.position + 1}${typeof issue.total === "number" ? ` of ${issue.total}` : ""}`);
    if (typeof issue.quality === "number") head.push(`quality ${issue.quality.toFixed(2)}`);
    if (issue.is_issue) head.push("flagged");
    const rows: HTMLElement[] = [h("div", { class: "wb-side-title", text: head.join(" · ") || "review" })];
    if (issue.label) rows.push(h("div", { class: "wb-issue-line", text: `label: ${issue.label}` }));
    if (issue.suggested) rows.push(h("div", { class: "wb-issue-line", text: `model: ${issue.suggested}` }));
    for (const sp of issue.suspects ?? []) {
      const what = sp.issue ? `${sp.issue}: ${sp.class ?? ""}` : `${sp.class ?? "?"} → ${sp.suggested ?? "?"}`;
      const score = typeof sp.score === "number" ? ` ${sp.score.toFixed(2)}` : typeof sp.pixels === "number" ? ` ${sp.pixels} px` : "";
      const row = h("div", { class: "wb-suspect", attrs: { "data-shape": sp.shape ?? "" }, text: `${what}${score}` });
      if (sp.shape) this.panelClick(row, () => this.selectSuspect(sp));
      rows.push(row);
    }
    rows.push(h("div", { class: "wb-issue-line wb-muted", text: "Enter confirms the label as it is" }));
    box.replaceChildren(...rows);
  }

  /**
   * A click on a node of a panel that is rebuilt (attributes, suspects): a
   * plain listener, gone with the node (`listen` would keep every one until
   * destroy).
   */
  private panelClick(node: HTMLElement, fn: () => void): void {
    node.addEventListener("mousedown", (ev) => ev.preventDefault());
    node.addEventListener("click", (ev) => {
      ev.preventDefault();
      this.root.focus({ preventScroll: true });
      fn();
    });
  }

  private selectSuspect(sp: Suspect): void {
    const item = this.shownItem();
    if (!item || !sp.shape) return;
    if (this.shapesOf(item).some((s) => s.id === sp.shape)) this.select({ id: sp.shape, sug: false });
    else if (this.visibleSuggestions(item).some((s) => s.id === sp.shape)) this.select({ id: sp.shape, sug: true });
    else this.notice = `shape ${sp.shape} is not on this item any more`;
    this.renderStatus();
  }

  private renderAttributes(sel: Shape | null): void {
    const attrs = this.taskSpec.attributes ?? [];
    const key = sel ? `${this.sel?.sug ? "p" : "s"}:${sel.id}` : "";
    const panel = this.attrsPanel;
    // Leave a field alone while it is being typed in.
    if (panel.dataset.shape === key && panel.contains(document.activeElement) && key) return;
    panel.dataset.shape = key;
    if (!sel || !attrs.length) {
      panel.replaceChildren();
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const sug = !!this.sel?.sug;
    const rows: HTMLElement[] = [h("div", { class: "wb-side-title", text: `Attributes · ${sel.type} ${sel.id}` })];
    for (const a of attrs) {
      const value = sel.attributes?.[a.name];
      const id = `wb-attr-${this.clientId}-${a.name}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (a.kind === "bool") {
        const box = h("input", { attrs: { type: "checkbox", id } });
        box.checked = value === true;
        box.addEventListener("change", () => this.attributeChanged(sel, sug, a.name, box.checked));
        input = box;
      } else if (a.kind === "choice") {
        const select = h("select", { attrs: { id } });
        for (const c of a.choices ?? []) {
          const o = h("option", { text: c, attrs: { value: c } });
          if (c === value) o.selected = true;
          select.appendChild(o);
        }
        select.addEventListener("change", () => this.attributeChanged(sel, sug, a.name, select.value));
        input = select;
      } else {
        const field = h("input", { attrs: { type: a.kind === "number" ? "number" : "text", id } });
        field.value = value === null || value === undefined ? "" : String(value);
        field.addEventListener("change", () => {
          let v: unknown = field.value;
          if (a.kind === "number") {
            const n = field.value.trim() === "" ? null : Number(field.value);
            if (n !== null && !Number.isFinite(n)) return;
            v = n;
          }
          this.attributeChanged(sel, sug, a.name, v);
        });
        input = field;
      }
      input.classList.add("wb-attr-input");
      input.dataset.attribute = a.name;
      rows.push(h("div", { class: "wb-attr", attrs: { "data-attribute": a.name } }, [h("label", { text: a.name, attrs: { for: id } }), input]));
    }
    panel.replaceChildren(...rows);
  }

  private attributeChanged(s: Shape, sug: boolean, name: string, value: unknown): void {
    const current = this.shapeById({ id: s.id, sug }) ?? s;
    this.attrsPanel.dataset.shape = "";
    this.setAttribute(current, sug, name, value);
    this.root.focus({ preventScroll: true });
    this.renderStatus();
  }

  protected renderCounts(): string | null {
    this.root.dataset.queue = String(this.queue.length);
    this.progressLine.textContent = progressText(this.progress, this.labelTimes);
    return null;
  }

  protected keysHelp(): [string, string][] {
    const keys: [string, string][] = [];
    for (const t of TOOLS) if (this.offered(t)) keys.push([TOOL_KEYS[t], `${TOOL_NAME[t].toLowerCase()} tool`]);
    for (const c of this.taskSpec.classes) {
      if (!c.key) keys.push(["click / Tab", `class ${c.name}`]);
      else if (keyTaken(c.key)) keys.push(["click / Tab", `class ${c.name} (its key ${keyLabel(c.key)} is a tool or command key here)`]);
      else keys.push([keyLabel(c.key), `class ${c.name}: of the selected shape, else of the next one`]);
    }
    keys.push(
      ["Tab", "next class"],
      ["click · drag", "select · move (select tool); drag a vertex or handle to reshape"],
      ["double-click", "add a vertex on an edge"],
      ["Alt+click", "delete a vertex"],
      ["Delete / Backspace", "delete the selected vertex, else shape; dismiss a suggestion; while drawing: last point"],
      ["Enter", "finish a polygon or line · accept the selected suggestion · done: next item"],
      ["Esc", "cancel drawing · deselect"],
      ["a", "accept all suggestions"],
      ["Shift+C", "copy the previous item's shapes"],
      ["PageUp / PageDown", "raise / lower the selected shape"],
      ["h", "hide / show a class (the selected shape's, else the current one)"],
      ["n · Shift+click", "keypoints: next point not labeled"],
      ["o", "keypoints: cycle the selected point's visibility (visible, hidden, not labeled)"],
      ["[ ]", "brush size"],
      ["wheel · = - · f", "zoom at the pointer · zoom · fit"],
      ["Space+drag · middle drag", "pan (also: drag empty image with the select tool)"],
      ["Ctrl+Z · Ctrl+Shift+Z · Ctrl+Y", "undo · redo"],
      ["← →", "previous / next item seen here"],
      ["s", "skip"],
      ["?", "these guidelines and keys"],
    );
    return keys;
  }

}

// ---------------------------------------------------------------------------
// helpers

function push(list: number[], v: number): void {
  list.push(v);
  if (list.length > TIMING_LIMIT) list.splice(0, list.length - TIMING_LIMIT);
}

function copyPath(p: Path2D): Path2D {
  const out = new Path2D();
  out.addPath(p);
  return out;
}

/** The union of two masks of one size, or null when their sizes differ. */
function unionRle(a: Rle, b: Rle): Rle | null {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) return null;
  const ma = rleDecode(a);
  const mb = rleDecode(b);
  for (let i = 0; i < ma.length; i++) ma[i] |= mb[i];
  return rleEncode(ma, a.size[0], a.size[1]);
}

/**
 * A mask's pixels in its class colour (MASK_ALPHA), on a canvas the size of
 * its bounding box, written straight from the runs (cost: the mask's area and
 * runs, not the image's size).
 */
function buildMaskCanvas(rle: Rle, rgb: [number, number, number]): MaskRender | null {
  const [bx, by, bw, bh] = rleBbox(rle);
  if (!bw || !bh || typeof document === "undefined") return null;
  const canvas = document.createElement("canvas");
  canvas.width = bw;
  canvas.height = bh;
  const ctx = context2d(canvas);
  if (!ctx || typeof ctx.createImageData !== "function") return null;
  const h = rle.size[0];
  const raw = rle.counts as unknown;
  const runs = typeof raw === "string" ? countsToRuns(raw) : Array.isArray(raw) ? raw.map(Number) : [];
  const img = ctx.createImageData(bw, bh);
  const px = new Uint32Array(img.data.buffer);
  // RGBA bytes in memory order; Uint32 is little-endian on every browser's platform.
  const value = ((Math.round(MASK_ALPHA * 255) << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
  let pos = 0;
  for (let k = 0; k < runs.length; k++) {
    const n = runs[k];
    if (k & 1 && n > 0) {
      // Column-major: the run covers rows y0.. of column x, then the next columns.
      let at = pos;
      const end = pos + n;
      while (at < end) {
        const x = Math.floor(at / h);
        const y0 = at - x * h;
        const y1 = Math.min(h, y0 + (end - at));
        for (let y = y0, i = (y0 - by) * bw + (x - bx); y < y1; y++, i += bw) px[i] = value;
        at += y1 - y0;
      }
    }
    pos += n;
  }
  ctx.putImageData(img, 0, 0);
  return { canvas, x: bx, y: by };
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new AnnotateView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
