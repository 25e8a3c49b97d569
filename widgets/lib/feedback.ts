/**
 * Team mode's reviewer feedback, shown to annotators by the classify and
 * drawing views: a strip with the unread notes ("2 notes from reviewers",
 * expanded: one line per correction or send-back) and a button (and the
 * NOTES_KEY key, lib/keys.ts) that marks them read with a `seen` message; and
 * the note of the item shown, when the item carries `feedback` (an item sent
 * back: "Sent back by rita: look again"). The messages are in
 * workbench/stream.py (hello and items replies carry `feedback`, the unread
 * list; an item may carry its own latest `feedback`).
 *
 * Test hooks: the strip `.wb-feedback` with data-feedback-count (unread notes
 * shown), one `.wb-feedback-item` (data-feedback-id, data-kind) per note, the
 * button `[data-action="read-notes"]`; the item's note `.wb-item-feedback`
 * with data-item-feedback (its feedback id) while one is shown.
 */

import { h, now } from "./dom";
import { valueText } from "./text";
import { NOTES_KEY } from "./keys";
import type { Feedback, TeamInfo } from "./protocol";
import { Ask } from "./requests";

/** What the strip needs from its view. */
export interface FeedbackWiring {
  readonly clientId: string;
  /** The next request number of the view. */
  nextReq(): number;
  send(msg: object): void;
  /** A control that acts on click without taking the keyboard focus from the view. */
  clickable(node: HTMLElement, fn: () => void): void;
  /** Values are shape lists (the drawing widget): summarised as counts. */
  shapes: boolean;
}

/** `hello`'s `team`, or null when the view is not a team member's (or it is malformed). */
export function parseTeam(v: unknown): TeamInfo | null {
  if (!v || typeof v !== "object") return null;
  const t = v as Record<string, unknown>;
  if (typeof t.user !== "string" || typeof t.role !== "string" || typeof t.tier !== "string") return null;
  if (t.role !== "annotator" && t.role !== "reviewer" && t.role !== "qa") return null;
  return { user: t.user, role: t.role, tier: t.tier };
}

/** A feedback row from the wire, or null when it is not one. */
export function parseFeedback(v: unknown): Feedback | null {
  if (!v || typeof v !== "object") return null;
  const f = v as Record<string, unknown>;
  if (typeof f.id !== "number" || typeof f.item_id !== "string") return null;
  if (f.kind !== "review-correct" && f.kind !== "send-back") return null;
  return {
    id: f.id,
    item_id: f.item_id,
    kind: f.kind,
    reviewer: typeof f.reviewer === "string" ? f.reviewer : "a reviewer",
    tier: typeof f.tier === "string" ? f.tier : "review",
    note: typeof f.note === "string" ? f.note : "",
    value: f.value ?? null,
    previous: f.previous ?? null,
    created_at: typeof f.created_at === "number" ? f.created_at : null,
  };
}

/** An item that a reviewer sent back to this user: it goes before the items queued. */
export function sentBack(item: { feedback?: Feedback }): boolean {
  return item.feedback?.kind === "send-back";
}

/** A label as short text: a class (or classes), or, for a shape list, how many shapes. */
export function valueSummary(value: unknown, shapes: boolean): string {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value) && (shapes || value.some((v) => v !== null && typeof v === "object"))) {
    return `${value.length} shape${value.length === 1 ? "" : "s"}`;
  }
  return valueText(value);
}

function quoted(note: string): string {
  return note.trim() ? ` — “${note.trim()}”` : "";
}

/** One line of the strip: "rita corrected t3: cat → bird — “beak visible”", "rita sent t5 back — “look again”". */
export function feedbackText(fb: Feedback, shapes: boolean): string {
  if (fb.kind === "send-back") return `${fb.reviewer} sent ${fb.item_id} back${quoted(fb.note)}`;
  const change = `${valueSummary(fb.previous, shapes)} → ${valueSummary(fb.value, shapes)}`;
  return `${fb.reviewer} corrected ${fb.item_id}: ${change}${quoted(fb.note)}`;
}

/** The note of the item shown: "Sent back by rita: look again", "Corrected by rita (cat → bird): beak visible". */
export function itemFeedbackText(fb: Feedback, shapes: boolean): string {
  const note = fb.note.trim();
  if (fb.kind === "send-back") return `Sent back by ${fb.reviewer}${note ? `: ${note}` : ""}`;
  const change = `${valueSummary(fb.previous, shapes)} → ${valueSummary(fb.value, shapes)}`;
  return `Corrected by ${fb.reviewer} (${change})${note ? `: ${note}` : ""}`;
}

