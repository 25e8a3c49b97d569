/**
 * The outbox: labels written to browser storage before they are sent, removed
 * when the kernel acknowledges them, resent until it does.
 *
 * Storage layout: one localStorage key per entry,
 * `workbench-outbox:<project_id>:<client_id>:<seq>`, whose value is the label
 * message exactly as sent (JSON). Every view of the project (another cell,
 * another tab, the view created after a page reload or a kernel restart) lists
 * the same keys, so entries written under an old client id are resent by
 * whichever view is alive; the store's unique (client_id, seq) makes a resend
 * harmless.
 *
 * Writing an entry and removing it on ack touch only that entry's key: there is
 * no read-modify-write of a shared value, so two tabs writing at the same
 * instant cannot lose each other's entries (localStorage has no atomic
 * read-modify-write across tabs). Listing enumerates the keys with the
 * project's prefix (`localStorage.length` / `key(i)`), so every operation sees
 * what other views wrote. `add` writes synchronously, so an entry is durable
 * before it returns, that is before the message is handed to the kernel.
 *
 * Earlier versions kept one JSON map per project under
 * `workbench-outbox:<project_id>`; such a map is moved to per-entry keys and
 * deleted when the outbox is opened (and whenever it shows up again, written by
 * a page still running the old code). A map that is not valid JSON is set aside
 * under `workbench-outbox:<project_id>:corrupt:<time>`, never destroyed.
 *
 * When storage refuses a write (quota exceeded, storage revoked) the entry is
 * kept in memory, still sent and resent, `persistent` turns false, `problem`
 * says so and `onProblem` is told once; the next successful write moves the
 * memory-only entries back to storage.
 */

import type { LabelMessage } from "./protocol";

export interface StorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const OUTBOX_PREFIX = "workbench-outbox:";

/** First resend after this long without an ack; later ones back off (doubling). */
export const RESEND_AFTER_MS = 1500;
export const RESEND_MAX_MS = 30000;

const NO_STORAGE = "browser storage unavailable: unsaved labels live in memory only";

type Entries = Map<string, LabelMessage>;

/** The entry's name inside a project: `<client_id>:<seq>`. */
export function entryKey(clientId: string, seq: number): string {
  return `${clientId}:${seq}`;
}

