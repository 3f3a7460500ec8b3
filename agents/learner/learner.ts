/**
 * GrpoLearner: one update = group advantages → THR from the first forward pass → THR-weighted clipped
 * GRPO objective, μ epochs × minibatches of AdamW steps. Formulas: docs/algorithms.md; sources in
 * advantages.ts (DeepSeekMath), grpo-loss.ts (GRPO/DAPO/Dr. GRPO/GSPO), thr.ts (Deng et al. 2025).
 *
 * No main-thread assumptions: synchronous, no timers, no DOM; runs the same in a worker thread.
 * Everything that leaves a tf.tidy is disposed before update() returns (tf.memory().numTensors is flat).
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32Next } from '../../core/rng.ts';
import type { LearnerBatch, PolicyOutputs, TrainablePolicy } from '../types.ts';
import { validateGrpoConfig, type GrpoConfig, type GrpoConfigInput } from './config.ts';
import { groupAdvantages, intrinsicToGoAdvantages, processAdvantages, tokenAdvantages } from './advantages.ts';
import { aggregationCoefficients, chosenLogProbs, grpoLoss, LOSS_STATS, tokenEntropy } from './grpo-loss.ts';
import { correctRollouts, signDisagreement, thrStats, tokenHiddenReward, type ThrStats } from './thr.ts';
import { thrWeightedAdvantages } from './thr-select.ts';
import { BehaviourSnapshots } from './behaviour.ts';
import { AdamW, type AdamState } from './adam.ts';
import { readInto } from '../backend.ts';

/** Flat per-update metrics (numbers only, ready for metrics.jsonl). Means are over real tokens unless noted. */
export interface LearnerMetrics {
  /** Mean over the update's optimiser steps of the loss that was minimised. */
  loss: number;
  /** Mean k3 KL(π_θ‖π_ref) — present only when a reference policy is used (beta > 0). */
  kl?: number;
  /** Mean k3 estimate of KL(π_θ‖π_old) to the behaviour policy (how far the update moved off-policy). */
  klOld: number;
  /** Fraction of tokens whose clipped term was active (low + high). */
  clipFraction: number;
  /** … with ratio < 1 − ε_low and Â < 0. */
  clipFractionLow: number;
  /** … with ratio > 1 + ε_high and Â > 0. */
  clipFractionHigh: number;
  /** Mean policy entropy −Σ π log π at the first forward pass. */
  entropy: number;
  /** Mean importance ratio (token level, or GSPO's s_i broadcast over tokens). */
  ratioMean: number;
  /** Mean global gradient norm before clipping, over optimiser steps. */
  gradNorm: number;
  /** Fraction of groups whose rewards (or step rewards) were all equal: zero advantage, no signal. */
  zeroStdFraction: number;
  /** Mean |Â_t| before THR reweighting. */
  advantageAbsMean: number;
  /** Fraction of rollouts in THR's correct set C. */
  correctFraction: number;
  /** THR statistics (0 when THR is disabled). */
  thrPositive: number;
  thrNegative: number;
  /** Fraction of real tokens selected as dominant by thr.threshold (the ones the reweighting / thr-only acts on). */
  thrSelected: number;
  thrAbsMean: number;
  thrAbsMax: number;
  /** Mean THR weight over real tokens (1 when THR is off or p = 0 in 'reweight' mode). */
  thrWeightMean: number;
  /** The threshold applied: THR units ('absolute', 'relative'), mean per-group τ_g in influence units ('nthr'). */
  thrTau: number;
  /**
   * thr.source 'behaviour' only: fraction of real tokens (with a non-zero THR under either) whose THR sign from
   * the behaviour weights differs from the sign from the learner's weights. The weights use the behaviour THR.
   */
  thrSignDisagreement?: number;
  /** Real tokens and rollouts in the batch. */
  tokens: number;
  sequences: number;
  groups: number;
  /** Optimiser steps applied in this update. */
  optimizerSteps: number;
  /** Milliseconds spent computing THR (download of probs/hidden excluded: see `thrDownloadMs`). */
  thrMs: number;
  /** Milliseconds spent reading probabilities and hidden states back from the backend for THR. */
  thrDownloadMs: number;
  /** Wall time of the whole update, ms. */
  updateMs: number;
}

