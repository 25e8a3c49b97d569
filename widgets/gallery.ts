/**
 * GalleryWidget front end: a paged grid of thumbnails for bulk labeling and audits.
 *
 * Select with the mouse (click, shift-click range, ctrl/cmd-click toggle) or
 * the keyboard (arrows move the cursor, shift extends, space toggles, `a` or
 * ctrl/cmd+A selects the page, Escape clears), then press a class key: every
 * selected item (or the one under the cursor) gets one label message, through
 * the same outbox as the classify widget. Backspace undoes the last bulk label.
 * PageUp/PageDown and the buttons change page; the dropdown filters by current
 * label. The message protocol is documented in workbench/stream.py.
 *
 * DOM hooks: the root has class `wb-gallery` and data-ready="1" once a page is
 * painted, data-item-id (item under the cursor), data-page, data-total,
 * data-selected (count), data-outbox (unacknowledged labels); each tile is
 * `.wb-tile[data-item-id][data-index]`, with `.wb-selected` / `.wb-cursor`.
 */

import type { AnyModel, RenderProps } from "@anywidget/types";
import { galleryAction, type GalleryAction } from "./lib/keys";
import type { ClassSpec, KernelMessage, Progress, WireItem } from "./lib/protocol";
import { Ask } from "./lib/requests";
import { GridSelection } from "./lib/selection";
import { REQUEST_TIMEOUT_MS, StreamView, type ViewModel, type ViewOptions } from "./lib/view";
import { colorOf } from "./lib/colors";
import { h, now } from "./lib/dom";
import { fitImage, imageUrl, revoke } from "./lib/images";
import { progressText } from "./lib/status";
import { valueText } from "./lib/text";

interface Model extends ViewModel {
  page_size: number;
  thumb_size: number;
  filter: string;
  /** Classes no longer in the schema that current labels still use: offered as filters too. */
  filter_classes?: string[];
}

interface State {
  kind: string;
  value: unknown;
}

interface Tile {
  item: WireItem;
  url: string | null;
  el: HTMLElement;
  badge: HTMLElement;
}

interface UndoEntry {
  item_id: string;
  client_id: string;
  seq: number;
  prev: State | undefined;
}

/** Columns assumed when the layout cannot be measured (no rendering engine). */
const FALLBACK_COLUMNS = 10;

export type GalleryOptions = ViewOptions;

/** The filter classes the kernel offers beyond the schema's (strings not among its classes). */
export function droppedClasses(given: unknown, classes: ClassSpec[]): string[] {
  if (!Array.isArray(given)) return [];
  const names = new Set(classes.map((c) => c.name));
  return given.filter((n): n is string => typeof n === "string" && !names.has(n));
}

export class GalleryView extends StreamView<Model, GalleryAction> {
  private selection = new GridSelection(0);
  private tiles: Tile[] = [];
  private page = 0;
  private total = 0;
  private filter: string;
  /** The page asked for and not answered yet (a newer request replaces it). */
  private pending = new Ask<{ page: number }>();
  private states = new Map<string, State>();
  /** item id -> labels of it not yet acknowledged. */
  private unacked = new Map<string, Set<string>>();
  private undoStack: UndoEntry[][] = [];
  private labelTimes: number[] = [];
  private lastActionAt = now();

  private grid: HTMLElement;
  private filterSelect: HTMLSelectElement;
  private pageInfo: HTMLElement;
  private prevButton: HTMLButtonElement;
  private nextButton: HTMLButtonElement;
  private selectionInfo: HTMLElement;
  private progressLine: HTMLElement;

