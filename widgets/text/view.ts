/**
 * AnnotateTextWidget front end: entity spans and relations on one text at a
 * time (issue 15). This module holds the view (`TextView`): its wiring, what
 * each key and click does, the selection, and commit and undo (each change of
 * the shown item's value is one label, whose value is the item's whole spans
 * and relations, written to the outbox before it is sent and resent until
 * acknowledged: a reload or a kernel restart loses no span). The parts:
 * offsets.ts (code points ↔ UTF-16), tokens.ts (the task's tokenizer, snap),
 * spans.ts (values and their edits), items.ts (items and what the view holds
 * per item), blocks.ts (long texts painted a block at a time), keys.ts.
 *
 * Messages are the label stream of the other views (lib/view.ts,
 * lib/supply.ts, workbench/stream.py): hello, need → items (a prefetch
 * queue), item, label; and, unasked, `prelabels` (suggestions stored while
 * the view is open) and `requeue`.
 *
 * Test hooks: root `div.wb-root.wb-annotate-text` with data-item-id,
 * data-ready="1", data-queue, data-outbox, data-spans (spans of the shown
 * item), data-selection ("start:end" in code points, or ""); the text is
 * `.wb-text-scroll` > `.wb-text-content` > `.wb-block` > `.wb-seg` (data-o,
 * data-e: UTF-16 offsets) and `.wb-tag`; relations are `.wb-rel` rows
 * (data-rel). `root.wbText` = {value, selection, text, select, paintedBlocks,
 * editPaints, editSteps, toCodePoint, toUtf16} (see `hooks()`).
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { afterPaint, h, now, raf } from "../lib/dom";
import { buildKeymap } from "../lib/keys";
import type { TaskSpec } from "../lib/protocol";
import { labelToast, Toast } from "../lib/status";
import { PaintTimings, pushLast } from "../lib/timings";
import { SnapshotView } from "../lib/snapshot_view";
import type { ViewModel, ViewOptions } from "../lib/view";
import { classChip } from "../lib/guidelines";
import { attributeDefaults, attributeRows, type AttributeSpec } from "../lib/attributes";
import { safeColor } from "../lib/colors";
import { BlockView, domOffset, type Mark } from "./blocks";
import { makeItem, offsetsOf, openSuggestions, setPrelabel, tokensOf, type TextItem } from "./items";
import { textAction, textKeysHelp, type TextAction } from "./keys";
import { addRelation, addSpan, EMPTY, parseValue, removeRelations, removeSpans, relabel, sameValue, setAttribute, spanKey, toWire, type RelationSpec, type Span, type SpansValue } from "./spans";
import { snap, tokenAfter, type Tokenizer } from "./tokens";

interface Model extends ViewModel {
  prefetch: number;
}

export interface TextSpec extends TaskSpec {
  relations?: RelationSpec[];
  attributes?: AttributeSpec[];
  overlapping?: boolean;
  tokens?: Tokenizer | null;
}

export type { AttributeSpec };

/** Items kept in memory beyond those queued, for going back. */
const CACHE_LIMIT = 50;
const FALLBACK_COLOR = "#888888";

export type TextOptions = ViewOptions;

interface Selection {
  anchor: number;
  focus: number;
}

export class TextView extends SnapshotView<Model, TextAction, TextItem, SpansValue> {
  private readonly textSpec: TextSpec;
  private readonly relations: RelationSpec[];
  private readonly relationKeys: Map<string, string>;
  private readonly colors = new Map<string, string>();
  /** The text selected (UTF-16 offsets in the shown item's text), or null. */
  private sel: Selection | null = null;
  /** Spans picked (clicked), in the order they were picked: a relation goes from the first to the second. */
  private picked: string[] = [];
  private pickedRelation: string | null = null;
  /** Where the arrows go on from with nothing selected (UTF-16): the end of the last selection or span made, or a click. */
  private caret: number | null = null;
  /** The suggestion picked (its spanKey), or null. */
  private pickedSuggestion: string | null = null;
  private blocks: BlockView | null = null;
  private readonly timings = new PaintTimings();
  /** Key-to-paint ms of edits of the shown item (select_to_paint). */
  private readonly editPaints: number[] = [];
  /** The same edits in three parts, ms: [key to handled (dispatch and the
   * handler), handled to the frame's start (the wait), the frame (layout and paint)]. */
  private readonly editSteps: number[][] = [];
  private scrollFrame: number | null = null;
  /** Cancels the widening of a new document's painted part, when one is pending. */
  private stopWiden: (() => void) | null = null;

