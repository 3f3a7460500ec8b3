/**
 * Retrieval reward model (ONI's hash table): r_int(m) = the label of caption m, 0 while unlabelled.
 * Pairwise labels carry no scalar for a caption and are ignored (counted).
 * Labels are also indexed by annotation key, for judges whose items are not captions (perceptual
 * labels of frames, keyed by frameKey): `scoreKeys(keys)`.
 */
import type { RetrievalModelConfig } from '../config.ts';
import type { AnnotationLabel, RewardModel, RewardModelMetrics, RewardModelState } from '../types.ts';
import { Accuracy, isHeldOut } from './heldout.ts';

export class RetrievalModel implements RewardModel {
  readonly kind = 'retrieval' as const;
  private table = new Map<string, number>();
  private byKey = new Map<string, number>();
  private heldOut: AnnotationLabel[] = [];
  private preq = new Accuracy();
  private ignored = 0;

  constructor(readonly config: RetrievalModelConfig) {}

  score(captions: string[]): Float32Array {
    const out = new Float32Array(captions.length);
    captions.forEach((c, i) => { out[i] = c ? this.table.get(c) ?? 0 : 0; });
    return out;
  }

  /** r_int by annotation key (0 for unknown keys). */
  scoreKeys(keys: string[]): Float32Array {
    return Float32Array.from(keys, (k) => this.byKey.get(k) ?? 0);
  }

  update(labels: AnnotationLabel[]): RewardModelMetrics {
    for (const l of labels) {
      if (l.pair || !Number.isFinite(l.label)) { this.ignored++; continue; }
      if (isHeldOut(l, this.config.heldOutFraction)) { this.heldOut.push(l); continue; }
      this.byKey.set(l.key, l.label);
      if (!l.caption) continue;
      this.preq.add(((this.table.get(l.caption) ?? 0) >= 0.5) === (l.label >= 0.5));
      this.table.set(l.caption, l.label);
    }
    return this.metrics();
  }

  metrics(): RewardModelMetrics {
    const acc = new Accuracy();
    for (const l of this.heldOut) acc.add(((this.table.get(l.caption) ?? 0) >= 0.5) === (l.label >= 0.5));
    return {
      trained: this.table.size, heldOut: this.heldOut.length, heldOutAccuracy: acc.value,
      prequentialAccuracy: this.preq.value, ignored: this.ignored, loss: NaN,
    };
  }

  save(): RewardModelState {
    return { kind: 'retrieval', version: 1, table: [...this.table], byKey: [...this.byKey], heldOut: this.heldOut, prequential: this.preq.toJSON(), ignored: this.ignored };
  }

  load(state: RewardModelState): void {
    if (state?.kind !== 'retrieval' || state.version !== 1 || !Array.isArray(state.table)) {
      throw new Error(`RetrievalModel.load: expected a retrieval state (version 1), got kind '${String(state?.kind)}'`);
    }
    this.table = new Map(state.table as Array<[string, number]>);
    this.byKey = new Map((state.byKey as Array<[string, number]> | undefined) ?? []);
    this.heldOut = (state.heldOut as AnnotationLabel[]) ?? [];
    this.preq = Accuracy.from(state.prequential);
    this.ignored = Number(state.ignored ?? 0);
  }

  dispose(): void { this.table.clear(); this.byKey.clear(); }
}
