/**
 * Classes as people see them: the class chip (swatch, name, key) and the
 * guidelines overlay with every class, its description and its examples.
 */

import { safeColor } from "./colors";
import { h } from "./dom";
import { fitImage } from "./images";
import { keyLabel } from "./keys";
import { renderMarkdown } from "./markdown";
import type { ClassSpec } from "./protocol";
import { namedByKey } from "./text";

/**
 * A class chip: colour swatch, name, key. A class named by its own key (the
 * digits "0".."9", a letter) shows the key once, as the name: no "7 [7]".
 */
export function classChip(c: ClassSpec): HTMLElement {
  const key = keyLabel(c.key);
  const chip = h("div", {
    class: "wb-class",
    attrs: { "data-class": c.name, role: "button", "aria-pressed": "false", "aria-label": key ? `${c.name} (key ${key})` : c.name },
    title: c.description || c.name,
  });
  const swatch = h("span", { class: "wb-swatch" });
  swatch.style.background = safeColor(c.color);
  chip.append(swatch);
  if (key && namedByKey(c.name, key)) {
    chip.append(h("kbd", { class: "wb-key wb-class-name", text: c.name }));
    return chip;
  }
  chip.append(h("span", { class: "wb-class-name", text: c.name }));
  if (key) chip.append(h("kbd", { class: "wb-key", text: key }));
  return chip;
}

/** A class example in the browser: the wire fields plus a blob: URL for an image's thumbnail. */
export interface ExampleItem {
  item_id: string;
  kind: string;
  url: string | null;
  width?: number;
  height?: number;
  text?: string;
  error?: string;
}

/** Longest side of an example thumbnail in the guidelines, in CSS px. */
export const EXAMPLE_BOX = 96;

/** One example tile: a thumbnail, a text excerpt, or a placeholder for an item that cannot be shown. */
export function exampleTile(ex: ExampleItem): HTMLElement {
  const tile = h("div", { class: "wb-example", attrs: { "data-item-id": ex.item_id, "data-kind": ex.kind }, title: ex.item_id });
  if (ex.kind === "image" && ex.url) {
    const img = h("img", { class: "wb-example-img", attrs: { alt: ex.item_id, draggable: "false" } });
    img.src = ex.url;
    fitImage(img, ex.width ?? 0, ex.height ?? 0, EXAMPLE_BOX);
    tile.appendChild(img);
  } else if (ex.kind === "text") {
    tile.classList.add("wb-example-text");
    tile.textContent = ex.text ?? "";
  } else {
    tile.classList.add("wb-example-missing");
    tile.title = ex.error || `item ${ex.item_id} cannot be shown`;
    tile.append(h("span", { class: "wb-example-mark", text: "?" }), h("span", { class: "wb-example-id", text: ex.item_id }));
  }
  return tile;
}

/** The guidelines overlay: the Markdown guidelines plus every class with its key and description. */
export function guidelinesOverlay(
  guidelines: string,
  classes: ClassSpec[],
  extraKeys: [string, string][],
  onClose: () => void,
  /** Optional: the node showing a class's examples, put under its description. */
  examplesOf?: (c: ClassSpec) => HTMLElement | null,
): HTMLElement {
  const close = h("button", { class: "wb-close", text: "×", attrs: { type: "button", "aria-label": "Close guidelines" } });
  close.addEventListener("click", onClose);
  const body = h("div", { class: "wb-guidelines-body" });
  if (guidelines && guidelines.trim()) body.appendChild(renderMarkdown(guidelines));
  else body.appendChild(h("p", { class: "wb-muted", text: "No guidelines for this project yet." }));
  const table = h("div", { class: "wb-class-table" });
  for (const c of classes) {
    const row = h("div", { class: "wb-class-row" });
    row.append(classChip(c), h("span", { class: "wb-class-desc", text: c.description || "" }));
    const examples = examplesOf?.(c);
    if (examples) row.appendChild(examples);
    table.appendChild(row);
  }
  const keys = h("div", { class: "wb-keys-help" });
  for (const [k, what] of extraKeys) keys.append(h("kbd", { text: k }), h("span", { text: what }));
  return h("div", { class: "wb-overlay", attrs: { role: "dialog", "aria-label": "Guidelines" } }, [
    h("div", { class: "wb-overlay-head" }, [h("strong", { text: "Guidelines" }), close]),
    body,
    h("h4", { text: "Classes" }),
    table,
    h("h4", { text: "Keys" }),
    keys,
  ]);
}
