/**
 * The label stream's sending side, shared by every widget: numbers labels,
 * writes them to the outbox before sending, handles the kernel's answers
 * (ack, refused, deferred, error) and resends what is unacknowledged.
 */

import type { AnyModel } from "@anywidget/types";
import { uuid } from "./ids";
import { Outbox, defaultStorage, type StorageLike } from "./outbox";
import type { KernelMessage, LabelMessage } from "./protocol";
import { now } from "./dom";

export interface SenderEvents {
  /** A label of this view was refused for good (already dropped from the outbox). */
  refused?(entry: LabelMessage | undefined, clientId: string, seq: number, error: string): void;
  /** Something to show the user. `final` errors are not retried. */
  error?(text: string, final: boolean): void;
  acked?(clientId: string, seq: number, msg: KernelMessage): void;
}

/** What a view hands the sender; numbering and the timestamp are the sender's. */
export type LabelInput = Omit<LabelMessage, "type" | "client_id" | "seq" | "created">;

export class LabelSender {
  readonly clientId = uuid();
  readonly outbox: Outbox;
  private seq = 0;
  /** Set when model.send threw (the comm is gone). */
  problem = "";

  constructor(
    private model: AnyModel,
    projectId: string,
    private events: SenderEvents = {},
    storage: StorageLike | null | undefined = undefined,
  ) {
    // Storage refusing a write (quota exceeded) is shown like a refused label;
    // the label is still sent, from memory.
    this.outbox = new Outbox(projectId, storage === undefined ? defaultStorage() : storage, (text) =>
      this.events.error?.(text, true),
    );
  }

  send(content: object, buffers?: ArrayBuffer[]): void {
    try {
      this.model.send(content, undefined, buffers);
      this.problem = "";
    } catch (err) {
      // A dead comm (kernel gone): the outbox keeps labels; the next view resends them.
      this.problem = `cannot reach the kernel (${String(err)})`;
    }
  }

  /**
   * Number a label and store it (synchronously), then send it, unless `send` is
   * false: then the caller sends it with `transmit` once it has sent what should
   * go first (the classify view asks for its next item before the label, so the
   * item does not wait behind the label's durable write in the kernel). An entry
   * never transmitted is still resent by `resend`.
   */
  post(input: LabelInput, { send = true }: { send?: boolean } = {}): LabelMessage {
    const msg: LabelMessage = {
      type: "label",
      client_id: this.clientId,
      seq: ++this.seq,
      item_id: input.item_id,
      task: input.task,
      kind: input.kind,
      value: input.value,
      duration_ms: input.duration_ms,
      created: Date.now(),
    };
    if (input.retracts) msg.retracts = input.retracts;
    if (input.parent !== undefined) msg.parent = input.parent;
    if (input.tier !== undefined) msg.tier = input.tier;
    if (input.note) msg.note = input.note;
    this.outbox.add(msg);
    if (send) this.transmit(msg);
    return msg;
  }

  /** Send a label already in the outbox. */
  transmit(msg: LabelMessage): void {
    this.send(msg);
    this.outbox.markSent(msg, now());
  }

  /** Send every unacknowledged entry that is due (all of them with `all`). */
  resend(all = false): void {
    const t = now();
    if (all) this.outbox.resetSendTimes();
    for (const e of this.outbox.due(t)) {
      this.send(e);
      this.outbox.markSent(e, t);
    }
  }

  get unsaved(): number {
    return this.outbox.size;
  }

  /** Handle a reply about a label; returns false for other messages. */
  handle(msg: KernelMessage): boolean {
    const clientId = String(msg.client_id);
    const seq = Number(msg.seq);
    switch (msg.type) {
      case "ack":
        this.outbox.remove(clientId, seq);
        this.events.acked?.(clientId, seq, msg);
        return true;
      case "refused": {
        const entry = this.outbox.get(clientId, seq);
        this.outbox.remove(clientId, seq);
        // Undoing a refused label has nothing to undo: its retractions go too.
        for (const e of this.outbox.entries()) {
          if (e.kind === "retract" && e.retracts?.client_id === clientId && e.retracts.seq === seq) {
            this.outbox.remove(e.client_id, e.seq);
          }
        }
        const error = String(msg.error ?? "refused");
        this.events.refused?.(entry, clientId, seq, error);
        const what = entry ? `${entry.kind} of item ${entry.item_id}` : `label ${clientId}:${seq}`;
        this.events.error?.(`${what} refused: ${error}`, true);
        return true;
      }
      case "deferred": {
        // A retraction whose target is not stored yet. If the target is still in
        // the outbox it is on its way: keep this and resend later. If it is not,
        // the target was refused or lost: this retraction can never apply.
        const entry = this.outbox.get(clientId, seq);
        if (entry && entry.kind === "retract" && entry.retracts) {
          if (!this.outbox.has(entry.retracts.client_id, entry.retracts.seq)) {
            this.outbox.remove(clientId, seq);
            this.events.error?.(`undo of item ${entry.item_id} dropped: the label it undoes was never stored`, true);
          }
        }
        return true;
      }
      case "error":
        if (msg.seq !== undefined) {
          // Not final: the entry stays in the outbox and is resent.
          this.events.error?.(`could not store a label yet: ${String(msg.error ?? "")}`, false);
          return true;
        }
        return false;
      default:
        return false;
    }
  }
}
