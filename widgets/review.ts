/**
 * ReviewWidget front end: a ranked list of suspected label errors, one card at
 * a time, each decided with one key.
 *
 * A card shows the item, the label under review (the item's current label and
 * who gave it), every annotator's latest label, the model's suggestion with the
 * pre-label's score, and the audit's quality score. Decisions travel as label
 * messages of the review kinds (`review-accept`, `review-correct`,
 * `ambiguous`) through the shared outbox (lib/sender.ts), each naming the event
 * under review as `parent`; Backspace retracts the last one. Cards are fetched
 * by position (`cards` messages) and prefetched ahead of the one shown. The
 * protocol is documented in workbench/stream.py.
 *
 * Keys: Enter (or `a` when no class uses it) accepts the label; a class key
 * corrects to that class (the label's own class accepts); Tab (or `m` when no
 * class uses it) takes the model's suggestion; `x` (when no class uses it)
 * marks the item ambiguous; `b` (when no class uses it) sends the item back to
 * its annotators; `s` moves on without a decision; ← → move; Backspace undoes;
 * `?` guidelines. Multi-label: class keys toggle a draft that starts from the
 * label, Enter saves it.
 *
 * A send-back, and in team mode (the hello reply has `team`) a correction,
 * first asks for a reason in a text field under the card (Enter sends it,
 * Escape cancels; keys typed there are the field's). The reason travels as the
 * decision's `note` and shows in the decision line.
 *
 * DOM hooks for browser tests: root `.wb-review` with data-ready="1" once a
 * card (or the end of the list) is painted, data-item-id (card shown, or ""),
 * data-position (0-based), data-total, data-decision (this view's decision on
 * the card shown: its kind, or ""), data-asking (the kind of decision waiting
 * for a reason, or ""), data-outbox (unacknowledged messages).
 * Parts: `.wb-given`, `.wb-annotator[data-annotator]`, `.wb-suggestion`,
 * `.wb-quality`, `.wb-position`, `.wb-decision`, buttons `[data-action]`, the
 * reason field `.wb-reason` with its `input.wb-reason-input`.
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { AMBIGUOUS_KEY, ACCEPT_KEY, SEND_BACK_KEY, SUGGESTION_KEY, reviewAction, type ReviewAction } from "./lib/keys";
import type { ClassSpec, KernelMessage, LabelMessage, ReviewKind, WireItem } from "./lib/protocol";
import { TypeAhead } from "./lib/queue";
import { Ask } from "./lib/requests";
import { REQUEST_TIMEOUT_MS, StreamView, type ViewModel, type ViewOptions } from "./lib/view";
import { colorOf } from "./lib/colors";
import { h, now } from "./lib/dom";
import { itemImage, itemNode, revoke } from "./lib/images";
import { ratePerMinute } from "./lib/status";
import { valueText } from "./lib/text";
import { PaintTimings } from "./lib/timings";

interface Model extends ViewModel {
  prefetch: number;
  max_size: number;
  total: number;
}

/** The `review` part of a card (workbench/stream.py, "Card"). */
export interface ReviewInfo {
  position: number;
  quality: number | null;
  suggested: unknown;
  suggested_score: number | null;
  given: unknown;
  given_event: number | null;
  given_kind: string | null;
  given_by: string | null;
  audit_label: unknown;
  annotators: { annotator: string; kind: string; value: unknown }[];
  reviewed: { kind: string; value: unknown; annotator: string; event_id: number } | null;
}

interface Card extends WireItem {
  review: ReviewInfo;
  url: string | null;
  img: HTMLImageElement | null;
}

/** A decision of this view: what was sent, and about which event. */
interface Decision {
  kind: ReviewKind;
  value: unknown;
  /** The reason given to the annotators ("" when none was asked for). */
  note: string;
  parent: number | null;
  client_id: string;
  seq: number;
}

interface UndoEntry {
  item_id: string;
  position: number;
  client_id: string;
  seq: number;
  /** The decision this one replaced (it was retracted); restored by an undo. */
  prev: Decision | undefined;
}

/** A decision waiting for its reason in the reason field. */
interface Asking {
  card: Card;
  kind: ReviewKind;
  value: unknown;
}

