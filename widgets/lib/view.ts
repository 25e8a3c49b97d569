/**
 * What every widget view shares: the root element, the label sender and its
 * outbox, listeners removed on destroy, the periodic resend, the kernel's
 * common answers (acks and the rest of the label stream, hello, progress), the
 * status line and errors, the guidelines overlay, the key handler's checks and
 * key-to-paint timings. Each view (classify.ts, gallery.ts, review.ts) adds
 * what it shows, what it asks the kernel for and what its keys do.
 */

import type { AnyModel } from "@anywidget/types";
import { buildKeymap, swallows } from "./keys";
import type { StorageLike } from "./outbox";
import type { ClassSpec, KernelMessage, Progress, TaskSpec, TeamInfo } from "./protocol";
import { parseTeam } from "./feedback";
import { LabelSender, type SenderEvents } from "./sender";
import { h, listen } from "./dom";
import { classChip, guidelinesOverlay } from "./guidelines";
import { paintStatus, pushError } from "./status";
import { keyTime } from "./timings";

/** The traits every widget syncs (StreamWidget in workbench/widgets/_base.py). */
export interface ViewModel {
  project_id: string;
  task: string;
  schema: TaskSpec;
  guidelines: string;
  annotator: string;
  progress: Progress;
}

export interface ViewOptions {
  /** Storage for the outbox; defaults to localStorage. */
  storage?: StorageLike | null;
}

/** A view's root element, `wb-root wb-<name>` (focusable, data-outbox added to `data`), and its keys. */
export interface ViewSpec<A> {
  name: string;
  label: string;
  data: Record<string, string>;
  /** What a key does in the view, or null when it is not ours (lib/keys.ts). */
  keys: (ev: KeyboardEvent, keymap: Map<string, string>) => A | null;
}

/** How often unacknowledged labels are resent and what is missing asked for again. */
export const TICK_MS = 2000;
/** A request unanswered this long is asked again. */
export const REQUEST_TIMEOUT_MS = 10000;

export abstract class StreamView<M extends ViewModel, A extends { type: string }> {
  readonly root: HTMLElement;
  readonly clientId: string;
  protected readonly sender: LabelSender;
  protected readonly task: TaskSpec;
  protected readonly keymap: Map<string, string>;
  protected progress: Progress;
  /** Team mode: who this view's user is (from the kernel's hello), else null. */
  protected team: TeamInfo | null = null;
  /** Number of the last request sent (answers carry it back as `req`). */
  protected req = 0;
  protected errors: string[] = [];
  protected notice = "";
  protected overlay: HTMLElement | null = null;
  protected destroyed = false;
  protected readonly cleanups: (() => void)[] = [];
  /** The class chips made by `classChips`, by class name. */
  protected readonly chips = new Map<string, HTMLElement>();
  protected readonly statusLine = h("div", { class: "wb-status" });
  protected readonly errorBox = h("div", { class: "wb-errors", attrs: { role: "alert" } });
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Makes the root (empty, in `el`) and the sender; the view fills the root, then calls `start`. */
  constructor(
    protected readonly model: AnyModel<M>,
    el: HTMLElement,
    private readonly spec: ViewSpec<A>,
    events: Omit<SenderEvents, "error">,
    options: ViewOptions,
  ) {
    this.task = model.get("schema");
    this.keymap = buildKeymap(this.task.classes);
    this.progress = model.get("progress") ?? { done: 0, total: 0 };
    this.sender = new LabelSender(
      model,
      model.get("project_id"),
      { ...events, error: (text, final) => this.showError(text, final) },
      options.storage,
    );
    this.clientId = this.sender.clientId;
    this.root = h("div", {
      class: `wb-root wb-${spec.name}`,
      attrs: { tabindex: "0", ...spec.data, "data-outbox": "0", "aria-label": spec.label },
    });
    el.appendChild(this.root);
    this.listen(this.root, "keydown", (ev) => this.onKey(ev as KeyboardEvent));
    this.onModel("msg:custom", (msg: KernelMessage, buffers: unknown[]) => this.onMessage(msg, buffers ?? []));
    this.onModel("change:progress", () => {
      const p = model.get("progress");
      if (p) this.progress = p;
      this.renderStatus();
    });
  }

