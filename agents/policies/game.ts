/**
 * The game policy: a small network over the symbolic observation of a grid game (a Box [C, H, W]) with a
 * discrete action head.
 *
 *   arch 'mlp':  flatten(obs) → [Linear → act] × hidden.length → Linear → logits
 *   arch 'conv': obs → [conv k×k, 'same' padding → ReLU] × convChannels.length → flatten → the MLP above
 *
 * The convolution is written as im2col + matMul (pad, k² shifted slices concatenated on the channel axis,
 * one matMul with a [k²·C_in, C_out] filter) because the wasm backend has no Conv2DBackpropFilter kernel.
 * Initialisation follows CleanRL's PPO heads in spirit: hidden layers with std √(2/fan_in) (He) scaled
 * normals, the policy head with std 0.01 so the initial policy is close to uniform.
 *
 * Actor side, `act` runs every env step. Both a tfjs forward and a plain-TypeScript forward over
 * Float32Array copies of the same weights exist; the benchmark (scripts/bench/policies.ts) measured tfjs
 * wasm faster at the default sizes, so `actImpl` defaults to 'tfjs'. A test checks both agree with `evaluate`.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedWeights, PolicyOutputs, TrainablePolicy } from '../types.ts';
import { ConfigError, joinKey, parse, type Infer, type Input, type Schema } from '../../core/schema.ts';
import { MAX_POLICY_PARAMETERS } from './size.ts';
import { matmulT, reluInPlace, tanhInPlace } from './jsmath.ts';
import { linear, tanh } from './ops.ts';
import { ParamStore } from './params.ts';
import { makeRng, type Rng } from './rng.ts';
import { chooseAction, validateSamplingOptions } from './sampling.ts';

/** The game policy's options (the experiment's `policy` section for games). */
export const GAME_POLICY_OPTIONS = {
  kind: { type: 'enum', values: ['game'], default: 'game', doc: "The policy class: 'game' (this one) or 'token' (token.ts)." },
  obsShape: { type: 'int[]', default: [], min: 1, minLength: 1, required: true, doc: "Observation shape [C, H, W]: the game's Box space (any shape is flattened for 'mlp'). The runner fills it from the env." },
  numActions: { type: 'int', default: null, min: 2, required: true, doc: "Number of discrete actions: the game's Discrete(n). The runner fills it from the env." },
  arch: { type: 'enum', values: ['mlp', 'conv'], default: 'mlp', doc: "'mlp' flattens the observation; 'conv' puts im2col convolutions first (needs a 3-D obsShape)." },
  hidden: { type: 'int[]', default: [64, 64], min: 1, minLength: 1, doc: 'Widths of the fully connected hidden layers; the last one is `hiddenSize` (the THR h). [64, 64] as in CleanRL PPO.' },
  activation: { type: 'enum', values: ['tanh', 'relu'], default: 'tanh', doc: "Hidden-layer nonlinearity ('tanh': CleanRL PPO's choice for small control nets)." },
  convChannels: { type: 'int[]', default: [16], min: 1, doc: "Output channels of each conv layer ('conv' only)." },
  convKernel: { type: 'int', default: 3, min: 1, max: 15, doc: "Odd square kernel size of the conv layers ('conv' only; 'same' padding)." },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, doc: 'Seed of the weight initialisation and of the default sampling RNG.' },
  actImpl: {
    type: 'enum', values: ['js', 'tfjs'], default: 'tfjs',
    doc: "Actor-side forward of `act`: 'tfjs' (measured faster: at 16 envs the wasm backend's SIMD matMul beat the plain-TypeScript loops ~8× for the default MLP, scripts/bench/policies.ts) or 'js' (no tfjs call per step; same results to float rounding).",
  },
} as const satisfies Schema;

export type GamePolicyConfig = Infer<typeof GAME_POLICY_OPTIONS>;
/** What users write: every option optional but the two the env gives (the runner fills those). */
export type GamePolicyConfigInput = Input<typeof GAME_POLICY_OPTIONS> & { obsShape: number[]; numActions: number };

