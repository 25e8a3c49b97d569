/**
 * Items on the stage: blob: URLs for image bytes (revoked when the item goes),
 * images sized to a box and decoding ahead, the stage's node for one item.
 */

import { h } from "./dom";
import { toBytes, type WireItem } from "./protocol";
import { shownItemId } from "./text";

/** A blob: URL for an image item's bytes, or null. Revoke it when the item goes. */
export function imageUrl(item: WireItem, buffers: unknown[]): string | null {
  if (item.kind !== "image" || item.buffer == null) return null;
  const bytes = toBytes(buffers[item.buffer]);
  if (!bytes || typeof URL.createObjectURL !== "function") return null;
  // Copy: the widget manager may reuse the message's buffer.
  const blob = new Blob([bytes.slice()], { type: item.mime || "image/png" });
  return URL.createObjectURL(blob);
}

export function revoke(url: string | null | undefined): void {
  if (url && typeof URL.revokeObjectURL === "function") URL.revokeObjectURL(url);
}

/**
 * Longest side, in CSS px, that a small image is enlarged to: an 8×8 digit
 * shows at 256 px (×32) and a 28×28 one at 252 px (×9), not blown up to the
 * whole box; an image this large or larger is never enlarged.
 */
export const UPSCALE_LIMIT = 256;

/**
 * Size an image to fit `box` px: small images grow by a whole factor with
 * nearest-neighbour pixels (an 8×8 digit stays crisp) up to `upscaleLimit`
 * px, large ones shrink smoothly (and CSS keeps them within the width there is).
 */
export function fitImage(img: HTMLImageElement, width: number, height: number, box: number, upscaleLimit = UPSCALE_LIMIT): void {
  const w = Math.max(1, width || 1);
  const hgt = Math.max(1, height || 1);
  let scale = Math.min(box / w, box / hgt);
  if (scale >= 1) scale = Math.max(1, Math.floor(Math.min(scale, Math.min(box, upscaleLimit) / Math.max(w, hgt))));
  img.style.width = `${Math.round(w * scale)}px`;
  img.style.height = "auto";
  img.style.imageRendering = scale > 1 ? "pixelated" : "auto";
  img.dataset.scale = String(Math.round(scale * 1000) / 1000);
}

/**
 * An item's image, sized to `box` and decoding already, so that showing it
 * later costs no decode in the key handler's frame; url and img are null for
 * an item without image bytes. Revoke the url when the item goes.
 */
export function itemImage(
  item: WireItem,
  buffers: unknown[],
  box: number,
): { url: string | null; img: HTMLImageElement | null } {
  const url = imageUrl(item, buffers);
  if (!url) return { url, img: null };
  const img = h("img", { class: "wb-image", attrs: { alt: item.item_id, draggable: "false" } });
  img.src = url;
  fitImage(img, item.width ?? 0, item.height ?? 0, box);
  const decode = (img as { decode?: () => Promise<void> }).decode;
  if (typeof decode === "function") decode.call(img).catch(() => undefined);
  return { url, img };
}

/** The stage's content for one item: its image or text (or why not), then a caption with its id and `extra`. */
export function itemNode(item: WireItem, img: HTMLImageElement | null, extra: HTMLElement | null = null): HTMLElement {
  const box = h("div", { class: "wb-item", attrs: { "data-kind": item.kind } });
  if (item.kind === "image" && img) box.appendChild(img);
  else if (item.kind === "text") box.appendChild(h("div", { class: "wb-text", text: item.text ?? "" }));
  else box.appendChild(h("div", { class: "wb-item-error", text: item.error || `item ${item.item_id} could not be shown` }));
  // A content-hash id says nothing to a person: not shown (the tooltip has it).
  const id = shownItemId(item.item_id);
  box.title = item.item_id;
  box.appendChild(h("div", { class: "wb-caption" }, [id ? h("span", { class: "wb-item-id", text: id }) : null, extra]));
  return box;
}
