/**
 * Perceptual judge: rewards from frame embeddings of a pluggable image encoder (encoders.ts).
 *
 * 'goal' / 'goal-baseline' — VLM-RM (Rocamonde et al., 2023). With unit-normalised frame embedding s,
 * goal g and baseline b (normalised means of the goal / baseline demonstration frames' embeddings):
 *
 *     d = g − b,  P = d dᵀ / ‖d‖²,  M_α = αP + (1−α)I,   R(s) = 1 − ½ ‖(s − g) M_α‖²
 *
 * ('goal' is α = 0: R = cosine similarity to the goal.) Goals in words (config goalText / baselineText, as
 * VLM-RM's prompts): g and b are the normalised means of the texts' embeddings by the paired text encoder
 * of a contrastively trained frame encoder (rewards/encoders/), in the same space as the frames.
 *
 * 'steps' — unsupervised perceptual rewards after Sermanet et al. (2016). Each demonstration's embeddings
 * x_1..x_T are split into K contiguous steps minimising the total within-step variance (exact dynamic
 * programme); step k pools the k-th segments of all demonstrations. Per step k: mean μ_k and variance σ²_k per feature, with σ²_k += 0.1·(global variance) + 1e-6
 * so a short step does not give a zero-width Gaussian; the `featuresPerStep` features with the largest
 * |μ_k − μ_rest| / (σ_k + σ_rest) are kept (F_k). The implemented per-step reward (the paper's exact
 * formula was not confirmed; this is the project's choice) is a naive-Bayes Gaussian similarity
 *
 *     s_k(x) = exp( −½ · mean_{j∈F_k} ((x_j − μ_kj) / σ_kj)² ),    R(x) = Σ_k (k+1) s_k(x) / Σ_k (k+1)
 *
 * so later steps weigh more. The frame embedding is unit-normalised first, as for VLM-RM.
 *
 * Label = R (output 'score') or 1[R > threshold] ('binary'). Requests without a frame get 'no_frame'.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { PerceptualJudgeConfig } from '../config.ts';
import type { AnnotationRequest, Frame, Judge, JudgeResult, PairResult } from '../types.ts';
import { checkFrame, createEncoder, TfjsModelEncoder, TfjsTextEncoder, type ImageEncoder } from './encoders.ts';

/** Frames as stored in a demonstrations JSON file: rgb base64-encoded. */
export interface FrameJSON { height: number; width: number; rgb: string }

export interface Demonstrations { goal?: Frame[]; baseline?: Frame[]; demonstration?: Frame[] }

export function frameToJSON(f: Frame): FrameJSON {
  return { height: f.height, width: f.width, rgb: Buffer.from(f.rgb.buffer, f.rgb.byteOffset, f.rgb.byteLength).toString('base64') };
}

export function frameFromJSON(j: FrameJSON, where: string): Frame {
  const f: Frame = { height: j?.height, width: j?.width, rgb: new Uint8Array(Buffer.from(String(j?.rgb ?? ''), 'base64')) };
  checkFrame(f, where);
  return f;
}

/** Reads { goal?, baseline?, demonstration? } (arrays of FrameJSON) from a JSON file. */
export async function loadDemonstrations(path: string): Promise<Demonstrations> {
  let raw: Record<string, unknown>;
  try { raw = JSON.parse(await readFile(path, 'utf8')); } catch (err) {
    throw new Error(`rewards.judge.demonstrations: cannot read '${path}': ${(err as Error).message}`);
  }
  const out: Demonstrations = {};
  for (const key of Object.keys(raw)) {
    if (!['goal', 'baseline', 'demonstration'].includes(key)) {
      throw new Error(`rewards.judge.demonstrations '${path}': unknown key '${key}'. Valid keys: goal, baseline, demonstration`);
    }
    const list = raw[key];
    if (!Array.isArray(list)) throw new Error(`rewards.judge.demonstrations '${path}': '${key}' must be an array of frames`);
    out[key as keyof Demonstrations] = list.map((j, i) => frameFromJSON(j as FrameJSON, `${path} ${key}[${i}]`));
  }
  return out;
}

function unit(v: Float32Array): Float32Array {
  let n = 0; for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return Float32Array.from(v, (x) => x / n);
}

function meanUnit(vs: Float32Array[]): Float32Array {
  const d = vs[0]!.length, m = new Float32Array(d);
  for (const v of vs) { const u = unit(v); for (let j = 0; j < d; j++) m[j]! += u[j]! / vs.length; }
  return unit(m);
}