/** The longest reason the kernel takes (workbench/stream.py MAX_NOTE). */
const MAX_NOTE = 2000;

/** Cards asked for in one request at most. */
const MAX_REQUEST = 100;
/** Cards kept in memory beyond the prefetch window (for going back). */
const CACHE_LIMIT = 200;

const KIND_TEXT: Record<string, string> = {
  "review-accept": "accepted",
  "review-correct": "corrected to",
  ambiguous: "marked ambiguous",
  label: "label",
  skip: "skipped",
  "send-back": "sent back",
};

export type ReviewOptions = ViewOptions;

export class ReviewView extends StreamView<Model, ReviewAction> {
  private multi: boolean;
  private cards = new Map<number, Card>();
  private pos = 0;
  private total: number;
  private local = new Map<string, Decision>();
  private drafts = new Map<string, Set<string>>();
  private undoStack: UndoEntry[] = [];
  private typeahead = new TypeAhead<ReviewAction>();
  private inFlight = new Ask();
  private shownSince = now();
  private decisionTimes: number[] = [];
  private timings = new PaintTimings();

  // DOM parts
  private stage: HTMLElement;
  private positionLine: HTMLElement;
  private progressLine: HTMLElement;
  private facts: HTMLElement;
  private decisionLine: HTMLElement;
  private buttons = new Map<string, HTMLButtonElement>();
  private reasonBox: HTMLElement;
  private reasonLabel: HTMLElement;
  private reasonInput: HTMLInputElement;
  private asking: Asking | null = null;

  constructor(model: AnyModel<Model>, el: HTMLElement, options: ReviewOptions = {}) {
    const total = Math.max(0, Number(model.get("total")) || 0);
    super(
      model,
      el,
      {
        name: "review",
        label: "Review labels",
        data: { "data-item-id": "", "data-position": "0", "data-total": String(total), "data-decision": "", "data-asking": "" },
        keys: reviewAction,
      },
      { refused: (entry, clientId, seq) => this.onRefused(entry, clientId, seq) },
      options,
    );
    this.multi = Boolean(this.task.multi_label);
    this.total = total;
    this.progress = model.get("progress") ?? { done: 0, total };
    if (this.multi) this.root.classList.add("wb-multi");
    this.positionLine = h("span", { class: "wb-position" });
    this.progressLine = h("span", { class: "wb-progress" });
    const head = h("div", { class: "wb-head" }, [
      h("span", { class: "wb-task", text: `${this.task.name} · review` }),
      this.positionLine,
      this.progressLine,
    ]);
    this.stage = h("div", { class: "wb-stage", attrs: { "aria-live": "polite" } });
    this.facts = h("div", { class: "wb-facts" });
    this.decisionLine = h("div", { class: "wb-decision" });
    const classes = this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    const actions = h("div", { class: "wb-actions" });
    const free = (k: string) => !this.keymap.has(k);
    const actionSpecs: [string, string, string[], ReviewAction][] = [
      ["accept", "Accept", ["Enter", ...(free(ACCEPT_KEY) ? [ACCEPT_KEY] : [])], { type: "accept" }],
      ["suggestion", "Model's class", ["Tab", ...(free(SUGGESTION_KEY) ? [SUGGESTION_KEY] : [])], { type: "suggestion" }],
      ["ambiguous", "Ambiguous", free(AMBIGUOUS_KEY) ? [AMBIGUOUS_KEY] : [], { type: "ambiguous" }],
      ["send-back", "Send back", free(SEND_BACK_KEY) ? [SEND_BACK_KEY] : [], { type: "sendBack" }],
      ["skip", "Next", ["s"], { type: "skip" }],
    ];
    for (const [name, text, keys, action] of actionSpecs) {
      const button = h("button", { class: "wb-button", attrs: { type: "button", "data-action": name, tabindex: "-1" } });
      button.append(h("span", { text }));
      for (const k of keys) button.append(h("kbd", { class: "wb-key", text: k }));
      this.clickable(button, () => this.dispatch(action, now()));
      this.buttons.set(name, button);
      actions.appendChild(button);
    }
    const hint = h("div", {
      class: "wb-hint",
      text: this.multi
        ? "class keys toggle · Enter saves (unchanged = accept) · Tab model's class · ← → move · Backspace undo · s next · ? guidelines"
        : "Enter accepts · a class key corrects · Tab model's class · ← → move · Backspace undo · s next · ? guidelines",
    });
    this.reasonLabel = h("label", { class: "wb-reason-label" });
    this.reasonInput = h("input", {
      class: "wb-reason-input",
      attrs: { type: "text", maxlength: String(MAX_NOTE), placeholder: "reason for the annotators", "aria-label": "reason" },
    });
    this.reasonBox = h("div", { class: "wb-reason" }, [
      this.reasonLabel,
      this.reasonInput,
      h("span", { class: "wb-muted", text: "Enter sends · Esc cancels" }),
    ]);
    this.reasonBox.hidden = true;
    // Keys typed in the field are the field's: no shortcut of the view or of JupyterLab sees them.
    this.listen(this.reasonInput, "keydown", (ev) => this.onReasonKey(ev as KeyboardEvent));
    this.listen(this.reasonBox, "mousedown", (ev) => ev.stopPropagation()); // the root would take the focus
    this.root.append(head, this.stage, this.facts, this.decisionLine, this.reasonBox, classes, actions, hint, this.statusLine, this.errorBox);
    this.listen(this.root, "mousedown", () => this.root.focus({ preventScroll: true }));

    this.paint();
    this.start();
    this.ensureCards();
  }

