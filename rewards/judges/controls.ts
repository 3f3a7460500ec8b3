/**
 * Control judges, for the ablations that tell a judge's information apart from what any intrinsic bonus
 * does (docs/rewards.md, "Controls"). Neither asks a model anything of its own.
 *
 * Novelty ('novelty'): every caption is labelled 1, with no judge and no network. Through ONI's
 * combination that leaves r_t = c_ext·r_ext,t + c_int·N(m_t)^(−β) for every non-empty caption — a
 * count-based novelty bonus (N counted within the episode) — so it measures the bonus without the labels.
 *
 * Shuffled labels ('shuffled'): the inner judge's labels, reassigned across captions. It keeps the
 * label marginal and destroys the caption → label relation. Defined online, deterministic by seed:
 * the inner judge's labels form a pool in the order its results come back; when the n-th label arrives
 * (it joins the pool first), its caption c is given instead
 *
 *     pool[ ⌊u(c)·n⌋ ],    u(c) = hashUniform(annotation key of c, seed) ∈ [0, 1)
 *
 * i.e. the label of a caption drawn, by a hash of c alone, from the captions labelled so far (c
 * included, so it keeps its own label with probability 1/n). Each delivered label is a draw from the
 * empirical label distribution so far, independent of c's own label except through that 1/n; a pair's
 * preference (pair mode) is drawn the same way from a pool of preferences. The same seed and the same
 * arrival order give the same labels (arrival order is fixed with a synchronous inner judge, e.g. the
 * zero-latency rubric). Its answers depend on history, so the annotator keeps no label cache for it.
 * Inner failures pass through unchanged (they add nothing to the pool).
 */
import type { Schema } from '../../core/schema.ts';
import type { JudgeConfig } from '../config.ts';
import { hashUniform } from '../hash.ts';
import type { PluginConfig } from '../registry.ts';
import type { AnnotationRequest, Judge, JudgeCounters, JudgeResult, PairResult } from '../types.ts';

export interface NoveltyJudgeConfig {
  kind: 'novelty';
}

export interface ShuffledJudgeConfig {
  kind: 'shuffled';
  /** Seed of the reassignment (u(c) = hashUniform(key of c, seed)). */
  seed: number;
  /** The judge whose labels are shuffled (any kind but 'perceptual' and the controls). */
  inner: JudgeConfig | PluginConfig;
}

export const CONTROL_JUDGE_KINDS = ['novelty', 'shuffled'] as const;

export const NOVELTY_OPTIONS = {} as const satisfies Schema;

export const SHUFFLED_OPTIONS = {
  seed: { type: 'int', default: 0, doc: 'Seed of the label reassignment: caption c gets pool[⌊hashUniform(key of c, seed)·n⌋].' },
  inner: { type: 'record', default: { kind: 'rubric' }, doc: "The judge whose labels are shuffled (a judge config; not 'perceptual')." },
} as const satisfies Schema;

export class NoveltyJudge implements Judge {
  readonly kind = 'novelty' as const;
  readonly id = 'novelty-v1';

  labelSync(items: AnnotationRequest[]): JudgeResult[] {
    return items.map(() => ({ ok: true, label: 1 }));
  }

  /** Every pair ties: a ranking model learns nothing from it (use the retrieval or classification model). */
  compareSync(pairs: Array<[AnnotationRequest, AnnotationRequest]>): PairResult[] {
    return pairs.map(() => ({ ok: true, preferred: 0.5 }));
  }

  async label(items: AnnotationRequest[]): Promise<JudgeResult[]> { return this.labelSync(items); }
  async compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]> { return this.compareSync(pairs); }
}

/** Largest pool kept; beyond it a new label overwrites the oldest slot (the draw stays uniform over the pool). */
const MAX_POOL = 1 << 16;

class Pool<T> {
  private readonly values: T[] = [];
  private added = 0;
  /** Adds `v`, then returns the value at ⌊u·n⌋ (n = pool size after adding). */
  addAndDraw(v: T, u: number): T {
    if (this.values.length < MAX_POOL) this.values.push(v);
    else this.values[this.added % MAX_POOL] = v;
    this.added++;
    return this.values[Math.floor(u * this.values.length)]!;
  }
}

export class ShuffledJudge implements Judge {
  readonly kind = 'shuffled' as const;
  readonly id: string;
  readonly cacheable = false;
  private readonly labels = new Pool<number>();
  private readonly preferences = new Pool<0 | 0.5 | 1>();
  labelSync?: (items: AnnotationRequest[]) => JudgeResult[];
  compareSync?: (pairs: Array<[AnnotationRequest, AnnotationRequest]>) => PairResult[];
  counters?: () => JudgeCounters;

  constructor(readonly inner: Judge, readonly config: ShuffledJudgeConfig) {
    this.id = `shuffled-v1-seed${config.seed}-${inner.id}`;
    if (inner.labelSync) this.labelSync = (items) => this.shuffle(items, inner.labelSync!(items));
    if (inner.compareSync) this.compareSync = (pairs) => this.shufflePairs(pairs, inner.compareSync!(pairs));
    if (inner.counters) this.counters = () => inner.counters!();
  }

  async label(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    return this.shuffle(items, await this.inner.label(items));
  }

  async compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]> {
    return this.shufflePairs(pairs, await this.inner.compare(pairs));
  }

  async close(): Promise<void> { await this.inner.close?.(); }

  private shuffle(items: AnnotationRequest[], results: JudgeResult[]): JudgeResult[] {
    return items.map((it, i) => {
      const r = results[i];
      if (!r || !r.ok) return r ?? { ok: false, error: 'exception' };
      return { ok: true, label: this.labels.addAndDraw(r.label, hashUniform(it.key, this.config.seed)) };
    });
  }

  private shufflePairs(pairs: Array<[AnnotationRequest, AnnotationRequest]>, results: PairResult[]): PairResult[] {
    return pairs.map(([a, b], i) => {
      const r = results[i];
      if (!r || !r.ok) return r ?? { ok: false, error: 'exception' };
      return { ok: true, preferred: this.preferences.addAndDraw(r.preferred, hashUniform(`${a.key}|${b.key}`, this.config.seed)) };
    });
  }
}