  /** Say hello, resend what the outbox kept (an earlier view's labels too) and start the tick. */
  protected start(): void {
    this.sender.send({ type: "hello", client_id: this.clientId });
    this.sender.resend(true);
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const fn of this.cleanups.splice(0)) fn();
    this.release();
    this.root.remove();
  }

  /** Free what the view holds (blob: URLs, frames); called once, by destroy. */
  protected abstract release(): void;

  // -- plumbing ---------------------------------------------------------------
  protected listen(target: EventTarget, type: string, fn: (ev: Event) => void): void {
    listen(this.cleanups, target, type, fn);
  }

  /** Listen to the model until destroy. */
  protected onModel(name: string, fn: (...args: never[]) => void): void {
    const cb = fn as (...args: unknown[]) => void;
    this.model.on(name, cb);
    this.cleanups.push(() => this.model.off(name, cb));
  }

  /** A chip or button that acts on click without taking the keyboard focus from the root. */
  protected clickable(node: HTMLElement, fn: () => void): void {
    this.listen(node, "mousedown", (ev) => ev.preventDefault());
    this.listen(node, "click", (ev) => {
      ev.preventDefault();
      this.root.focus({ preventScroll: true });
      fn();
    });
  }

  /** The `.wb-classes` row of class chips; clicking one calls `onClass` with its name. */
  protected classChips(onClass: (name: string) => void): HTMLElement {
    const row = h("div", { class: "wb-classes" });
    for (const c of this.task.classes) {
      const chip = classChip(c);
      this.clickable(chip, () => onClass(c.name));
      this.chips.set(c.name, chip);
      row.appendChild(chip);
    }
    return row;
  }

  private tick(): void {
    if (this.destroyed) return;
    this.sender.resend();
    this.poll();
    this.renderStatus();
  }

  /** Every tick: ask again for what is missing or overdue. */
  protected abstract poll(): void;

  // -- keys -------------------------------------------------------------------
  private onKey(ev: KeyboardEvent): void {
    const target = ev.target as HTMLElement | null;
    if (target && target !== this.root && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    const action = this.spec.keys(ev, this.keymap);
    if (!action) {
      if (swallows(ev)) ev.stopPropagation(); // an unbound letter must not reach command mode
      return;
    }
    if (this.letsThrough(action)) return;
    ev.preventDefault();
    ev.stopPropagation();
    if (ev.repeat && this.once(action)) return;
    if (action.type === "help") this.toggleOverlay();
    else if (action.type === "close" && this.overlay) this.toggleOverlay(false);
    else this.dispatch(action, keyTime(ev));
  }

  /** An action whose key is not ours in the present state: by default Escape with nothing to close. */
  protected letsThrough(action: A): boolean {
    return action.type === "close" && !this.overlay;
  }

  /** An action a held-down key must not repeat (a label). */
  protected abstract once(action: A): boolean;

  /** Apply an action (other than the guidelines' help and close); `t` is when its key was pressed (now() for a click). */
  abstract dispatch(action: A, t: number): void;

  // -- messages from the kernel ------------------------------------------------
  onMessage(msg: KernelMessage, buffers: unknown[]): void {
    if (this.destroyed || !msg || typeof msg !== "object") return;
    if (this.sender.handle(msg)) {
      if (msg.type === "ack") this.setProgress(msg.progress);
      this.afterAnswer();
      return;
    }
    const mine = msg.client_id === this.clientId;
    if (msg.type === "hello") {
      if (mine) {
        this.setProgress(msg.progress);
        this.team = parseTeam(msg.team);
        this.onHello(msg);
      }
    } else {
      this.onKernelMessage(msg, buffers, mine);
    }
    this.renderStatus();
  }

  /** After the sender took an answer about a label (ack, refused, deferred): repaint. */
  protected afterAnswer(): void {
    this.renderStatus();
  }

  /** This view's hello answered (progress and `team` already taken): the rest of the reply is the view's. */
  protected onHello(_msg: KernelMessage): void {}

  /** Any other message: `mine` when it answers this view (client_id). The status is painted after it. */
  protected abstract onKernelMessage(msg: KernelMessage, buffers: unknown[], mine: boolean): void;

  protected setProgress(p: unknown): void {
    if (p && typeof p === "object" && "done" in p && "total" in p) this.progress = p as Progress;
  }

  protected showError(text: string, final: boolean): void {
    pushError(this.errors, text, final);
    this.renderStatus();
  }

  // -- painting ---------------------------------------------------------------
  protected renderStatus(): void {
    if (this.destroyed) return;
    const unsaved = this.sender.unsaved;
    this.root.dataset.outbox = String(unsaved);
    const lead = this.renderCounts();
    const notes = [lead, this.sender.outbox.problem, this.sender.problem, this.notice];
    paintStatus(this.statusLine, this.errorBox, unsaved, notes, this.errors);
  }

  /** Paint the view's own counters (head, data-* hooks); returns a note to lead the status line, or null. */
  protected abstract renderCounts(): string | null;

  /** data-ready="1": the first item (page, card) is painted. */
  protected markReady(): void {
    if (this.root.dataset.ready !== "1") this.root.dataset.ready = "1";
  }

  protected toggleOverlay(open?: boolean): void {
    const want = open ?? !this.overlay;
    if (want && !this.overlay) {
      this.overlay = guidelinesOverlay(
        this.model.get("guidelines") ?? "",
        this.task.classes as ClassSpec[],
        this.keysHelp(),
        () => this.toggleOverlay(false),
        (c) => this.examplesOf(c),
      );
      this.root.appendChild(this.overlay);
    } else if (!want && this.overlay) {
      this.overlay.remove();
      this.overlay = null;
      this.root.focus({ preventScroll: true });
    }
  }

  /** The keys listed in the guidelines overlay: [key, what it does]. */
  protected abstract keysHelp(): [string, string][];

  /** The node with a class's examples in the guidelines overlay, or null (none by default). */
  protected examplesOf(_c: ClassSpec): HTMLElement | null {
    return null;
  }
}
