/**
 * CLIP-style contrastive training of a frame encoder and a caption encoder (Radford et al., 2021,
 * "Learning Transferable Visual Models From Natural Language Supervision").
 *
 * A batch holds B frames and one caption drawn for each. With unit-normalised embeddings f_i, t_j and a
 * learnable temperature (CLIP's logit scale s = exp(w), w initialised to log(1/0.07), s clipped at 100):
 *
 *     S_ij = s · f_i·t_j
 *     L = ½ · mean_i CE(softmax_j S_ij, y_i·) + ½ · mean_j CE(softmax_i S_ij, y_·j)        (symmetric InfoNCE)
 *
 * CLIP's target is y = I (caption j describes frame j only). Here a caption such as "the door is open"
 * is true of many frames of a batch, so the target marks every true pair: y_ij ∝ 1[caption j is true of
 * frame i] (every fact of caption j is one of frame i's facts), each row (column) normalised to sum 1 —
 * the multi-positive form of InfoNCE (as in supervised contrastive learning, Khosla et al., 2020). With
 * all captions distinct and each true of its own frame only, it is CLIP's loss exactly.
 *
 * Captions of a frame: its full description (the state facts joined, drawn with probability
 * `composedShare`), else one of its single facts — a state fact or the step message.
 * Frames are drawn uniformly with probability 1 − `balance`, else uniformly over full descriptions first
 * (so rare states such as "on the goal" are seen often enough).
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../envs/index.ts';
import type { Frame } from '../types.ts';
import { composeDescription, type FrameFacts } from './describe.ts';
import { buildImageTower, buildTextTower, trainableVariables } from './models.ts';
import { CaptionTokenizer } from './tokenizer.ts';

export interface ContrastiveExample { frame: Frame; facts: FrameFacts }

export interface ContrastiveOptions {
  /** Embedding dimension d. */
  dim: number;
  /** Tile side of the image tower (the env's tileSize: one grid cell per tile). */
  patch: number;
  tileHidden: number[];
  hidden: number;
  textHidden: number;
  /** Word n-grams of the tokenizer. */
  ngrams: number;
  batchSize: number;
  learningRate: number;
  /** Share of caption draws that take the full description rather than a single fact. */
  composedShare: number;
  /** Share of frame draws made uniform over full descriptions rather than over frames. */
  balance: number;
  seed: number;
}

export const CONTRASTIVE_DEFAULTS: ContrastiveOptions = {
  dim: 32, patch: 4, tileHidden: [32, 16], hidden: 128, textHidden: 64, ngrams: 2,
  batchSize: 128, learningRate: 2e-3, composedShare: 0.5, balance: 0.5, seed: 0,
};

const unitRows = (x: tf.Tensor2D) => x.div(x.square().sum(1, true).add(1e-12).sqrt()) as tf.Tensor2D;

/**
 * The symmetric multi-positive InfoNCE loss above. `truth` is [B, B] with truth_ij = 1 when caption j is
 * true of frame i (every row and column must hold at least one 1); `logScale` is w (s = min(e^w, 100)).
 */
export function infoNCELoss(frames: tf.Tensor2D, captions: tf.Tensor2D, truth: tf.Tensor2D, logScale: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const f = unitRows(frames), t = unitRows(captions);
    const scale = tf.minimum(logScale, Math.log(100)).exp();
    const logits = f.matMul(t.transpose()).mul(scale) as tf.Tensor2D;
    const rowT = truth.div(truth.sum(1, true));
    const truthT = truth.transpose();
    const colT = truthT.div(truthT.sum(1, true));
    const i2t = rowT.mul(tf.logSoftmax(logits, 1)).sum(1).mean().neg();
    const t2i = colT.mul(tf.logSoftmax(logits.transpose(), 1)).sum(1).mean().neg();
    return i2t.add(t2i).mul(0.5) as tf.Scalar;
  });
}

/** Captions of the data set: strings with the set of facts each asserts. */
class CaptionTable {
  readonly texts: string[] = [];
  readonly facts: number[][] = [];
  private readonly ids = new Map<string, number>();
  private readonly factIds = new Map<string, number>();
  fact(s: string): number {
    let id = this.factIds.get(s);
    if (id === undefined) { id = this.factIds.size; this.factIds.set(s, id); }
    return id;
  }
  caption(text: string, facts: string[]): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length; this.ids.set(text, id); this.texts.push(text);
      this.facts.push([...new Set(facts.map((f) => this.fact(f)))]);
    }
    return id;
  }
}