export interface UpdateResult {
  metrics: LearnerMetrics;
  /** Set when the update was skipped (nothing applied): the reason, e.g. a non-finite loss at epoch 1. */
  skipped?: string;
  /** Optimiser steps taken by this learner since construction / the restored state. */
  step: number;
}

/** Checkpointable learner state (the policy's weights are saved separately with policy.getWeights()). */
export interface LearnerState {
  version: 1;
  /** Completed update() calls (skipped ones included). */
  updates: number;
  /** update() calls that were skipped because of a non-finite loss or gradient. */
  skippedUpdates: number;
  /** State of the minibatch-shuffle generator. */
  rng: number;
  adam: AdamState;
}

export interface GrpoLearnerOptions<I = unknown> {
  /** Frozen reference policy for the KL term (required when beta > 0). Never trained. */
  refPolicy?: TrainablePolicy<I>;
  /**
   * Selects rows of the policy inputs for a minibatch. Default `sliceRows`: every typed-array field whose
   * length is a multiple of B is cut into B rows, a numeric field `B` is set to the row count, and scalar
   * fields are copied — which fits the game ({obs, B, L}) and token ({tokens, B, T, promptLength}) layouts.
   */
  sliceInputs?: (inputs: I, rows: readonly number[], B: number) => I;
}

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array;

/** Default row selector for minibatches (see GrpoLearnerOptions.sliceInputs). */
export function sliceRows<I>(inputs: I, rows: readonly number[], B: number): I {
  if (typeof inputs !== 'object' || inputs === null) {
    throw new Error('sliceRows: inputs must be an object of typed arrays to split into minibatches; pass options.sliceInputs');
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs as Record<string, unknown>)) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const arr = value as unknown as TypedArray;
      if (arr.length % B !== 0) {
        throw new Error(`sliceRows: inputs.${key} has ${arr.length} entries, not a multiple of B = ${B}; pass options.sliceInputs`);
      }
      const row = arr.length / B;
      const Ctor = arr.constructor as new (n: number) => TypedArray;
      const sub = new Ctor(rows.length * row);
      rows.forEach((b, r) => sub.set(arr.subarray(b * row, (b + 1) * row), r * row));
      out[key] = sub;
    } else if (key === 'B') {
      out[key] = rows.length;
    } else if (value === null || ['number', 'string', 'boolean', 'undefined'].includes(typeof value)) {
      out[key] = value;
    } else {
      throw new Error(`sliceRows: cannot split inputs.${key} into minibatches (not a typed array); pass options.sliceInputs`);
    }
  }
  return out as I;
}

function pick(src: ArrayLike<number>, rows: readonly number[], L: number): Float32Array {
  const out = new Float32Array(rows.length * L);
  rows.forEach((b, r) => { for (let t = 0; t < L; t++) out[r * L + t] = src[b * L + t]; });
  return out;
}
function pickInt(src: Int32Array, rows: readonly number[], L: number): Int32Array {
  const out = new Int32Array(rows.length * L);
  rows.forEach((b, r) => out.set(src.subarray(b * L, (b + 1) * L), r * L));
  return out;
}

/** Throws a clear error when a batch's arrays disagree with its B and L. */
export function validateLearnerBatch(batch: LearnerBatch, numActions?: number): void {
  const { B, L } = batch;
  if (!Number.isInteger(B) || B < 1) throw new Error(`LearnerBatch: B must be a positive integer, got ${B}`);
  if (!Number.isInteger(L) || L < 1) throw new Error(`LearnerBatch: L must be a positive integer, got ${L}`);
  const want: [keyof LearnerBatch, number, boolean][] = [
    ['actions', B * L, true], ['mask', B * L, true], ['behaviourLogp', B * L, true], ['rewards', B, true],
    ['groups', B, true], ['stepRewards', B * L, false], ['intrinsicStepRewards', B * L, false], ['correct', B, false],
    ['sampleWeights', B, false],
  ];
  for (const [key, n, required] of want) {
    const arr = batch[key] as ArrayLike<number> | undefined;
    if (arr === undefined) { if (required) throw new Error(`LearnerBatch: missing '${key}'`); continue; }
    if (arr.length !== n) throw new Error(`LearnerBatch: '${key}' has ${arr.length} entries, expected ${n} (${n === B ? 'B' : 'B*L'} with B=${B}, L=${L})`);
  }
  for (let k = 0; k < B * L; k++) {
    const m = batch.mask[k];
    if (m !== 0 && m !== 1) throw new Error(`LearnerBatch: mask[${k}] = ${m}; the mask holds 0 (padding) or 1 (real action) — use sampleWeights for weighting`);
  }
  if (numActions !== undefined) {
    for (let k = 0; k < B * L; k++) {
      const a = batch.actions[k];
      if (batch.mask[k] > 0 && (a < 0 || a >= numActions)) {
        throw new Error(`LearnerBatch: actions[${k}] = ${a} is outside the policy's action set [0, ${numActions})`);
      }
    }
  }
}

