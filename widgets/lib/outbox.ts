/**
 * The outbox: labels written to browser storage before they are sent, removed
 * when the kernel acknowledges them, resent until it does.
 *
 * Storage layout: one localStorage key per project, `workbench-outbox:<project_id>`,
 * holding a JSON object keyed by `<client_id>:<seq>` whose values are the label
 * messages exactly as sent. Every view of the project (another cell, another
 * tab, the view created after a page reload or a kernel restart) reads the same
 * map, so entries written under an old client id are resent by whichever view
 * is alive; the store's unique (client_id, seq) makes a resend harmless.
 *
 * Each operation reads the map afresh from storage (another view may have
 * changed it) and writes it back synchronously, so an entry is durable before
 * `add` returns, that is before the message is handed to the kernel.
 */

import type { LabelMessage } from "./protocol";

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const OUTBOX_PREFIX = "workbench-outbox:";

/** First resend after this long without an ack; later ones back off (doubling). */
export const RESEND_AFTER_MS = 1500;
export const RESEND_MAX_MS = 30000;

type Entries = Record<string, LabelMessage>;

export function entryKey(clientId: string, seq: number): string {
  return `${clientId}:${seq}`;
}

/** `globalThis.localStorage`, or null where touching it throws (sandboxed iframes). */
export function defaultStorage(): StorageLike | null {
  try {
    const s = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!s) return null;
    const probe = `${OUTBOX_PREFIX}probe`;
    s.setItem(probe, "1");
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

export class Outbox {
  readonly key: string;
  /** False when labels live only in memory (no usable storage, or storage full). */
  persistent: boolean;
  /** Why storage is not used, for the status line. */
  problem = "";
  private storage: StorageLike | null;
  private memory: Entries = {};
  private lastRaw: string | null = null;
  private lastParsed: Entries = {};
  private sent = new Map<string, { at: number; attempts: number }>();

  constructor(projectId: string, storage: StorageLike | null = defaultStorage()) {
    this.key = OUTBOX_PREFIX + projectId;
    this.storage = storage;
    this.persistent = storage != null;
    if (!this.persistent) this.problem = "browser storage unavailable: unsaved labels live in memory only";
  }

  private read(): Entries {
    if (!this.storage) return this.memory;
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch {
      return this.memory;
    }
    if (raw === this.lastRaw) return this.lastParsed;
    let parsed: Entries = {};
    if (raw) {
      try {
        const v = JSON.parse(raw);
        if (v && typeof v === "object" && !Array.isArray(v)) parsed = v as Entries;
      } catch {
        // A corrupt map is set aside, not overwritten, so nothing in it is destroyed.
        try {
          this.storage.setItem(`${this.key}:corrupt:${Date.now()}`, raw);
        } catch {
          /* nothing more we can do */
        }
      }
    }
    // Entries that only made it to memory (storage was full) stay visible.
    for (const [k, e] of Object.entries(this.memory)) if (!(k in parsed)) parsed[k] = e;
    this.lastRaw = raw;
    this.lastParsed = parsed;
    return parsed;
  }

  private write(entries: Entries): void {
    if (!this.storage) {
      this.memory = entries;
      return;
    }
    const raw = JSON.stringify(entries);
    try {
      this.storage.setItem(this.key, raw);
      this.lastRaw = raw;
      this.lastParsed = entries;
      this.memory = {};
      if (!this.persistent) {
        this.persistent = true;
        this.problem = "";
      }
    } catch (err) {
      // Quota exceeded or storage revoked: keep the labels in memory and say so.
      this.memory = { ...entries };
      this.lastRaw = null;
      this.persistent = false;
      this.problem = `browser storage refused the outbox (${String(err)}): unsaved labels live in memory only`;
    }
  }

  /** Write `msg` durably. Call before sending it. */
  add(msg: LabelMessage): void {
    const entries = { ...this.read() };
    entries[entryKey(msg.client_id, msg.seq)] = msg;
    this.write(entries);
  }

  /** Remove an entry (acknowledged, or refused for good). Returns whether it was there. */
  remove(clientId: string, seq: number): boolean {
    const k = entryKey(clientId, seq);
    this.sent.delete(k);
    const current = this.read();
    if (!(k in current)) return false;
    const entries = { ...current };
    delete entries[k];
    this.write(entries);
    return true;
  }

  has(clientId: string, seq: number): boolean {
    return entryKey(clientId, seq) in this.read();
  }

  get(clientId: string, seq: number): LabelMessage | undefined {
    return this.read()[entryKey(clientId, seq)];
  }

  get size(): number {
    return Object.keys(this.read()).length;
  }

  /** Every unacknowledged entry, oldest first (so a label goes before its retraction). */
  entries(): LabelMessage[] {
    return Object.values(this.read()).sort(
      (a, b) => (a.created ?? 0) - (b.created ?? 0) || a.client_id.localeCompare(b.client_id) || a.seq - b.seq,
    );
  }

  /** Item ids that have an unacknowledged label or skip: the kernel must not send them again. */
  pendingItemIds(): string[] {
    const ids = new Set<string>();
    for (const e of Object.values(this.read())) if (e.kind !== "retract") ids.add(e.item_id);
    return [...ids];
  }

  /** Note that an entry was (re)sent now. */
  markSent(msg: LabelMessage, now: number): void {
    const k = entryKey(msg.client_id, msg.seq);
    const prev = this.sent.get(k);
    this.sent.set(k, { at: now, attempts: prev ? prev.attempts + 1 : 0 });
  }

  /**
   * Entries to resend now: never sent by this view (written by an earlier page or
   * another view), or sent and unanswered for longer than their back-off.
   */
  due(now: number): LabelMessage[] {
    return this.entries().filter((e) => {
      const s = this.sent.get(entryKey(e.client_id, e.seq));
      if (!s) return true;
      const wait = Math.min(RESEND_MAX_MS, RESEND_AFTER_MS * 2 ** s.attempts);
      return now - s.at >= wait;
    });
  }

  /** Forget send times: the next `due` returns every entry (after a reconnect). */
  resetSendTimes(): void {
    this.sent.clear();
  }
}