  protected release(): void {
    this.timings.cancel();
    for (const card of this.cards.values()) revoke(card.url);
    this.cards.clear();
  }

  protected poll(): void {
    this.ensureCards();
  }

  // -- keys -------------------------------------------------------------------
  protected once(action: ReviewAction): boolean {
    return isDecision(action);
  }

  /** Apply an action now, or queue it behind earlier keys still waiting for their card. */
  dispatch(action: ReviewAction, t: number): void {
    if (this.asking) this.closeReason(); // a click (or a key once the field lost focus) instead of a reason
    if (this.typeahead.length > 0 || (isDecision(action) && !this.shownCard() && this.pos < this.total)) {
      if (!this.typeahead.push(action, t)) this.notice = "too many keys waiting for cards; key ignored";
      this.ensureCards();
      this.renderStatus();
      return;
    }
    this.apply(action, t);
  }

  private apply(action: ReviewAction, t: number): void {
    const card = this.shownCard();
    if (isDecision(action) && !card) {
      this.notice = this.pos >= this.total ? "end of the list: nothing to decide on" : "no card shown";
      this.renderStatus();
      return;
    }
    this.notice = "";
    switch (action.type) {
      case "class":
        if (this.multi) {
          const draft = this.draftOf(card!);
          if (draft.has(action.name)) draft.delete(action.name);
          else draft.add(action.name);
          this.paint();
          return;
        }
        this.decideThenAdvance(card!, sameValue(action.name, card!.review.given) ? "review-accept" : "review-correct", action.name, t);
        return;
      case "commit":
        if (this.multi) {
          const value = this.classOrder(this.draftOf(card!));
          this.decideThenAdvance(card!, sameValue(value, card!.review.given) ? "review-accept" : "review-correct", value, t);
        } else {
          this.acceptGiven(card!, t);
        }
        return;
      case "accept":
        this.acceptGiven(card!, t);
        return;
      case "suggestion": {
        const suggested = card!.review.suggested;
        if (suggested === null || suggested === undefined) {
          this.notice = "no model suggestion for this item";
          this.renderStatus();
          return;
        }
        this.decideThenAdvance(card!, sameValue(suggested, card!.review.given) ? "review-accept" : "review-correct", suggested, t);
        return;
      }
      case "ambiguous":
        this.decide(card!, "ambiguous", null);
        this.advance(t);
        return;
      case "sendBack":
        this.decideThenAdvance(card!, "send-back", null, t);
        return;
      case "skip":
        this.advance(t);
        return;
      case "back":
        if (this.pos > 0) this.moveTo(this.pos - 1, t);
        return;
      case "forward":
        if (this.pos < this.total) this.moveTo(this.pos + 1, t);
        return;
      case "undo":
        this.undo(t);
        return;
      default:
        return;
    }
  }

