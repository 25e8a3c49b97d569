/**
 * Key bindings. Class keys come from the schema (`key` of each class); the
 * widget's own keys are fixed: Enter, arrows, Backspace, `s`, `?`, Escape (and
 * `d`, `b` and the review's `a`, `m`, `x`, which give way to a class bound to them).
 * Keys with Ctrl, Meta or Alt are never ours (they belong to the browser and
 * JupyterLab), except the few a widget binds on purpose (Ctrl/Cmd+A in the gallery).
 */

import type { ClassSpec } from "./protocol";

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
  repeat?: boolean;
}

/** Keys of the one-at-a-time views (classify, review): a class, then step through items. */
export type ClassifyAction =
  | { type: "class"; name: string }
  | { type: "commit" }
  | { type: "skip" }
  | { type: "back" }
  | { type: "forward" }
  | { type: "undo" }
  | { type: "help" }
  | { type: "close" }
  | { type: "readNotes" };

export type GalleryAction =
  | { type: "class"; name: string }
  | { type: "move"; dx: number; dy: number; extend: boolean }
  | { type: "toggle" }
  | { type: "selectAll" }
  | { type: "clear" }
  | { type: "page"; delta: number }
  | { type: "undo" }
  | { type: "help" };

export type ReviewAction =
  | ClassifyAction
  | { type: "accept" }
  | { type: "suggestion" }
  | { type: "ambiguous" }
  | { type: "sendBack" };

export const SKIP_KEY = "s";
export const HELP_KEY = "?";
/** Review keys that give way to a class bound to the same key. */
export const ACCEPT_KEY = "a";
export const SUGGESTION_KEY = "m";
export const AMBIGUOUS_KEY = "x";
export const SEND_BACK_KEY = "b";
/** Team mode: mark the reviewers' notes read (classify and drawing views); gives way to a class too. */
export const NOTES_KEY = "d";

/** key → class name. A class with no key (more classes than keys) is only clickable. */
export function buildKeymap(classes: ClassSpec[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of classes) if (c.key && !map.has(c.key)) map.set(c.key, c.name);
  return map;
}

/** The class bound to `key`; an upper-case letter falls back to its lower case (Caps Lock). */
export function classForKey(key: string, keymap: Map<string, string>): string | undefined {
  const direct = keymap.get(key);
  if (direct !== undefined) return direct;
  if (key.length === 1 && key !== key.toLowerCase()) return keymap.get(key.toLowerCase());
  return undefined;
}

function hasCommandModifier(ev: KeyLike): boolean {
  return Boolean(ev.ctrlKey || ev.metaKey || ev.altKey);
}

/** A class key's action, or null when no class is bound to the key. */
function classKey(ev: KeyLike, keymap: Map<string, string>): { type: "class"; name: string } | null {
  const name = classForKey(ev.key, keymap);
  return name === undefined ? null : { type: "class", name };
}

/** The keys classify and review share, after their class keys: Enter, s, ← →, Backspace, ?, Escape. */
function stepAction(key: string): ClassifyAction | null {
  switch (key) {
    case "Enter":
      return { type: "commit" };
    case SKIP_KEY:
      return { type: "skip" };
    case "ArrowLeft":
      return { type: "back" };
    case "ArrowRight":
      return { type: "forward" };
    case "Backspace":
      return { type: "undo" };
    case HELP_KEY:
      return { type: "help" };
    case "Escape":
      return { type: "close" };
    default:
      return null;
  }
}

/** What a key does in the classify widget, or null when it is not ours. */
export function classifyAction(ev: KeyLike, keymap: Map<string, string>): ClassifyAction | null {
  if (hasCommandModifier(ev)) return null;
  const cls = classKey(ev, keymap);
  if (cls) return cls;
  return ev.key === NOTES_KEY ? { type: "readNotes" } : stepAction(ev.key);
}

/** What a key does in the gallery, or null when it is not ours. */
export function galleryAction(ev: KeyLike, keymap: Map<string, string>): GalleryAction | null {
  const lower = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && lower === "a") return { type: "selectAll" };
  if (hasCommandModifier(ev)) return null;
  const cls = classKey(ev, keymap);
  if (cls) return cls;
  const extend = Boolean(ev.shiftKey);
  switch (ev.key) {
    case "ArrowLeft":
      return { type: "move", dx: -1, dy: 0, extend };
    case "ArrowRight":
      return { type: "move", dx: 1, dy: 0, extend };
    case "ArrowUp":
      return { type: "move", dx: 0, dy: -1, extend };
    case "ArrowDown":
      return { type: "move", dx: 0, dy: 1, extend };
    case " ":
      return { type: "toggle" };
    case "a":
      return { type: "selectAll" }; // only reached when no class is bound to "a"
    case "Escape":
      return { type: "clear" };
    case "PageDown":
      return { type: "page", delta: 1 };
    case "PageUp":
      return { type: "page", delta: -1 };
    case "Backspace":
      return { type: "undo" };
    case HELP_KEY:
      return { type: "help" };
    default:
      return null;
  }
}

/**
 * What a key does in the review widget, or null when it is not ours. Class keys
 * come first; `a`, `m`, `x` and `b` work only when no class is bound to them, while
 * Enter (accept or, multi-label, save), Tab (the model's suggestion; Shift+Tab
 * is never ours, so the keyboard can leave the widget) always do.
 */
export function reviewAction(ev: KeyLike, keymap: Map<string, string>): ReviewAction | null {
  if (hasCommandModifier(ev)) return null;
  const cls = classKey(ev, keymap);
  if (cls) return cls;
  switch (ev.key) {
    case ACCEPT_KEY:
      return { type: "accept" };
    case "Tab":
      return ev.shiftKey ? null : { type: "suggestion" };
    case SUGGESTION_KEY:
      return { type: "suggestion" };
    case AMBIGUOUS_KEY:
      return { type: "ambiguous" };
    case SEND_BACK_KEY:
      return { type: "sendBack" };
    default:
      return stepAction(ev.key);
  }
}

/**
 * Keys a focused widget swallows even when they do nothing, so that an unbound
 * letter never reaches JupyterLab's command mode (`a` inserts a cell, `d d`
 * deletes one). Tab and modified keys still go through.
 */
export function swallows(ev: KeyLike): boolean {
  if (hasCommandModifier(ev)) return false;
  return ev.key.length === 1;
}

/** Short label for a key, as shown next to a class. */
export function keyLabel(key: string | null | undefined): string {
  if (!key) return "";
  if (key === " ") return "Space";
  return key;
}

/**
 * The keys with a modifier that the views storing an item's whole value share
 * (text, audio, video): Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo,
 * Alt+← → the items back and forward. `null` for any other key with Ctrl,
 * Cmd or Alt (the browser's and JupyterLab's), `undefined` for a key without.
 */
export function editKey(ev: KeyLike): { type: "undo" | "redo" | "back" | "forward" } | null | undefined {
  const cmd = Boolean(ev.ctrlKey || ev.metaKey);
  if (cmd && !ev.altKey) {
    const k = ev.key.toLowerCase();
    if (k === "z") return ev.shiftKey ? { type: "redo" } : { type: "undo" };
    if (k === "y" && !ev.shiftKey) return { type: "redo" };
    return null;
  }
  if (ev.altKey && !cmd) {
    if (ev.key === "ArrowLeft") return { type: "back" };
    if (ev.key === "ArrowRight") return { type: "forward" };
    return null;
  }
  return cmd || ev.altKey ? null : undefined;
}
