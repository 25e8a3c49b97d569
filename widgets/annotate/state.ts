/**
 * What the keys and the pointer are doing on the shown item (`EditState`: the
 * tool and class, hidden classes, the selection and hover, the shape being
 * drawn, dragged or painted, the pointer, the brush), and the view as its
 * parts see it: `Scene` for the renderer and the panels, `Editor` for the
 * pointer, the tools and the edits.
 */

import type { Handle, Hit, Pt, Shape } from "../lib/geometry";
import type { Viewport } from "../lib/viewport";
import type { Item } from "./items";
import type { Tool } from "./keys";
import type { ShapesSpec } from "./shapes";

export interface Selection {
  id: string;
  /** A suggestion (pre-label), not a shape of the item. */
  sug: boolean;
}

/** A vertex of the selected shape (a cuboid's on one face). */
export interface Vertex {
  index: number;
  face?: "front" | "back";
}

/** A shape being drawn, before it is added. */
export type Draft =
  | { kind: "box"; p0: Pt; p1: Pt; waiting: boolean }
  | { kind: "path"; type: "polygon" | "polyline"; points: Pt[]; hover: Pt | null }
  | { kind: "keypoints"; cls: string; names: string[]; points: number[][]; hover: Pt | null }
  | { kind: "cuboid"; phase: "front" | "back"; p0: Pt; p1: Pt; hover: Pt | null };

/** A mouse button held down. */
export interface Drag {
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

/** A brush or eraser stroke being painted: the masks it changes, decoded. */
export interface Stroke {
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

export class EditState {
  tool: Tool = "select";
  /** The class of the next shape drawn. */
  currentClass: string;
  readonly hidden = new Set<string>();
  /** Brush radius in image pixels; `brushSet` once the user changed it (else it follows the image's size). */
  brushR = 5;
  brushSet = false;
  draft: Draft | null = null;
  drag: Drag | null = null;
  stroke: Stroke | null = null;
  sel: Selection | null = null;
  selVertex: Vertex | null = null;
  /** The selected shape as it is being dragged (shown on the overlay until the release commits it). */
  live: Shape | null = null;
  liveOffset: Pt | null = null;
  hover: Selection | null = null;
  hoverHit: Hit | null = null;
  /** The pointer on the canvas, in screen pixels (null: off it). */
  pointer: Pt | null = null;
  /** The last pointer event's client position: fractional, where mouse events' are whole pixels. */
  exactPointer: Pt | null = null;
  spaceDown = false;

  constructor(currentClass: string) {
    this.currentClass = currentClass;
  }

  setHover(sel: Selection | null, hit: Hit | null): void {
    this.hover = sel;
    this.hoverHit = hit;
  }
}

/** What the renderer and the panels read. */
export interface Scene {
  readonly taskSpec: ShapesSpec;
  readonly state: EditState;
  readonly vp: Viewport;
  /** The item shown, or null. */
  shownItem(): Item | null;
  /** An item's shapes and its suggestions not accepted nor dismissed. */
  shapesOf(item: Item): Shape[];
  visibleSuggestions(item: Item): Shape[];
  /** The shape (or suggestion) selected, or null. */
  shapeById(sel: Selection | null): Shape | null;
  selectedShape(): Shape | null;
}

/** What the pointer, the tools and the edits do through the view. */
export interface Editor extends Scene {
  readonly root: HTMLElement;
  /** The canvas on top, which takes the mouse. */
  readonly overlayCanvas: HTMLCanvasElement;
  isDestroyed(): boolean;
  /** A note for the status line (replaces the last one). */
  note(text: string): void;
  renderStatus(): void;
  showError(text: string, final: boolean): void;
  /** Paint on the next frame (the base canvas too when `base`); `t`: the input event's time. */
  markDirty(base: boolean, t?: number): void;
  /** Zoom or pan changed (`t`: the input event's time). */
  viewChanged(t: number): void;
  select(sel: Selection | null, vertex?: Vertex | null): void;
  setHidden(cls: string, hidden: boolean): void;
  /** A committed change of the shown item's shapes (undoable, sent as a label). */
  commit(next: Shape[]): void;
  /** The shapes shown changed (the list, the selection, hidden classes, dismissed suggestions): group the base canvas again, repaint it and the panels. */
  repaintShapes(): void;
  renderPanels(): void;
  /** The ids of an item's suggestions dismissed in this view. */
  dismissedOf(itemId: string): Set<string>;
  /** The item shown before this one and its shapes, or null. */
  previousShapes(): { id: string; shapes: Shape[] } | null;
}