interface Indexed {
  pixels: Uint8Array;
  /** Caption ids of each example: [0] the full description (or −1), then single facts. */
  captions: number[][];
  facts: Set<number>[];
  byDescription: number[][];
}

export interface RetrievalMetrics {
  frames: number;
  /** Distinct full descriptions (frame → text candidates) and distinct captions of any kind (text → frame queries). */
  descriptions: number;
  captions: number;
  /** Frame → text: share of frames whose own full description ranks first / in the top 5 among all descriptions (null without state descriptions). */
  frameToTextTop1: number | null;
  frameToTextTop5: number | null;
  /**
   * Text → frame, over every distinct caption (full descriptions, single facts, step messages): precision of
   * the top 1 / top 5 frames retrieved per caption (a frame counts when the caption is true of it).
   */
  textToFrameTop1: number;
  textToFrameTop5: number;
  /** What random ranking scores on the same set. */
  chance: { frameToTextTop1: number | null; frameToTextTop5: number | null; textToFrame: number };
}

export class ContrastiveTrainer {
  readonly image: tf.Sequential;
  readonly text: tf.Sequential;
  readonly logScale: tf.Variable;
  readonly tokenizer: CaptionTokenizer;
  readonly options: ContrastiveOptions;
  readonly height: number;
  readonly width: number;
  private readonly table = new CaptionTable();
  private readonly train: Indexed;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly vars: tf.Variable[];
  private readonly rand: () => number;

  constructor(examples: ContrastiveExample[], options: Partial<ContrastiveOptions> = {}) {
    this.options = { ...CONTRASTIVE_DEFAULTS, ...options };
    const usable = examples.filter((e) => e.facts.state.length + e.facts.extra.length > 0);
    if (usable.length < 2) throw new Error(`contrastive trainer: need at least 2 frames with a caption, got ${usable.length}`);
    const { height, width } = usable[0]!.frame;
    for (const e of usable) {
      if (e.frame.height !== height || e.frame.width !== width) {
        throw new Error(`contrastive trainer: every frame must be ${height}×${width}, got one of ${e.frame.height}×${e.frame.width}`);
      }
    }
    this.height = height; this.width = width;
    this.train = this.index(usable);
    this.tokenizer = CaptionTokenizer.fit(this.table.texts, this.options.ngrams);
    const o = this.options;
    this.image = buildImageTower({ height, width, patch: o.patch, tileHidden: o.tileHidden, hidden: o.hidden, dim: o.dim, seed: o.seed });
    this.text = buildTextTower({ vocab: this.tokenizer.size, hidden: o.textHidden, dim: o.dim, seed: o.seed + 100 });
    this.logScale = tf.tidy(() => tf.variable(tf.scalar(Math.log(1 / 0.07)), true));
    this.optimizer = tf.train.adam(o.learningRate);
    this.vars = [...trainableVariables(this.image), ...trainableVariables(this.text), this.logScale];
    this.rand = mulberry32(o.seed ^ 0x5eed);
  }

  private index(examples: ContrastiveExample[]): Indexed {
    const P = this.height * this.width * 3;
    const pixels = new Uint8Array(examples.length * P);
    const captions: number[][] = [], facts: Set<number>[] = [];
    const byDesc = new Map<number, number[]>();
    examples.forEach((e, i) => {
      pixels.set(e.frame.rgb, i * P);
      const own: number[] = [];
      const desc = e.facts.state.length ? this.table.caption(composeDescription(e.facts.state), e.facts.state) : -1;
      own.push(desc);
      for (const f of [...e.facts.state, ...e.facts.extra]) own.push(this.table.caption(f, [f]));
      captions.push(own);
      facts.push(new Set([...e.facts.state, ...e.facts.extra].map((f) => this.table.fact(f))));
      const list = byDesc.get(desc) ?? [];
      list.push(i); byDesc.set(desc, list);
    });
    return { pixels, captions, facts, byDescription: [...byDesc.values()] };
  }