interface Prepared {
  tokenAdv: Float32Array; // [B*L] before THR
  coefFull: Float32Array; // [B*L] one-minibatch aggregation coefficients (THR's c_t)
  correct: Uint8Array | null;
  zeroStdFraction: number;
  numGroups: number;
  tokens: number;
}

interface FirstPass { entropySum: number; thr: Float32Array | null; influence: Float32Array | null; thrMs: number; downloadMs: number }
interface ThrPass { thr: Float32Array; influence: Float32Array; thrMs: number; downloadMs: number }

export class GrpoLearner<I = unknown> {
  readonly config: GrpoConfig;
  readonly policy: TrainablePolicy<I>;
  readonly refPolicy?: TrainablePolicy<I>;
  private readonly sliceInputs: (inputs: I, rows: readonly number[], B: number) => I;
  private readonly adam: AdamW;
  private rng: { s: number };
  /** Read-back buffers reused across updates (probabilities and hidden states for THR, gradients). */
  private readonly scratch: { probs?: Float32Array; hidden?: Float32Array; grads: (Float32Array | undefined)[] } = { grads: [] };
  private updates = 0;
  private skippedUpdates = 0;
  /** Weights of past update starts, for THR from the behaviour policy (thr.source 'behaviour'). */
  private readonly behaviour: BehaviourSnapshots | null;

  /**
   * @param policy the policy to train (its trainableVariables are updated in place).
   * @param config partial GrpoConfig, validated (unknown keys and bad values throw).
   * @param options a reference policy and/or an input slicer; a bare TrainablePolicy is taken as refPolicy.
   */
  constructor(policy: TrainablePolicy<I>, config: GrpoConfigInput = {}, options: GrpoLearnerOptions<I> | TrainablePolicy<I> = {}) {
    this.config = validateGrpoConfig(config);
    this.policy = policy;
    const opts: GrpoLearnerOptions<I> = typeof (options as TrainablePolicy<I>).evaluate === 'function'
      ? { refPolicy: options as TrainablePolicy<I> } : options as GrpoLearnerOptions<I>;
    this.refPolicy = opts.refPolicy;
    this.sliceInputs = opts.sliceInputs ?? sliceRows;
    if (this.config.beta > 0 && !this.refPolicy) {
      throw new Error(`GrpoLearner: beta = ${this.config.beta} needs a frozen reference policy (options.refPolicy); set beta to 0 to train without one`);
    }
    if (this.refPolicy && this.refPolicy.numActions !== policy.numActions) {
      throw new Error(`GrpoLearner: refPolicy has ${this.refPolicy.numActions} actions, the policy ${policy.numActions}`);
    }
    if (policy.trainableVariables.length === 0) throw new Error('GrpoLearner: the policy has no trainable variables');
    if (this.config.lossType === 'dr_grpo' && this.config.maxCompletionLength === null) {
      throw new Error("GrpoLearner: lossType 'dr_grpo' divides by n · L_max with L_max the configured maximum completion length (TRL max_completion_length): set maxCompletionLength (the runner sets it to the env's maxEpisodeSteps)");
    }
    this.behaviour = this.config.thr.enabled && this.config.thr.source === 'behaviour'
      ? new BehaviourSnapshots(policy.trainableVariables, this.config.thr.behaviourLag) : null;
    this.adam = new AdamW(policy.trainableVariables, this.adamOptions());
    this.rng = { s: this.config.seed >>> 0 };
  }

  private adamOptions() {
    const c = this.config;
    return { learningRate: c.learningRate, beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon, weightDecay: c.weightDecay };
  }

