/**
 * The drawing widget's key map: its tools (and those a task offers) with
 * their fixed keys, the command keys, what a key does (`annotateAction`),
 * which class keys the fixed keys shadow, which actions a held-down key
 * repeats, and the keys listed in the guidelines overlay.
 */

import { classForKey, keyLabel, NOTES_KEY, type KeyLike } from "../lib/keys";
import type { ClassSpec } from "../lib/protocol";
import type { ShapeType } from "../lib/geometry";
import { SHAPE_TYPES, type ShapesSpec } from "./shapes";

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
/** The type of shape each tool makes (null: the select tool makes none). */
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
export const TOOL_NAME: Readonly<Record<Tool, string>> = {
  select: "Select",
  box: "Box",
  polygon: "Polygon",
  polyline: "Polyline",
  keypoints: "Keypoints",
  brush: "Brush",
  eraser: "Eraser",
  cuboid: "Cuboid",
};

/** The tools a task offers: select, and those of its shape types (keypoints: when it has a skeleton). */
export function toolsOf(spec: ShapesSpec): Tool[] {
  const types = spec.types ?? SHAPE_TYPES;
  return TOOLS.filter((tool) => {
    const type = TOOL_TYPE[tool];
    if (type === null) return true;
    if (!types.includes(type)) return false;
    if (tool === "keypoints") return Object.keys(spec.skeletons ?? {}).length > 0;
    return true;
  });
}

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

/** Zoom factor of one = or - key. */
const ZOOM_STEP = 1.25;

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
  | { type: "help" }
  | { type: "readNotes" };

/**
 * What a key does in the drawing widget, or null when it is not ours. Tool and
 * command keys are fixed and win over class keys bound to the same key (such
 * a class is picked by clicking it, or with Tab); NOTES_KEY (team mode: mark
 * the reviewers' notes read) gives way to a class bound to it. Ctrl/Cmd+Z undoes,
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
  if (name !== undefined) return { type: "class", name };
  return k === NOTES_KEY ? { type: "readNotes" } : null;
}

/** Whether a class key is taken by a tool or command key (then the class is picked by clicking it or with Tab). */
export function keyTaken(key: string | null | undefined): boolean {
  return !!key && FIXED_KEYS.has(key);
}

/** Whether a held-down key repeats the action (zoom, brush size, undo, walking items…); the others act once per press. */
export function repeats(action: AnnotateAction): boolean {
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
      return true;
    default:
      return false;
  }
}

/** The keys listed in the guidelines overlay, [key, what it does], for the tools the task offers. */
export function keysHelp(tools: readonly Tool[], classes: readonly ClassSpec[]): [string, string][] {
  const keys: [string, string][] = [];
  for (const t of tools) keys.push([TOOL_KEYS[t], `${TOOL_NAME[t].toLowerCase()} tool`]);
  for (const c of classes) {
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
    ["← →", "previous / next item (shapes are stored as you draw, so nothing is lost; → leaves an untouched item unlabeled, Enter marks it \u201cnothing here\u201d; arrows never move shapes)"],
    ["s", "skip"],
    ["?", "these guidelines and keys"],
  );
  return keys;
}