  /** Frames as a [n, H, W, 3] float tensor in 0–1 (the judge's default scale '0-1'). */
  private frameTensor(pixels: Uint8Array, rows: number[]): tf.Tensor4D {
    const P = this.height * this.width * 3, x = new Float32Array(rows.length * P);
    rows.forEach((r, k) => { for (let j = 0; j < P; j++) x[k * P + j] = pixels[r * P + j]! / 255; });
    return tf.tensor4d(x, [rows.length, this.height, this.width, 3]);
  }

  private textTensor(ids: number[]): tf.Tensor2D {
    return tf.tensor2d(this.tokenizer.features(ids.map((id) => this.table.texts[id]!)), [ids.length, this.tokenizer.size]);
  }

  /** One batch: frame rows, the caption drawn for each, and the truth matrix. */
  private batch(d: Indexed, rand: () => number): { rows: number[]; ids: number[]; truth: Float32Array } {
    const o = this.options, B = Math.min(o.batchSize, d.captions.length), n = d.captions.length;
    const rows: number[] = [], ids: number[] = [];
    for (let k = 0; k < B; k++) {
      let r: number;
      if (rand() < o.balance) { const g = d.byDescription[Math.floor(rand() * d.byDescription.length)]!; r = g[Math.floor(rand() * g.length)]!; }
      else r = Math.floor(rand() * n);
      const own = d.captions[r]!;
      const singles = own.slice(1);
      const id = own[0]! >= 0 && (rand() < o.composedShare || !singles.length) ? own[0]! : singles[Math.floor(rand() * singles.length)]!;
      rows.push(r); ids.push(id);
    }
    const truth = new Float32Array(B * B);
    for (let i = 0; i < B; i++) {
      const fi = d.facts[rows[i]!]!;
      for (let j = 0; j < B; j++) truth[i * B + j] = this.table.facts[ids[j]!]!.every((f) => fi.has(f)) ? 1 : 0;
    }
    return { rows, ids, truth };
  }

  /** The batch's loss: the towers on its frames and captions, then InfoNCE (call inside a tidy or minimize). */
  private loss(d: Indexed, b: { rows: number[]; ids: number[]; truth: Float32Array }, training: boolean): tf.Scalar {
    const x = this.frameTensor(d.pixels, b.rows), t = this.textTensor(b.ids);
    const truth = tf.tensor2d(b.truth, [b.rows.length, b.rows.length]);
    return infoNCELoss(this.image.apply(x, { training }) as tf.Tensor2D, this.text.apply(t, { training }) as tf.Tensor2D, truth, this.logScale);
  }

