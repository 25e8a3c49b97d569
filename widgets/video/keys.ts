/**
 * The video widget's keys. Class keys come from the schema. Fixed keys: Space
 * (play / pause), `.` `,` (a frame; Shift: ten, as `>` `<`), Home / End,
 * `[` `]` (the selected track's keyframes), Alt+← → (videos back / forward),
 * Enter, Delete / Backspace (Shift: the keyframe here), Tab, Escape,
 * Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z or Ctrl+Y. The letters `o` (outside from
 * here), `h` (occluded here), `x` (split), `m` (merge), `y`, `Y`, `n`, `s` and
 * `?` give way to a class bound to the same key.
 */

import { classForKey, editKey, HELP_KEY, SKIP_KEY, type KeyLike } from "../lib/keys";

export const ACCEPT_KEY = "y";
export const ACCEPT_ALL_KEY = "Y";
export const REJECT_KEY = "n";
export const OUTSIDE_KEY = "o";
export const OCCLUDED_KEY = "h";
export const SPLIT_KEY = "x";
export const MERGE_KEY = "m";

export type VideoAction =
  | { type: "class"; name: string }
  | { type: "play" }
  | { type: "step"; by: number }
  | { type: "seekTo"; to: "start" | "end" }
  | { type: "keyframe"; dir: -1 | 1 }
  | { type: "outside" }
  | { type: "occluded" }
  | { type: "split" }
  | { type: "merge" }
  | { type: "delete"; keyframe: boolean }
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
  | { type: "help" }
  | { type: "close" };

export function videoAction(ev: KeyLike, classKeys: Map<string, string>): VideoAction | null {
  const edit = editKey(ev);
  if (edit !== undefined) return edit;
  if (ev.key === " ") return { type: "play" };
  if (ev.key === "." || ev.key === ">") return { type: "step", by: ev.shiftKey || ev.key === ">" ? 10 : 1 };
  if (ev.key === "," || ev.key === "<") return { type: "step", by: ev.shiftKey || ev.key === "<" ? -10 : -1 };
  const cls = classForKey(ev.key, classKeys);
  if (cls !== undefined) return { type: "class", name: cls };
  switch (ev.key) {
    case "Home":
      return { type: "seekTo", to: "start" };
    case "End":
      return { type: "seekTo", to: "end" };
    case "[":
      return { type: "keyframe", dir: -1 };
    case "]":
      return { type: "keyframe", dir: 1 };
    case OUTSIDE_KEY:
      return { type: "outside" };
    case OCCLUDED_KEY:
      return { type: "occluded" };
    case SPLIT_KEY:
      return { type: "split" };
    case MERGE_KEY:
      return { type: "merge" };
    case "Delete":
    case "Backspace":
      return { type: "delete", keyframe: Boolean(ev.shiftKey) };
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
    case HELP_KEY:
      return { type: "help" };
    case "Escape":
      return { type: "close" };
    default:
      return null;
  }
}

export function videoKeysHelp(): [string, string][] {
  return [
    ["Space", "play / pause"],
    [". ,", "a frame forward / back (Shift: ten)"],
    ["Home / End", "the first / last frame"],
    ["drag on the frame", "a new track here (of the class chosen)"],
    ["drag a shape, a box's corner, a polygon's vertex", "move, resize, reshape: a keyframe here"],
    ["click", "select a track"],
    ["class key", "the class of new tracks; relabel the selected track"],
    ["[ ]", "the selected track's previous / next keyframe"],
    [OUTSIDE_KEY, "the selected object left the view from here"],
    [OCCLUDED_KEY, "the selected object is occluded here (toggle)"],
    [SPLIT_KEY, "split the selected track here"],
    [MERGE_KEY, "merge the selected track into the one selected before"],
    ["Delete, Shift+Delete", "remove the selected track, its keyframe here"],
    ["Tab", "next suggested track"],
    [ACCEPT_KEY, "accept it"],
    [ACCEPT_ALL_KEY, "accept every suggestion"],
    [REJECT_KEY, "reject it"],
    ["Ctrl+Z / Ctrl+Shift+Z", "undo / redo"],
    ["Enter", "done: next video"],
    [SKIP_KEY, "skip"],
    ["Alt+← →", "videos back / forward"],
    ["?", "guidelines"],
  ];
}