/** VLM-RM's R(s) = 1 − ½‖(s − g)M_α‖², with M_α = αP + (1−α)I and P the projection on d = g − b. */
export function goalBaselineReward(s: Float32Array, g: Float32Array, b: Float32Array | null, alpha: number): number {
  const D = s.length;
  const v = new Float64Array(D);
  for (let j = 0; j < D; j++) v[j] = s[j]! - g[j]!;
  let proj: Float64Array | null = null;
  if (b && alpha > 0) {
    const d = new Float64Array(D);
    let dd = 0, dv = 0;
    for (let j = 0; j < D; j++) { d[j] = g[j]! - b[j]!; dd += d[j]! ** 2; dv += d[j]! * v[j]!; }
    if (dd > 1e-12) { proj = new Float64Array(D); for (let j = 0; j < D; j++) proj[j] = (d[j]! * dv) / dd; }
  }
  let sq = 0;
  for (let j = 0; j < D; j++) {
    const m = proj ? alpha * proj[j]! + (1 - alpha) * v[j]! : v[j]!;
    sq += m * m;
  }
  return 1 - 0.5 * sq;
}

/** Splits rows x_0..x_{T−1} into K contiguous segments minimising Σ within-segment squared deviation. Returns segment start indices. */
export function segmentByVariance(xs: Float32Array[], K: number): number[] {
  const T = xs.length, D = xs[0]!.length;
  if (K > T) throw new Error(`perceptual judge: ${K} steps need at least ${K} demonstration frames, got ${T}`);
  const ps = Array.from({ length: T + 1 }, () => new Float64Array(D));
  const pq = new Float64Array(T + 1);
  for (let t = 0; t < T; t++) {
    let q = 0;
    for (let j = 0; j < D; j++) { ps[t + 1]![j] = ps[t]![j]! + xs[t]![j]!; q += xs[t]![j]! ** 2; }
    pq[t + 1] = pq[t]! + q;
  }
  const cost = (a: number, b: number) => { // rows a..b−1
    let s2 = 0;
    for (let j = 0; j < D; j++) { const s = ps[b]![j]! - ps[a]![j]!; s2 += s * s; }
    return pq[b]! - pq[a]! - s2 / (b - a);
  };
  const INF = Number.POSITIVE_INFINITY;
  const best = Array.from({ length: K + 1 }, () => new Float64Array(T + 1).fill(INF));
  const arg = Array.from({ length: K + 1 }, () => new Int32Array(T + 1));
  best[0]![0] = 0;
  for (let k = 1; k <= K; k++) {
    for (let t = k; t <= T; t++) {
      for (let s = k - 1; s < t; s++) {
        const c = best[k - 1]![s]! + cost(s, t);
        if (c < best[k]![t]!) { best[k]![t] = c; arg[k]![t] = s; }
      }
    }
  }
  const starts: number[] = [];
  let t = T;
  for (let k = K; k >= 1; k--) { const s = arg[k]![t]!; starts.unshift(s); t = s; }
  return starts;
}

interface StepModel { features: Int32Array; mu: Float64Array; sigma: Float64Array }

export class PerceptualJudge implements Judge {
  readonly kind = 'perceptual' as const;
  private goal: Float32Array | null = null;
  private baseline: Float32Array | null = null;
  private stepModels: StepModel[] = [];
  private goalHash = 'unset';

  /** True once goals were set from words (setTextGoal): frame goals given later are refused. */
  goalsInWords = false;

  constructor(readonly config: PerceptualJudgeConfig, readonly encoder: ImageEncoder, readonly textEncoder: TfjsTextEncoder | null = null) {}

