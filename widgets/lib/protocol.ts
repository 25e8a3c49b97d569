/**
 * Wire types of the label stream. The Python side is workbench/stream.py; its
 * module docstring is the reference for every message.
 */

/** Review decisions (the review widget): they name the event they review as `parent`. */
export type ReviewKind = "review-accept" | "review-correct" | "ambiguous" | "send-back";

export type LabelKind = "label" | "skip" | "retract" | ReviewKind;

/** Front end → kernel: one label, skip, retraction or review decision. Also what the outbox stores. */
export interface LabelMessage {
  type: "label";
  client_id: string;
  seq: number;
  item_id: string;
  task: string;
  kind: LabelKind;
  value: unknown;
  retracts?: { client_id: string; seq: number };
  /** Review decisions: the id of the event under review (null: the item had no state). */
  parent?: number | null;
  /** "annotate" (default), "review" or "qa". */
  tier?: string;
  /** A reviewer's reason, shown to the annotators (required for "send-back"; at most 2000 characters). */
  note?: string;
  duration_ms: number | null;
  /** Epoch ms when the label was made; orders resends (targets before their retractions). */
  created: number;
}

/** One item as the kernel sends it; image bytes are in buffers[buffer]. */
export interface WireItem {
  item_id: string;
  kind: "image" | "text" | "audio" | "video" | "error";
  text?: string;
  /** Audio: the clip's header and the bins of its whole-clip waveform (float32 min/max pairs in buffers[buffer]). */
  sample_rate?: number;
  channels?: number;
  duration?: number;
  bins?: number;
  /** Video: the frame count and rate (the first frame in buffers[buffer], full_* its size). */
  frames?: number;
  fps?: number;
  mime?: string;
  width?: number;
  height?: number;
  /** Size of the whole image when the one sent is downscaled (the drawing widget's shapes are in its pixels). */
  full_width?: number;
  full_height?: number;
  buffer?: number | null;
  /** Current value when the item has a label for the task. */
  label?: unknown;
  /** Kind of the event deciding the item's current state ("label", "skip", ...). */
  state?: string;
  prelabel?: { value: unknown; score: number | null };
  error?: string;
  /** Team mode: the latest reviewer's feedback on this item for this user (an item sent back to them). */
  feedback?: Feedback;
}

/** Team mode: a reviewer's correction or send-back of this user's work (the `team_feedback` table). */
export interface Feedback {
  id: number;
  item_id: string;
  kind: "review-correct" | "send-back";
  reviewer: string;
  tier: string;
  note: string;
  /** The reviewer's label (null for a send-back). */
  value: unknown;
  /** The annotator's label it replaced. */
  previous: unknown;
  /** Seconds since the epoch. */
  created_at: number | null;
}

/** Team mode: who this view's user is (the `hello` reply's `team`). */
export interface TeamInfo {
  user: string;
  role: "annotator" | "reviewer" | "qa";
  /** The tier the user's decisions are written in. */
  tier: string;
}

export interface Progress {
  done: number;
  total: number;
}

export interface ClassSpec {
  name: string;
  key: string | null;
  color: string | null;
  description?: string;
  /** Ids of items that illustrate the class in the guidelines. */
  examples?: string[];
}

export interface TaskSpec {
  name: string;
  kind?: string;
  description?: string;
  multi_label?: boolean;
  classes: ClassSpec[];
}

/** Any message from the kernel. */
export interface KernelMessage {
  type: string;
  client_id?: string;
  req?: number;
  seq?: number;
  [key: string]: unknown;
}

/** Copy a buffer the widget manager gives us (DataView, ArrayBuffer or typed array) into bytes. */
export function toBytes(buf: unknown): Uint8Array | null {
  if (buf == null) return null;
  if (buf instanceof Uint8Array) return buf;
  if (ArrayBuffer.isView(buf)) {
    const v = buf as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  // ArrayBuffers from another realm (iframes, jsdom) fail instanceof.
  const b = buf as { byteLength?: number };
  if (typeof b.byteLength === "number") return new Uint8Array(buf as ArrayBuffer);
  return null;
}