  // -- decisions --------------------------------------------------------------
  private acceptGiven(card: Card, t: number): void {
    const given = card.review.given;
    if (given === null || given === undefined) {
      this.notice = "this item has no label to accept: press a class key to give one";
      this.renderStatus();
      return;
    }
    this.decide(card, "review-accept", given);
    this.advance(t);
  }

  /**
   * Decide and go on to the next card; a send-back, and in team mode a
   * correction, first asks for the reason (the field's Enter decides, then goes on).
   */
  private decideThenAdvance(card: Card, kind: ReviewKind, value: unknown, t: number): void {
    const prev = this.local.get(card.item_id);
    if (prev && prev.kind === kind && sameValue(prev.value, value)) {
      this.drafts.delete(card.item_id); // decided so already (with its reason): nothing changes
    } else if (kind === "send-back" || (kind === "review-correct" && this.team)) {
      this.askReason({ card, kind, value });
      return;
    } else {
      this.decide(card, kind, value);
    }
    this.advance(t);
  }

  /** Open the reason field for a decision; it is sent (with the reason) by the field's Enter. */
  private askReason(a: Asking): void {
    this.asking = a;
    this.reasonLabel.textContent =
      a.kind === "send-back" ? `Send ${a.card.item_id} back: why?` : `Correct to ${valueText(a.value)}: why?`;
    this.reasonInput.value = "";
    this.reasonBox.hidden = false;
    this.root.dataset.asking = a.kind;
    this.reasonInput.focus({ preventScroll: true });
    this.renderStatus();
  }

  private closeReason(): void {
    this.asking = null;
    this.reasonBox.hidden = true;
    this.root.dataset.asking = "";
    if (this.reasonBox.contains(document.activeElement)) this.root.focus({ preventScroll: true });
  }

  private onReasonKey(ev: KeyboardEvent): void {
    ev.stopPropagation();
    if (ev.isComposing) return;
    if (ev.key === "Enter") {
      ev.preventDefault();
      this.submitReason();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      this.closeReason();
      this.notice = "cancelled: nothing sent";
      this.renderStatus();
    }
  }

  private submitReason(): void {
    const a = this.asking;
    if (!a) return;
    const note = this.reasonInput.value.trim();
    if (!note) {
      this.notice = "a reason is needed: type it, or Esc cancels";
      this.renderStatus();
      return;
    }
    this.closeReason();
    this.decide(a.card, a.kind, a.value, note);
    this.advance(now());
  }

  /** Send a decision; a second one on the same item retracts this view's first. */
  private decide(card: Card, kind: ReviewKind, value: unknown, note = ""): void {
    const id = card.item_id;
    const prev = this.local.get(id);
    this.drafts.delete(id);
    if (prev && prev.kind === kind && sameValue(prev.value, value) && prev.note === note) return; // nothing changes
    // The event under review: what the card showed, or what this view's first
    // decision reviewed (its retraction makes that the item's state again).
    const parent = prev ? prev.parent : (card.review.given_event ?? null);
    if (prev) this.retract(id, prev);
    const msg = this.post(id, kind, value, parent, note);
    this.local.set(id, { kind, value, note, parent, client_id: msg.client_id, seq: msg.seq });
    this.undoStack.push({ item_id: id, position: card.review.position, client_id: msg.client_id, seq: msg.seq, prev });
    if (this.undoStack.length > 1000) this.undoStack.shift();
    this.decisionTimes.push(now());
    if (this.decisionTimes.length > 1000) this.decisionTimes.shift();
  }

  private post(itemId: string, kind: ReviewKind, value: unknown, parent: number | null, note: string): LabelMessage {
    return this.sender.post({
      item_id: itemId,
      task: this.task.name,
      kind,
      value,
      parent,
      tier: this.tier(),
      note,
      duration_ms: Math.max(0, Math.round(now() - this.shownSince)),
    });
  }

  /** The tier decisions are written in: a team member's own (QA decides in "qa"), else "review". */
  private tier(): string {
    return this.team && this.team.tier !== "annotate" ? this.team.tier : "review";
  }

  private retract(itemId: string, d: Decision): void {
    this.sender.post({
      item_id: itemId,
      task: this.task.name,
      kind: "retract",
      value: null,
      retracts: { client_id: d.client_id, seq: d.seq },
      tier: this.tier(),
      duration_ms: null,
    });
  }