  constructor(model: AnyModel<Model>, el: HTMLElement, options: GalleryOptions = {}) {
    super(
      model,
      el,
      {
        name: "gallery",
        label: "Gallery of items",
        data: { "data-item-id": "", "data-page": "0", "data-total": "0", "data-selected": "0", "data-queue": "0" },
        keys: galleryAction,
      },
      {
        acked: (clientId, seq) => this.settle(clientId, seq),
        refused: (entry, clientId, seq) => this.onRefused(entry?.item_id, clientId, seq),
      },
      options,
    );
    this.filter = model.get("filter") || "all";
    this.root.style.setProperty("--wb-thumb", `${this.thumbSize()}px`);

    this.filterSelect = h("select", { class: "wb-filter", attrs: { "aria-label": "Filter by label" } });
    const options_: [string, string][] = [
      ["all", "all items"],
      ["unlabeled", "unlabeled"],
      ...this.task.classes.map((c): [string, string] => [c.name, `labeled ${c.name}`]),
      ...droppedClasses(model.get("filter_classes"), this.task.classes as ClassSpec[]).map(
        (name): [string, string] => [name, `labeled ${name} (no longer in the schema)`],
      ),
    ];
    for (const [value, text] of options_) {
      const opt = h("option", { text, attrs: { value } });
      this.filterSelect.appendChild(opt);
    }
    this.filterSelect.value = this.filter;
    this.listen(this.filterSelect, "change", () => {
      this.filter = this.filterSelect.value;
      this.requestPage(0);
      this.root.focus({ preventScroll: true });
    });
    this.prevButton = h("button", { class: "wb-button", text: "‹ prev", attrs: { type: "button", title: "PageUp" } });
    this.nextButton = h("button", { class: "wb-button", text: "next ›", attrs: { type: "button", title: "PageDown" } });
    const refresh = h("button", { class: "wb-button", text: "↻", attrs: { type: "button", title: "Reload this page" } });
    for (const [button, delta] of [[this.prevButton, -1], [this.nextButton, 1], [refresh, 0]] as const) {
      this.clickable(button, () => this.requestPage(this.page + delta)); // keys keep going to the grid
    }
    this.pageInfo = h("span", { class: "wb-page-info" });
    this.selectionInfo = h("span", { class: "wb-selection-info" });
    const toolbar = h("div", { class: "wb-toolbar" }, [
      h("label", { class: "wb-filter-label", text: "show " }, [this.filterSelect]),
      this.prevButton,
      this.pageInfo,
      this.nextButton,
      refresh,
      this.selectionInfo,
    ]);

    const classes = this.classChips((name) => this.labelTargets(name));
    this.grid = h("div", { class: "wb-grid", attrs: { role: "grid", "aria-multiselectable": "true" } });
    this.listen(this.grid, "mousedown", (ev) => {
      const me = ev as MouseEvent;
      if (me.shiftKey) me.preventDefault(); // no text selection on shift-click
      this.root.focus({ preventScroll: true });
    });
    this.listen(this.grid, "click", (ev) => this.onTileClick(ev as MouseEvent));
    this.progressLine = h("div", { class: "wb-progress" });
    const hint = h("div", {
      class: "wb-hint",
      // `a` selects the page only while no class is bound to it (lib/keys.ts).
      text: `select (click, shift-click, ctrl-click, arrows, space, ${this.keymap.has("a") ? "ctrl+A" : "a"}) · class key labels the selection · Backspace undo · PageUp/PageDown · Esc clears · ? guidelines`,
    });
    this.root.append(
      h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: this.task.name }), this.progressLine]),
      toolbar,
      classes,
      this.grid,
      hint,
      this.statusLine,
      this.errorBox,
    );
    this.onModel("change:filter", () => {
      const f = model.get("filter");
      if (f && f !== this.filter) {
        this.filter = f;
        this.filterSelect.value = f;
        this.requestPage(0);
      }
    });
    this.onModel("change:page_size", () => this.requestPage(0));

    this.grid.appendChild(h("div", { class: "wb-loading", text: "loading…" }));
    this.start();
    this.requestPage(0);
    this.renderStatus();
  }

  private thumbSize(): number {
    return Math.max(16, Number(this.model.get("thumb_size")) || 128);
  }

  private pageSize(): number {
    return Math.max(1, Number(this.model.get("page_size")) || 100);
  }

  private lastPage(): number {
    return Math.max(0, Math.ceil(this.total / this.pageSize()) - 1);
  }

  protected release(): void {
    for (const t of this.tiles) revoke(t.url);
    this.tiles = [];
  }

  /** A page asked for and not answered in time is asked again. */
  protected poll(): void {
    const open = this.pending.pending;
    if (open && this.pending.overdue(now(), REQUEST_TIMEOUT_MS)) this.requestPage(open.page);
  }

  // -- pages ------------------------------------------------------------------
  requestPage(page: number): void {
    if (this.destroyed) return;
    let target = Math.max(0, Math.floor(page));
    if (this.root.dataset.ready === "1") target = Math.min(target, this.lastPage());
    const req = ++this.req;
    this.pending.start(req, now(), { page: target });
    this.root.setAttribute("aria-busy", "true");
    this.sender.send({
      type: "page",
      client_id: this.clientId,
      req,
      page: target,
      page_size: this.pageSize(),
      filter: this.filter,
    });
  }

  private onPage(msg: KernelMessage, buffers: unknown[]): void {
    if (!this.pending.settle(msg.req)) return; // an older request
    this.root.removeAttribute("aria-busy");
    if (msg.progress) this.progress = msg.progress as Progress;
    if (msg.error) {
      this.showError(String(msg.error), true);
      return;
    }
    for (const t of this.tiles) revoke(t.url);
    this.page = Number(msg.page ?? 0);
    this.total = Number(msg.total ?? 0);
    const items = Array.isArray(msg.items) ? (msg.items as WireItem[]) : [];
    this.tiles = items.map((item, i) => this.makeTile(item, i, buffers));
    for (const item of items) {
      if (!this.unacked.has(item.item_id)) {
        if (item.state) this.states.set(item.item_id, { kind: item.state, value: item.label ?? null });
        else this.states.delete(item.item_id);
      }
    }
    this.grid.replaceChildren(...this.tiles.map((t) => t.el));
    if (!this.tiles.length) {
      this.grid.appendChild(h("div", { class: "wb-done", text: this.filter === "all" ? "No items in this project." : "No items match this filter." }));
    }
    this.selection.reset(this.tiles.length);
    for (const t of this.tiles) this.renderBadge(t);
    this.renderSelection(false);
    this.lastActionAt = now();
    this.markReady();
    this.renderStatus();
  }

  private makeTile(item: WireItem, index: number, buffers: unknown[]): Tile {
    const el = h("div", {
      class: "wb-tile",
      attrs: { "data-item-id": item.item_id, "data-index": String(index), role: "gridcell", "aria-selected": "false" },
      title: item.item_id,
    });
    const url = imageUrl(item, buffers);
    const frame = h("div", { class: "wb-thumb" });
    if (url) {
      const img = h("img", { attrs: { alt: item.item_id, draggable: "false", loading: "lazy" } });
      img.src = url;
      fitImage(img, item.width ?? 0, item.height ?? 0, this.thumbSize());
      frame.appendChild(img);
    } else if (item.kind === "text") {
      const text = item.text ?? "";
      frame.appendChild(h("div", { class: "wb-tile-text", text: text.length > 240 ? `${text.slice(0, 240)}…` : text }));
    } else {
      frame.appendChild(h("div", { class: "wb-tile-error", text: item.error || "cannot show this item" }));
    }
    const badge = h("div", { class: "wb-tile-badge" });
    el.append(frame, badge);
    return { item, url, el, badge };
  }

  // -- selection ---------------------------------------------------------------
  private onTileClick(ev: MouseEvent): void {
    const tileEl = (ev.target as HTMLElement | null)?.closest?.(".wb-tile") as HTMLElement | null;
    if (!tileEl || !this.grid.contains(tileEl)) return;
    const i = Number(tileEl.dataset.index);
    this.selection.click(i, { shift: ev.shiftKey, toggle: ev.ctrlKey || ev.metaKey });
    this.renderSelection(false);
  }

  private columns(): number {
    const els = this.tiles.map((t) => t.el);
    if (!els.length) return 1;
    if (!els[0].offsetWidth) return FALLBACK_COLUMNS; // not laid out (hidden, or no layout engine)
    const top = els[0].offsetTop;
    let n = 0;
    for (const e of els) {
      if (e.offsetTop !== top) break;
      n++;
    }
    return Math.max(1, n);
  }

  private renderSelection(scroll: boolean): void {
    const sel = this.selection;
    for (const [i, t] of this.tiles.entries()) {
      const on = sel.selected.has(i);
      t.el.classList.toggle("wb-selected", on);
      t.el.setAttribute("aria-selected", on ? "true" : "false");
      t.el.classList.toggle("wb-cursor", i === sel.cursor);
    }
    const cur = this.tiles[sel.cursor];
    this.root.dataset.itemId = cur ? cur.item.item_id : "";
    this.root.dataset.selected = String(sel.selected.size);
    this.selectionInfo.textContent = sel.selected.size ? `${sel.selected.size} selected` : "";
    this.renderChips();
    if (scroll && cur) {
      const el = cur.el as HTMLElement & { scrollIntoView?: (o?: object) => void };
      if (typeof el.scrollIntoView === "function") el.scrollIntoView({ block: "nearest" });
    }
  }

  // -- keys -------------------------------------------------------------------
  /** Escape is ours only while there is an overlay to close or a selection to clear. */
  protected letsThrough(action: GalleryAction): boolean {
    return action.type === "clear" && !this.overlay && this.selection.selected.size === 0;
  }

  protected once(action: GalleryAction): boolean {
    return action.type === "class";
  }

  dispatch(action: GalleryAction): void {
    switch (action.type) {
      case "class":
        this.labelTargets(action.name);
        return;
      case "move": {
        const delta = action.dx + action.dy * this.columns();
        this.selection.move(delta, action.extend);
        this.renderSelection(true);
        return;
      }
      case "toggle":
        this.selection.toggleCursor();
        this.renderSelection(false);
        return;
      case "selectAll":
        this.selection.selectAll();
        this.renderSelection(false);
        return;
      case "clear":
        if (this.overlay) this.toggleOverlay(false);
        else {
          this.selection.clear();
          this.renderSelection(false);
        }
        return;
      case "page": {
        const next = Math.min(Math.max(0, this.page + action.delta), this.lastPage());
        if (next !== this.page) this.requestPage(next);
        return;
      }
      case "undo":
        this.undo();
        return;
      default:
        return;
    }
  }

  // -- labels -----------------------------------------------------------------
  private labelTargets(name: string): void {
    const indices = this.selection.targets();
    const tiles = indices.map((i) => this.tiles[i]).filter((t): t is Tile => Boolean(t));
    if (!tiles.length) return;
    const t = now();
    const duration = Math.max(0, Math.round((t - this.lastActionAt) / tiles.length));
    let values: unknown[];
    if (this.task.multi_label) {
      // Add the class to every target, or take it off all when they all have it.
      const sets = tiles.map((tile) => new Set(this.currentList(tile.item.item_id)));
      const all = sets.every((s) => s.has(name));
      const order = this.task.classes.map((c) => c.name);
      values = sets.map((s) => {
        if (all) s.delete(name);
        else s.add(name);
        return order.filter((n) => s.has(n));
      });
    } else {
      values = tiles.map(() => name);
    }
    const batch: UndoEntry[] = [];
    tiles.forEach((tile, k) => {
      const id = tile.item.item_id;
      const msg = this.sender.post({ item_id: id, task: this.task.name, kind: "label", value: values[k], duration_ms: duration });
      batch.push({ item_id: id, client_id: msg.client_id, seq: msg.seq, prev: this.states.get(id) });
      this.states.set(id, { kind: "label", value: values[k] });
      this.markUnacked(id, msg.client_id, msg.seq);
      this.renderBadge(tile);
      this.labelTimes.push(t);
    });
    if (this.labelTimes.length > 2000) this.labelTimes.splice(0, this.labelTimes.length - 2000);
    this.undoStack.push(batch);
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.lastActionAt = t;
    this.selection.clear();
    this.renderSelection(false);
    this.renderStatus();
  }

  private currentList(itemId: string): string[] {
    const s = this.states.get(itemId);
    if (!s || s.kind !== "label") return [];
    return Array.isArray(s.value) ? s.value.map(String) : s.value == null ? [] : [String(s.value)];
  }

  private undo(): void {
    const batch = this.undoStack.pop();
    if (!batch) {
      this.notice = "nothing to undo";
      this.renderStatus();
      return;
    }
    for (const u of batch) {
      const msg = this.sender.post({
        item_id: u.item_id,
        task: this.task.name,
        kind: "retract",
        value: null,
        retracts: { client_id: u.client_id, seq: u.seq },
        duration_ms: null,
      });
      this.markUnacked(u.item_id, msg.client_id, msg.seq);
      if (u.prev) this.states.set(u.item_id, u.prev);
      else this.states.delete(u.item_id);
    }
    const ids = new Set(batch.map((u) => u.item_id));
    for (const tile of this.tiles) if (ids.has(tile.item.item_id)) this.renderBadge(tile);
    this.notice = `undid ${batch.length} label${batch.length === 1 ? "" : "s"}`;
    this.renderStatus();
  }

  private markUnacked(itemId: string, clientId: string, seq: number): void {
    let s = this.unacked.get(itemId);
    if (!s) this.unacked.set(itemId, (s = new Set()));
    s.add(`${clientId}:${seq}`);
  }

  private settle(clientId: string, seq: number, itemId?: string): void {
    const key = `${clientId}:${seq}`;
    for (const [id, s] of this.unacked) {
      if (itemId !== undefined && id !== itemId) continue;
      if (s.delete(key)) {
        if (!s.size) this.unacked.delete(id);
        const tile = this.tiles.find((t) => t.item.item_id === id);
        if (tile) this.renderBadge(tile);
        return;
      }
    }
  }

  private onRefused(itemId: string | undefined, clientId: string, seq: number): void {
    if (clientId !== this.clientId) return;
    for (const [b, batch] of this.undoStack.entries()) {
      const at = batch.findIndex((u) => u.seq === seq);
      if (at < 0) continue;
      const u = batch.splice(at, 1)[0];
      if (u.prev) this.states.set(u.item_id, u.prev);
      else this.states.delete(u.item_id);
      if (!batch.length) this.undoStack.splice(b, 1);
      break;
    }
    this.settle(clientId, seq, itemId);
  }

  private renderBadge(tile: Tile): void {
    const id = tile.item.item_id;
    const state = this.states.get(id);
    const badge = tile.badge;
    badge.replaceChildren();
    tile.el.classList.toggle("wb-tile-pending", this.unacked.has(id));
    tile.el.classList.toggle("wb-tile-labeled", Boolean(state));
    if (!state) {
      tile.el.removeAttribute("data-label");
      badge.style.removeProperty("--wb-badge");
    } else if (state.kind === "label") {
      const names = Array.isArray(state.value) ? state.value.map(String) : [String(state.value)];
      tile.el.dataset.label = valueText(state.value);
      badge.style.setProperty("--wb-badge", colorOf(this.task.classes as ClassSpec[], names[0]));
      if (!names.length) badge.appendChild(h("span", { class: "wb-badge-none", text: "(none)" }));
      for (const n of names) {
        const part = h("span", { class: "wb-badge-class" });
        const sw = h("span", { class: "wb-swatch" });
        sw.style.background = colorOf(this.task.classes as ClassSpec[], n);
        part.append(sw, h("span", { text: n }));
        badge.appendChild(part);
      }
    } else {
      tile.el.dataset.label = `(${state.kind})`;
      badge.appendChild(h("span", { class: "wb-badge-none", text: state.kind === "skip" ? "skipped" : state.kind }));
    }
    // The class chips show which classes the cursor's item has.
    const cur = this.tiles[this.selection.cursor];
    if (cur && cur === tile) this.renderChips();
  }

  private renderChips(): void {
    const cur = this.tiles[this.selection.cursor];
    const have = new Set(cur ? this.currentList(cur.item.item_id) : []);
    const pre = cur?.item.prelabel;
    const suggested = new Set<string>(pre ? (Array.isArray(pre.value) ? pre.value.map(String) : [String(pre.value)]) : []);
    for (const [name, chip] of this.chips) {
      chip.classList.toggle("wb-current", have.has(name));
      chip.classList.toggle("wb-suggested", suggested.has(name));
    }
  }

  // -- messages ---------------------------------------------------------------
  protected onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void {
    // Errors with no client id are the kernel's own (a failed handler): every view shows them.
    if (!mine && !(msg.type === "error" && msg.client_id === undefined)) return;
    switch (msg.type) {
      case "page":
        this.onPage(msg, buffers);
        break;
      case "error":
        if (this.pending.settle(msg.req)) {
          this.root.removeAttribute("aria-busy");
        }
        this.showError(String(msg.error ?? "kernel error"), true);
        break;
      default:
        break;
    }
  }

  protected renderCounts(): string | null {
    this.root.dataset.page = String(this.page);
    this.root.dataset.total = String(this.total);
    const pages = this.lastPage() + 1;
    this.pageInfo.textContent = `page ${this.page + 1} of ${pages} · ${this.total} item${this.total === 1 ? "" : "s"}`;
    this.prevButton.disabled = this.page <= 0;
    this.nextButton.disabled = this.page >= this.lastPage();
    this.progressLine.textContent = progressText(this.progress, this.labelTimes);
    return null;
  }

  protected keysHelp(): [string, string][] {
    return [
      ["key", this.task.multi_label ? "add / remove class on the selection" : "label the selection"],
      ["click", "select one"],
      ["shift-click", "select a range"],
      ["ctrl/⌘-click", "toggle one"],
      ["arrows", "move (shift extends)"],
      ["Space", "toggle"],
      [this.keymap.has("a") ? "ctrl/⌘+A" : "a, ctrl/⌘+A", "select the page"],
      ["Esc", "clear the selection"],
      ["PageUp/PageDown", "previous / next page"],
      ["Backspace", "undo the last labels"],
      ["?", "guidelines"],
    ];
  }
}

function render({ model, el }: Pick<RenderProps<Model>, "model" | "el">): () => void {
  const view = new GalleryView(model as AnyModel<Model>, el);
  return () => view.destroy();
}

export default { render };
