/**
 * Label accuracy of a reward model on captions the judge never labelled, against the rubric oracle.
 *
 * The learner thread shows the tracker every caption of its rollouts (`observe`) and every label it
 * receives (`labelled`). A caption seen but never labelled — not sent under a budget, dropped, still on
 * its way from a slow judge, or given up — is "unseen" by the model. `metrics(model)` scores the unseen
 * captions (predicted helpful = r_int > 0: retrieval's stored label, classification's 1[p > threshold],
 * ranking's thresholded r̃) and compares them with the noiseless rubric label (`rubricLabel`), the oracle
 * every judge here approximates. The env comes as its EnvContext (from its spec); only envs the rubric has
 * rules written for (the built-in envs: rubricCoverage(env) === null) are tracked — for another env the
 * family's generic rules are no oracle anyone checked.
 *
 * Bounded: the `maxUnseen` most recently seen unseen captions are scored, and `maxLabelled` labelled
 * captions are remembered (both LRU). Scoring runs only when something changed since the last call (new
 * unseen captions, or labels, which change the model), so a run with nothing unseen pays nothing.
 */
import { LruMap } from '../lru.ts';
import { rubricCoverage, rubricLabel } from '../judges/rubric.ts';
import type { AnnotationLabel, EnvContext } from '../types.ts';

export interface UnseenMetrics {
  /** Unseen captions scored (at most maxUnseen). */
  unseenCaptions: number;
  /** Of which helpful by the rubric oracle. */
  unseenPositives: number;
  /** Fraction of unseen captions where the model agrees with the oracle (NaN with none). */
  unseenAccuracy: number;
  /** Mean of the true-positive and true-negative rates (whichever exist; NaN with none): robust to rare positives. */
  unseenBalancedAccuracy: number;
}

export class UnseenCaptionAccuracy {
  private readonly unseen: LruMap<string, number>;
  private readonly labelledSet: LruMap<string, true>;
  private dirty = false;
  private last: UnseenMetrics = { unseenCaptions: 0, unseenPositives: 0, unseenAccuracy: NaN, unseenBalancedAccuracy: NaN };

  constructor(readonly maxUnseen = 1024, maxLabelled = 100_000) {
    this.unseen = new LruMap(maxUnseen);
    this.labelledSet = new LruMap(maxLabelled);
  }

  /** Captions of one rollout of `env` (empty ones and labelled ones are skipped). */
  observe(env: EnvContext, captions: readonly string[]): void {
    if (rubricCoverage(env) !== null) return;
    for (const c of captions) {
      if (c === '' || this.labelledSet.has(c)) continue;
      if (this.unseen.has(c)) { this.unseen.get(c); continue; }
      this.unseen.set(c, rubricLabel(env, c));
      this.dirty = true;
    }
  }

  /** Labels that reached the model (a pair label labels both of its captions). */
  labelled(labels: readonly AnnotationLabel[]): void {
    for (const l of labels) {
      for (const c of l.pair ? [l.caption, l.pair.other] : [l.caption]) {
        if (!c) continue;
        this.labelledSet.set(c, true);
        this.unseen.delete(c);
      }
    }
    if (labels.length) this.dirty = true;
  }

  metrics(model: { score(captions: string[]): Float32Array }): UnseenMetrics {
    if (!this.dirty) return this.last;
    this.dirty = false;
    const captions: string[] = [], oracle: number[] = [];
    for (const c of this.unseen.keys()) { captions.push(c); oracle.push(this.unseen.peek(c)!); }
    if (captions.length === 0) return (this.last = { unseenCaptions: 0, unseenPositives: 0, unseenAccuracy: NaN, unseenBalancedAccuracy: NaN });
    const s = model.score(captions);
    let tp = 0, tn = 0, pos = 0;
    oracle.forEach((y, i) => {
      const helpful = s[i]! > 0;
      if (y >= 0.5) { pos++; if (helpful) tp++; } else if (!helpful) tn++;
    });
    const neg = captions.length - pos;
    const rates = [pos ? tp / pos : NaN, neg ? tn / neg : NaN].filter((x) => !Number.isNaN(x));
    return (this.last = {
      unseenCaptions: captions.length, unseenPositives: pos, unseenAccuracy: (tp + tn) / captions.length,
      unseenBalancedAccuracy: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN,
    });
  }
}
