/**
 * Copies of the policy's weights from the starts of the learner's last `lag` updates, so THR can be computed
 * from the policy that sampled the rollouts (thr.source 'behaviour'; NTHR, arXiv 2505.18830, scores tokens
 * with the sampling policy). The runner's lockstep pipeline samples the rollouts of update u with weight
 * version max(0, u − 1), i.e. the weights at the start of update u − 1: with lag 1 the snapshot taken at the
 * start of the previous update is exactly the behaviour policy (and for the first update the current weights
 * are). With a lag k > 1 the snapshot of k updates ago (or the oldest held) is used.
 *
 * Cost: `lag` copies of the trainable weights (4 bytes per parameter each) plus one temporary copy while the
 * behaviour weights are swapped in; per update one no-gradient forward of the whole batch and one extra THR
 * computation (the learner's own THR is still computed, for the sign-disagreement metric).
 * Snapshots are not checkpointed: after setState (a resume) the ring starts empty, which is again exact in
 * lockstep (the runner resumes by sampling the first two updates with the restored version).
 */
import * as tf from '@tensorflow/tfjs';

export class BehaviourSnapshots {
  private ring: tf.Tensor[][] = [];

  constructor(private readonly vars: readonly tf.Variable[], readonly lag: number) {
    if (!Number.isInteger(lag) || lag < 1) throw new Error(`BehaviourSnapshots: lag must be a positive integer, got ${lag}`);
  }

  /** True when a snapshot older than the current weights is held (else the behaviour policy is the learner). */
  get available(): boolean { return this.ring.length > 0; }

  /** Runs `fn` with the behaviour weights swapped into the policy's variables, then restores the current ones. */
  withBehaviourWeights<T>(fn: () => T): T {
    const snap = this.ring[0];
    if (!snap) return fn();
    const current = this.vars.map((v) => v.clone());
    try {
      this.vars.forEach((v, i) => v.assign(snap[i]));
      return fn();
    } finally {
      this.vars.forEach((v, i) => v.assign(current[i]));
      tf.dispose(current);
    }
  }

  /** Records the current weights (call at the start of an update, after the behaviour THR was computed). */
  record(): void {
    this.ring.push(this.vars.map((v) => tf.keep(v.clone())));
    while (this.ring.length > this.lag) tf.dispose(this.ring.shift()!);
  }

  /** Drops every snapshot (after the policy's weights were replaced from outside, e.g. a resume). */
  clear(): void {
    for (const s of this.ring) tf.dispose(s);
    this.ring = [];
  }

  dispose(): void { this.clear(); }
}
