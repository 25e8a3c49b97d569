/**
 * The text widget's keys. Class and relation keys come from the schema (one
 * key space, filled together by TextSpans). Fixed keys: arrows (a token;
 * Shift extends), Alt+arrows (items back / forward), Enter, Delete /
 * Backspace, Tab (next suggestion; Shift+Tab is never ours), Escape, PageUp /
 * PageDown, Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z or Ctrl+Y. The letters `y`
 * (accept the suggestion), `Y` (accept all), `n` (reject it), `s` (skip) and
 * `?` give way to a class or relation bound to the same key.
 */

import { classForKey, editKey, HELP_KEY, SKIP_KEY, type KeyLike } from "../lib/keys";

export const ACCEPT_KEY = "y";
export const ACCEPT_ALL_KEY = "Y";
export const REJECT_KEY = "n";

export type TextAction =
  | { type: "class"; name: string }
  | { type: "relation"; name: string }
  | { type: "move"; dir: -1 | 1; extend: boolean }
  | { type: "delete" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "commit" }
  | { type: "skip" }
  | { type: "back" }
  | { type: "forward" }
  | { type: "nextSuggestion" }
  | { type: "accept" }
  | { type: "acceptAll" }
  | { type: "reject" }
  | { type: "page"; delta: number }
  | { type: "help" }
  | { type: "close" };

export function textAction(ev: KeyLike, classKeys: Map<string, string>, relationKeys: Map<string, string>): TextAction | null {
  const edit = editKey(ev);
  if (edit !== undefined) return edit;
  const cls = classForKey(ev.key, classKeys);
  if (cls !== undefined) return { type: "class", name: cls };
  const rel = classForKey(ev.key, relationKeys);
  if (rel !== undefined) return { type: "relation", name: rel };
  switch (ev.key) {
    case "ArrowLeft":
      return { type: "move", dir: -1, extend: Boolean(ev.shiftKey) };
    case "ArrowRight":
      return { type: "move", dir: 1, extend: Boolean(ev.shiftKey) };
    case "Delete":
    case "Backspace":
      return { type: "delete" };
    case "Enter":
      return { type: "commit" };
    case "Tab":
      return ev.shiftKey ? null : { type: "nextSuggestion" };
    case ACCEPT_KEY:
      return { type: "accept" };
    case ACCEPT_ALL_KEY:
      return { type: "acceptAll" };
    case REJECT_KEY:
      return { type: "reject" };
    case SKIP_KEY:
      return { type: "skip" };
    case "PageDown":
      return { type: "page", delta: 1 };
    case "PageUp":
      return { type: "page", delta: -1 };
    case HELP_KEY:
      return { type: "help" };
    case "Escape":
      return { type: "close" };
    default:
      return null;
  }
}

/** The keys the guidelines overlay lists. */
export function textKeysHelp(relations: boolean): [string, string][] {
  const keys: [string, string][] = [
    ["drag / double-click", "select text"],
    ["→ ←", "select the next / previous token"],
    ["Shift+→ ←", "extend the selection"],
    ["class key", "label the selection, or relabel the selected span"],
    ["click", "select a span (Ctrl/Shift-click: add one)"],
  ];
  if (relations) keys.push(["relation key", "link the two selected spans (first → second)"]);
  keys.push(
    ["Delete", "remove the selected spans or relation"],
    ["Tab", "next suggestion"],
    [ACCEPT_KEY, "accept the suggestion"],
    [ACCEPT_ALL_KEY, "accept every suggestion"],
    [REJECT_KEY, "reject the suggestion"],
    ["Ctrl+Z / Ctrl+Shift+Z", "undo / redo"],
    ["Enter", "done: next item"],
    [SKIP_KEY, "skip"],
    ["Alt+← →", "items back / forward"],
    ["?", "guidelines"],
    ["Esc", "clear the selection / close"],
  );
  return keys;
}