/** Parameters of a game policy with this config (conv filters and biases, hidden layers, head). */
export function gamePolicyParameterCount(c: Pick<GamePolicyConfig, 'obsShape' | 'numActions' | 'arch' | 'hidden' | 'convChannels' | 'convKernel'>): number {
  let inDim = c.obsShape.reduce((a, b) => a * b, 1);
  let n = 0;
  if (c.arch === 'conv') {
    let ch = c.obsShape[0]!;
    for (const out of c.convChannels) { n += c.convKernel * c.convKernel * ch * out + out; ch = out; }
    inDim = ch * c.obsShape[1]! * c.obsShape[2]!;
  }
  for (const out of c.hidden) { n += inDim * out + out; inDim = out; }
  return n + inDim * c.numActions + c.numActions;
}

/** Validate a partial game-policy config and fill defaults; `path` is its key in the experiment config. */
export function validateGamePolicyConfig(partial: GamePolicyConfigInput | Record<string, unknown>, path = 'policy'): GamePolicyConfig {
  const c = parse(GAME_POLICY_OPTIONS, partial, path);
  const key = (k: string) => `'${joinKey(path, k)}'`;
  if (c.arch === 'conv') {
    if (c.obsShape.length !== 3) throw new ConfigError(`config key ${key('obsShape')} must be [C, H, W] (3 entries) with ${key('arch')} 'conv', got [${c.obsShape}]`);
    if (c.convKernel % 2 !== 1) throw new ConfigError(`config key ${key('convKernel')} must be odd ('same' padding), got ${c.convKernel}`);
    if (c.convChannels.length === 0) throw new ConfigError(`config key ${key('convChannels')} must list at least one layer with ${key('arch')} 'conv', got []`);
  }
  const params = gamePolicyParameterCount(c);
  if (params > MAX_POLICY_PARAMETERS) {
    throw new ConfigError(`config key ${key('hidden')} ${JSON.stringify(c.hidden)}${c.arch === 'conv' ? ` (with ${key('convChannels')} ${JSON.stringify(c.convChannels)})` : ''} makes a game policy of ${params.toLocaleString('en-US')} parameters for obsShape [${c.obsShape}]; the limit is ${MAX_POLICY_PARAMETERS.toLocaleString('en-US')} (MAX_POLICY_PARAMETERS, agents/policies/size.ts)`);
  }
  return c;
}

/** Learner-side input: B rollouts × L steps of flattened observations (padded steps are zeros). */
export interface GameInputs {
  obs: Float32Array;
  B: number;
  L: number;
}

export interface ActOptions {
  /** argmax instead of sampling. */
  greedy?: boolean;
  /**
   * Sample from softmax(logits / T), T > 0 (ignored when greedy). Default 1. With T ≠ 1 `logp` is the
   * log-prob under that tempered distribution — what a learner with the same temperature scores.
   */
  temperature?: number;
  /** Uniform [0,1) source; defaults to the policy's own RNG seeded from config.seed. */
  rng?: Rng;
  /** Also return the last hidden layer [N*d] (costs a copy). Default true. */
  hidden?: boolean;
}

export interface ActResult {
  actions: Int32Array;
  /** log π(action | obs) under the distribution sampled from: softmax(logits / T) (for greedy: the policy's, of the argmax). */
  logp: Float32Array;
  /** [N*d] last hidden layer, when requested. */
  hidden?: Float32Array;
}

export class GamePolicy implements TrainablePolicy<GameInputs> {
  readonly kind = 'game' as const;
  readonly config: GamePolicyConfig;
  readonly numActions: number;
  readonly hiddenSize: number;
  readonly obsDim: number;
  private readonly params: ParamStore;
  private readonly rng: Rng;

