// Shared test helpers: a jsdom window installed as globals, a fake anywidget
// model, and a fake kernel that answers the label-stream protocol like
// workbench/stream.py does.
import { beforeEach, afterEach } from "node:test";
import { JSDOM } from "jsdom";

export function setupDom() {
  const dom = new JSDOM("<!doctype html><html><body></body></html>", {
    url: "http://localhost/",
    pretendToBeVisual: true,
  });
  const w = dom.window;
  for (const name of [
    "window", "document", "localStorage", "KeyboardEvent", "MouseEvent", "Event",
    "HTMLElement", "HTMLImageElement", "Node", "DocumentFragment",
  ]) {
    Object.defineProperty(globalThis, name, { value: name === "window" ? w : w[name], configurable: true, writable: true });
  }
  globalThis.requestAnimationFrame = w.requestAnimationFrame.bind(w);
  globalThis.cancelAnimationFrame = w.cancelAnimationFrame.bind(w);
  globalThis.__workbenchTimings = [];
  return dom;
}

/**
 * The per-test setup of a widget's tests: a fresh jsdom before each test;
 * after it, the cleanups given to `defer` run, and those of the widgets
 * rendered with `show` (each at most once).
 */
export function widgetTests(render, rootSelector) {
  let cleanups = [];
  beforeEach(() => {
    setupDom();
    cleanups = [];
  });
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });
  const defer = (fn) => cleanups.push(fn);
  /** Render the widget of `model` into a new element of the body. */
  const show = (model) => {
    const el = document.createElement("div");
    document.body.appendChild(el);
    const destroy = render({ model, el });
    let done = false;
    const cleanup = () => {
      if (!done) destroy();
      done = true;
    };
    defer(cleanup);
    return { el, root: el.querySelector(rootSelector), cleanup };
  };
  return { show, defer };
}

export class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.handlers = new Map();
    this.sent = [];
    this.onSend = null;
  }
  get(key) {
    return this.state[key];
  }
  set(key, value) {
    this.state[key] = value;
    this.emit(`change:${key}`);
  }
  save_changes() {}
  on(name, cb) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(cb);
  }
  off(name, cb) {
    if (!name) return this.handlers.clear();
    if (!cb) return this.handlers.delete(name);
    this.handlers.get(name)?.delete(cb);
  }
  emit(name, ...args) {
    for (const cb of [...(this.handlers.get(name) ?? [])]) cb(...args);
  }
  listenerCount() {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
  send(content, _callbacks, buffers) {
    const copy = JSON.parse(JSON.stringify(content));
    this.sent.push(copy);
    this.onSend?.(copy, buffers ?? []);
  }
  deliver(msg, buffers = []) {
    this.emit("msg:custom", msg, buffers);
  }
  sentOf(type) {
    return this.sent.filter((m) => m.type === type);
  }
}

/**
 * A kernel over `items` (ids in priority order). Replies are queued; `flush()`
 * delivers them, or with `auto` they go out after `delay` ms.
 */