  /**
   * Loads the encoder and the goals: in words (goalText / baselineText, through the paired text encoder),
   * else from the demonstrations file when the config names one.
   */
  static async create(config: PerceptualJudgeConfig): Promise<PerceptualJudge> {
    const encoder = await createEncoder(config.encoder);
    if (config.goalText.length && config.encoder.kind === 'tfjs') {
      const e = config.encoder;
      const textPath = e.textPath ?? join(dirname(e.path), (encoder as TfjsModelEncoder).trained?.text ?? 'text-model.json');
      let text: TfjsTextEncoder;
      try { text = await TfjsTextEncoder.load(textPath); } catch (err) {
        encoder.dispose();
        throw new Error(`rewards.judge.goalText needs the frame encoder's paired text encoder: ${(err as Error).message} (set rewards.judge.encoder.textPath)`);
      }
      const judge = new PerceptualJudge(config, encoder, text);
      await judge.setTextGoal(config.goalText, config.baselineText);
      return judge;
    }
    const judge = new PerceptualJudge(config, encoder);
    if (config.demonstrations) {
      const demo = await loadDemonstrations(config.demonstrations);
      if (config.mode === 'steps') {
        if (!demo.demonstration?.length) throw new Error(`rewards.judge.demonstrations '${config.demonstrations}': mode 'steps' needs a 'demonstration' array`);
        await judge.setDemonstration(demo.demonstration);
      } else {
        if (!demo.goal?.length) throw new Error(`rewards.judge.demonstrations '${config.demonstrations}': mode '${config.mode}' needs a 'goal' array`);
        await judge.setGoal(demo.goal, demo.baseline);
      }
    }
    return judge;
  }

  /** Judge id: mode, encoder, α and a hash of the goal embeddings (set goals before building an annotator). */
  get id(): string {
    return `perceptual-${this.config.mode}-${this.encoder.name}-a${this.config.alpha}-${this.config.output}${this.config.threshold}-${this.goalHash}`;
  }

  /** Goal (and baseline) demonstration frames for 'goal' / 'goal-baseline' modes. */
  async setGoal(goalFrames: Frame[], baselineFrames: Frame[] = []): Promise<void> {
    if (this.goalsInWords) throw new Error('PerceptualJudge.setGoal: the goals were given in words (goalText); frame goals would replace them');
    if (!goalFrames.length) throw new Error('PerceptualJudge.setGoal: at least one goal frame is needed');
    if (this.config.mode === 'goal-baseline' && !baselineFrames.length) {
      throw new Error("PerceptualJudge.setGoal: mode 'goal-baseline' needs baseline frames (or use mode 'goal')");
    }
    this.goal = meanUnit(await this.encoder.encode(goalFrames));
    this.baseline = baselineFrames.length ? meanUnit(await this.encoder.encode(baselineFrames)) : null;
    this.goalHash = hashVectors([this.goal, ...(this.baseline ? [this.baseline] : [])]);
  }

  /**
   * Goals in words for 'goal' / 'goal-baseline' modes: g (b) = the normalised mean embedding of `goal`
   * (`baseline`) by the paired text encoder, e.g. ['the agent stands on the goal'] / ['the agent is in the first room'].
   */
  async setTextGoal(goal: string[], baseline: string[] = []): Promise<void> {
    if (!this.textEncoder) throw new Error('PerceptualJudge.setTextGoal: this judge has no text encoder (a tfjs frame encoder trained with one, rewards/encoders/)');
    if (this.config.mode === 'steps') throw new Error("PerceptualJudge.setTextGoal: mode 'steps' takes demonstrations, not words");
    if (!goal.length) throw new Error('PerceptualJudge.setTextGoal: at least one goal text is needed');
    if (this.config.mode === 'goal-baseline' && !baseline.length) throw new Error("PerceptualJudge.setTextGoal: mode 'goal-baseline' needs baseline texts (or use mode 'goal')");
    this.goal = meanUnit(this.textEncoder.encode(goal));
    this.baseline = baseline.length ? meanUnit(this.textEncoder.encode(baseline)) : null;
    this.goalHash = 'text-' + hashVectors([this.goal, ...(this.baseline ? [this.baseline] : [])]);
    this.goalsInWords = true;
  }

  /** One demonstration (ordered frames) for 'steps' mode. */
  async setDemonstration(frames: Frame[]): Promise<void> {
    await this.setDemonstrations([frames]);
  }

