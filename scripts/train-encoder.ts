/**
 * Contrastive (CLIP-style) training of a frame encoder and its paired text encoder for a game env, saved
 * as tfjs layers models the perceptual judge loads from disk (docs/rewards.md "Training an encoder").
 *
 *   npm run train-encoder -- --env KeyDoor-v0 [--options '{"size":7,"maxSteps":40}'] [--out DIR] [--steps 1000]
 *     [--seed 0] [--levels 300] [--held-out-levels 100] [--batch 128] [--lr 0.002] [--dim 32]
 *     [--captions all|messages] [--log-every 50] [--patch N] [--backend wasm]
 *
 * Prints the loss curve (train and held-out InfoNCE, temperature) and held-out retrieval accuracy on
 * test-split levels; the last line is the report as one JSON object (also written to DIR/training.json).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../agents/index.ts';
import { trainFrameEncoder, TRAIN_ENCODER_DEFAULTS, type TrainEncoderOptions } from '../rewards/index.ts';

const d = TRAIN_ENCODER_DEFAULTS;
const { values: a } = parseArgs({
  options: {
    env: { type: 'string' },
    options: { type: 'string', default: '{}' },
    out: { type: 'string' },
    steps: { type: 'string', default: String(d.steps) },
    seed: { type: 'string', default: String(d.seed) },
    levels: { type: 'string', default: String(d.levels) },
    'held-out-levels': { type: 'string', default: String(d.heldOutLevels) },
    batch: { type: 'string' },
    lr: { type: 'string' },
    dim: { type: 'string' },
    captions: { type: 'string', default: d.captions },
    'log-every': { type: 'string', default: String(d.logEvery) },
    patch: { type: 'string' },
    backend: { type: 'string' },
  },
});
if (!a.env) {
  console.error('usage: npm run train-encoder -- --env KeyDoor-v0 [--options JSON] [--out DIR] [--steps N] [--seed S] (see scripts/train-encoder.ts)');
  process.exit(2);
}
const num = (k: keyof typeof a, int = true): number => {
  const v = Number(a[k]);
  if (!Number.isFinite(v) || (int && !Number.isInteger(v))) throw new Error(`--${k}=${a[k]} is not ${int ? 'an integer' : 'a number'}`);
  return v;
};
let envOptions: Record<string, unknown>;
try { envOptions = JSON.parse(a.options!); } catch (e) { throw new Error(`--options is not valid JSON: ${(e as Error).message}`); }
if (a.captions !== 'all' && a.captions !== 'messages') throw new Error(`--captions must be 'all' or 'messages', got '${a.captions}'`);
const seed = num('seed');
const model: TrainEncoderOptions['model'] = {};
if (a.batch !== undefined) model.batchSize = num('batch');
if (a.lr !== undefined) model.learningRate = num('lr', false);
if (a.dim !== undefined) model.dim = num('dim');
process.env.THRIVE_BACKEND_QUIET ??= '1';
const backend = await initBackend(a.backend);
const report = await trainFrameEncoder({
  env: a.env, envOptions, out: a.out ?? `runs/encoders/${a.env}-s${seed}`, steps: num('steps'), seed,
  levels: num('levels'), heldOutLevels: num('held-out-levels'), captions: a.captions, logEvery: num('log-every'),
  patch: a.patch === undefined ? null : num('patch'), model,
}, (line) => console.log(line));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const r = report.retrieval;
console.log(`held-out retrieval (${r.frames} frames of ${report.options.heldOutLevels} test-split levels; ${r.descriptions} distinct full descriptions, ${r.captions} distinct captions):`);
console.log(`  frame→text (own full description)  top-1 ${pct(r.frameToTextTop1)} (chance ${pct(r.chance.frameToTextTop1)}), top-5 ${pct(r.frameToTextTop5)} (chance ${pct(r.chance.frameToTextTop5)})`);
console.log(`  text→frame (precision, every caption)  top-1 ${pct(r.textToFrameTop1)}, top-5 ${pct(r.textToFrameTop5)} (chance ${pct(r.chance.textToFrame)})`);
console.log(`wrote ${report.files.frameEncoder}, ${report.files.textEncoder}, ${report.files.report} (${report.seconds.toFixed(0)} s, backend ${backend})`);
console.log(JSON.stringify({ env: report.env, envOptions: report.envOptions, steps: report.options.steps, seed, finalLoss: report.curve.at(-1)?.loss,
  finalHeldOutLoss: report.curve.at(-1)?.heldOutLoss, retrieval: r, out: report.files.frameEncoder, seconds: report.seconds }));
