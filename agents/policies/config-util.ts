/** Small helpers for validating config objects: unknown keys and bad values name the key and what is valid. */

export function rejectUnknownKeys(what: string, partial: object, known: readonly string[]): void {
  for (const k of Object.keys(partial)) {
    if (!known.includes(k)) throw new Error(`${what}: unknown key '${k}'; valid keys: ${known.join(', ')}`);
  }
}

export function checkInt(what: string, key: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`${what}: ${key}=${JSON.stringify(v)} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}]`);
  }
  return v;
}

export function checkNum(what: string, key: string, v: unknown, min: number, max: number, openMin = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (openMin ? v <= min : v < min) || v > max) {
    throw new Error(`${what}: ${key}=${JSON.stringify(v)} must be a number in ${openMin ? '(' : '['}${min}, ${max}]`);
  }
  return v;
}

export function checkOneOf<T extends string>(what: string, key: string, v: unknown, valid: readonly T[]): T {
  if (!valid.includes(v as T)) throw new Error(`${what}: ${key}=${JSON.stringify(v)} is not valid; valid: ${valid.join(', ')}`);
  return v as T;
}

export function checkIntArray(what: string, key: string, v: unknown, min: number): number[] {
  if (!Array.isArray(v)) throw new Error(`${what}: ${key}=${JSON.stringify(v)} must be an array of integers >= ${min}`);
  v.forEach((x, i) => checkInt(what, `${key}[${i}]`, x, min));
  return [...v];
}
