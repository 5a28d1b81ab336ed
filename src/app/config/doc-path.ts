// Reading and writing a field of a config document (a parsed JSON value that may be malformed) by
// its path, immutably: the form edits the document, and the raw JSON view is re-rendered from it.
import { formatPath } from "@/pipeline/config/schema";

export type DocPath = readonly (string | number)[];
export type Doc = Record<string, unknown>;

export { formatPath };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function getIn(doc: unknown, path: DocPath): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (typeof seg === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!isRecord(cur)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

/**
 * A copy of `doc` with the value at `path` replaced; `undefined` removes an object key (an optional
 * field left empty). Missing containers are created; a container of the wrong kind is replaced.
 */
export function setIn<T>(doc: T, path: DocPath, value: unknown): T {
  const [head, ...rest] = path;
  if (head === undefined) return value as T;
  if (typeof head === "number") {
    const arr = Array.isArray(doc) ? [...(doc as unknown[])] : [];
    arr[head] = setIn(arr[head], rest, value);
    return arr as T;
  }
  const obj: Record<string, unknown> = isRecord(doc) ? { ...doc } : {};
  const next = setIn(obj[head], rest, value);
  if (next === undefined) delete obj[head];
  else obj[head] = next;
  return obj as T;
}

/** The list at `path` (an empty one when the document has something else there). */
export function listAt(doc: unknown, path: DocPath): unknown[] {
  const v = getIn(doc, path);
  return Array.isArray(v) ? v : [];
}

export function removeAt<T>(doc: T, path: DocPath, index: number): T {
  return setIn(
    doc,
    path,
    listAt(doc, path).filter((_, i) => i !== index),
  );
}

export function appendAt<T>(doc: T, path: DocPath, item: unknown): T {
  return setIn(doc, path, [...listAt(doc, path), item]);
}

/** What a text box shows for a value: strings and numbers as typed, anything else empty. */
export function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return "";
}

/**
 * A number field's value: a number when the text is one, otherwise the text itself (so the schema
 * names the field, and "1." survives while being typed); empty gives `empty`.
 */
export function numberFrom(text: string, empty: null | undefined): number | string | null | undefined {
  const t = text.trim();
  if (t === "") return empty;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : text;
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** Issues grouped by path, messages de-duplicated. */
export function issuesByPath(issues: readonly FieldIssue[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const i of issues) {
    const list = map.get(i.path) ?? [];
    if (!list.includes(i.message)) list.push(i.message);
    map.set(i.path, list);
  }
  return map;
}