  private readonly scroller: HTMLElement;
  private readonly content: HTMLElement;
  private readonly relationList: HTMLElement;
  /** The picked span's attributes (one control each), when one span is picked and the task has attributes. */
  private readonly attributePanel: HTMLElement;
  private readonly suggestionLine: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly toast = new Toast();

  constructor(model: AnyModel<Model>, el: HTMLElement, options: TextOptions = {}) {
    super(
      model,
      el,
      {
        name: "annotate-text",
        label: "Annotate text spans",
        data: { "data-item-id": "", "data-queue": "0", "data-spans": "0", "data-selection": "" },
        keys: (ev, keymap) => textAction(ev, keymap, this.relationKeys),
      },
      { make: (w) => makeItem(w), setPrelabel, parse: parseValue, same: sameValue, wire: toWire, empty: EMPTY, cacheLimit: CACHE_LIMIT, noun: "items" },
      options,
    );
    this.textSpec = this.task as TextSpec;
    this.relations = Array.isArray(this.textSpec.relations) ? this.textSpec.relations : [];
    this.relationKeys = buildKeymap(this.relations.map((r) => ({ name: r.name, key: r.key, color: r.color })));
    // Only hex and named colours reach a style (lib/colors.ts).
    for (const c of this.textSpec.classes) this.colors.set(c.name, safeColor(c.color, FALLBACK_COLOR));

    this.content = h("div", { class: "wb-text-content" });
    this.scroller = h("div", { class: "wb-text-scroll", attrs: { dir: "auto" } }, [this.content]);
    this.placeholder = h("div", { class: "wb-loading", text: "loading…" });
    this.relationList = h("div", { class: "wb-relations" });
    this.attributePanel = h("div", { class: "wb-span-attrs" });
    this.suggestionLine = h("div", { class: "wb-prelabel" });
    const classes = this.classChips((name) => this.dispatch({ type: "class", name }, now()));
    const relRow = h("div", { class: "wb-classes wb-relation-types" });
    for (const r of this.relations) {
      const chip = classChip({ name: r.name, key: r.key, color: r.color, description: r.description });
      chip.classList.add("wb-relation-chip");
      this.clickable(chip, () => this.dispatch({ type: "relation", name: r.name }, now()));
      relRow.appendChild(chip);
    }
    const hint = h("div", {
      class: "wb-hint",
      text: "select text, press a class key · click a span to select it · Delete removes · y / n accept / reject a suggestion · Ctrl+Z undo · Enter next · ? keys",
    });
    const head = h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: this.task.name }), this.progressLine]);
    const stage = h("div", { class: "wb-stage-wrap wb-text-stage" }, [this.placeholder, this.scroller, this.toast.el]);
    this.root.append(head, stage, this.suggestionLine, this.attributePanel, this.relationList, classes, relRow, hint, this.statusLine, this.errorBox);
    this.scroller.hidden = true;

    this.listen(this.scroller, "scroll", () => this.onScroll());
    this.listen(this.content, "mouseup", (ev) => this.onMouseUp(ev as MouseEvent));
    this.listen(this.content, "dblclick", (ev) => this.onMouseUp(ev as MouseEvent));
    // A relation row picks the relation (Delete removes it); one listener for all rows.
    this.listen(this.relationList, "mousedown", (ev) => ev.preventDefault());
    this.listen(this.relationList, "click", (ev) => {
      const row = (ev.target as HTMLElement | null)?.closest?.(".wb-rel") as HTMLElement | null;
      if (!row) return;
      const id = row.dataset.rel ?? null;
      this.root.focus({ preventScroll: true });
      this.pickedRelation = this.pickedRelation === id ? null : id;
      this.picked = [];
      this.sel = null;
      this.repaint(now());
    });
    (this.root as HTMLElement & { wbText?: unknown }).wbText = this.hooks();

    this.paint(null);
    this.start();
    this.supply.ensure();
  }

  /** Test and benchmark hooks (root.wbText). */
  private hooks(): Record<string, unknown> {
    return {
      value: () => {
        const item = this.supply.shownItem();
        return item ? toWire(this.editOf(item).value) : null;
      },
      selection: () => this.selectionCp(),
      /** The shown item's text (benchmarks compare against painting it whole). */
      text: () => this.supply.shownItem()?.text ?? null,
      /** Select [start, end) given in code points, as a drag would. */
      select: (start: number, end: number) => {
        const item = this.supply.shownItem();
        if (!item) return;
        const o = offsetsOf(item);
        this.setSelection(o.toUtf16(start), o.toUtf16(end));
      },
      pick: (ids: string[]) => {
        this.sel = null;
        this.picked = [...ids];
        this.repaint(null);
      },
      paintedBlocks: () => this.blocks?.paintedBlocks() ?? [],
      blockCount: () => this.blocks?.blocks.length ?? 0,
      editPaints: () => [...this.editPaints],
      editSteps: () => this.editSteps.map((x) => [...x]),
      toCodePoint: (u: number) => (this.supply.shownItem() ? offsetsOf(this.supply.shownItem()!).toCodePoint(u) : u),
      toUtf16: (c: number) => (this.supply.shownItem() ? offsetsOf(this.supply.shownItem()!).toUtf16(c) : c),
    };
  }

  protected release(): void {
    this.timings.cancel();
    this.stopWiden?.();
    this.blocks?.cancel();
    this.supply.release();
  }

  protected poll(): void {
    this.supply.ensure();
  }

  protected once(action: TextAction): boolean {
    return action.type !== "move" && action.type !== "page" && action.type !== "undo" && action.type !== "redo";
  }

  /** Escape with nothing selected and no overlay is JupyterLab's. */
  protected letsThrough(action: TextAction): boolean {
    return action.type === "close" && !this.overlay && !this.sel && !this.picked.length && !this.pickedRelation && !this.pickedSuggestion;
  }

  // -- keys -------------------------------------------------------------------
  protected apply(action: TextAction, t: number): void {
    const item = this.supply.shownItem();
    if (action.type === "close") {
      if (this.overlay) this.toggleOverlay(false);
      else this.clearSelection(t);
      return;
    }
    if (!item) return;
    switch (action.type) {
      case "class":
        return this.onClass(item, action.name, t);
      case "relation":
        return this.onRelation(item, action.name, t);
      case "move":
        return this.move(item, action.dir, action.extend, t);
      case "delete":
        return this.deleteSelected(item, t);
      case "undo":
      case "redo":
        return this.undoRedo(item, action.type, t);
      case "nextSuggestion":
        return this.nextSuggestion(item, t);
      case "accept":
        return this.accept(item, null, t);
      case "acceptAll":
        return this.acceptAll(item, t);
      case "reject":
        return this.reject(item, t);
      case "page":
        this.scroller.scrollTop += action.delta * Math.max(100, (this.scroller.clientHeight || 480) * 0.9);
        this.onScroll();
        return;
      case "commit":
        return this.finish(item, "label", t);
      case "skip":
        return this.finish(item, "skip", t);
      default:
        return;
    }
  }

  private onClass(item: TextItem, cls: string, t: number): void {
    if (this.sel && this.sel.anchor !== this.sel.focus) {
      this.labelSelection(item, cls, t);
    } else if (this.pickedSuggestion) {
      this.accept(item, cls, t);
    } else if (this.picked.length) {
      const ed = this.editOf(item);
      this.commit(item, relabel(ed.value, this.picked, cls, this.relations, Boolean(this.textSpec.overlapping)), t);
    } else {
      this.say("select some text (or a span) first", t);
    }
  }

  private labelSelection(item: TextItem, cls: string, t: number): void {
    const sel = this.sel!;
    let s = Math.min(sel.anchor, sel.focus);
    let e = Math.max(sel.anchor, sel.focus);
    if (this.textSpec.tokens) {
      const snapped = snap(tokensOf(item, this.textSpec.tokens), s, e);
      if (!snapped) return this.say("the selection holds no token", t);
      [s, e] = snapped;
    }
    const o = offsetsOf(item);
    const cs = o.toCodePoint(s);
    const ce = o.toCodePoint(e);
    if (cs >= ce) return this.say("the selection is empty", t);
    const { value, id } = addSpan(this.editOf(item).value, cs, ce, cls, { overlap: Boolean(this.textSpec.overlapping), attributes: this.attributeDefaults() });
    this.sel = null;
    this.caret = e;
    this.picked = [id];
    this.commit(item, value, t);
  }

  private attributeDefaults(): Record<string, unknown> {
    return attributeDefaults(this.textSpec.attributes);
  }

  private onRelation(item: TextItem, name: string, t: number): void {
    const rel = this.relations.find((r) => r.name === name);
    if (!rel) return;
    if (this.picked.length !== 2) return this.say(`select two spans (click, then Ctrl-click) for a ${name} relation`, t);
    const out = addRelation(this.editOf(item).value, this.picked[0], this.picked[1], rel);
    if ("error" in out) return this.say(out.error, t);
    this.commit(item, out.value, t);
  }

  private move(item: TextItem, dir: -1 | 1, extend: boolean, t: number): void {
    const tokens = tokensOf(item, this.textSpec.tokens ?? "words");
    if (!tokens.length) return;
    this.picked = [];
    this.pickedRelation = null;
    this.pickedSuggestion = null;
    const sel = this.sel;
    if (extend && sel) {
      let focus = sel.focus;
      if (dir > 0) {
        const i = tokenAfter(tokens, focus);
        if (i < tokens.length) focus = tokens[i][1];
      } else {
        let i = tokenAfter(tokens, focus - 1);
        if (i < tokens.length && tokens[i][0] >= focus) i--;
        while (i >= 0 && tokens[i][0] >= focus) i--;
        if (i >= 0) focus = tokens[i][0];
      }
      this.sel = { anchor: sel.anchor, focus };
    } else {
      const lo = sel ? Math.min(sel.anchor, sel.focus) : -1;
      const hi = sel ? Math.max(sel.anchor, sel.focus) : -1;
      const from = sel ? null : this.caret;
      let tok: [number, number] | undefined;
      if (dir > 0) {
        const after = sel ? hi : (from ?? 0);
        tok = tokens[tokenAfter(tokens, after)];
        if (tok && tok[0] < after) tok = tokens[tokenAfter(tokens, after) + 1];
      } else if (sel || from !== null) {
        const before = sel ? lo : from!;
        for (let i = Math.min(tokens.length, tokenAfter(tokens, before)) ; i >= 0 && !tok; i--) if (tokens[i] && tokens[i][1] <= before) tok = tokens[i];
      } else tok = tokens[tokens.length - 1];
      if (!tok) return;
      this.sel = { anchor: tok[0], focus: tok[1] };
    }
    this.caret = this.sel.focus;
    this.blocks?.reveal(this.sel.focus);
    this.repaint(t);
  }

  private deleteSelected(item: TextItem, t: number): void {
    const ed = this.editOf(item);
    if (this.pickedRelation) {
      const id = this.pickedRelation;
      this.pickedRelation = null;
      this.commit(item, removeRelations(ed.value, [id]), t);
    } else if (this.picked.length) {
      const ids = this.picked;
      this.picked = [];
      this.commit(item, removeSpans(ed.value, ids), t);
    } else if (this.pickedSuggestion) {
      this.reject(item, t);
    } else if (this.sel && this.sel.anchor !== this.sel.focus) {
      // Delete over a selection removes the spans inside it.
      const o = offsetsOf(item);
      const s = o.toCodePoint(Math.min(this.sel.anchor, this.sel.focus));
      const e = o.toCodePoint(Math.max(this.sel.anchor, this.sel.focus));
      const inside = ed.value.spans.filter((x) => x.start >= s && x.end <= e).map((x) => x.id);
      if (inside.length) this.commit(item, removeSpans(ed.value, inside), t);
    }
  }

  private undoRedo(item: TextItem, which: "undo" | "redo", t: number): void {
    const to = this.snaps.undoRedo(item, which);
    if (!to) return this.say(`nothing to ${which}`, t);
    this.picked = this.picked.filter((id) => to.spans.some((s) => s.id === id));
    this.toast.show(which === "undo" ? "↶ undone" : "↷ redone", "undo");
    this.repaint(t);
  }

  // -- suggestions ------------------------------------------------------------
  private suggestion(item: TextItem): Span | null {
    if (!this.pickedSuggestion) return null;
    return openSuggestions(item, this.editOf(item)).find((s) => spanKey(s) === this.pickedSuggestion) ?? null;
  }

  private nextSuggestion(item: TextItem, t: number): void {
    const open = openSuggestions(item, this.editOf(item));
    if (!open.length) return this.say("no suggestions left", t);
    const at = open.findIndex((s) => spanKey(s) === this.pickedSuggestion);
    const next = open[(at + 1) % open.length];
    this.pickSuggestion(item, next);
    this.repaint(t);
  }

  private pickSuggestion(item: TextItem, s: Span | undefined): void {
    this.pickedSuggestion = s ? spanKey(s) : null;
    this.sel = null;
    this.picked = [];
    this.pickedRelation = null;
    if (s) this.blocks?.reveal(offsetsOf(item).toUtf16(s.start));
  }

  /** Accept the picked suggestion (as class `cls`: an edit), then pick the next one. */
  private accept(item: TextItem, cls: string | null, t: number): void {
    const s = this.suggestion(item);
    if (!s) return this.nextSuggestion(item, t);
    const open = openSuggestions(item, this.editOf(item));
    const after = open[open.findIndex((x) => spanKey(x) === spanKey(s)) + 1];
    const { value } = addSpan(this.editOf(item).value, s.start, s.end, cls ?? s.class, {
      overlap: Boolean(this.textSpec.overlapping),
      attributes: { ...this.attributeDefaults(), ...s.attributes },
    });
    this.commit(item, value, t);
    this.pickSuggestion(item, after);
    this.repaint(t);
  }

  private acceptAll(item: TextItem, t: number): void {
    const open = openSuggestions(item, this.editOf(item));
    if (!open.length) return this.say("no suggestions left", t);
    let value = this.editOf(item).value;
    const ids = new Map<string, string>();
    for (const s of open) {
      const out = addSpan(value, s.start, s.end, s.class, { overlap: Boolean(this.textSpec.overlapping), attributes: { ...this.attributeDefaults(), ...s.attributes } });
      value = out.value;
      ids.set(s.id, out.id);
    }
    for (const r of item.suggestedRelations) {
      const rel = this.relations.find((x) => x.name === r.class);
      const from = ids.get(r.from);
      const to = ids.get(r.to);
      if (!rel || !from || !to) continue;
      const out = addRelation(value, from, to, rel);
      if ("value" in out) value = out.value;
    }
    this.pickedSuggestion = null;
    this.commit(item, value, t);
  }

  private reject(item: TextItem, t: number): void {
    const s = this.suggestion(item);
    if (!s) return this.nextSuggestion(item, t);
    const open = openSuggestions(item, this.editOf(item));
    const after = open[open.findIndex((x) => spanKey(x) === spanKey(s)) + 1];
    this.editOf(item).rejected.add(spanKey(s));
    this.pickSuggestion(item, after);
    this.repaint(t);
  }

  // -- labels -----------------------------------------------------------------
  private editOf(item: TextItem) {
    return this.snaps.editOf(item);
  }

  /** The item's value becomes `value`: one label, undoable. */
  private commit(item: TextItem, value: SpansValue, t: number): void {
    if (this.snaps.commit(item, value)) {
      this.toast.show(`✓ ${value.spans.length} span${value.spans.length === 1 ? "" : "s"}, ${value.relations.length} relation${value.relations.length === 1 ? "" : "s"}`, "label");
    }
    this.repaint(t);
  }

  /** Enter (or skip): store the item as it is unless this view already did, then the next item. */
  private finish(item: TextItem, kind: "label" | "skip", t: number): void {
    if (kind === "skip") {
      this.sender.post({ item_id: item.item_id, task: this.task.name, kind: "skip", value: null, duration_ms: Math.round(now() - this.snaps.shownSince) });
      this.toast.show(labelToast("skip", null, item.item_id), "skip");
    } else this.snaps.confirm(item); // nothing here, or the suggestions' decisions: confirmed
    this.supply.leave();
    this.show(t);
    this.supply.ensure();
  }

  // -- the mouse --------------------------------------------------------------
  private onMouseUp(ev: MouseEvent): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const t = now();
    const selection = typeof window !== "undefined" ? window.getSelection?.() : null;
    let a: number | null = null;
    let b: number | null = null;
    if (selection && selection.rangeCount > 0 && !selection.isCollapsed) {
      const r = selection.getRangeAt(0);
      if (this.content.contains(r.startContainer) && this.content.contains(r.endContainer)) {
        a = domOffset(r.startContainer, r.startOffset);
        b = domOffset(r.endContainer, r.endOffset);
      }
    }
    const collapsed = selection && selection.rangeCount > 0 && selection.isCollapsed ? selection.getRangeAt(0) : null;
    const at = collapsed && this.content.contains(collapsed.startContainer) ? domOffset(collapsed.startContainer, collapsed.startOffset) : null;
    this.root.focus({ preventScroll: true });
    if (a !== null && b !== null && a !== b) {
      selection?.removeAllRanges();
      this.setSelection(Math.min(a, b), Math.max(a, b), t);
      return;
    }
    if (ev.type === "dblclick") return;
    if (at !== null) this.caret = at;
    this.onClick(item, ev, t);
  }

  private onClick(item: TextItem, ev: MouseEvent, t: number): void {
    const target = ev.target as HTMLElement | null;
    const node = target?.closest?.("[data-spans],[data-span],[data-sugg],[data-rel]") as HTMLElement | null;
    const add = ev.ctrlKey || ev.metaKey || ev.shiftKey;
    this.sel = null;
    if (!node) {
      this.picked = [];
      this.pickedRelation = null;
      this.pickedSuggestion = null;
    } else if (node.dataset.spans || node.dataset.span) {
      const ids = (node.dataset.span ?? node.dataset.spans!).split(" ");
      const id = ids[ids.length - 1];
      this.pickedSuggestion = null;
      this.pickedRelation = null;
      if (add) this.picked = this.picked.includes(id) ? this.picked.filter((x) => x !== id) : [...this.picked, id].slice(-2);
      else this.picked = [id];
    } else if (node.dataset.sugg) {
      const s = openSuggestions(item, this.editOf(item)).find((x) => x.id === node.dataset.sugg);
      this.pickSuggestion(item, s);
    }
    this.repaint(t);
  }

  /** Select [a, b) (UTF-16), as a drag does. */
  private setSelection(a: number, b: number, t: number | null = null): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const o = offsetsOf(item);
    this.sel = { anchor: o.align(a), focus: o.align(b) };
    this.caret = this.sel.focus;
    this.picked = [];
    this.pickedRelation = null;
    this.pickedSuggestion = null;
    this.repaint(t);
  }

  private clearSelection(t: number): void {
    this.sel = null;
    this.picked = [];
    this.pickedRelation = null;
    this.pickedSuggestion = null;
    this.repaint(t);
  }

  private selectionCp(): [number, number] | null {
    const item = this.supply.shownItem();
    if (!item || !this.sel) return null;
    const o = offsetsOf(item);
    const s = Math.min(this.sel.anchor, this.sel.focus);
    const e = Math.max(this.sel.anchor, this.sel.focus);
    return [o.toCodePoint(s), o.toCodePoint(e)];
  }

  private onScroll(): void {
    if (this.scrollFrame !== null) return;
    this.scrollFrame = raf(() => {
      this.scrollFrame = null;
      if (!this.destroyed) this.blocks?.update();
    });
  }

  // -- messages from the kernel ----------------------------------------------------
  protected refresh(): void {
    this.repaint(null);
  }

  // -- painting ---------------------------------------------------------------
  /** Paint the shown item when it changed; `t` is when the key that led here was pressed. */
  protected show(t: number | null): void {
    if (!this.supply.moved() && this.blocks) {
      this.repaint(null);
      return;
    }
    this.timings.key(t);
    this.paint(t);
  }

  private paint(_t: number | null): void {
    const item = this.supply.shownItem();
    this.supply.turn();
    this.sel = null;
    this.caret = null;
    this.picked = [];
    this.pickedRelation = null;
    this.pickedSuggestion = null;
    this.root.dataset.itemId = item ? item.item_id : "";
    if (!item) {
      this.blocks?.cancel();
      this.blocks = null;
      this.content.replaceChildren();
      this.scroller.hidden = true;
      this.placeholder.hidden = false;
      const done = this.supply.exhausted && !this.supply.waiting && this.supply.shownId() === null;
      this.placeholder.className = done ? "wb-done" : "wb-loading";
      this.placeholder.textContent = done ? "All items are labeled. Nothing left in the queue." : "loading…";
      this.relationList.replaceChildren();
      this.suggestionLine.textContent = "";
      this.root.dataset.spans = "0";
      this.root.dataset.selection = "";
      this.renderStatus();
      return;
    }
    this.takeLaterPrelabel(item);
    this.snaps.shownSince = now();
    this.placeholder.hidden = true;
    this.scroller.hidden = false;
    this.scroller.scrollTop = 0;
    this.blocks?.cancel();
    if (item.kind !== "text") {
      this.blocks = null;
      this.content.replaceChildren(h("div", { class: "wb-error", text: item.error ? `cannot show this item: ${item.error}` : "this item is not a text" }));
    } else {
      this.blocks = new BlockView(item.text, this.scroller, this.content);
      this.blocks.margin = 0; // what is seen first; the margin once it is on screen
    }
    this.repaint(null);
    this.markReady();
    this.timings.painted(item.item_id);
    this.stopWiden?.();
    const opened = this.blocks;
    this.stopWiden = opened
      ? afterPaint(() => {
          this.stopWiden = null;
          if (!this.destroyed && this.blocks === opened) opened.widen();
        })
      : null;
  }

  /** Repaint the shown item's marks, relations and lines; `t`: the key that led here (timed to the next frame). */
  private repaint(t: number | null): void {
    const item = this.supply.shownItem();
    if (!item) return;
    const ed = this.editOf(item);
    const o = offsetsOf(item);
    const marks: Mark[] = [];
    const picked = new Set(this.picked);
    for (const s of ed.value.spans) {
      marks.push({
        start: o.toUtf16(s.start),
        end: o.toUtf16(s.end),
        kind: "span",
        id: s.id,
        cls: s.class,
        color: this.colors.get(s.class) ?? FALLBACK_COLOR,
        tag: s.class,
        selected: picked.has(s.id),
      });
    }
    const open = openSuggestions(item, ed);
    for (const s of open) {
      const score = typeof s.score === "number" ? ` ${Math.round(s.score * 100)}%` : "";
      marks.push({
        start: o.toUtf16(s.start),
        end: o.toUtf16(s.end),
        kind: "sugg",
        id: s.id,
        cls: s.class,
        color: this.colors.get(s.class) ?? FALLBACK_COLOR,
        tag: `${s.class}?${score}`,
        selected: spanKey(s) === this.pickedSuggestion,
      });
    }
    if (this.sel && this.sel.anchor !== this.sel.focus) {
      const s = Math.min(this.sel.anchor, this.sel.focus);
      const e = Math.max(this.sel.anchor, this.sel.focus);
      marks.push({ start: s, end: e, kind: "sel", id: "sel", cls: "", color: "" });
    }
    this.blocks?.setMarks(marks);
    this.paintRelations(item, ed.value);
    this.paintAttributes(item, ed.value);
    const pick = this.suggestion(item);
    this.suggestionLine.textContent = open.length
      ? `${open.length} suggestion${open.length === 1 ? "" : "s"}` +
        (pick ? ` · ${pick.class} "${excerpt(item.text, o.toUtf16(pick.start), o.toUtf16(pick.end))}"${typeof pick.score === "number" ? ` (${Math.round(pick.score * 100)}%)` : ""} · y accept · n reject · class key: accept as` : " · Tab: next · Y: accept all")
      : "";
    this.root.dataset.spans = String(ed.value.spans.length);
    const sc = this.selectionCp();
    this.root.dataset.selection = sc ? `${sc[0]}:${sc[1]}` : "";
    this.root.dataset.picked = this.picked.join(" ");
    this.renderStatus();
    if (t !== null) {
      const handled = now();
      afterPaint((frameAt) => {
        const end = now();
        pushLast(this.editPaints, end - t);
        pushLast(this.editSteps, [handled - t, frameAt - handled, end - frameAt]);
      });
    }
  }

  /** The controls of the picked span's attributes; a change is one label. */
  private paintAttributes(item: TextItem, value: SpansValue): void {
    const attrs = this.textSpec.attributes ?? [];
    const span = this.picked.length === 1 ? value.spans.find((s) => s.id === this.picked[0]) : undefined;
    if (!attrs.length || !span) {
      if (this.attributePanel.childElementCount) this.attributePanel.replaceChildren();
      this.attributePanel.dataset.span = "";
      return;
    }
    if (this.attributePanel.dataset.span === span.id && this.attributePanel.dataset.value === JSON.stringify(span.attributes)) return;
    this.attributePanel.dataset.span = span.id;
    this.attributePanel.dataset.value = JSON.stringify(span.attributes);
    const set = (name: string, v: unknown): void => {
      const ed = this.editOf(item);
      this.commit(item, setAttribute(ed.value, span.id, name, v), now());
    };
    const rows = attributeRows(attrs, span.attributes, set);
    this.attributePanel.replaceChildren(h("span", { class: "wb-span-attrs-title", text: `${span.class}:` }), ...rows);
  }

  private paintRelations(item: TextItem, value: SpansValue): void {
    const o = offsetsOf(item);
    const byId = new Map(value.spans.map((s) => [s.id, s]));
    const rows = value.relations.map((r) => {
      const a = byId.get(r.from);
      const b = byId.get(r.to);
      const text = (s: Span | undefined): string => (s ? `${excerpt(item.text, o.toUtf16(s.start), o.toUtf16(s.end))} (${s.class})` : "?");
      const row = h("div", { class: "wb-rel", attrs: { "data-rel": r.id, role: "button" } }, [
        h("span", { class: "wb-rel-end", text: text(a) }),
        h("span", { class: "wb-rel-type", text: ` —${r.class}→ ` }),
        h("span", { class: "wb-rel-end", text: text(b) }),
      ]);
      if (r.id === this.pickedRelation) row.classList.add("wb-picked");
      return row;
    });
    this.relationList.replaceChildren(...rows);
  }

  private say(text: string, t: number): void {
    this.notice = text;
    this.repaint(t);
  }

  protected keysHelp(): [string, string][] {
    return textKeysHelp(this.relations.length > 0);
  }
}

function excerpt(text: string, s: number, e: number): string {
  const part = text.slice(s, e);
  return part.length > 40 ? `${part.slice(0, 37)}…` : part;
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new TextView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