  constructor(config: GamePolicyConfigInput) {
    this.config = validateGamePolicyConfig(config);
    const c = this.config;
    this.numActions = c.numActions;
    this.hiddenSize = c.hidden[c.hidden.length - 1]!;
    this.obsDim = c.obsShape.reduce((a, b) => a * b, 1);
    const initRng = makeRng(c.seed);
    this.rng = makeRng(c.seed ^ 0x5bd1e995);
    this.params = new ParamStore('GamePolicy', initRng);
    let inDim = this.obsDim;
    if (c.arch === 'conv') {
      let ch = c.obsShape[0]!;
      const k = c.convKernel;
      c.convChannels.forEach((out, i) => {
        this.params.add(`conv${i}.weight`, [k * k * ch, out], { kind: 'normal', std: Math.sqrt(2 / (k * k * ch)) });
        this.params.add(`conv${i}.bias`, [out], { kind: 'zeros' });
        ch = out;
      });
      inDim = ch * c.obsShape[1]! * c.obsShape[2]!;
    }
    c.hidden.forEach((out, i) => {
      this.params.add(`fc${i}.weight`, [inDim, out], { kind: 'normal', std: Math.sqrt(2 / inDim) });
      this.params.add(`fc${i}.bias`, [out], { kind: 'zeros' });
      inDim = out;
    });
    this.params.add('head.weight', [inDim, c.numActions], { kind: 'normal', std: 0.01 });
    this.params.add('head.bias', [c.numActions], { kind: 'zeros' });
  }

  get trainableVariables(): tf.Variable[] {
    return this.params.list;
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    return this.params.count;
  }

