/**
 * The fixed-seed cases of test/agents/learner-numerics.test.ts: small versions of the project's policies
 * (token transformer with left-padded prompts and right-padded continuations; game MLP with tanh; game
 * conv with ReLU) and one GRPO + THR learner batch each. Shared by the test and by the script that wrote
 * the stored reference (fixtures/make-learner-numerics.ts).
 */
import { GamePolicy, TokenPolicy, GrpoLearner, type LearnerBatch, type TrainablePolicy } from '../../agents/index.ts';
import { rng } from './learner-fixture.ts';

export interface NumericsCase {
  name: string;
  policy: TrainablePolicy<unknown>;
  batch: LearnerBatch<unknown>;
  learner: GrpoLearner<unknown>;
}

function finish(policy: TrainablePolicy<unknown>, inputs: unknown, B: number, L: number, actions: Int32Array, seed: number): LearnerBatch<unknown> {
  const r = rng(seed);
  const mask = new Float32Array(B * L);
  for (let b = 0; b < B; b++) { const len = 1 + Math.floor(r() * L); for (let t = 0; t < len; t++) mask[b * L + t] = 1; }
  return {
    inputs, B, L, mask,
    actions: Int32Array.from(actions, (a, k) => (mask[k] ? a : 0)),
    // Behaviour log-probs near but not at the policy's (ratios ≠ 1, some clipped).
    behaviourLogp: Float32Array.from({ length: B * L }, (_, k) => (mask[k] ? -Math.log(policy.numActions) + 0.6 * (r() - 0.5) : 0)),
    rewards: Float32Array.from({ length: B }, (_, b) => ((b * 7 + seed) % 3 === 0 ? 1 : r() * 0.3)),
    groups: Int32Array.from({ length: B }, (_, b) => Math.floor(b / 4)),
  };
}

export function numericsCases(): NumericsCase[] {
  const cases: Array<Omit<NumericsCase, 'learner'>> = [];
  {
    const policy = new TokenPolicy({ vocabSize: 12, width: 16, layers: 2, heads: 2, context: 12, mlpRatio: 2, seed: 3 });
    const B = 8, P = 4, L = 5, T = P + L, r = rng(4);
    const tokens = Int32Array.from({ length: B * T }, () => 1 + Math.floor(r() * 11));
    for (let b = 0; b < B; b++) for (let t = 0; t < b % 3; t++) tokens[b * T + t] = 0; // left padding
    const actions = new Int32Array(B * L);
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) actions[b * L + t] = tokens[b * T + P + t]!;
    cases.push({ name: 'token transformer', policy: policy as TrainablePolicy<unknown>, batch: finish(policy as TrainablePolicy<unknown>, { tokens, B, T, promptLength: P }, B, L, actions, 5) });
  }
  for (const arch of ['mlp', 'conv'] as const) {
    const policy = new GamePolicy({ obsShape: [2, 4, 4], numActions: 5, arch, hidden: [16, 16], convChannels: [4], activation: arch === 'mlp' ? 'tanh' : 'relu', seed: 3 });
    const B = 8, L = 6, r = rng(1);
    const obs = Float32Array.from({ length: B * L * 32 }, () => (r() < 0.3 ? 1 : 0));
    const actions = Int32Array.from({ length: B * L }, () => Math.floor(r() * 5));
    cases.push({ name: `game ${arch}`, policy: policy as TrainablePolicy<unknown>, batch: finish(policy as TrainablePolicy<unknown>, { obs, B, L }, B, L, actions, 2) });
  }
  return cases.map((c) => ({ ...c, learner: new GrpoLearner(c.policy, { learningRate: 1e-2, thr: { p: 0.5, tau: 0 } }) }));
}

export interface Measured { loss: number; grads: Float32Array[]; after: Float32Array[] }

/** Loss, gradients (trainableVariables order), and the weights after one update. */
export function measure(c: NumericsCase): Measured {
  const { loss, grads } = c.learner.inspect(c.batch);
  c.learner.update(c.batch);
  const after = c.policy.trainableVariables.map((v) => new Float32Array(v.dataSync() as Float32Array));
  return { loss, grads, after };
}

/** Float32Arrays as base64 of their bytes (exact and compact in JSON). */
export const toBase64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
export const fromBase64 = (s: string) => { const b = Buffer.from(s, 'base64'); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