  /** Changes the learning rate from the next step on (for schedules). */
  setLearningRate(lr: number): void {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`GrpoLearner.setLearningRate: expected a positive number, got ${lr}`);
    this.config.learningRate = lr;
    this.adam.options = this.adamOptions();
  }

  /** Optimiser steps taken so far. */
  get step(): number { return this.adam.steps; }

  /** Advantages, aggregation coefficients and THR's correct set: everything that needs no forward pass. */
  private prepare(batch: LearnerBatch<I>): Prepared {
    const c = this.config;
    const { B, L, mask } = batch;
    let tokenAdv: Float32Array, zeroStdFraction: number, numGroups: number;
    if (c.advantageMode === 'process') {
      if (!batch.stepRewards) throw new Error("GrpoLearner: advantageMode 'process' needs LearnerBatch.stepRewards");
      const r = processAdvantages(batch.stepRewards, mask, batch.groups, L, c.scaleRewards, c.advantageEpsilon);
      ({ advantages: tokenAdv, zeroStdFraction, numGroups } = r);
    } else if (c.advantageMode === 'outcome+intrinsic-to-go') {
      if (!batch.intrinsicStepRewards) throw new Error("GrpoLearner: advantageMode 'outcome+intrinsic-to-go' needs LearnerBatch.intrinsicStepRewards");
      const r = intrinsicToGoAdvantages(batch.rewards, batch.intrinsicStepRewards, mask, batch.groups, L, c.scaleRewards, c.advantageEpsilon);
      ({ advantages: tokenAdv, zeroStdFraction, numGroups } = r);
    } else {
      const r = groupAdvantages(batch.rewards, batch.groups, c.scaleRewards, c.advantageEpsilon);
      tokenAdv = tokenAdvantages(r.advantages, mask, L);
      ({ zeroStdFraction, numGroups } = r);
    }
    let tokens = 0;
    for (let k = 0; k < B * L; k++) tokens += mask[k] > 0 ? 1 : 0;
    const all = Array.from({ length: B }, (_, b) => b);
    const coefFull = aggregationCoefficients(c.lossType, mask, L, all, { sampleWeights: batch.sampleWeights, totalTokens: tokens, numMinibatches: 1, maxLength: c.maxCompletionLength });
    const correct = c.thr.enabled ? correctRollouts(batch.rewards, batch.groups, c.thr.correctThreshold, batch.correct) : null;
    return { tokenAdv, coefFull, correct, zeroStdFraction, numGroups, tokens };
  }

  /** Entropy and THR from one forward's outputs over the full batch (values only, no gradient). */
  private analyse(batch: LearnerBatch<I>, out: PolicyOutputs, maskT: tf.Tensor2D, prep: Prepared, logpAll?: tf.Tensor3D): FirstPass {
    // π and log π from the loss's own log-softmax when given (one log-softmax per forward, not three).
    const [probsT, entropySum] = tf.tidy(() => {
      const logp = logpAll ?? tf.logSoftmax(out.logits, -1);
      const p = logp.exp();
      return [p, p.mul(logp).sum(-1).neg().mul(maskT).sum()];
    });
    const ent = entropySum.dataSync()[0];
    entropySum.dispose();
    if (!this.config.thr.enabled || !prep.correct) { probsT.dispose(); return { entropySum: ent, thr: null, influence: null, thrMs: 0, downloadMs: 0 }; }
    return { entropySum: ent, ...this.thrOf(batch, out, prep, probsT) };
  }

  /**
   * THR (and each token's influence I_t = THR_t / Â_t) from one forward's tempered logits and hidden states.
   * `probsT`, when given, is softmax(logits) already computed by the caller; it is disposed here.
   */
  private thrOf(batch: LearnerBatch<I>, out: PolicyOutputs, prep: Prepared, probsT: tf.Tensor = tf.softmax(out.logits, -1)): ThrPass {
    const t0 = performance.now();
    const probs = (this.scratch.probs = readInto(probsT, this.scratch.probs));
    probsT.dispose();
    const hidden = (this.scratch.hidden = readInto(out.hidden, this.scratch.hidden));
    const t1 = performance.now();
    const [, , V] = out.logits.shape;
    const d = out.hidden.shape[2];
    const influence = new Float32Array(batch.B * batch.L);
    const thr = tokenHiddenReward({
      B: batch.B, L: batch.L, V, d, probs, hidden, actions: batch.actions, mask: batch.mask, groups: batch.groups,
      correct: prep.correct!, advantages: prep.tokenAdv, coef: prep.coefFull, temperature: this.config.temperature,
    }, undefined, { influence });
    return { thr, influence, thrMs: performance.now() - t1, downloadMs: t1 - t0 };
  }

  /**
   * thr.source 'behaviour': THR from the weights the rollouts were sampled with (a no-gradient forward with the
   * snapshot swapped in). Null when no older snapshot exists yet — the behaviour policy is then the learner's.
   */
  private behaviourThr(batch: LearnerBatch<I>, prep: Prepared): ThrPass | null {
    if (!this.behaviour?.available || !prep.correct) return null;
    return this.behaviour.withBehaviourWeights(() => {
      const out = tf.tidy(() => {
        const o = this.tempered(this.policy.evaluate(batch.inputs));
        return { logits: tf.keep(o.logits), hidden: tf.keep(o.hidden) };
      });
      try {
        this.checkOutputs(out, batch.B, batch.L);
        return this.thrOf(batch, out, prep);
      } finally { tf.dispose([out.logits, out.hidden]); }
    });
  }

  /** The THR-weighted advantages from a THR pass (thr-select.ts), or the plain ones without THR. */
  private weightedAdvantages(batch: LearnerBatch<I>, prep: Prepared, pass: { thr: Float32Array | null; influence: Float32Array | null } | null) {
    if (!pass?.thr || !prep.correct) return null;
    const c = this.config.thr;
    return thrWeightedAdvantages(prep.tokenAdv, {
      thr: pass.thr, influence: pass.influence, mask: batch.mask, groups: batch.groups, correct: prep.correct, L: batch.L,
    }, c);
  }

  /**
   * The policy's outputs with logits divided by the temperature (TRL GRPOTrainer: logits / T before
   * log-softmax), so every log-prob, the entropy and THR's probabilities are those of the sampling
   * distribution. T = 1 returns `out` itself: no extra op, bit-identical to a learner without temperature.
   */
  private tempered(out: PolicyOutputs): PolicyOutputs {
    const T = this.config.temperature;
    return T === 1 ? out : { ...out, logits: out.logits.div(T) as tf.Tensor3D };
  }

  private checkOutputs(out: PolicyOutputs, b: number, L: number): void {
    const V = this.policy.numActions, d = this.policy.hiddenSize;
    const [lb, ll, lv] = out.logits.shape, [hb, hl, hd] = out.hidden.shape;
    if (lb !== b || ll !== L || lv !== V) throw new Error(`GrpoLearner: policy logits have shape [${out.logits.shape}], expected [${b}, ${L}, ${V}]`);
    if (hb !== b || hl !== L || hd !== d) throw new Error(`GrpoLearner: policy hidden has shape [${out.hidden.shape}], expected [${b}, ${L}, ${d}]`);
  }

  /** Loss and gradients for given rows, without applying them (tests, diagnostics). Caller disposes `grads`. */
  private lossAndGrads(
    batch: LearnerBatch<I>, rows: readonly number[],
    consts: { adv: Float32Array | null; refLogp: Float32Array | null; totalTokens: number; numMinibatches: number },
    onFirst: ((out: PolicyOutputs, maskT: tf.Tensor2D, logpAll: tf.Tensor3D) => Float32Array) | null,
  ): { loss: tf.Scalar; grads: (tf.Tensor | undefined)[]; stats: tf.Tensor1D } {
    const { L } = batch;
    const full = rows.length === batch.B && rows.every((b, i) => b === i);
    const inputs = full ? batch.inputs : this.sliceInputs(batch.inputs, rows, batch.B);
    const n = rows.length;
    const c = this.config;
    const coef = aggregationCoefficients(c.lossType, batch.mask, L, rows, {
      sampleWeights: batch.sampleWeights, totalTokens: consts.totalTokens, numMinibatches: consts.numMinibatches, maxLength: c.maxCompletionLength,
    });
    let stats: tf.Tensor1D | null = null;
    const vars = this.policy.trainableVariables;
    const { value, grads } = tf.variableGrads(() => {
      const maskT = tf.tensor2d(full ? batch.mask : pick(batch.mask, rows, L), [n, L]);
      const actionsT = tf.tensor2d(full ? batch.actions : pickInt(batch.actions, rows, L), [n, L], 'int32');
      const out = this.tempered(this.policy.evaluate(inputs));
      this.checkOutputs(out, n, L);
      const logpAll = tf.logSoftmax(out.logits, -1) as tf.Tensor3D;
      // Fused first pass: THR comes from this very forward's probabilities and hidden states.
      const adv = onFirst ? onFirst(out, maskT, logpAll) : consts.adv!;
      const logp = logpAll.mul(tf.oneHot(actionsT, this.policy.numActions).toFloat()).sum(-1) as tf.Tensor2D; // as chosenLogProbs
      const r = grpoLoss({
        logp,
        oldLogp: tf.tensor2d(pick(batch.behaviourLogp, rows, L), [n, L]),
        advantages: tf.tensor2d(full ? adv : pick(adv, rows, L), [n, L]),
        coef: tf.tensor2d(coef, [n, L]),
        mask: maskT,
        refLogp: consts.refLogp ? tf.tensor2d(pick(consts.refLogp, rows, L), [n, L]) : undefined,
        entropy: c.entropyCoef > 0 ? tokenEntropy(out.logits, logpAll) : undefined,
      }, c);
      stats = tf.keep(r.stats);
      return r.loss;
    }, vars);
    return { loss: value, grads: vars.map((v) => grads[v.name]), stats: stats! };
  }

  /** log π_ref of the chosen actions over the full batch, [B*L], or null without a KL term. */
  private referenceLogProbs(batch: LearnerBatch<I>): Float32Array | null {
    if (!this.refPolicy || this.config.beta === 0) return null;
    const logp = tf.tidy(() => {
      const out = this.tempered(this.refPolicy!.evaluate(batch.inputs));
      const actionsT = tf.tensor2d(batch.actions, [batch.B, batch.L], 'int32');
      return chosenLogProbs(out.logits, actionsT);
    });
    const values = logp.dataSync() as Float32Array;
    logp.dispose();
    return values;
  }

  /**
   * One learner update on a batch of groups. Returns the metrics; `skipped` explains an update that was not
   * applied (a non-finite loss or gradient in any of its steps: the weights and optimiser state are left
   * exactly as they were before the update — earlier steps of the same update are rolled back).
   */
  update(batch: LearnerBatch<I>): UpdateResult {
    const t0 = performance.now();
    const c = this.config;
    validateLearnerBatch(batch, this.policy.numActions);
    const { B, L } = batch;
    if (c.numMinibatches > B) throw new Error(`GrpoLearner: numMinibatches = ${c.numMinibatches} exceeds the batch's B = ${B} rollouts`);
    const prep = this.prepare(batch);
    const refLogp = this.referenceLogProbs(batch);
    let first: FirstPass | null = null;
    let adv: Float32Array | null = null;
    let weights: Float32Array | null = null;
    let selected: Uint8Array | null = null;
    let tau = c.thr.tau;
    // thr.source 'behaviour': THR from the sampling weights (null for the first update: they are the learner's).
    const behaviour = this.behaviourThr(batch, prep);
    this.behaviour?.record();
    const weighted = (f: FirstPass): Float32Array => {
      const r = this.weightedAdvantages(batch, prep, behaviour ?? f);
      if (!r) return prep.tokenAdv;
      ({ weights, selected, tau } = r);
      return r.advantages;
    };
    if (c.numMinibatches > 1) {
      // Minibatches never see the whole batch in one forward, so THR needs its own full (no-gradient) pass.
      const out = tf.tidy(() => {
        const o = this.tempered(this.policy.evaluate(batch.inputs));
        return { logits: tf.keep(o.logits), hidden: tf.keep(o.hidden) };
      });
      const maskT = tf.tensor2d(batch.mask, [B, L]);
      try {
        this.checkOutputs(out, B, L);
        first = this.analyse(batch, out, maskT, prep);
      } finally { tf.dispose([out.logits, out.hidden, maskT]); }
      adv = weighted(first);
    }

    const acc = { loss: 0, gradNorm: 0, steps: 0, stats: new Float64Array(LOSS_STATS.length) };
    let skipped: string | undefined;
    // With several steps per update, a non-finite step rolls the whole update back: keep a copy.
    let snapshot = c.numIterations * c.numMinibatches > 1 ? this.adam.snapshot() : null;
    const all = Array.from({ length: B }, (_, b) => b);
    try {
      outer: for (let epoch = 0; epoch < c.numIterations; epoch++) {
        let order = all;
        if (c.numMinibatches > 1) {
          order = all.slice();
          for (let i = B - 1; i > 0; i--) { const j = Math.floor(mulberry32Next(this.rng) * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
        }
        for (let mb = 0; mb < c.numMinibatches; mb++) {
          const rows = order.slice(Math.floor((mb * B) / c.numMinibatches), Math.floor(((mb + 1) * B) / c.numMinibatches)).sort((a, b) => a - b);
          const onFirst = first === null
            ? (out: PolicyOutputs, maskT: tf.Tensor2D, logpAll: tf.Tensor3D) => { first = this.analyse(batch, out, maskT, prep, logpAll); return (adv = weighted(first)); }
            : null;
          const { loss, grads, stats } = this.lossAndGrads(batch, rows, { adv, refLogp, totalTokens: prep.tokens, numMinibatches: c.numMinibatches }, onFirst);
          const present = grads.filter((g): g is tf.Tensor => g !== undefined);
          const summary = tf.tidy(() => tf.concat([loss.reshape([1]), stats]));
          const values = summary.dataSync();
          summary.dispose();
          // The gradients are read back once: for the global norm here and for the optimiser's step.
          const gradArrays = grads.map((g, i) => (g ? (this.scratch.grads[i] = readInto(g, this.scratch.grads[i])) : undefined));
          let sumSq = 0;
          for (const g of gradArrays) if (g) for (let k = 0; k < g.length; k++) sumSq += g[k] * g[k];
          const lossV = values[0], norm = Math.sqrt(sumSq);
          if (!Number.isFinite(lossV) || !Number.isFinite(norm)) {
            tf.dispose([loss, stats, ...present]);
            const what = !Number.isFinite(lossV) ? `loss ${lossV}` : `gradient norm ${norm}`;
            skipped = `non-finite ${what} at epoch ${epoch}, minibatch ${mb}: update skipped, weights and optimiser state left as before it` +
              (acc.steps ? ` (its ${acc.steps} earlier step(s) rolled back)` : '');
            if (snapshot && acc.steps) { this.adam.restore(snapshot); snapshot = null; }
            acc.steps = 0;
            break outer;
          }
          const scale = c.maxGradNorm > 0 && norm > c.maxGradNorm ? c.maxGradNorm / (norm + 1e-6) : 1;
          tf.dispose([loss, stats, ...present]);
          this.adam.applyArrays(gradArrays, scale);
          acc.loss += lossV;
          acc.gradNorm += norm;
          acc.steps++;
          for (let i = 0; i < LOSS_STATS.length; i++) acc.stats[i] += values[1 + i];
        }
      }
    } finally {
      if (snapshot) this.adam.dropSnapshot(snapshot);
    }
    this.updates++;
    if (skipped) this.skippedUpdates++;

    const s = (name: (typeof LOSS_STATS)[number]) => acc.stats[LOSS_STATS.indexOf(name)];
    const tok = Math.max(1, s('tokens'));
    const f = first as FirstPass | null;
    // Statistics of the THR the weights came from (the behaviour policy's with thr.source 'behaviour').
    const usedThr = behaviour?.thr ?? f?.thr ?? null;
    const thr: ThrStats = usedThr ? thrStats(usedThr, batch.mask, selected ? { selected } : { tau })
      : { thrPositive: 0, thrNegative: 0, thrSelected: 0, thrAbsMean: 0, thrAbsMax: 0 };
    let weightSum = 0, advAbs = 0;
    const w = weights as Float32Array | null;
    for (let k = 0; k < B * L; k++) {
      if (!(batch.mask[k] > 0)) continue;
      advAbs += Math.abs(prep.tokenAdv[k]);
      weightSum += w ? w[k] : 1;
    }
    let nCorrect = 0;
    if (prep.correct) for (const x of prep.correct) nCorrect += x;
    const steps = Math.max(1, acc.steps);
    const metrics: LearnerMetrics = {
      loss: acc.steps ? acc.loss / steps : NaN,
      ...(refLogp ? { kl: s('klRef') / tok } : {}),
      klOld: s('klOld') / tok,
      clipFraction: (s('clipFractionLow') + s('clipFractionHigh')) / tok,
      clipFractionLow: s('clipFractionLow') / tok,
      clipFractionHigh: s('clipFractionHigh') / tok,
      entropy: f ? f.entropySum / Math.max(1, prep.tokens) : NaN,
      ratioMean: s('ratioMean') / tok,
      gradNorm: acc.steps ? acc.gradNorm / steps : NaN,
      zeroStdFraction: prep.zeroStdFraction,
      advantageAbsMean: advAbs / Math.max(1, prep.tokens),
      correctFraction: prep.correct ? nCorrect / B : 0,
      ...thr,
      thrWeightMean: weightSum / Math.max(1, prep.tokens),
      thrTau: tau,
      ...(this.behaviour && prep.correct ? { thrSignDisagreement: behaviour && f?.thr ? signDisagreement(behaviour.thr, f.thr, batch.mask) : 0 } : {}),
      tokens: prep.tokens,
      sequences: B,
      groups: prep.numGroups,
      optimizerSteps: acc.steps,
      thrMs: (f?.thrMs ?? 0) + (behaviour?.thrMs ?? 0),
      thrDownloadMs: (f?.downloadMs ?? 0) + (behaviour?.downloadMs ?? 0),
      updateMs: performance.now() - t0,
    };
    return { metrics, step: this.adam.steps, ...(skipped ? { skipped } : {}) };
  }

  /**
   * The loss and gradients the next update's first step would use, without applying anything: for tests
   * (finite differences) and diagnostics. Gradients come back as Float32Arrays in trainableVariables order.
   */
  inspect(batch: LearnerBatch<I>): { loss: number; grads: Float32Array[]; thr: Float32Array | null; advantages: Float32Array } {
    validateLearnerBatch(batch, this.policy.numActions);
    const prep = this.prepare(batch);
    const refLogp = this.referenceLogProbs(batch);
    let thr: Float32Array | null = null;
    let adv: Float32Array = prep.tokenAdv;
    const all = Array.from({ length: batch.B }, (_, b) => b);
    const behaviour = this.behaviourThr(batch, prep);
    const onFirst = (out: PolicyOutputs, maskT: tf.Tensor2D, logpAll: tf.Tensor3D) => {
      const f = this.analyse(batch, out, maskT, prep, logpAll);
      const used = behaviour ?? f;
      thr = used.thr;
      adv = this.weightedAdvantages(batch, prep, used)?.advantages ?? prep.tokenAdv;
      return adv;
    };
    // The full batch as one step: update()'s first step when numMinibatches = 1.
    const { loss, grads, stats } = this.lossAndGrads(batch, all, { adv: null, refLogp, totalTokens: prep.tokens, numMinibatches: 1 }, onFirst);
    {
      const out = {
        loss: loss.dataSync()[0],
        grads: grads.map((g, i) => g ? new Float32Array(g.dataSync() as Float32Array) : new Float32Array(this.policy.trainableVariables[i].size)),
        thr, advantages: adv,
      };
      tf.dispose([loss, stats, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
      return out;
    }
  }

  /** Optimiser state and counters for a checkpoint (synchronous; plain typed arrays). */
  getState(): LearnerState {
    return { version: 1, updates: this.updates, skippedUpdates: this.skippedUpdates, rng: this.rng.s, adam: this.adam.getState() };
  }

  /** Restores getState()'s output (the policy's weights are restored separately with policy.setWeights). */
  setState(state: LearnerState): void {
    if (!state || state.version !== 1) throw new Error(`GrpoLearner.setState: unsupported state version ${JSON.stringify(state?.version)}; expected 1`);
    this.adam.setState(state.adam);
    this.updates = state.updates;
    this.skippedUpdates = state.skippedUpdates;
    this.rng = { s: state.rng >>> 0 };
    this.behaviour?.clear(); // the policy's weights were replaced: older snapshots no longer describe its past
  }

  /** Counters since construction / the restored state. */
  get counters(): { updates: number; skippedUpdates: number; steps: number } {
    return { updates: this.updates, skippedUpdates: this.skippedUpdates, steps: this.adam.steps };
  }

  /** Frees the optimiser's tensors (not the policies: they belong to the caller). */
  dispose(): void { this.adam.dispose(); this.behaviour?.dispose(); }
}

