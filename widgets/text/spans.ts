/**
 * An item's value for a TextSpans task (workbench/kinds/spans/schema.py) and
 * the edits the widget makes to it. Values are immutable: every edit returns
 * a new one, so the undo history keeps snapshots. Offsets are code points
 * (Python `str` indices). Edits keep the value valid for the kernel, which
 * would refuse it otherwise: no span twice, no overlap unless the task allows
 * it (a new span replaces those it overlaps), relations only between two
 * different spans of the item, of their allowed classes, never twice.
 */

export interface Span {
  id: string;
  start: number;
  end: number;
  class: string;
  attributes: Record<string, unknown>;
  score?: number;
}

export interface Relation {
  id: string;
  from: string;
  to: string;
  class: string;
  score?: number;
}

export interface SpansValue {
  spans: Span[];
  relations: Relation[];
}

export interface RelationSpec {
  name: string;
  key: string | null;
  color: string | null;
  description?: string;
  sources?: string[];
  targets?: string[];
}

export const EMPTY: SpansValue = Object.freeze({ spans: [], relations: [] }) as SpansValue;

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** A value from the wire (a label, a pre-label, an outbox entry): malformed parts are left out. */
export function parseValue(v: unknown): SpansValue {
  const o = v && typeof v === "object" ? (v as Record<string, unknown>) : null;
  const rawSpans = Array.isArray(v) ? v : Array.isArray(o?.spans) ? (o!.spans as unknown[]) : [];
  const rawRels = o && Array.isArray(o.relations) ? (o.relations as unknown[]) : [];
  const spans: Span[] = [];
  let n = 0;
  for (const r of rawSpans) {
    if (!r || typeof r !== "object") continue;
    const s = r as Record<string, unknown>;
    if (!isInt(s.start) || !isInt(s.end) || s.start >= s.end || typeof s.class !== "string") continue;
    const span: Span = {
      id: s.id === undefined || s.id === null ? `e${++n}` : String(s.id),
      start: s.start,
      end: s.end,
      class: s.class,
      attributes: s.attributes && typeof s.attributes === "object" ? { ...(s.attributes as object) } : {},
    };
    if (typeof s.score === "number") span.score = s.score;
    spans.push(span);
  }
  const ids = new Set(spans.map((s) => s.id));
  const relations: Relation[] = [];
  let m = 0;
  for (const r of rawRels) {
    if (!r || typeof r !== "object") continue;
    const x = r as Record<string, unknown>;
    const from = String(x.from);
    const to = String(x.to);
    if (!ids.has(from) || !ids.has(to) || typeof x.class !== "string") continue;
    const rel: Relation = { id: x.id === undefined || x.id === null ? `r${++m}` : String(x.id), from, to, class: x.class };
    if (typeof x.score === "number") rel.score = x.score;
    relations.push(rel);
  }
  return sorted({ spans, relations });
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/** Spans by (start, end, class, id), relations by (from, to, class, id), as the kernel stores them. */
export function sorted(v: SpansValue): SpansValue {
  const spans = [...v.spans].sort((a, b) => cmp(a.start, b.start) || cmp(a.end, b.end) || cmp(a.class, b.class) || cmp(a.id, b.id));
  const relations = [...v.relations].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.class, b.class) || cmp(a.id, b.id));
  return { spans, relations };
}

