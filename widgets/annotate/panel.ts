/**
 * The drawing widget's DOM around the canvas: the head (task, progress), the
 * toolbar (tools, brush size, zoom, Fit), the side panel (the review's issue
 * with its suspects, the class list with show/hide toggles, the selected
 * shape's attributes, the suggestions line), the info line and the key hint;
 * and their painting from the view's state.
 */

import { h } from "../lib/dom";
import { keyLabel } from "../lib/keys";
import type { Shape } from "../lib/geometry";
import type { Item, Suspect } from "./items";
import { keyTaken, TOOL_KEYS, TOOL_NAME, type Tool } from "./keys";
import type { Scene } from "./state";

type Listen = (target: EventTarget, type: string, fn: (ev: Event) => void) => void;

/** The view's DOM helpers and what the panels' controls do. */
export interface PanelWiring {
  readonly root: HTMLElement;
  readonly clientId: string;
  /** Listen until the view is destroyed. */
  listen: Listen;
  /** A control that acts on click without taking the keyboard focus from the root. */
  clickable(node: HTMLElement, fn: () => void): void;
  /** The class chips (lib/view.ts `classChips`), by class name. */
  readonly chips: ReadonlyMap<string, HTMLElement>;
  /** The tools the task offers, in toolbar order. */
  readonly tools: readonly Tool[];
  setTool(tool: Tool): void;
  fit(): void;
  setHidden(cls: string, hidden: boolean): void;
  selectSuspect(sp: Suspect): void;
  /** A field of the attribute panel changed: set attribute `name` of shape `s` (a suggestion when `sug`). */
  attributeChanged(s: Shape, sug: boolean, name: string, value: unknown): void;
  /** The item's state as this view knows it. */
  itemState(itemId: string): "label" | "skip" | undefined;
  /** How many items back the one shown is, or null when it is the queue's. */
  stepsBack(): number | null;
}

export class Panels {
  readonly head: HTMLElement;
  readonly toolbar: HTMLElement;
  readonly side: HTMLElement;
  readonly infoLine: HTMLElement;
  readonly hint: HTMLElement;
  private readonly progressLine: HTMLElement;
  private readonly toolButtons = new Map<Tool, HTMLButtonElement>();
  private readonly toggles = new Map<string, HTMLInputElement>();
  private readonly zoomLabel: HTMLElement;
  private readonly brushLabel: HTMLElement;
  private readonly attrsPanel: HTMLElement;
  private readonly suggestionLine: HTMLElement;
  private readonly issueBox: HTMLElement;

  constructor(
    private readonly scene: Scene,
    private readonly wiring: PanelWiring,
  ) {
    const spec = scene.taskSpec;
    const w = wiring;
    // Head, toolbar
    this.progressLine = h("div", { class: "wb-progress" });
    this.head = h("div", { class: "wb-head" }, [h("span", { class: "wb-task", text: spec.name }), this.progressLine]);
    this.toolbar = h("div", { class: "wb-toolbar", attrs: { role: "toolbar", "aria-label": "Tools" } });
    for (const t of w.tools) {
      const b = h("button", {
        class: "wb-tool",
        attrs: { type: "button", "data-tool": t, "aria-pressed": "false" },
        title: `${TOOL_NAME[t]} (${TOOL_KEYS[t]})`,
      }, [h("span", { text: TOOL_NAME[t] }), h("kbd", { class: "wb-key", text: TOOL_KEYS[t] })]);
      w.clickable(b, () => w.setTool(t));
      this.toolButtons.set(t, b);
      this.toolbar.appendChild(b);
    }
    this.zoomLabel = h("span", { class: "wb-zoom" });
    this.brushLabel = h("span", { class: "wb-brush-size" });
    const fit = h("button", { class: "wb-tool", text: "Fit", attrs: { type: "button", "data-action": "fit" }, title: "Fit the image (f)" });
    w.clickable(fit, () => w.fit());
    this.toolbar.append(h("span", { class: "wb-spacer" }), this.brushLabel, this.zoomLabel, fit);

    // Side panel: classes (with show/hide), attributes, suggestions
    const classList = h("div", { class: "wb-class-list", attrs: { "aria-label": "Classes" } });
    for (const c of spec.classes) {
      const chip = w.chips.get(c.name)!;
      if (keyTaken(c.key)) {
        const kbd = chip.querySelector(".wb-key");
        kbd?.classList.add("wb-key-taken");
        chip.title = `${c.description || c.name} (key ${keyLabel(c.key)} is a tool key here: click, or Tab)`;
      }
      const toggle = h("input", { class: "wb-class-toggle", attrs: { type: "checkbox", "data-class": c.name, "aria-label": `show ${c.name}` } });
      toggle.checked = true;
      w.listen(toggle, "change", () => {
        w.setHidden(c.name, !toggle.checked);
        w.root.focus({ preventScroll: true });
      });
      this.toggles.set(c.name, toggle);
      classList.appendChild(h("div", { class: "wb-class-line", attrs: { "data-class": c.name } }, [toggle, chip]));
    }
    this.attrsPanel = h("div", { class: "wb-attrs" });
    w.listen(this.attrsPanel, "keydown", (ev) => {
      // Typing in an attribute field stays there (and out of JupyterLab's shortcuts).
      const k = (ev as KeyboardEvent).key;
      if (k === "Escape") w.root.focus({ preventScroll: true });
      ev.stopPropagation();
    });
    this.suggestionLine = h("div", { class: "wb-suggestion-line" });
    this.issueBox = h("div", { class: "wb-issue" });
    this.side = h("div", { class: "wb-side" }, [
      this.issueBox,
      h("div", { class: "wb-side-title", text: "Classes" }),
      classList,
      this.attrsPanel,
      this.suggestionLine,
    ]);
    this.infoLine = h("div", { class: "wb-info" });
    this.hint = h("div", {
      class: "wb-hint",
      // Only the tools this task offers.
      text: [...w.tools.map((t) => `${TOOL_KEYS[t]} ${TOOL_NAME[t].toLowerCase()}`), "Enter done", "← → previous / next", "s skip", "Ctrl+Z undo", "? keys"].join(" · "),
    });
  }