  private undo(t: number): void {
    const last = this.undoStack.pop();
    if (!last) {
      this.notice = "nothing to undo";
      this.renderStatus();
      return;
    }
    const live = this.local.get(last.item_id);
    if (live) this.retract(last.item_id, live);
    if (last.prev) {
      // The undone decision had replaced an earlier one: decide that again.
      const p = last.prev;
      const msg = this.post(last.item_id, p.kind, p.value, p.parent, p.note);
      this.local.set(last.item_id, { ...p, client_id: msg.client_id, seq: msg.seq });
    } else {
      this.local.delete(last.item_id);
    }
    this.drafts.delete(last.item_id);
    this.notice = "undone";
    this.moveTo(last.position, t);
  }

  private advance(t: number): void {
    this.moveTo(Math.min(this.total, this.pos + 1), t);
  }

  private moveTo(pos: number, t: number): void {
    this.pos = Math.max(0, Math.min(this.total, pos));
    this.show(t);
    this.ensureCards();
  }

  private draftOf(card: Card): Set<string> {
    let d = this.drafts.get(card.item_id);
    if (!d) {
      d = new Set(asList(this.draftStart(card)));
      this.drafts.set(card.item_id, d);
    }
    return d;
  }

  /** Where a multi-label draft starts: this view's decision, else the label under review. */
  private draftStart(card: Card): unknown {
    const local = this.local.get(card.item_id);
    return local && local.kind !== "ambiguous" ? local.value : card.review.given;
  }

  /** Class names of a set in the schema's order (as the kernel stores them). */
  private classOrder(set: Set<string>): string[] {
    return this.task.classes.map((c) => c.name).filter((n) => set.has(n));
  }

  // -- cards ------------------------------------------------------------------
  private shownCard(): Card | null {
    return this.cards.get(this.pos) ?? null;
  }

  /** Ask for the missing cards of the window [pos - 1, pos + prefetch], the shown one first. */
  private ensureCards(): void {
    if (this.destroyed) return;
    const t = now();
    if (this.inFlight.fresh(t, REQUEST_TIMEOUT_MS)) return;
    this.inFlight.clear();
    const ahead = Math.max(0, Math.floor(Number(this.model.get("prefetch")) || 0));
    const hi = Math.min(this.total, this.pos + ahead + 1);
    let start = -1;
    if (this.pos < this.total && !this.cards.has(this.pos)) start = this.pos;
    else
      for (let p = Math.max(0, this.pos - 1); p < hi; p++)
        if (!this.cards.has(p)) {
          start = p;
          break;
        }
    if (start < 0) return;
    let n = 0;
    while (start + n < Math.max(hi, start + 1) && !this.cards.has(start + n) && n < MAX_REQUEST) n++;
    const req = ++this.req;
    this.inFlight.start(req, t);
    this.sender.send({ type: "cards", client_id: this.clientId, req, start, n });
  }

  private makeCard(w: WireItem & { review: ReviewInfo }, buffers: unknown[]): Card {
    return { ...w, ...itemImage(w, buffers, Math.max(16, Number(this.model.get("max_size")) || 512)) };
  }

  private remember(card: Card): void {
    const pos = card.review.position;
    const old = this.cards.get(pos);
    if (old && old.url !== card.url) revoke(old.url);
    this.cards.set(pos, card);
    if (this.cards.size <= CACHE_LIMIT) return;
    // Forget the cards farthest from the one shown.
    const far = [...this.cards.keys()].sort((a, b) => Math.abs(b - this.pos) - Math.abs(a - this.pos));
    for (const p of far.slice(0, this.cards.size - CACHE_LIMIT)) {
      revoke(this.cards.get(p)?.url);
      this.cards.delete(p);
    }
  }

  /** Drop an item's card so that it is fetched again (its label changed). */
  private forget(itemId: string): void {
    for (const [p, c] of this.cards) {
      if (c.item_id === itemId) {
        revoke(c.url);
        this.cards.delete(p);
      }
    }
  }