/** A fresh id with `prefix` (e1, e2 … / r1 …) not used in `used`. */
export function freshId(used: Iterable<string>, prefix: string): string {
  const taken = new Set(used);
  let n = taken.size + 1;
  while (taken.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

/** Spans overlapping [start, end). */
export function overlapping(v: SpansValue, start: number, end: number): Span[] {
  return v.spans.filter((s) => s.start < end && s.end > start);
}

/** `v` without the spans `ids` and every relation that touches them. */
export function removeSpans(v: SpansValue, ids: Iterable<string>): SpansValue {
  const gone = new Set(ids);
  return {
    spans: v.spans.filter((s) => !gone.has(s.id)),
    relations: v.relations.filter((r) => !gone.has(r.from) && !gone.has(r.to)),
  };
}

export function removeRelations(v: SpansValue, ids: Iterable<string>): SpansValue {
  const gone = new Set(ids);
  return { spans: v.spans, relations: v.relations.filter((r) => !gone.has(r.id)) };
}

/**
 * `v` with a new span [start, end) of class `cls`; `attributes` its defaults.
 * Without `overlap`, the spans it overlaps go (and their relations). The same
 * span (offsets and class) already there: `v` itself.
 */
export function addSpan(
  v: SpansValue,
  start: number,
  end: number,
  cls: string,
  { overlap = false, attributes = {}, id }: { overlap?: boolean; attributes?: Record<string, unknown>; id?: string } = {},
): { value: SpansValue; id: string } {
  const same = v.spans.find((s) => s.start === start && s.end === end && s.class === cls);
  if (same) return { value: v, id: same.id };
  const base = overlap ? v : removeSpans(v, overlapping(v, start, end).map((s) => s.id));
  const used = base.spans.map((s) => s.id);
  const newId = id && !used.includes(id) ? id : freshId(used, "e");
  const span: Span = { id: newId, start, end, class: cls, attributes: { ...attributes } };
  return { value: sorted({ spans: [...base.spans, span], relations: base.relations }), id: newId };
}

/** Whether relation type `rel` may link a `fromCls` span to a `toCls` one. */
export function relationAllowed(rel: RelationSpec, fromCls: string, toCls: string): boolean {
  const src = rel.sources ?? [];
  const tgt = rel.targets ?? [];
  return (!src.length || src.includes(fromCls)) && (!tgt.length || tgt.includes(toCls));
}

/** `v` with the spans `ids` of class `cls`; relations their new class no longer allows go. */
export function relabel(v: SpansValue, ids: Iterable<string>, cls: string, relations: RelationSpec[], overlap: boolean): SpansValue {
  const change = new Set(ids);
  let spans = v.spans.map((s) => (change.has(s.id) ? { ...s, class: cls } : s));
  // Two spans with the same offsets and, now, class: keep one.
  const seen = new Set<string>();
  const dropped: string[] = [];
  spans = spans.filter((s) => {
    const key = `${s.start}:${s.end}:${s.class}`;
    if (seen.has(key)) {
      dropped.push(s.id);
      return false;
    }
    seen.add(key);
    return true;
  });
  void overlap; // offsets do not change: overlaps stay as they were
  const byId = new Map(spans.map((s) => [s.id, s]));
  const types = new Map(relations.map((r) => [r.name, r]));
  const rels = v.relations.filter((r) => {
    const a = byId.get(r.from);
    const b = byId.get(r.to);
    const t = types.get(r.class);
    return a && b && t && relationAllowed(t, a.class, b.class);
  });
  return sorted({ spans, relations: rels.filter((r) => !dropped.includes(r.from) && !dropped.includes(r.to)) });
}

/**
 * `v` with a relation of type `rel` from span `from` to span `to`, or an error
 * saying why not (the same span, classes the type does not allow, already there).
 */
export function addRelation(v: SpansValue, from: string, to: string, rel: RelationSpec): { value: SpansValue } | { error: string } {
  const a = v.spans.find((s) => s.id === from);
  const b = v.spans.find((s) => s.id === to);
  if (!a || !b) return { error: "select two spans first" };
  if (from === to) return { error: "a relation links two different spans" };
  if (!relationAllowed(rel, a.class, b.class)) {
    return { error: `a ${rel.name} relation goes from ${(rel.sources ?? []).join("/") || "any"} to ${(rel.targets ?? []).join("/") || "any"}` };
  }
  if (v.relations.some((r) => r.from === from && r.to === to && r.class === rel.name)) return { value: v };
  const id = freshId(v.relations.map((r) => r.id), "r");
  return { value: sorted({ spans: v.spans, relations: [...v.relations, { id, from, to, class: rel.name }] }) };
}

/** The value as a label sends it. */
export function toWire(v: SpansValue): SpansValue {
  return {
    spans: v.spans.map((s) => {
      const out: Span = { id: s.id, start: s.start, end: s.end, class: s.class, attributes: s.attributes };
      if (s.score !== undefined) out.score = s.score;
      return out;
    }),
    relations: v.relations.map((r) => {
      const out: Relation = { id: r.id, from: r.from, to: r.to, class: r.class };
      if (r.score !== undefined) out.score = r.score;
      return out;
    }),
  };
}

/** A span's identity for suggestions: offsets and class. */
export function spanKey(s: { start: number; end: number; class: string }): string {
  return `${s.start}:${s.end}:${s.class}`;
}

export function sameValue(a: SpansValue, b: SpansValue): boolean {
  return JSON.stringify(toWire(sorted(a))) === JSON.stringify(toWire(sorted(b)));
}

/** `v` with attribute `name` of span `id` set to `value`. */
export function setAttribute(v: SpansValue, id: string, name: string, value: unknown): SpansValue {
  return {
    spans: v.spans.map((s) => (s.id === id ? { ...s, attributes: { ...s.attributes, [name]: value } } : s)),
    relations: v.relations,
  };
}