  renderProgress(text: string): void {
    this.progressLine.textContent = text;
  }

  /** The zoom in percent (null: no item shown). */
  renderZoom(scale: number | null): void {
    this.zoomLabel.textContent = scale === null ? "" : `${Math.round(scale * 100)}%`;
  }

  /** A class toggle follows the class's hidden state. */
  renderHidden(cls: string, hidden: boolean): void {
    const toggle = this.toggles.get(cls);
    if (toggle) toggle.checked = !hidden;
  }

  renderToolbar(): void {
    const st = this.scene.state;
    for (const [t, b] of this.toolButtons) {
      const on = t === st.tool;
      b.classList.toggle("wb-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
    const brush = st.tool === "brush" || st.tool === "eraser";
    this.brushLabel.hidden = !brush;
    this.brushLabel.textContent = `brush ${Math.round(st.brushR * 2)} px ([ ])`;
  }

  /** Class chips, the attributes of the selected shape, the suggestions line and the info line. */
  render(): void {
    const st = this.scene.state;
    const sel = this.scene.selectedShape();
    for (const [name, chip] of this.wiring.chips) {
      const on = name === st.currentClass;
      chip.classList.toggle("wb-on", on);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      chip.classList.toggle("wb-current", !!sel && sel.class === name);
      chip.classList.toggle("wb-hidden", st.hidden.has(name));
    }
    this.renderAttributes(sel);
    const item = this.scene.shownItem();
    this.renderIssue(item);
    const sugs = item ? this.scene.visibleSuggestions(item) : [];
    if (sugs.length) {
      const pre = item?.prelabel;
      const score = pre && typeof pre.score === "number" ? ` (model score ${Math.round(pre.score * 100)}%)` : "";
      this.suggestionLine.textContent = `${sugs.length} suggestion${sugs.length === 1 ? "" : "s"}${score}: a accepts all · click one, Enter accepts · Delete dismisses`;
    } else {
      this.suggestionLine.textContent = "";
    }
    const bits: string[] = [];
    if (item) {
      bits.push(item.item_id);
      const n = this.scene.shapesOf(item).length;
      bits.push(`${n} shape${n === 1 ? "" : "s"}`);
      bits.push(`tool ${TOOL_NAME[st.tool].toLowerCase()}`);
      bits.push(`class ${st.currentClass}`);
      if (sel) bits.push(`selected ${sel.type} ${sel.id}${st.sel?.sug ? " (suggestion)" : ""}`);
      if (this.wiring.itemState(item.item_id) === "skip") bits.push("skipped");
      const back = this.wiring.stepsBack();
      if (back !== null) bits.push(`back ${back}`);
    }
    this.infoLine.textContent = bits.join(" · ");
  }

  /** In a review of audit issues: where the item stands, its quality, and its suspects (clicking one selects its shape). */
  private renderIssue(item: Item | null): void {
    const box = this.issueBox;
    const issue = item?.issue;
    if (!item || !issue) {
      if (box.childNodes.length) box.replaceChildren();
      box.hidden = true;
      return;
    }
    if (box.dataset.item === item.item_id && box.childNodes.length) return;
    box.dataset.item = item.item_id;
    box.hidden = false;
    const head: string[] = [];
    if (typeof issue.position === "number") head.push(`review ${issue.position + 1}${typeof issue.total === "number" ? ` of ${issue.total}` : ""}`);
    if (typeof issue.quality === "number") head.push(`quality ${issue.quality.toFixed(2)}`);
    if (issue.is_issue) head.push("flagged");
    const rows: HTMLElement[] = [h("div", { class: "wb-side-title", text: head.join(" · ") || "review" })];
    if (issue.label) rows.push(h("div", { class: "wb-issue-line", text: `label: ${issue.label}` }));
    if (issue.suggested) rows.push(h("div", { class: "wb-issue-line", text: `model: ${issue.suggested}` }));
    for (const sp of issue.suspects ?? []) {
      const what = sp.issue ? `${sp.issue}: ${sp.class ?? ""}` : `${sp.class ?? "?"} → ${sp.suggested ?? "?"}`;
      const score = typeof sp.score === "number" ? ` ${sp.score.toFixed(2)}` : typeof sp.pixels === "number" ? ` ${sp.pixels} px` : "";
      const row = h("div", { class: "wb-suspect", attrs: { "data-shape": sp.shape ?? "" }, text: `${what}${score}` });
      if (sp.shape) this.panelClick(row, () => this.wiring.selectSuspect(sp));
      rows.push(row);
    }
    rows.push(h("div", { class: "wb-issue-line wb-muted", text: "Enter confirms the label as it is" }));
    box.replaceChildren(...rows);
  }

  /**
   * A click on a node of a panel that is rebuilt (attributes, suspects): a
   * plain listener, gone with the node (`listen` would keep every one until
   * destroy).
   */
  private panelClick(node: HTMLElement, fn: () => void): void {
    node.addEventListener("mousedown", (ev) => ev.preventDefault());
    node.addEventListener("click", (ev) => {
      ev.preventDefault();
      this.wiring.root.focus({ preventScroll: true });
      fn();
    });
  }

  private renderAttributes(sel: Shape | null): void {
    const attrs = this.scene.taskSpec.attributes ?? [];
    const sug = !!this.scene.state.sel?.sug;
    const key = sel ? `${sug ? "p" : "s"}:${sel.id}` : "";
    const panel = this.attrsPanel;
    // Leave a field alone while it is being typed in.
    if (panel.dataset.shape === key && panel.contains(document.activeElement) && key) return;
    panel.dataset.shape = key;
    if (!sel || !attrs.length) {
      panel.replaceChildren();
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    const changed = (name: string, value: unknown): void => {
      panel.dataset.shape = "";
      this.wiring.attributeChanged(sel, sug, name, value);
    };
    const rows: HTMLElement[] = [h("div", { class: "wb-side-title", text: `Attributes · ${sel.type} ${sel.id}` })];
    for (const a of attrs) {
      const value = sel.attributes?.[a.name];
      const id = `wb-attr-${this.wiring.clientId}-${a.name}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (a.kind === "bool") {
        const box = h("input", { attrs: { type: "checkbox", id } });
        box.checked = value === true;
        box.addEventListener("change", () => changed(a.name, box.checked));
        input = box;
      } else if (a.kind === "choice") {
        const select = h("select", { attrs: { id } });
        for (const c of a.choices ?? []) {
          const o = h("option", { text: c, attrs: { value: c } });
          if (c === value) o.selected = true;
          select.appendChild(o);
        }
        select.addEventListener("change", () => changed(a.name, select.value));
        input = select;
      } else {
        const field = h("input", { attrs: { type: a.kind === "number" ? "number" : "text", id } });
        field.value = value === null || value === undefined ? "" : String(value);
        field.addEventListener("change", () => {
          let v: unknown = field.value;
          if (a.kind === "number") {
            const n = field.value.trim() === "" ? null : Number(field.value);
            if (n !== null && !Number.isFinite(n)) return;
            v = n;
          }
          changed(a.name, v);
        });
        input = field;
      }
      input.classList.add("wb-attr-input");
      input.dataset.attribute = a.name;
      rows.push(h("div", { class: "wb-attr", attrs: { "data-attribute": a.name } }, [h("label", { text: a.name, attrs: { for: id } }), input]));
    }
    panel.replaceChildren(...rows);
  }
}
