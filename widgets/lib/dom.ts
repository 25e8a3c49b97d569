/**
 * The smallest DOM helpers every widget module uses: building nodes (text
 * from data only ever goes in through textContent; attributes are set one by
 * one), listeners removed on destroy, the clock and animation frames.
 */

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  title?: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: (Node | null | undefined)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) node.setAttribute(k, v);
  for (const c of children) if (c) node.appendChild(c);
  return node;
}

export function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

export function raf(cb: () => void): number {
  if (typeof requestAnimationFrame === "function") return requestAnimationFrame(cb);
  return setTimeout(cb, 16) as unknown as number;
}

/** Run `cb` in a task of its own, soon (a message to self; no timer clamping). Returns a cancel function. */
export function afterTask(cb: () => void): () => void {
  let live = true;
  if (typeof MessageChannel !== "function") {
    const id = setTimeout(() => live && cb(), 0);
    return () => {
      live = false;
      clearTimeout(id);
    };
  }
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    ch.port1.close();
    if (live) cb();
  };
  ch.port2.postMessage(0);
  return () => {
    live = false;
    ch.port1.close();
  };
}

/**
 * Run `cb` once the next frame is on screen: the frame's layout and paint
 * follow its animation-frame callbacks, so `cb` runs in the first task after
 * one. Returns a cancel function. Latency figures taken here include the
 * frame's style, layout and paint, which a bare animation-frame callback
 * would leave out. `cb` gets the time (`now()`) the frame began, so a figure
 * can be split into the wait for the frame and the frame's own work.
 */
export function afterPaint(cb: (frameAt: number) => void): () => void {
  let stop: (() => void) | null = null;
  const id = raf(() => {
    const frameAt = now();
    stop = afterTask(() => cb(frameAt));
  });
  return () => {
    cancelRaf(id);
    stop?.();
  };
}

export function cancelRaf(id: number): void {
  if (typeof cancelAnimationFrame === "function") cancelAnimationFrame(id);
  else clearTimeout(id);
}

/** Add a listener and record its removal in `cleanups` (run on destroy). */
export function listen(
  cleanups: (() => void)[],
  target: EventTarget,
  type: string,
  fn: (ev: Event) => void,
): void {
  target.addEventListener(type, fn);
  cleanups.push(() => target.removeEventListener(type, fn));
}