/** The localStorage key of one entry. */
export function storageKey(projectId: string, clientId: string, seq: number): string {
  return `${OUTBOX_PREFIX}${projectId}:${entryKey(clientId, seq)}`;
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

function errorText(err: unknown): string {
  if (err && typeof err === "object" && "name" in err) {
    const { name, message } = err as { name?: unknown; message?: unknown };
    if (typeof name === "string" && name && name !== "Error") return message ? `${name}: ${String(message)}` : name;
  }
  return String(err);
}

/** A stored value as a label message, if it is one whose key matches its (client_id, seq). */
function parseEntry(name: string, raw: string | null): LabelMessage | null {
  if (raw == null) return null;
  try {
    const v = JSON.parse(raw) as LabelMessage;
    if (!v || typeof v !== "object" || Array.isArray(v)) return null;
    if (typeof v.client_id !== "string" || typeof v.seq !== "number") return null;
    // A longer project id that starts with ours ("p:x" vs "p") lists under our
    // prefix too; its keys do not match their entries' names here.
    return entryKey(v.client_id, v.seq) === name ? v : null;
  } catch {
    return null;
  }
}

export class Outbox {
  /** The old single-map key (`workbench-outbox:<project_id>`), migrated away on open. */
  readonly key: string;
  /** Every entry's key starts with this: `workbench-outbox:<project_id>:`. */
  readonly prefix: string;
  /** False when labels live only in memory (no usable storage, or storage full). */
  persistent: boolean;
  /** Why storage is not used, for the status line. */
  problem = "";
  /** Told when storage starts refusing writes (once per episode), for a visible message. */
  onProblem: ((text: string) => void) | null = null;
  private storage: StorageLike | null;
  /** Entries storage refused (or all of them, without storage). */
  private memory: Entries = new Map();
  /** Parsed values by storage key, so an unchanged value is not parsed again. */
  private cache = new Map<string, { raw: string; msg: LabelMessage | null }>();
  private legacyRaw: string | null = null;
  private sent = new Map<string, { at: number; attempts: number }>();

  constructor(
    projectId: string,
    storage: StorageLike | null = defaultStorage(),
    onProblem: ((text: string) => void) | null = null,
  ) {
    this.onProblem = onProblem;
    this.key = OUTBOX_PREFIX + projectId;
    this.prefix = `${this.key}:`;
    this.storage = storage;
    this.persistent = storage != null;
    if (!this.persistent) this.problem = NO_STORAGE;
    this.migrate();
  }

  /** Move entries of the old single-map layout to their own keys, then delete the map. */
  private migrate(): void {
    const s = this.storage;
    if (!s) return;
    let raw: string | null;
    try {
      raw = s.getItem(this.key);
    } catch {
      return;
    }
    if (raw == null || raw === this.legacyRaw) return;
    let map: Record<string, unknown> | null = null;
    try {
      const v = JSON.parse(raw);
      if (v && typeof v === "object" && !Array.isArray(v)) map = v as Record<string, unknown>;
    } catch {
      /* handled below */
    }
    if (!map) {
      // A corrupt map is set aside, not destroyed.
      try {
        s.setItem(`${this.key}:corrupt:${Date.now()}`, raw);
        s.removeItem(this.key);
      } catch {
        this.legacyRaw = raw; // cannot move it: leave it alone, do not retry each read
      }
      return;
    }
    const left: Record<string, LabelMessage> = {};
    let failed = false;
    let failure: unknown = null;
    for (const v of Object.values(map)) {
      const e = v as LabelMessage;
      if (!e || typeof e !== "object" || typeof e.client_id !== "string" || typeof e.seq !== "number") continue;
      const k = this.prefix + entryKey(e.client_id, e.seq);
      try {
        if (s.getItem(k) == null) s.setItem(k, JSON.stringify(e));
      } catch (err) {
        failed = true;
        failure = err;
        left[entryKey(e.client_id, e.seq)] = e;
      }
    }
    try {
      if (!failed) {
        s.removeItem(this.key);
        this.legacyRaw = null;
        return;
      }
      // Storage is full: keep what did not move in the old key (smaller than
      // before) and in memory, so it is still sent.
      const rest = JSON.stringify(left);
      s.setItem(this.key, rest);
      this.legacyRaw = rest;
    } catch {
      this.legacyRaw = raw;
    }
    for (const [k, e] of Object.entries(left)) this.memory.set(k, e);
    this.refused(failure);
  }

  private refused(err: unknown): void {
    const n = this.memory.size;
    this.problem =
      `browser storage refused the outbox (${errorText(err)}): ` +
      `${n} unsaved label${n === 1 ? "" : "s"} live${n === 1 ? "s" : ""} in memory only`;
    if (this.persistent) {
      this.persistent = false;
      this.onProblem?.(this.problem);
    }
  }

  /** Storage's entries (re-listed: another view may have changed them) plus memory-only ones. */
  private read(): Entries {
    const s = this.storage;
    if (!s) return this.memory;
    this.migrate();
    const out: Entries = new Map();
    const cache = new Map<string, { raw: string; msg: LabelMessage | null }>();
    try {
      const n = s.length;
      for (let i = 0; i < n; i++) {
        const k = s.key(i);
        if (k == null || !k.startsWith(this.prefix)) continue;
        const raw = s.getItem(k);
        if (raw == null) continue;
        const prev = this.cache.get(k);
        const name = k.slice(this.prefix.length);
        const msg = prev && prev.raw === raw ? prev.msg : parseEntry(name, raw);
        cache.set(k, { raw, msg });
        if (msg) out.set(name, msg);
      }
    } catch {
      return this.memory;
    }
    this.cache = cache;
    for (const [k, e] of this.memory) if (!out.has(k)) out.set(k, e);
    return out;
  }

  /** Try to store memory-only entries again (after a write succeeded). */
  private flushMemory(): void {
    const s = this.storage;
    if (!s || this.memory.size === 0) return;
    for (const [k, e] of [...this.memory]) {
      try {
        s.setItem(this.prefix + k, JSON.stringify(e));
        this.memory.delete(k);
      } catch (err) {
        this.refused(err);
        return;
      }
    }
  }

  /** Write `msg` durably (or, if storage refuses, to memory and say so). Call before sending it. */
  add(msg: LabelMessage): void {
    const k = entryKey(msg.client_id, msg.seq);
    const s = this.storage;
    if (!s) {
      this.memory.set(k, msg);
      return;
    }
    try {
      s.setItem(this.prefix + k, JSON.stringify(msg));
      this.memory.delete(k);
    } catch (err) {
      // Quota exceeded or storage revoked: keep the label in memory and say so.
      this.memory.set(k, msg);
      this.refused(err);
      return;
    }
    this.flushMemory();
    if (!this.persistent && this.memory.size === 0) {
      this.persistent = true;
      this.problem = "";
    }
  }

  /** Remove an entry (acknowledged, or refused for good). Returns whether it was there. */
  remove(clientId: string, seq: number): boolean {
    const k = entryKey(clientId, seq);
    this.sent.delete(k);
    let was = this.memory.delete(k);
    const s = this.storage;
    if (s) {
      try {
        const sk = this.prefix + k;
        if (s.getItem(sk) != null) {
          s.removeItem(sk);
          was = true;
        }
      } catch {
        /* storage gone: nothing stored to remove */
      }
      if (!this.persistent && this.memory.size === 0 && this.problem !== NO_STORAGE) {
        // Everything refused earlier has been acknowledged: nothing lives only in memory.
        this.persistent = true;
        this.problem = "";
      }
    }
    return was;
  }

  has(clientId: string, seq: number): boolean {
    return this.get(clientId, seq) !== undefined;
  }

  get(clientId: string, seq: number): LabelMessage | undefined {
    const k = entryKey(clientId, seq);
    const m = this.memory.get(k);
    if (m || !this.storage) return m;
    try {
      return parseEntry(k, this.storage.getItem(this.prefix + k)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  get size(): number {
    return this.read().size;
  }

  /** Every unacknowledged entry, oldest first (so a label goes before its retraction). */
  entries(): LabelMessage[] {
    return [...this.read().values()].sort(
      (a, b) => (a.created ?? 0) - (b.created ?? 0) || a.client_id.localeCompare(b.client_id) || a.seq - b.seq,
    );
  }

  /** Item ids that have an unacknowledged label or skip: the kernel must not send them again. */
  pendingItemIds(): string[] {
    const ids = new Set<string>();
    for (const e of this.read().values()) if (e.kind !== "retract") ids.add(e.item_id);
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
