/**
 * Spaces (Gymnasium's vocabulary): what observations and actions may be. Each has `contains(x)` and
 * `sample(rng)` (seeded — never Math.random) and a JSON description (`toJSON()`) the runner and the
 * policies use to size their networks.
 */
import { Rng } from '../core/rng.ts';

export interface Space<T = unknown> {
  readonly kind: 'discrete' | 'box' | 'multi-discrete' | 'multi-binary' | 'token-sequence';
  /** Shape of one element ([] for a scalar; [maxLength] for a token sequence). */
  readonly shape: readonly number[];
  contains(x: unknown): boolean;
  sample(rng: Rng): T;
  toJSON(): Record<string, unknown>;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
}

function isNumericArray(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/**
 * Integers {start, …, start + n − 1}. `labels` (optional): a name per action, in order (what ALE's
 * get_action_meanings gives), shown by the dashboard's episode replay instead of the numbers.
 */
export class Discrete implements Space<number> {
  readonly kind = 'discrete' as const;
  readonly shape: readonly number[] = [];
  constructor(readonly n: number, readonly start = 0, readonly labels?: readonly string[]) {
    checkInt('Discrete n', n, 1);
    if (!Number.isInteger(start)) throw new Error(`Discrete start must be an integer, got ${start}`);
    if (labels !== undefined && (labels.length !== n || labels.some((l) => typeof l !== 'string'))) {
      throw new Error(`Discrete labels must be ${n} strings (one per action), got ${JSON.stringify(labels)}`);
    }
  }
  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }
  sample(rng: Rng): number {
    return this.start + rng.int(this.n);
  }
  toJSON() {
    return { kind: this.kind, n: this.n, start: this.start, ...(this.labels ? { labels: [...this.labels] } : {}) };
  }
}

/** A float32 (or int32) array of a fixed shape, each element within [low, high]. Row-major, flat. */
export class Box implements Space<Float32Array> {
  readonly kind = 'box' as const;
  readonly size: number;
  constructor(readonly low: number, readonly high: number, readonly shape: readonly number[], readonly dtype: 'float32' | 'int32' = 'float32') {
    if (!(low <= high)) throw new Error(`Box needs low ≤ high, got low=${low} high=${high}`);
    shape.forEach((d, i) => checkInt(`Box shape[${i}]`, d, 1));
    this.size = shape.reduce((a, b) => a * b, 1);
  }
  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.size) return false;
    if (this.dtype === 'float32' && !(x instanceof Float32Array) && !Array.isArray(x)) return false;
    if (this.dtype === 'int32' && !(x instanceof Int32Array) && !Array.isArray(x)) return false;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!(v >= this.low && v <= this.high)) return false; // also rejects NaN
      if (this.dtype === 'int32' && !Number.isInteger(v)) return false;
    }
    return true;
  }
  sample(rng: Rng): Float32Array {
    const out = new Float32Array(this.size);
    const lo = Number.isFinite(this.low) ? this.low : -1;
    const hi = Number.isFinite(this.high) ? this.high : 1;
    for (let i = 0; i < out.length; i++) {
      out[i] = this.dtype === 'int32' ? Math.floor(lo + rng.float() * (hi - lo + 1)) : lo + rng.float() * (hi - lo);
    }
    return out;
  }
  toJSON() {
    return { kind: this.kind, low: this.low, high: this.high, shape: [...this.shape], dtype: this.dtype };
  }
}

/** A vector of independent discrete choices; element i ∈ [0, nvec[i]). */
export class MultiDiscrete implements Space<Int32Array> {
  readonly kind = 'multi-discrete' as const;
  readonly shape: readonly number[];
  readonly nvec: readonly number[];
  constructor(nvec: readonly number[]) {
    if (nvec.length === 0) throw new Error('MultiDiscrete needs at least one dimension');
    nvec.forEach((n, i) => checkInt(`MultiDiscrete nvec[${i}]`, n, 1));
    this.nvec = [...nvec];
    this.shape = [nvec.length];
  }
  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.nvec.length) return false;
    for (let i = 0; i < x.length; i++) if (!Number.isInteger(x[i]) || x[i] < 0 || x[i] >= this.nvec[i]) return false;
    return true;
  }
  sample(rng: Rng): Int32Array {
    return Int32Array.from(this.nvec, (n) => rng.int(n));
  }
  toJSON() {
    return { kind: this.kind, nvec: [...this.nvec] };
  }
}

/** n independent bits (Uint8Array of 0/1). */
export class MultiBinary implements Space<Uint8Array> {
  readonly kind = 'multi-binary' as const;
  readonly shape: readonly number[];
  constructor(readonly n: number) {
    checkInt('MultiBinary n', n, 1);
    this.shape = [n];
  }
  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.n) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== 0 && x[i] !== 1) return false;
    return true;
  }
  sample(rng: Rng): Uint8Array {
    return Uint8Array.from({ length: this.n }, () => rng.int(2));
  }
  toJSON() {
    return { kind: this.kind, n: this.n };
  }
}

/**
 * A variable-length sequence of token ids (Int32Array), minLength ≤ length ≤ maxLength, each id in
 * [0, vocabSize). The observation space of the text and tool envs.
 */
export class TokenSequence implements Space<Int32Array> {
  readonly kind = 'token-sequence' as const;
  readonly shape: readonly number[];
  constructor(readonly vocabSize: number, readonly maxLength: number, readonly minLength = 0) {
    checkInt('TokenSequence vocabSize', vocabSize, 1);
    checkInt('TokenSequence maxLength', maxLength, 1);
    checkInt('TokenSequence minLength', minLength, 0);
    if (minLength > maxLength) throw new Error(`TokenSequence minLength (${minLength}) > maxLength (${maxLength})`);
    this.shape = [maxLength];
  }
  contains(x: unknown): boolean {
    if (!(x instanceof Int32Array) || x.length < this.minLength || x.length > this.maxLength) return false;
    for (let i = 0; i < x.length; i++) if (x[i] < 0 || x[i] >= this.vocabSize) return false;
    return true;
  }
  sample(rng: Rng): Int32Array {
    const len = rng.range(this.minLength, this.maxLength);
    return Int32Array.from({ length: len }, () => rng.int(this.vocabSize));
  }
  toJSON() {
    return { kind: this.kind, vocabSize: this.vocabSize, maxLength: this.maxLength, minLength: this.minLength };
  }
}
