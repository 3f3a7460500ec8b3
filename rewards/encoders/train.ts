/**
 * One call from an env id to a saved frame encoder + text encoder: collect captioned frames on train-split
 * levels (./dataset.ts), train the two towers contrastively (./contrastive.ts), measure held-out loss and
 * retrieval on test-split levels, and write to `out/`:
 *
 *   model.json + model.weights.bin            frame encoder (tfjs layers model; load it as a tfjs encoder)
 *   text-model.json + text-model.weights.bin  paired text encoder (tokenizer in its metadata)
 *   training.json                             options, loss curve, held-out retrieval, data counts
 *
 * `scripts/train-encoder.ts` is the command (`npm run train-encoder -- --env KeyDoor-v0`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEnvRegistration, makeEnvSync } from '../../envs/index.ts';
import { fileSaveHandler, type TrainedEncoderMetadata } from '../judges/encoders.ts';
import { ContrastiveTrainer, type ContrastiveOptions, type RetrievalMetrics } from './contrastive.ts';
import { collectCaptionedFrames, requireGame, type CaptionedFrame } from './dataset.ts';
import { FACTS } from './describe.ts';

export interface TrainEncoderOptions {
  env: string;
  /**
   * The env's options (size, tileSize, …); `split` is set by the trainer. The encoder only takes frames of
   * this size. An env with a tileSize option gets tileSize 4 unless given (the smallest at which the grid
   * worlds draw the agent and the key).
   */
  envOptions: Record<string, unknown>;
  out: string;
  steps: number;
  seed: number;
  /** Train-split levels to collect frames on, and test-split levels for held-out loss and retrieval. */
  levels: number;
  heldOutLevels: number;
  /** Rollouts per level besides the solver's plan (./dataset.ts). */
  noisyEpisodes: number;
  randomEpisodes: number;
  epsilon: number;
  /** 'all': step messages + state descriptions; 'messages': step messages only (an ablation). */
  captions: 'all' | 'messages';
  /** Loss-curve points every `logEvery` steps (held-out loss on 4 fixed batches). */
  logEvery: number;
  /** Tile side of the image tower; null = the env's tileSize option (one grid cell per tile), else 4. */
  patch: number | null;
  model: Partial<Pick<ContrastiveOptions, 'dim' | 'tileHidden' | 'hidden' | 'textHidden' | 'batchSize' | 'learningRate' | 'composedShare' | 'balance'>>;
}

export const TRAIN_ENCODER_DEFAULTS: Omit<TrainEncoderOptions, 'env' | 'out'> = {
  envOptions: {}, steps: 1000, seed: 0, levels: 300, heldOutLevels: 100, noisyEpisodes: 2, randomEpisodes: 1,
  epsilon: 0.3, captions: 'all', logEvery: 50, patch: null, model: {},
};

export interface CurvePoint { step: number; loss: number; heldOutLoss: number; temperature: number; learningRate: number; seconds: number }

export interface TrainEncoderReport {
  env: string;
  envOptions: Record<string, unknown>;
  frame: { height: number; width: number };
  options: Omit<TrainEncoderOptions, 'out'>;
  model: ContrastiveOptions;
  /** Frames collected; `captioned` of them have at least one caption (the others cannot be paired and are not trained on). */
  data: { trainFrames: number; captioned: number; heldOutFrames: number; bySource: Record<string, number>; descriptions: number; vocab: number };
  curve: CurvePoint[];
  /** Held-out retrieval (test-split levels). */
  retrieval: RetrievalMetrics;
  /** The same on (at most as many) training frames, to see over-fitting. */
  trainRetrieval: RetrievalMetrics;
  seconds: number;
  files: { frameEncoder: string; textEncoder: string; report: string };
}

function collect(env: string, envOptions: Record<string, unknown>, split: 'train' | 'test', levels: number, o: TrainEncoderOptions, purpose: string): CaptionedFrame[] {
  let made: unknown;
  try { made = makeEnvSync(env, { ...envOptions, split }); } catch (err) {
    throw new Error(`train-encoder: cannot make env '${env}' with options ${JSON.stringify({ ...envOptions, split })}: ${(err as Error).message}`);
  }
  const game = requireGame(made, env);
  try {
    const frames = collectCaptionedFrames(game, { levels, seed: o.seed, purpose, epsilon: o.epsilon, noisyEpisodes: o.noisyEpisodes, randomEpisodes: o.randomEpisodes });
    return o.captions === 'messages' ? frames.map((f) => ({ ...f, facts: { state: [], extra: f.facts.extra.filter((e) => !(Object.values(FACTS) as string[]).includes(e)) } })) : frames;
  } finally { game.close(); }
}

/**
 * Writes the two towers to `dir` (model.json, text-model.json and their weights), with the metadata the
 * judge reads back (frame size, scale, the text model's file and tokenizer). Returns the file paths.
 */
