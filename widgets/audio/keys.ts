/**
 * The audio widget's keys. Class keys come from the schema. Fixed keys: Space
 * (play / pause; never a class key), ← → (seek a second; Shift: ten), Home /
 * End, Alt+← → (clips back / forward), Enter, Delete / Backspace, Tab (next
 * suggestion), Escape, Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z or Ctrl+Y, `+` / `-`
 * (zoom). The keys `0` (whole clip), `g` (spectrogram), `y` (accept), `Y` (accept all), `n`
 * (reject), `s` (skip) and `?` give way to a class bound to the same key.
 */

import { classForKey, editKey, HELP_KEY, SKIP_KEY, type KeyLike } from "../lib/keys";

export const ACCEPT_KEY = "y";
export const ACCEPT_ALL_KEY = "Y";
export const REJECT_KEY = "n";
export const FIT_KEY = "0";
export const SPECTROGRAM_KEY = "g";

export type AudioAction =
  | { type: "class"; name: string }
  | { type: "play" }
  | { type: "seek"; by: number }
  | { type: "seekTo"; to: "start" | "end" }
  | { type: "zoom"; factor: number }
  | { type: "fit" }
  | { type: "spectrogram" }
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
  | { type: "help" }
  | { type: "close" };

export function audioAction(ev: KeyLike, classKeys: Map<string, string>): AudioAction | null {
  const edit = editKey(ev);
  if (edit !== undefined) return edit;
  if (ev.key === " ") return { type: "play" };
  const cls = classForKey(ev.key, classKeys);
  if (cls !== undefined) return { type: "class", name: cls };
  switch (ev.key) {
    case "ArrowLeft":
      return { type: "seek", by: ev.shiftKey ? -10 : -1 };
    case "ArrowRight":
      return { type: "seek", by: ev.shiftKey ? 10 : 1 };
    case "Home":
      return { type: "seekTo", to: "start" };
    case "End":
      return { type: "seekTo", to: "end" };
    case "+":
    case "=":
      return { type: "zoom", factor: 0.5 };
    case "-":
      return { type: "zoom", factor: 2 };
    case FIT_KEY:
      return { type: "fit" };
    case SPECTROGRAM_KEY:
      return { type: "spectrogram" };
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
    case HELP_KEY:
      return { type: "help" };
    case "Escape":
      return { type: "close" };
    default:
      return null;
  }
}

export function audioKeysHelp(): [string, string][] {
  return [
    ["Space", "play / pause"],
    ["← → (Shift)", "seek 1 s (10 s)"],
    ["Home / End", "to the start / end"],
    ["wheel, + −", "zoom in / out at the pointer"],
    [FIT_KEY, "the whole clip"],
    [SPECTROGRAM_KEY, "show / hide the spectrogram"],
    ["drag", "select a stretch (drag a region's edge to move it)"],
    ["class key", "label the selection, relabel the selected region; while playing: start, then end a region"],
    ["click", "select a region"],
    ["Delete", "remove the selected region"],
    ["Tab", "next suggestion"],
    [ACCEPT_KEY, "accept the suggestion"],
    [ACCEPT_ALL_KEY, "accept every suggestion"],
    [REJECT_KEY, "reject the suggestion"],
    ["Ctrl+Z / Ctrl+Shift+Z", "undo / redo"],
    ["Enter", "done: next clip"],
    [SKIP_KEY, "skip"],
    ["Alt+← →", "clips back / forward"],
    ["?", "guidelines"],
    ["Esc", "clear the selection / close"],
  ];
}
