/** Values and item ids as short text for people. */

/** The class name is the key's label ("7" and 7, "a" and a; Caps Lock aside): shown once. */
export function namedByKey(name: string, key: string): boolean {
  return name === key || (name.length === 1 && name.toLowerCase() === key.toLowerCase());
}

/**
 * Ids the kernel made from content (workbench/items.py: 16 hex digits of a
 * hash, "-k" for the k-th copy within one call) say nothing to a person;
 * the ids a user gave are shown as they are.
 */
export function isContentHashId(id: string): boolean {
  return /^[0-9a-f]{16}(?:-[0-9]+)?$/.test(id);
}

/** The item id as a caption shows it: the user's id, or "" for a content hash. */
export function shownItemId(id: string): string {
  return isContentHashId(id) ? "" : id;
}

/** A value as short text: a class name, or a list of them. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "(none)";
  return String(value);
}