export class FakeKernel {
  constructor(model, items, { auto = false, delay = 0, classes = null } = {}) {
    this.model = model;
    this.items = items; // [{item_id, kind:"text", text}] or images
    this.labels = new Map(); // item_id -> {kind, value, key}
    this.events = []; // stored events in order
    this.byKey = new Map(); // "cid:seq" -> event
    this.pending = [];
    this.auto = auto;
    this.delay = delay;
    this.classes = classes;
    this.paused = false;
    model.onSend = (msg, buffers) => this.receive(msg, buffers);
  }
  reply(msg, buffers = []) {
    this.pending.push([msg, buffers]);
    if (this.auto && !this.paused) setTimeout(() => this.flush(), this.delay);
  }
  flush() {
    const out = this.pending.splice(0);
    for (const [m, b] of out) this.model.deliver(m, b);
    return out.length;
  }
  progress() {
    return { done: this.labels.size, total: this.items.length };
  }
  wire(item) {
    const out = { ...item, buffer: null };
    const state = this.labels.get(item.item_id);
    if (state) {
      out.state = state.kind;
      if (state.kind === "label") out.label = state.value;
    }
    return out;
  }
  receive(msg) {
    const base = { client_id: msg.client_id, req: msg.req };
    switch (msg.type) {
      case "hello":
        return this.reply({ ...base, type: "hello", progress: this.progress() });
      case "need": {
        const ex = new Set(msg.exclude);
        const ids = this.items.filter((i) => !this.labels.has(i.item_id) && !ex.has(i.item_id)).slice(0, msg.n);
        return this.reply({ ...base, type: "items", n: msg.n, items: ids.map((i) => this.wire(i)), progress: this.progress() });
      }
      case "item": {
        const item = this.items.find((i) => i.item_id === msg.item_id);
        return this.reply(item ? { ...base, type: "item", item_id: msg.item_id, item: this.wire(item) } : { ...base, type: "item", item_id: msg.item_id, error: "no item" });
      }
      case "page": {
        let pool = this.items;
        if (msg.filter === "unlabeled") pool = pool.filter((i) => !this.labels.has(i.item_id));
        else if (msg.filter !== "all") {
          pool = pool.filter((i) => {
            const s = this.labels.get(i.item_id);
            return s && s.kind === "label" && (s.value === msg.filter || (Array.isArray(s.value) && s.value.includes(msg.filter)));
          });
        }
        const last = Math.max(0, Math.ceil(pool.length / msg.page_size) - 1);
        const page = Math.min(msg.page, last);
        const items = pool.slice(page * msg.page_size, (page + 1) * msg.page_size).map((i) => this.wire(i));
        return this.reply({ ...base, type: "page", page, page_size: msg.page_size, filter: msg.filter, total: pool.length, items, progress: this.progress() });
      }
      case "label":
        return this.receiveLabel(msg);
      default:
        return undefined;
    }
  }
  /** A label: acked once stored (again for a duplicate), refused, or deferred (a retraction before its target). */
  receiveLabel(msg) {
    const key = `${msg.client_id}:${msg.seq}`;
    const ids = { client_id: msg.client_id, seq: msg.seq };
    if (this.byKey.has(key)) return this.reply({ type: "ack", ...ids, event_id: this.byKey.get(key).id, duplicate: true, progress: this.progress() });
    const error = this.refusal(msg);
    if (error) return this.reply({ type: "refused", ...ids, error });
    let target = null;
    if (msg.kind === "retract") {
      target = this.byKey.get(`${msg.retracts.client_id}:${msg.retracts.seq}`);
      if (!target) return this.reply({ type: "deferred", ...ids, error: "not stored yet" });
      target.retracted = true;
    }
    const ev = this.event(msg, target);
    this.events.push(ev);
    this.byKey.set(key, ev);
    this.recompute(msg.item_id);
    return this.reply({ type: "ack", ...ids, event_id: ev.id, duplicate: false, progress: this.progress() });
  }
  /** Why the kernel refuses `msg`, or null. */
  refusal(msg) {
    if (!this.items.some((i) => i.item_id === msg.item_id)) return `no item ${msg.item_id}`;
    return msg.kind === "label" ? this.badClass(msg.value) : null;
  }
  /** `no class X` when a class of `value` is not in the schema, else null. */
  badClass(value) {
    if (!this.classes) return null;
    const bad = [].concat(value).find((v) => !this.classes.includes(v));
    return bad === undefined ? null : `no class ${bad}`;
  }
  /** The stored event of a label (`target`: the event a retraction retracts). */
  event(msg, _target) {
    return { id: this.events.length + 1, ...msg };
  }
  recompute(itemId) {
    const live = this.events.filter((e) => e.item_id === itemId && e.kind !== "retract" && !e.retracted);
    const last = live[live.length - 1];
    if (last) this.labels.set(itemId, { kind: last.kind, value: last.value });
    else this.labels.delete(itemId);
  }
  /** Stored label/skip events that were not retracted, in order. */
  liveLabels() {
    return this.events.filter((e) => e.kind !== "retract" && !e.retracted);
  }
}