/** The unread notes from reviewers, and marking them read. */
export class FeedbackStrip {
  readonly el: HTMLElement;
  private readonly toggleButton: HTMLButtonElement;
  private readonly list: HTMLElement;
  private notes: Feedback[] = [];
  /** Ids this view marked read: a reply computed before the kernel heard of it still lists them. */
  private readonly read = new Set<number>();
  /** The `seen` request unanswered, resent by `poll` when overdue. */
  private readonly seen = new Ask<{ ids: number[] }>();
  private expanded = false;

  constructor(private readonly w: FeedbackWiring) {
    this.toggleButton = h("button", {
      class: "wb-feedback-toggle",
      attrs: { type: "button", tabindex: "-1", "aria-expanded": "false" },
    });
    const readButton = h(
      "button",
      {
        class: "wb-feedback-read",
        attrs: { type: "button", tabindex: "-1", "data-action": "read-notes" },
        title: `Mark these notes read (${NOTES_KEY})`,
      },
      [h("span", { text: "Mark read" }), h("kbd", { class: "wb-key", text: NOTES_KEY })],
    );
    this.list = h("ul", { class: "wb-feedback-list" });
    this.list.hidden = true;
    this.el = h(
      "div",
      { class: "wb-feedback", attrs: { "data-feedback-count": "0", role: "status", "aria-label": "Notes from reviewers" } },
      [h("div", { class: "wb-feedback-head" }, [this.toggleButton, readButton]), this.list],
    );
    w.clickable(this.toggleButton, () => this.toggle());
    w.clickable(readButton, () => this.markRead());
    this.render();
  }

  /** Unread notes shown. */
  get count(): number {
    return this.notes.length;
  }

  /** The unread list from a `hello` or `items` reply (absent outside team mode: nothing changes). */
  set(list: unknown): void {
    if (!Array.isArray(list)) return;
    this.notes = list.map(parseFeedback).filter((f): f is Feedback => f !== null && !this.read.has(f.id));
    this.render();
  }

  /** Mark every note shown read: they leave the strip now, and the kernel hears `seen`. */
  markRead(): void {
    const ids = this.notes.map((f) => f.id);
    if (!ids.length) return;
    for (const id of ids) this.read.add(id);
    this.notes = [];
    this.render();
    this.sendSeen([...(this.seen.pending?.ids ?? []), ...ids]);
  }

  /** The kernel's answer to `seen` (true when it was this strip's). */
  onSeen(req: unknown): boolean {
    return this.seen.settle(req);
  }

  /** Every tick of the view: a `seen` unanswered (or failed: the view shows the error) for `timeoutMs` goes again. */
  poll(t: number, timeoutMs: number): void {
    const open = this.seen.pending;
    if (open && !this.seen.fresh(t, timeoutMs)) this.sendSeen(open.ids);
  }

  toggle(): void {
    this.expanded = !this.expanded;
    this.render();
  }

  private sendSeen(ids: number[]): void {
    const req = this.w.nextReq();
    this.seen.start(req, now(), { ids });
    this.w.send({ type: "seen", client_id: this.w.clientId, req, ids });
  }

  private render(): void {
    const n = this.notes.length;
    this.el.dataset.feedbackCount = String(n);
    this.el.hidden = n === 0;
    if (n === 0) this.expanded = false;
    this.toggleButton.textContent = `${n} note${n === 1 ? "" : "s"} from reviewers ${this.expanded ? "▾" : "▸"}`;
    this.toggleButton.setAttribute("aria-expanded", this.expanded ? "true" : "false");
    this.list.hidden = !this.expanded;
    this.list.replaceChildren(
      ...this.notes.map((f) =>
        h("li", {
          class: "wb-feedback-item",
          attrs: { "data-feedback-id": String(f.id), "data-kind": f.kind },
          text: feedbackText(f, this.w.shapes),
        }),
      ),
    );
  }
}

/** Paint the shown item's feedback into `slot` (hidden, without data-item-feedback, when it has none). */
export function paintItemFeedback(slot: HTMLElement, fb: Feedback | undefined, shapes: boolean): void {
  const f = fb ? parseFeedback(fb) : null;
  if (!f) {
    slot.hidden = true;
    slot.textContent = "";
    delete slot.dataset.itemFeedback;
    delete slot.dataset.kind;
    return;
  }
  slot.hidden = false;
  slot.dataset.itemFeedback = String(f.id);
  slot.dataset.kind = f.kind;
  slot.textContent = itemFeedbackText(f, shapes);
}

/** The (empty, hidden) slot for the shown item's feedback. */
export function itemFeedbackSlot(): HTMLElement {
  const slot = h("div", { class: "wb-item-feedback", attrs: { role: "note" } });
  slot.hidden = true;
  return slot;
}
