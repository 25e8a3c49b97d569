/**
 * Controls for the attributes of one part (a span, a region): a checkbox for
 * a bool, a select for a choice, an input for a text or a number. A change
 * calls `set(name, value)`, which the view turns into one label.
 */

import { h } from "./dom";

/** An attribute of a task (workbench.Attribute.to_dict). */
export interface AttributeSpec {
  name: string;
  kind?: "bool" | "choice" | "text" | "number";
  choices?: string[];
  default?: unknown;
}

/** The defaults of `attrs`, for a new part. */
export function attributeDefaults(attrs: AttributeSpec[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of attrs ?? []) if (a && typeof a.name === "string" && a.default !== undefined) out[a.name] = a.default;
  return out;
}

/** One `label.wb-span-attr` row per attribute, its control showing `values` (else the default). */
export function attributeRows(attrs: AttributeSpec[], values: Record<string, unknown>, set: (name: string, v: unknown) => void): HTMLElement[] {
  return attrs.map((a) => {
    const current = values[a.name] ?? a.default;
    let control: HTMLElement;
    if (a.kind === "choice") {
      const sel = h("select", { attrs: { "data-attr": a.name } }, (a.choices ?? []).map((c) => h("option", { text: c, attrs: { value: c } })));
      sel.value = String(current ?? "");
      sel.addEventListener("change", () => set(a.name, sel.value)); // goes with the node
      control = sel;
    } else if (a.kind === "text" || a.kind === "number") {
      const input = h("input", { attrs: { type: a.kind === "number" ? "number" : "text", "data-attr": a.name } });
      input.value = current === null || current === undefined ? "" : String(current);
      input.addEventListener("change", () => {
        if (a.kind === "text") return set(a.name, input.value);
        const n = input.value.trim() === "" ? null : Number(input.value);
        if (n === null || Number.isFinite(n)) set(a.name, n);
      });
      control = input;
    } else {
      const box = h("input", { attrs: { type: "checkbox", "data-attr": a.name } });
      box.checked = current === true;
      box.addEventListener("change", () => set(a.name, box.checked));
      control = box;
    }
    return h("label", { class: "wb-span-attr" }, [control, h("span", { text: ` ${a.name}` })]);
  });
}