export function textItems(n, prefix = "t") {
  return Array.from({ length: n }, (_, i) => ({ item_id: `${prefix}${String(i).padStart(4, "0")}`, kind: "text", text: `text number ${i}` }));
}

export function press(target, key, init = {}) {
  const ev = new window.KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(ev);
  return ev;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function classSchema(names, { multi = false, keys = null } = {}) {
  const palette = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2"];
  return {
    kind: "classification",
    name: "label",
    description: "",
    multi_label: multi,
    classes: names.map((name, i) => ({ name, key: keys ? keys[i] : String(i + 1), color: palette[i % palette.length], description: `about ${name}`, examples: [] })),
  };
}

/** A widget's model state: the traits every widget syncs, its own (`own`), then `overrides`. */
export function widgetState(own, overrides = {}) {
  return {
    project_id: "proj1",
    task: "label",
    schema: classSchema(["cat", "dog", "bird"]),
    annotator: "tester",
    progress: { done: 0, total: 0 },
    ...own,
    ...overrides,
  };
}

export function classifyState(overrides = {}) {
  return widgetState({ guidelines: "# Rules\n\nLabel **carefully**.", prefetch: 4, max_size: 256 }, overrides);
}

export function galleryState(overrides = {}) {
  return widgetState({ guidelines: "Pick **one**.", page_size: 50, thumb_size: 96, filter: "all" }, overrides);
}

export function click(target, init = {}) {
  const ev = new window.MouseEvent("click", { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(ev);
  return ev;
}

/**
 * A team member's kernel (workbench/stream.py in team mode): hello carries
 * `team` and the unread `feedback`, items replies the unread list, an item its
 * own latest feedback (`itemFeedback`), and `seen` marks feedback read.
 */
export class TeamKernel extends FakeKernel {
  constructor(model, items, opts = {}) {
    super(model, items, opts);
    this.team = opts.team ?? { user: "alice", role: "annotator", tier: "annotate" };
    this.feedback = []; // every feedback row for this user, oldest first
    this.seenIds = new Set();
    this.itemFeedback = new Map(); // item_id -> feedback
  }
  unseen() {
    return this.feedback.filter((f) => !this.seenIds.has(f.id));
  }
  wire(item) {
    const out = super.wire(item);
    const fb = this.itemFeedback.get(item.item_id);
    if (fb) out.feedback = fb;
    return out;
  }
  receive(msg) {
    const base = { client_id: msg.client_id, req: msg.req };
    switch (msg.type) {
      case "hello":
        return this.reply({ ...base, type: "hello", progress: this.progress(), team: this.team, feedback: this.unseen() });
      case "seen":
        for (const id of msg.ids) this.seenIds.add(id);
        return this.reply({ ...base, type: "seen", ids: msg.ids });
      case "need": {
        super.receive(msg);
        this.pending[this.pending.length - 1][0].feedback = this.unseen();
        return undefined;
      }
      default:
        return super.receive(msg);
    }
  }
}

/** A feedback row as the kernel sends it. */
export function feedbackRow(id, item_id, kind, { reviewer = "rita", note = "", value = null, previous = null } = {}) {
  return { id, item_id, kind, reviewer, tier: "review", note, value, previous, created_at: 1700000000 + id };
}

/** A 2D context recording each method call as [name, ...args]; property writes are kept. */
export function fakeContext(canvas) {
  const calls = [];
  const target = {
    canvas,
    calls,
    measureText: (t) => ({ width: t.length * 6 }),
    createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    getImageData: (x, y, w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: (img, x, y) => calls.push(["putImageData", img, x, y]),
  };
  return new Proxy(target, {
    get(t, k) {
      if (k in t) return t[k];
      if (typeof k !== "string") return undefined;
      return (...args) => {
        calls.push([k, ...args]);
      };
    },
    set(t, k, v) {
      t[k] = v;
      return true;
    },
  });
}
