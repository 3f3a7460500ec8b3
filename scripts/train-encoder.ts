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
import type { Schema } from '../core/schema.ts';
import type { TrainEncoderOptions } from '../rewards/index.ts';
import { flagHelp, parseFlags, runCommand, UsageError } from './flags.ts';

const FLAGS = {
  env: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: "Required: a registered game env id with render() and solve() (e.g. 'KeyDoor-v0', 'Dungeon-v0')." },
  options: { type: 'record', default: {}, doc: 'Env options as JSON, e.g. \'{"size":7,"maxSteps":40}\'; an env with a tileSize option gets 4 unless given (it fixes the frame size).' },
  out: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'Output folder. Default: runs/encoders/<env>-s<seed>.' },
  steps: { type: 'int', default: 1000, min: 1, doc: 'Adam steps.' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'Seed of the levels, the initialisation and the batches.' },
  levels: { type: 'int', default: 300, min: 1, doc: 'Train-split levels to collect captioned frames from.' },
  heldOutLevels: { type: 'int', default: 100, min: 1, doc: 'Test-split levels for the held-out loss and retrieval.' },
  batch: { type: 'int', default: null, nullable: true, min: 2, doc: 'Frames per batch (default 128).' },
  lr: { type: 'number', default: null, nullable: true, min: 0, exclusiveMin: true, max: 1, doc: 'Peak Adam learning rate (default 0.002).' },
  dim: { type: 'int', default: null, nullable: true, min: 1, doc: 'Embedding dimension (default 32).' },
  captions: { type: 'enum', values: ['all', 'messages'], default: 'all', doc: "'all': state descriptions and step messages; 'messages': step messages only." },
  logEvery: { type: 'int', default: 50, min: 1, doc: 'Print the train and held-out loss every this many steps.' },
  patch: { type: 'int', default: null, nullable: true, min: 1, doc: 'Patch side in pixels (default: the tileSize, one patch per grid cell).' },
  backend: { type: 'string', default: null, nullable: true, nonEmpty: true, doc: 'TF.js backend: tfjs-node-gpu, tfjs-node, wasm, cpu. Default: the best that loads.' },
} as const satisfies Schema;

const USAGE = `usage: npm run train-encoder -- --env <game env id> [--options JSON] [--out DIR] [--steps 1000] [--seed 0] [flags]

Contrastive (CLIP-style) training of a frame encoder and its paired text encoder on the env's rendered
frames and their captions (step messages and state descriptions), saved as TF.js layers models that the
perceptual judge loads with encoder {kind: 'tfjs', path: 'DIR/model.json'} (docs/rewards.md).

flags:
${flagHelp(FLAGS)}`;

await runCommand(async () => {
  const { values: a, positionals, help } = parseFlags(process.argv.slice(2), FLAGS);
  if (help) { console.log(USAGE); return; }
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}': name the env with --env`);
  if (!a.env) throw new UsageError('--env is required: a game env id with render() and solve()');
  // The rooms (and TF.js) load only now, so --help and flag errors answer at once.
  const { initBackend } = await import('../agents/index.ts');
  const { trainFrameEncoder } = await import('../rewards/index.ts');
  const model: TrainEncoderOptions['model'] = {};
  if (a.batch !== null) model.batchSize = a.batch;
  if (a.lr !== null) model.learningRate = a.lr;
  if (a.dim !== null) model.dim = a.dim;
  const seed = a.seed;
  process.env.THRIVE_BACKEND_QUIET ??= '1';
  const backend = await initBackend(a.backend ?? undefined);
  const report = await trainFrameEncoder({
    env: a.env, envOptions: a.options, out: a.out ?? `runs/encoders/${a.env}-s${seed}`, steps: a.steps, seed,
    levels: a.levels, heldOutLevels: a.heldOutLevels, captions: a.captions, logEvery: a.logEvery, patch: a.patch, model,
  }, (line) => console.log(line));
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const r = report.retrieval;
  console.log(`held-out retrieval (${r.frames} frames of ${report.options.heldOutLevels} test-split levels; ${r.descriptions} distinct full descriptions, ${r.captions} distinct captions):`);
  console.log(`  frame→text (own full description)  top-1 ${pct(r.frameToTextTop1)} (chance ${pct(r.chance.frameToTextTop1)}), top-5 ${pct(r.frameToTextTop5)} (chance ${pct(r.chance.frameToTextTop5)})`);
  console.log(`  text→frame (precision, every caption)  top-1 ${pct(r.textToFrameTop1)}, top-5 ${pct(r.textToFrameTop5)} (chance ${pct(r.chance.textToFrame)})`);
  console.log(`wrote ${report.files.frameEncoder}, ${report.files.textEncoder}, ${report.files.report} (${report.seconds.toFixed(0)} s, backend ${backend})`);
  console.log(JSON.stringify({ env: report.env, envOptions: report.envOptions, steps: report.options.steps, seed, finalLoss: report.curve.at(-1)?.loss,
    finalHeldOutLoss: report.curve.at(-1)?.heldOutLoss, retrieval: r, out: report.files.frameEncoder, seconds: report.seconds }));
}, USAGE);