  // -- messages from the kernel -------------------------------------------------
  /** An answer about a decision may change what the card says about it ("saving…", a refusal). */
  protected afterAnswer(): void {
    this.paint();
    this.ensureCards();
  }

  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    switch (msg.type) {
      case "cards":
        if (mine) this.onCards(msg, buffers);
        break;
      case "error":
        if (mine || msg.client_id === undefined) this.showError(String(msg.error ?? "kernel error"), true);
        if (mine) this.inFlight.settle(msg.req);
        break;
      default:
        break;
    }
  }

  private onCards(msg: KernelMessage, buffers: unknown[]): void {
    this.inFlight.settle(msg.req);
    this.setProgress(msg.progress);
    if (typeof msg.total === "number" && msg.total >= 0 && msg.total !== this.total) {
      this.total = msg.total;
      if (this.pos > this.total) this.pos = this.total;
    }
    const wire = Array.isArray(msg.items) ? (msg.items as (WireItem & { review: ReviewInfo })[]) : [];
    for (const w of wire) {
      if (w && typeof w === "object" && w.review && typeof w.review.position === "number") this.remember(this.makeCard(w, buffers));
    }
    // Keys that waited for a card, in order.
    const applied = this.typeahead.drain(
      (a) => this.asking !== null || (isDecision(a) && !this.shownCard() && this.pos < this.total),
      (a, t) => this.apply(a, t),
    );
    if (this.asking && this.typeahead.length) {
      // The keys after it were meant for cards after the reason: they are not applied blind.
      const dropped = this.typeahead.clear().length;
      this.notice = `a reason is asked for first: ${dropped} key${dropped === 1 ? "" : "s"} after it dropped`;
    }
    if (!applied) this.show(null);
    this.ensureCards();
  }

  private onRefused(entry: LabelMessage | undefined, clientId: string, seq: number): void {
    if (!entry || entry.kind === "retract") return;
    const at = this.undoStack.findIndex((u) => u.client_id === clientId && u.seq === seq);
    if (at >= 0) this.undoStack.splice(at, 1);
    const live = this.local.get(entry.item_id);
    if (live && live.client_id === clientId && live.seq === seq) this.local.delete(entry.item_id);
    // Most likely the item changed since its card was fetched: fetch it again.
    this.forget(entry.item_id);
    this.ensureCards();
    this.paint();
  }

  // -- painting ---------------------------------------------------------------
  private show(t: number | null): void {
    this.timings.key(t);
    this.shownSince = now();
    this.paint();
  }

  private paint(): void {
    if (this.destroyed) return;
    const card = this.shownCard();
    const end = this.pos >= this.total;
    this.root.dataset.itemId = card ? card.item_id : "";
    this.root.dataset.position = String(this.pos);
    this.root.dataset.total = String(this.total);
    this.root.dataset.decision = card ? (this.local.get(card.item_id)?.kind ?? "") : "";
    let node: HTMLElement;
    if (card) node = itemNode(card, card.img);
    else if (end && this.total === 0) node = h("div", { class: "wb-done", text: "Nothing to review." });
    else if (end)
      node = h("div", {
        class: "wb-done",
        text: `End of the list: ${this.progress.done} of ${this.total} reviewed. ← goes back.`,
      });
    else node = h("div", { class: "wb-loading", text: "loading…" });
    this.stage.replaceChildren(node);
    this.renderFacts(card);
    this.renderChips(card);
    this.renderDecision(card);
    this.renderStatus();
    if (card || end) this.markReady();
    if (card) this.timings.painted(card.item_id);
  }

  /** A class value as coloured text. */
  private valueNode(value: unknown, cls = "wb-value"): HTMLElement {
    const span = h("span", { class: cls });
    const names = asList(value);
    if (!names.length) {
      span.textContent = Array.isArray(value) ? "(none)" : "–";
      return span;
    }
    names.forEach((name, i) => {
      if (i) span.append(", ");
      const swatch = h("span", { class: "wb-swatch" });
      swatch.style.background = colorOf(this.task.classes as ClassSpec[], name);
      span.append(h("span", { class: "wb-value-class" }, [swatch, h("span", { text: name })]));
    });
    return span;
  }

  private renderFacts(card: Card | null): void {
    if (!card) {
      this.facts.replaceChildren();
      return;
    }
    const r = card.review;
    const row = (cls: string, label: string, ...content: (Node | string)[]) => {
      const dd = h("dd", { class: cls });
      dd.append(...content);
      return [h("dt", { text: label }), dd];
    };
    // The label under review.
    const given: (Node | string)[] = [];
    if (r.given !== null && r.given !== undefined) given.push(this.valueNode(r.given));
    else given.push(h("span", { class: "wb-muted", text: "no label" }));
    if (r.given_kind && r.given_kind !== "label") given.push(` (${KIND_TEXT[r.given_kind] ?? r.given_kind})`);
    if (r.given_by) given.push(h("span", { class: "wb-by", text: ` by ${r.given_by}` }));
    if (r.audit_label !== null && r.audit_label !== undefined && !sameValue(r.audit_label, r.given)) {
      given.push(h("span", { class: "wb-changed", text: ` changed since the audit (was ${valueText(r.audit_label)})` }));
    }
    // Every annotator's latest decision.
    const people: Node[] = [];
    for (const a of r.annotators ?? []) {
      const agrees = a.kind === "label" && sameValue(a.value, r.given);
      const span = h("span", {
        class: `wb-annotator ${agrees ? "wb-agrees" : "wb-disagrees"}`,
        attrs: { "data-annotator": a.annotator, "data-kind": a.kind },
      });
      span.append(h("span", { class: "wb-annotator-name", text: `${a.annotator}: ` }));
      if (a.kind === "label") span.append(this.valueNode(a.value));
      else span.append(h("span", { class: "wb-muted", text: KIND_TEXT[a.kind] ?? a.kind }));
      people.push(span);
    }
    if (!people.length) people.push(h("span", { class: "wb-muted", text: "none recorded" }));
    // The model's suggestion, with the pre-label's score.
    const model: (Node | string)[] = [];
    if (r.suggested !== null && r.suggested !== undefined) {
      model.push(this.valueNode(r.suggested));
      if (typeof r.suggested_score === "number") model.push(` (${Math.round(r.suggested_score * 100)}%)`);
    } else model.push(h("span", { class: "wb-muted", text: "none" }));
    const pre = card.prelabel;
    if (pre && !sameValue(pre.value, r.suggested)) {
      const score = typeof pre.score === "number" ? ` ${Math.round(pre.score * 100)}%` : "";
      model.push(h("span", { class: "wb-muted", text: ` · pre-label ${valueText(pre.value)}${score}` }));
    }
    const quality = typeof r.quality === "number" ? formatQuality(r.quality) : "–";
    const qualityNode = h("span", {
      text: quality,
      title: typeof r.quality === "number" ? `label quality ${r.quality} (0: the label looks wrong, 1: it looks right)` : "no quality score",
    });
    const nodes = [
      ...row("wb-given", "label", ...given),
      ...row("wb-annotators", "annotators", ...people),
      ...row("wb-suggestion", "model", ...model),
      ...row("wb-quality", "label quality", qualityNode),
    ];
    if (r.reviewed && !this.local.has(card.item_id)) {
      const rv = r.reviewed;
      const what = rv.kind === "review-correct" ? `corrected to ${valueText(rv.value)}` : KIND_TEXT[rv.kind] ?? rv.kind;
      nodes.push(...row("wb-reviewed", "reviewed", `${what} by ${rv.annotator}`));
    }
    const dl = h("dl", { class: "wb-fact-list" });
    dl.append(...nodes);
    this.facts.replaceChildren(dl);
  }

  private renderChips(card: Card | null): void {
    const given = new Set(card ? asList(card.review.given) : []);
    const suggested = new Set(card ? asList(card.review.suggested) : []);
    const local = card ? this.local.get(card.item_id) : undefined;
    let on = new Set<string>();
    if (card && this.multi) on = this.drafts.get(card.item_id) ?? new Set(asList(this.draftStart(card)));
    else if (local && local.kind !== "ambiguous") on = new Set(asList(local.value));
    for (const [name, chip] of this.chips) {
      chip.classList.toggle("wb-current", given.has(name));
      chip.classList.toggle("wb-suggested", suggested.has(name));
      chip.classList.toggle("wb-on", on.has(name));
      chip.setAttribute("aria-pressed", on.has(name) ? "true" : "false");
    }
    const noCard = !card;
    for (const [name, button] of this.buttons) {
      if (name === "skip") button.disabled = this.pos >= this.total;
      else if (name === "suggestion") button.disabled = noCard || card!.review.suggested == null;
      else if (name === "accept") button.disabled = noCard || (!this.multi && card!.review.given == null);
      else button.disabled = noCard;
    }
  }

  private renderDecision(card: Card | null): void {
    const d = card ? this.local.get(card.item_id) : undefined;
    this.decisionLine.classList.toggle("wb-decided", Boolean(d));
    if (!card || !d) {
      const draft = card && this.multi ? this.drafts.get(card.item_id) : undefined;
      this.decisionLine.textContent = draft ? `draft: ${valueText(this.classOrder(draft))} · Enter saves` : "";
      return;
    }
    if (this.multi && this.drafts.has(card.item_id)) {
      this.decisionLine.textContent = `draft: ${valueText(this.classOrder(this.drafts.get(card.item_id)!))} · Enter saves`;
      return;
    }
    const what =
      d.kind === "review-accept"
        ? `accepted ${valueText(d.value)}`
        : d.kind === "review-correct"
          ? `corrected to ${valueText(d.value)}`
          : KIND_TEXT[d.kind] ?? d.kind;
    const note = d.note ? ` — “${d.note}”` : "";
    const saved = this.sender.outbox.has(d.client_id, d.seq) ? "saving…" : "saved";
    this.decisionLine.textContent = `your decision: ${what}${note} · ${saved}`;
  }

  protected renderCounts(): string | null {
    this.positionLine.textContent = this.total ? `${Math.min(this.pos + 1, this.total)} / ${this.total}` : "0 / 0";
    const { done, total } = this.progress;
    const rate = ratePerMinute(this.decisionTimes, now());
    this.progressLine.textContent =
      `${done}/${total} reviewed · ${Math.max(0, total - done)} left · ` +
      (rate === null ? "– decisions/min" : `${rate.toFixed(1)} decisions/min`);
    return this.typeahead.length ? `${this.typeahead.length} keys waiting for cards` : null;
  }

  protected keysHelp(): [string, string][] {
    const free = (k: string) => !this.keymap.has(k);
    return [
      ["Enter", this.multi ? "save (unchanged = accept)" : "accept the label"],
      ...(free(ACCEPT_KEY) ? ([[ACCEPT_KEY, "accept the label"]] as [string, string][]) : []),
      ["key", this.multi ? "toggle class" : "correct to that class"],
      [free(SUGGESTION_KEY) ? `Tab / ${SUGGESTION_KEY}` : "Tab", "take the model's class"],
      ...(free(AMBIGUOUS_KEY) ? ([[AMBIGUOUS_KEY, "ambiguous"]] as [string, string][]) : []),
      ...(free(SEND_BACK_KEY) ? ([[SEND_BACK_KEY, "send back to the annotators, with a reason"]] as [string, string][]) : []),
      ["s", "next, no decision"],
      ["← →", "back / forward"],
      ["Backspace", "undo"],
      ["?", "guidelines"],
      ["Esc", "close"],
    ];
  }
}

function isDecision(a: ReviewAction): boolean {
  return (
    a.type === "class" || a.type === "commit" || a.type === "accept" || a.type === "suggestion" || a.type === "ambiguous" || a.type === "sendBack"
  );
}

function asList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** Equal class values: the same name, or the same set of names. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a == b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return false;
    const sa = new Set(a.map(String));
    const sb = new Set(b.map(String));
    return sa.size === sb.size && [...sa].every((x) => sb.has(x));
  }
  return String(a) === String(b);
}

/**
 * The audit's label quality as a person reads it: two decimals ("0.12",
 * "0.01"), two significant figures below 0.01 ("0.0031"), and "< 0.0001"
 * for less (the tooltip has the exact value).
 */
export function formatQuality(q: number): string {
  const a = Math.abs(q);
  if (!Number.isFinite(q)) return String(q);
  if (a === 0 || a >= 0.01) return q.toFixed(2);
  if (a >= 0.0001) return q.toPrecision(2);
  return q < 0 ? "> -0.0001" : "< 0.0001";
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new ReviewView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