  /** tfjs forward over [N, obsDim] → { logits [N, V], hidden [N, d] }. */
  private forward(x: tf.Tensor2D): { logits: tf.Tensor2D; hidden: tf.Tensor2D } {
    const c = this.config;
    const v = this.params.vars;
    let h: tf.Tensor2D = x;
    if (c.arch === 'conv') {
      const [C, H, W] = c.obsShape as [number, number, number];
      const N = x.shape[0];
      const k = c.convKernel;
      const p = (k - 1) / 2;
      let img: tf.Tensor4D = x.reshape([N, C, H, W]).transpose([0, 2, 3, 1]);
      let ch = C;
      c.convChannels.forEach((out, i) => {
        const padded = img.pad([[0, 0], [p, p], [p, p], [0, 0]]);
        const cols: tf.Tensor4D[] = [];
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) cols.push(padded.slice([0, dy, dx, 0], [N, H, W, ch]) as tf.Tensor4D);
        const patches = (cols.length === 1 ? cols[0]! : tf.concat(cols, 3)).reshape([N * H * W, k * k * ch]);
        img = tf.relu(linear(patches as tf.Tensor2D, v[`conv${i}.weight`]!, v[`conv${i}.bias`], { inputGrad: i > 0 })).reshape([N, H, W, out]) as tf.Tensor4D;
        ch = out;
      });
      h = img.reshape([N, H * W * ch]);
    }
    c.hidden.forEach((_, i) => {
      // The observations are constants: no gradient is computed for them.
      const z = linear(h, v[`fc${i}.weight`]!, v[`fc${i}.bias`], { inputGrad: i > 0 || c.arch === 'conv' });
      h = (c.activation === 'tanh' ? tanh(z) : tf.relu(z)) as tf.Tensor2D;
    });
    const logits = linear(h, v['head.weight']!, v['head.bias']);
    return { logits, hidden: h };
  }

  evaluate(inputs: GameInputs): PolicyOutputs {
    const { obs, B, L } = inputs;
    if (obs.length !== B * L * this.obsDim) {
      throw new Error(`GamePolicy.evaluate: obs has ${obs.length} values, expected B*L*obsDim = ${B}*${L}*${this.obsDim}`);
    }
    return tf.tidy(() => {
      const { logits, hidden } = this.forward(tf.tensor2d(obs, [B * L, this.obsDim]));
      return { logits: logits.reshape([B, L, this.numActions]) as tf.Tensor3D, hidden: hidden.reshape([B, L, this.hiddenSize]) as tf.Tensor3D };
    });
  }

  /** Plain-TypeScript forward: the same graph as `forward`, over Float32Array weights. */
  forwardJs(obs: Float32Array, N: number): { logits: Float32Array; hidden: Float32Array } {
    const c = this.config;
    const w = this.params.js();
    const wt = this.params.jsT();
    let h: Float32Array = obs;
    let dim = this.obsDim;
    if (c.arch === 'conv') {
      const [C, H, W] = c.obsShape as [number, number, number];
      const k = c.convKernel;
      const p = (k - 1) / 2;
      // NCHW → NHWC
      let img: Float32Array = new Float32Array(N * H * W * C);
      for (let n = 0; n < N; n++) for (let ci = 0; ci < C; ci++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        img[((n * H + y) * W + x) * C + ci] = obs[((n * C + ci) * H + y) * W + x]!;
      }
      let ch = C;
      c.convChannels.forEach((out, i) => {
        const kk = k * k * ch;
        const patches = new Float32Array(N * H * W * kk);
        for (let n = 0; n < N; n++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          const row = ((n * H + y) * W + x) * kk;
          for (let dy = 0; dy < k; dy++) {
            const yy = y + dy - p;
            if (yy < 0 || yy >= H) continue;
            for (let dx = 0; dx < k; dx++) {
              const xx = x + dx - p;
              if (xx < 0 || xx >= W) continue;
              const src = ((n * H + yy) * W + xx) * ch;
              const dst = row + (dy * k + dx) * ch;
              for (let q = 0; q < ch; q++) patches[dst + q] = img[src + q]!;
            }
          }
        }
        img = reluInPlace(matmulT(patches, N * H * W, kk, wt[`conv${i}.weight`]!, out, w[`conv${i}.bias`]!));
        ch = out;
      });
      h = img;
      dim = H * W * ch;
    }
    c.hidden.forEach((out, i) => {
      const z = matmulT(h, N, dim, wt[`fc${i}.weight`]!, out, w[`fc${i}.bias`]!);
      h = c.activation === 'tanh' ? tanhInPlace(z) : reluInPlace(z);
      dim = out;
    });
    const logits = matmulT(h, N, dim, wt['head.weight']!, this.numActions, w['head.bias']!);
    return { logits, hidden: h };
  }

  /** Same as forwardJs, through tfjs (the default `actImpl`). `hidden: false` skips reading the hidden layer back. */
  forwardTf(obs: Float32Array, N: number, opts: { hidden?: boolean } = {}): { logits: Float32Array; hidden: Float32Array } {
    const [l, h] = tf.tidy(() => {
      const o = this.forward(tf.tensor2d(obs, [N, this.obsDim]));
      return [o.logits, o.hidden];
    });
    const out = { logits: l.dataSync() as Float32Array, hidden: opts.hidden === false ? new Float32Array(0) : (h.dataSync() as Float32Array) };
    l.dispose();
    h.dispose();
    return out;
  }

  /** Choose actions for N envs at once from their observations [N*obsDim]. */
  act(obs: Float32Array, N: number, opts: ActOptions = {}): ActResult {
    if (obs.length !== N * this.obsDim) throw new Error(`GamePolicy.act: obs has ${obs.length} values, expected N*obsDim = ${N}*${this.obsDim}`);
    const { logits, hidden } = this.config.actImpl === 'js' ? this.forwardJs(obs, N) : this.forwardTf(obs, N, { hidden: opts.hidden });
    const rng = opts.rng ?? this.rng;
    const sampling = validateSamplingOptions({ greedy: opts.greedy ?? false, temperature: opts.temperature ?? 1 });
    // At T = 1 keep the policy's own log-softmax (bit-identical to before temperature existed).
    const tempered = !sampling.greedy && sampling.temperature !== 1;
    const actions = new Int32Array(N);
    const logp = new Float32Array(N);
    const V = this.numActions;
    for (let n = 0; n < N; n++) {
      const ch = chooseAction(logits, n * V, V, sampling, rng);
      actions[n] = ch.action;
      logp[n] = tempered ? ch.logp : ch.modelLogp;
    }
    return opts.hidden === false ? { actions, logp } : { actions, logp, hidden };
  }

  getWeights(): NamedWeights {
    return this.params.getWeights();
  }

  setWeights(weights: NamedWeights): void {
    this.params.setWeights(weights);
  }

  dispose(): void {
    this.params.dispose();
  }
}
