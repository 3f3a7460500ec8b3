/**
 * The experiment scripts' one way to write a JSON file: atomically (a .tmp file renamed over it), its folder made.
 *
 * Objects and arrays of objects are indented one space per level, as JSON.stringify(v, null, 1) does, but an
 * array that holds no object or array (a metrics series, a seed list) is written on one line. Results files are
 * mostly such series: one number per line doubled their size. JSON.parse reads both forms to the same value.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path + '.tmp', toJsonText(value) + '\n');
  renameSync(path + '.tmp', path);
}

/** The text writeJson writes, without its final newline. */
export function toJsonText(value: unknown, depth = 0): string {
  // JSON.stringify(x) of a leaf also applies toJSON (dates) and gives undefined for functions and undefined.
  const flat = (x: unknown) => x === null || typeof x !== 'object' || typeof (x as { toJSON?: unknown }).toJSON === 'function';
  if (flat(value)) return JSON.stringify(value) ?? 'null';
  const inner = ' '.repeat(depth + 1);
  const close = ' '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.every(flat)) return JSON.stringify(value);
    return `[\n${value.map((e) => inner + toJsonText(e, depth + 1)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (!entries.length) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJsonText(v, depth + 1)}`).join(',\n')}\n${close}}`;
}