  /** Several demonstrations for 'steps' mode: each is segmented into K steps; step k pools the k-th segments. */
  async setDemonstrations(demos: Frame[][]): Promise<void> {
    const K = this.config.steps;
    if (!demos.length) throw new Error('PerceptualJudge.setDemonstrations: at least one demonstration is needed');
    const perDemo = await Promise.all(demos.map(async (frames) => (await this.encoder.encode(frames)).map(unit)));
    const steps: Float32Array[][] = Array.from({ length: K }, () => []);
    for (const xs of perDemo) {
      const starts = segmentByVariance(xs, K);
      starts.forEach((start, k) => steps[k]!.push(...xs.slice(start, k + 1 < K ? starts[k + 1]! : xs.length)));
    }
    const xs = perDemo.flat();
    const D = xs[0]!.length;
    const stats = (rows: Float32Array[]) => {
      const mu = new Float64Array(D), v = new Float64Array(D);
      for (const r of rows) for (let j = 0; j < D; j++) mu[j]! += r[j]! / rows.length;
      for (const r of rows) for (let j = 0; j < D; j++) v[j]! += (r[j]! - mu[j]!) ** 2 / rows.length;
      return { mu, v };
    };
    const global = stats(xs);
    this.stepModels = steps.map((inside, k) => {
      const rest = steps.filter((_, j) => j !== k).flat();
      const s = stats(inside);
      const r = rest.length ? stats(rest) : global;
      const sigma = new Float64Array(D);
      const disc: Array<[number, number]> = [];
      for (let j = 0; j < D; j++) {
        sigma[j] = Math.sqrt(s.v[j]! + 0.1 * global.v[j]! + 1e-6);
        disc.push([Math.abs(s.mu[j]! - r.mu[j]!) / (sigma[j]! + Math.sqrt(r.v[j]! + 1e-6)), j]);
      }
      disc.sort((a, b) => b[0] - a[0]);
      const features = Int32Array.from(disc.slice(0, Math.min(this.config.featuresPerStep, D)).map(([, j]) => j));
      return { features, mu: s.mu, sigma };
    });
    this.goalHash = hashVectors(this.stepModels.map((m) => Float32Array.from(m.mu)));
  }

  /** The perceptual reward R of each frame. Throws when no goal / demonstration is set. */
  async scoreFrames(frames: Frame[]): Promise<Float32Array> {
    const embs = (await this.encoder.encode(frames)).map(unit);
    return Float32Array.from(embs, (s) => this.rewardOf(s));
  }

  private rewardOf(s: Float32Array): number {
    if (this.config.mode === 'steps') {
      if (!this.stepModels.length) throw new Error('PerceptualJudge: no demonstration set (setDemonstration or config.demonstrations)');
      let num = 0, den = 0;
      this.stepModels.forEach((m, k) => {
        let z2 = 0;
        for (const j of m.features) z2 += ((s[j]! - m.mu[j]!) / m.sigma[j]!) ** 2;
        num += (k + 1) * Math.exp(-0.5 * z2 / m.features.length);
        den += k + 1;
      });
      return num / den;
    }
    if (!this.goal) throw new Error('PerceptualJudge: no goal set (setGoal or config.demonstrations)');
    return goalBaselineReward(s, this.goal, this.config.mode === 'goal-baseline' ? this.baseline : null, this.config.alpha);
  }

  private toLabel(r: number): number {
    return this.config.output === 'binary' ? (r > this.config.threshold ? 1 : 0) : r;
  }

  async label(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    return (await this.scoreLabels(items)).map((r) => (r.ok ? { ok: true, label: this.toLabel(r.label) } : r));
  }

  async compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]> {
    const flat = pairs.flat();
    const labels = await this.scoreLabels(flat);
    return pairs.map((_, i) => {
      const a = labels[2 * i]!, b = labels[2 * i + 1]!;
      if (!a.ok) return a;
      if (!b.ok) return b;
      return { ok: true, preferred: Math.abs(a.label - b.label) < 1e-9 ? 0.5 : a.label > b.label ? 0 : 1 };
    });
  }

  /** Raw R (not thresholded) per item, for comparisons. */
  private async scoreLabels(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    const results: JudgeResult[] = items.map(() => ({ ok: false, error: 'no_frame' }));
    const withFrame = items.map((it, i) => [it, i] as const).filter(([it]) => !!it.frame);
    if (!withFrame.length) return results;
    try {
      const r = await this.scoreFrames(withFrame.map(([it]) => it.frame!));
      withFrame.forEach(([, i], n) => { results[i] = { ok: true, label: r[n]! }; });
    } catch {
      withFrame.forEach(([, i]) => { results[i] = { ok: false, error: 'exception' }; });
    }
    return results;
  }

  async close(): Promise<void> { this.encoder.dispose(); this.textEncoder?.dispose(); }
}

function hashVectors(vs: Float32Array[]): string {
  const h = createHash('sha1');
  for (const v of vs) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest('hex').slice(0, 12);
}