export async function saveEncoder(trainer: ContrastiveTrainer, dir: string, about: { env: string; envOptions: Record<string, unknown> }):
  Promise<TrainEncoderReport['files']> {
  mkdirSync(dir, { recursive: true });
  const files = { frameEncoder: join(dir, 'model.json'), textEncoder: join(dir, 'text-model.json'), report: join(dir, 'training.json') };
  const meta: TrainedEncoderMetadata = {
    role: 'frame-encoder', frame: { height: trainer.height, width: trainer.width }, scale: '0-1', dim: trainer.options.dim, text: 'text-model.json', ...about,
  };
  trainer.image.setUserDefinedMetadata({ thrive: meta });
  trainer.text.setUserDefinedMetadata({ thrive: { role: 'text-encoder', tokenizer: trainer.tokenizer.toJSON(), dim: trainer.options.dim } });
  await trainer.image.save(fileSaveHandler(files.frameEncoder));
  await trainer.text.save(fileSaveHandler(files.textEncoder));
  return files;
}

/** Cosine decay from the base rate to 10 % of it over the run, after a linear warm-up of 5 % of the steps. */
function scheduled(base: number, step: number, total: number): number {
  const warm = Math.max(1, Math.round(0.05 * total));
  if (step <= warm) return (base * step) / warm;
  const p = (step - warm) / Math.max(1, total - warm);
  return base * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

export async function trainFrameEncoder(partial: Partial<TrainEncoderOptions> & { env: string; out: string },
  log: (line: string) => void = () => {}): Promise<TrainEncoderReport> {
  const o: TrainEncoderOptions = { ...TRAIN_ENCODER_DEFAULTS, ...partial, model: { ...partial.model } };
  if (getEnvRegistration(o.env).optionSchema?.tileSize && o.envOptions.tileSize === undefined) o.envOptions = { ...o.envOptions, tileSize: 4 };
  for (const k of ['steps', 'levels', 'heldOutLevels', 'logEvery'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`train-encoder: ${k} must be a positive integer, got ${o[k]}`);
  }
  const t0 = performance.now();
  const train = collect(o.env, o.envOptions, 'train', o.levels, o, 'encoder-train');
  const heldOut = collect(o.env, o.envOptions, 'test', o.heldOutLevels, o, 'encoder-heldout');
  const bySource: Record<string, number> = {};
  for (const f of train) bySource[f.source] = (bySource[f.source] ?? 0) + 1;
  const tile = o.envOptions.tileSize;
  const patch = o.patch ?? (typeof tile === 'number' ? tile : 4);
  const trainer = new ContrastiveTrainer(train, { ...o.model, patch, seed: o.seed });
  const frame = { height: trainer.height, width: trainer.width };
  log(`train-encoder: ${o.env} ${JSON.stringify(o.envOptions)}: ${train.length} train frames (${o.levels} levels: ${Object.entries(bySource).map(([k, v]) => `${v} ${k}`).join(', ')}), ` +
    `${heldOut.length} held-out frames (${o.heldOutLevels} test-split levels), ${frame.height}×${frame.width} px, vocabulary ${trainer.tokenizer.size}`);
  const curve: CurvePoint[] = [];
  let sum = 0, count = 0;
  try {
    for (let s = 1; s <= o.steps; s++) {
      const lr = scheduled(trainer.options.learningRate, s, o.steps);
      sum += trainer.step(lr); count++;
      if (s % o.logEvery === 0 || s === o.steps) {
        const p: CurvePoint = { step: s, loss: sum / count, heldOutLoss: trainer.evaluateLoss(heldOut), temperature: trainer.temperature,
          learningRate: lr, seconds: (performance.now() - t0) / 1000 };
        curve.push(p);
        log(`step ${String(s).padStart(5)}  loss ${p.loss.toFixed(4)}  held-out ${p.heldOutLoss.toFixed(4)}  τ ${p.temperature.toFixed(4)}  ${p.seconds.toFixed(0)} s`);
        sum = 0; count = 0;
      }
    }
    const retrieval = trainer.retrieval(heldOut);
    const trainRetrieval = trainer.retrieval(train.slice(0, heldOut.length));
    const files = await saveEncoder(trainer, o.out, { env: o.env, envOptions: o.envOptions });
    const { out: _out, ...options } = o;
    const report: TrainEncoderReport = {
      env: o.env, envOptions: o.envOptions, frame, options, model: trainer.options,
      data: { trainFrames: train.length, captioned: train.filter((f) => f.facts.state.length + f.facts.extra.length > 0).length, heldOutFrames: heldOut.length, bySource, descriptions: new Set(train.map((f) => f.facts.state.join(', '))).size, vocab: trainer.tokenizer.size },
      curve, retrieval, trainRetrieval, seconds: (performance.now() - t0) / 1000, files,
    };
    writeFileSync(files.report, JSON.stringify(report, null, 1) + '\n');
    return report;
  } finally {
    trainer.dispose();
  }
}