  /** One Adam step on a fresh batch; returns the batch loss. `learningRate` overrides the base rate (schedules). */
  step(learningRate?: number): number {
    (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate ?? this.options.learningRate;
    const b = this.batch(this.train, this.rand);
    const loss = this.optimizer.minimize(() => this.loss(this.train, b, true), true, this.vars)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  }

  /** Mean loss over `batches` batches of held-out examples drawn with a fixed seed (no update). */
  evaluateLoss(examples: ContrastiveExample[], batches = 4, seed = 1): number {
    const d = this.indexHeldOut(examples);
    const rand = mulberry32(seed);
    let s = 0;
    for (let k = 0; k < batches; k++) {
      const b = this.batch(d, rand), l = tf.tidy(() => this.loss(d, b, false));
      s += l.dataSync()[0]!;
      l.dispose();
    }
    return s / batches;
  }

  private indexHeldOut(examples: ContrastiveExample[]): Indexed {
    return this.index(examples.filter((e) => e.facts.state.length + e.facts.extra.length > 0));
  }

  get temperature(): number { return 1 / Math.min(Math.exp(this.logScale.dataSync()[0]!), 100); }

  /** Unit-normalised frame embeddings. */
  embedFrames(frames: Frame[]): Float32Array[] {
    const P = this.height * this.width * 3, pixels = new Uint8Array(frames.length * P);
    frames.forEach((f, i) => pixels.set(f.rgb, i * P));
    return this.embedRows(frames.length, (rows) => this.frameTensor(pixels, rows), (x) => this.image.predict(x) as tf.Tensor2D);
  }

  /** Unit-normalised caption embeddings (words outside the training vocabulary are ignored). */
  embedTexts(texts: string[]): Float32Array[] {
    const V = this.tokenizer.size, feats = this.tokenizer.features(texts);
    return this.embedRows(texts.length, (rows) => tf.tensor2d(feats.slice(rows[0]! * V, (rows.at(-1)! + 1) * V), [rows.length, V]),
      (x) => this.text.predict(x) as tf.Tensor2D);
  }

  /** Rows 0..n−1 in chunks of 256: input(rows) → run → unit rows. */
  private embedRows(n: number, input: (rows: number[]) => tf.Tensor, run: (x: tf.Tensor) => tf.Tensor2D): Float32Array[] {
    const out: Float32Array[] = [];
    for (let s = 0; s < n; s += 256) {
      const rows = Array.from({ length: Math.min(256, n - s) }, (_, k) => s + k);
      const x = input(rows);
      const e = tf.tidy(() => unitRows(run(x)));
      const data = e.dataSync() as Float32Array, d = e.shape[1];
      for (let k = 0; k < rows.length; k++) out.push(Float32Array.from(data.subarray(k * d, (k + 1) * d)));
      x.dispose(); e.dispose();
    }
    return out;
  }

  /** Retrieval between frames and captions (RetrievalMetrics); frames without any caption are skipped. */
  retrieval(examples: ContrastiveExample[]): RetrievalMetrics {
    const usable = examples.filter((e) => e.facts.state.length + e.facts.extra.length > 0);
    if (!usable.length) throw new Error('contrastive retrieval: no frame has a caption');
    return retrievalMetrics(this.embedFrames(usable.map((e) => e.frame)), usable.map((e) => e.facts), (texts) => this.embedTexts(texts));
  }

  dispose(): void {
    this.image.dispose(); this.text.dispose(); this.logScale.dispose(); this.optimizer.dispose();
  }
}

const dot = (a: Float32Array, b: Float32Array) => { let s = 0; for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!; return s; };

/** RetrievalMetrics from unit frame embeddings, each frame's facts, and a text embedder. */
export function retrievalMetrics(frameEmb: Float32Array[], facts: FrameFacts[], embedTexts: (t: string[]) => Float32Array[]): RetrievalMetrics {
  const table = new CaptionTable();
  const frameFacts = facts.map((f) => new Set([...f.state, ...f.extra].map((x) => table.fact(x))));
  const descOf = facts.map((f) => (f.state.length ? table.caption(composeDescription(f.state), f.state) : -1));
  for (const f of facts) for (const x of [...f.state, ...f.extra]) table.caption(x, [x]);
  const textEmb = embedTexts(table.texts);
  const N = frameEmb.length, C = table.texts.length;
  const sims = frameEmb.map((f) => textEmb.map((t) => dot(f, t)));
  const descIds = [...new Set(descOf.filter((d) => d >= 0))];
  let f1 = 0, f5 = 0, withDesc = 0;
  sims.forEach((row, i) => {
    const own = descOf[i]!;
    if (own < 0) return;
    withDesc++;
    const rank = descIds.filter((d) => row[d]! > row[own]!).length;
    if (rank < 1) f1++;
    if (rank < 5) f5++;
  });
  let t1 = 0, t5 = 0, chance = 0;
  for (let c = 0; c < C; c++) {
    const holds = (i: number) => table.facts[c]!.every((f) => frameFacts[i]!.has(f));
    const order = sims.map((row, i) => [row[c]!, i] as const).sort((a, b) => b[0] - a[0]);
    const k5 = order.slice(0, Math.min(5, N));
    t1 += holds(order[0]![1]) ? 1 : 0;
    t5 += k5.filter(([, i]) => holds(i)).length / k5.length;
    let n = 0; for (let i = 0; i < N; i++) if (holds(i)) n++;
    chance += n / N;
  }
  const M = descIds.length;
  return {
    frames: N, descriptions: M, captions: C,
    frameToTextTop1: withDesc ? f1 / withDesc : null, frameToTextTop5: withDesc ? f5 / withDesc : null,
    textToFrameTop1: t1 / C, textToFrameTop5: t5 / C,
    chance: { frameToTextTop1: M ? 1 / M : null, frameToTextTop5: M ? Math.min(1, 5 / M) : null, textToFrame: chance / C },
  };
}
