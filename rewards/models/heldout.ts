/** Held-out split and accuracy bookkeeping shared by the reward models. */
import { hashUniform } from '../hash.ts';
import type { AnnotationLabel } from '../types.ts';

const SPLIT_SEED = 0x5eed;

/** Deterministic: the same caption (or pair) is always on the same side of the split. */
export function isHeldOut(label: AnnotationLabel, fraction: number): boolean {
  if (fraction <= 0) return false;
  const id = label.pair ? `${label.caption}\u0000${label.pair.other}` : label.caption;
  return hashUniform(id, SPLIT_SEED) < fraction;
}

/** Running hit count. */
export class Accuracy {
  hits = 0;
  total = 0;
  add(correct: boolean): void { this.total++; if (correct) this.hits++; }
  get value(): number { return this.total ? this.hits / this.total : NaN; }
  toJSON() { return { hits: this.hits, total: this.total }; }
  static from(o: unknown): Accuracy {
    const a = new Accuracy();
    const v = o as { hits?: number; total?: number } | undefined;
    a.hits = Number(v?.hits ?? 0); a.total = Number(v?.total ?? 0);
    return a;
  }
}
