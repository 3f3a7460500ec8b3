import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { makeEnvSync } from '../../envs/index.ts';
import { rejects } from '../distributed/redis-server.ts';
import {
  CaptionTokenizer, ContrastiveTrainer, FACTS, PerceptualJudge, TfjsModelEncoder, TfjsTextEncoder, averageRanks, bootstrapMean,
  collectCaptionedFrames, infoNCELoss, progressCorrelation, requireGame, saveEncoder, solverDemonstration, spearman, trainFrameEncoder, validateJudgeConfig,
  type ContrastiveExample, type Frame, type PerceptualJudgeConfig,
} from '../../rewards/index.ts';

await tf.setBackend('wasm');
await tf.ready();

/** 8×8 frames: a 4×4 square in one quadrant, red or blue, on black; captioned by where and what colour it is. */
function squares(n: number, seed: number): ContrastiveExample[] {
  const out: ContrastiveExample[] = [];
  for (let i = 0; i < n; i++) {
    const q = (i * 7 + seed) % 4, red = ((i * 3 + seed) >> 1) % 2 === 0;
    const rgb = new Uint8Array(8 * 8 * 3);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
      const p = (((q >> 1) * 4 + y) * 8 + (q & 1) * 4 + x) * 3;
      rgb[p] = red ? 230 : 10; rgb[p + 2] = red ? 10 : 230; rgb[p + 1] = (i * 13 + x + y) % 20;
    }
    out.push({ frame: { rgb, height: 8, width: 8 }, facts: {
      state: [`the square is on the ${q & 1 ? 'right' : 'left'}`, `the square is at the ${q >> 1 ? 'bottom' : 'top'}`],
      extra: [red ? 'a red square' : 'a blue square'],
    } });
  }
  return out;
}
const SMALL = { dim: 8, patch: 4, tileHidden: [8], hidden: 16, textHidden: 8, batchSize: 16, learningRate: 0.01, seed: 3 };

test('Spearman: known cases, ties by average rank, constant → NaN', () => {
  assert.is(spearman([1, 2, 3, 4], [10, 20, 30, 45]), 1);
  assert.is(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.equal(Array.from(averageRanks([5, 1, 5, 2])), [3.5, 1, 3.5, 2]);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 1, 2, 2]) - 4 / Math.sqrt(20)) < 1e-12);
  // The textbook example (IQ vs hours of TV per week): ρ = −29/165.
  const iq = [106, 86, 100, 101, 99, 103, 97, 113, 112, 110], tv = [7, 0, 27, 50, 28, 29, 20, 12, 6, 17];
  assert.ok(Math.abs(spearman(iq, tv) + 29 / 165) < 1e-12);
  assert.ok(Number.isNaN(spearman([1, 2, 3], [2, 2, 2])));
  assert.throws(() => spearman([1, 2], [1]), /2 x values but 1 y values/);
});

test('bootstrap mean: seeded, brackets the mean, zero width for constant values', () => {
  const v = [0.1, 0.5, 0.9, 0.3, 0.7];
  const a = bootstrapMean(v, { seed: 4 }), b = bootstrapMean(v, { seed: 4 });
  assert.equal(a, b);
  assert.ok(a.lo < a.mean && a.mean < a.hi && a.lo >= 0.1 && a.hi <= 0.9, JSON.stringify(a));
  assert.equal(bootstrapMean([2, 2, 2]), { mean: 2, lo: 2, hi: 2, n: 3 });
});

test('progress correlation: a score that follows the step index, one that runs backwards, one that is constant', async () => {
  const f: Frame = { rgb: new Uint8Array(3), height: 1, width: 1 };
  const demos = [[0, 0, 1, 2], [0, 1, 1, 2, 3]].map((stage) => ({ frames: stage.map(() => f), stage }));
  const up = await progressCorrelation(async (fr) => Float32Array.from(fr, (_, t) => t), demos);
  assert.equal([up.perDemoStep.mean, up.pooledStage > 0.8, up.constantScore], [1, true, 0]);
  assert.equal(up.meanByStage.map((s) => s.frames), [3, 3, 2, 1]);
  const down = await progressCorrelation(async (fr) => Float32Array.from(fr, (_, t) => -t), demos);
  assert.is(down.perDemoStep.mean, -1);
  const flat = await progressCorrelation(async (fr) => new Float32Array(fr.length), demos);
  assert.equal([flat.constantScore, flat.perDemoStep.n], [2, 0]);
});

test('caption tokenizer: word n-grams, unknown words ignored and listed', () => {
  const t = CaptionTokenizer.fit(['the door is open', 'The door is locked.']);
  assert.equal(t.vocab.filter((v) => !v.includes(' ')), ['door', 'is', 'locked', 'open', 'the']);
  const f = t.features(['the door is OPEN', 'a purple door']);
  assert.is(f.length, 2 * t.size);
  assert.is(f.slice(0, t.size).reduce((a, b) => a + b, 0), 4 + 3); // 4 words + 3 bigrams
  assert.equal(t.unknownWords('a purple door'), ['a', 'purple']);
  assert.equal(CaptionTokenizer.fromJSON(t.toJSON(), 'x').vocab, t.vocab);
});

test("InfoNCE: CLIP's loss when the truth is the identity; multi-positive targets otherwise", () => {
  const f = tf.tensor2d([[1, 0], [0, 1]]), t = tf.tensor2d([[2, 0], [0, 3]]), w = tf.scalar(Math.log(10));
  const L = infoNCELoss(f, t, tf.eye(2) as tf.Tensor2D, w).dataSync()[0]!;
  const want = -Math.log(Math.exp(10) / (Math.exp(10) + 1)); // both directions, both rows: logits [10, 0]
  assert.ok(Math.abs(L - want) < 1e-4, `${L} vs ${want}`);
  // Caption 1 true of both frames: frame 0's target is split over both captions.
  const L2 = infoNCELoss(f, t, tf.tensor2d([[1, 1], [0, 1]]), w).dataSync()[0]!;
  const ls = (a: number, b: number) => [a - Math.log(Math.exp(a) + Math.exp(b)), b - Math.log(Math.exp(a) + Math.exp(b))];
  const i2t = -(0.5 * ls(10, 0)[0]! + 0.5 * ls(10, 0)[1]! + ls(0, 10)[1]!) / 2;
  const t2i = -(ls(10, 0)[0]! + 0.5 * ls(0, 10)[0]! + 0.5 * ls(0, 10)[1]!) / 2;
  assert.ok(Math.abs(L2 - (i2t + t2i) / 2) < 1e-4, `${L2}`);
  tf.dispose([f, t, w]);
});

test('the trainer reduces the InfoNCE loss on a tiny fixed data set, and retrieval beats chance on held-out frames', () => {
  const before = tf.memory().numTensors;
  const trainer = new ContrastiveTrainer(squares(64, 0), SMALL);
  const held = squares(32, 1);
  const first = trainer.evaluateLoss(held);
  for (let s = 0; s < 150; s++) trainer.step();
  const last = trainer.evaluateLoss(held);
  assert.ok(last < first - 0.3, `held-out loss ${first} → ${last}`);
  const r = trainer.retrieval(held);
  assert.is(r.descriptions, 4);
  assert.ok(r.frameToTextTop1! > 0.9, JSON.stringify(r));
  assert.ok(r.textToFrameTop1 > r.chance.textToFrame, JSON.stringify(r));
  trainer.dispose();
  assert.is(tf.memory().numTensors, before, 'tensors leaked');
});

test('save → load through TfjsModelEncoder / TfjsTextEncoder gives the same embeddings; text goals set a goal-baseline direction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-enc-'));
  try {
    const trainer = new ContrastiveTrainer(squares(64, 0), SMALL);
    for (let s = 0; s < 150; s++) trainer.step();
    const frames = squares(8, 5).map((e) => e.frame);
    const want = trainer.embedFrames(frames), wantText = trainer.embedTexts(['the square is on the right', 'a red square']);
    const files = await saveEncoder(trainer, dir, { env: 'Squares', envOptions: {} });
    trainer.dispose();
    const enc = await TfjsModelEncoder.load({ kind: 'tfjs', path: files.frameEncoder, inputHeight: null, inputWidth: null, output: null, scale: '0-1', textPath: null });
    assert.equal(enc.trained?.frame, { height: 8, width: 8 });
    const unit = (v: Float32Array) => { const n = Math.hypot(...v); return Array.from(v, (x) => x / n); };
    const got = (await enc.encode(frames)).map(unit);
    got.forEach((g, i) => g.forEach((x, j) => assert.ok(Math.abs(x - want[i]![j]!) < 1e-5, `frame ${i} dim ${j}`)));
    await rejects(enc.encode([{ rgb: new Uint8Array(4 * 4 * 3), height: 4, width: 4 }]), /trained on 8×8 frames of Squares/);
    enc.dispose();
    const text = await TfjsTextEncoder.load(files.textEncoder);
    text.encode(['the square is on the right', 'a red square']).map(unit).forEach((g, i) => g.forEach((x, j) => assert.ok(Math.abs(x - wantText[i]![j]!) < 1e-5)));
    assert.throws(() => text.encode(['purple giraffe']), /no word of "purple giraffe" is in its vocabulary/);
    text.dispose();

    const judge = await PerceptualJudge.create(validateJudgeConfig({ kind: 'perceptual', mode: 'goal-baseline', alpha: 0.5,
      encoder: { kind: 'tfjs', path: files.frameEncoder }, goalText: ['the square is on the right'], baselineText: ['the square is on the left'] }) as PerceptualJudgeConfig);
    assert.ok(judge.goalsInWords && /text-/.test(judge.id), judge.id);
    const held = squares(16, 7);
    const r = await judge.scoreFrames(held.map((e) => e.frame));
    const side = held.map((e) => e.facts.state[0]!.endsWith('right'));
    const mean = (want: boolean) => { const x = Array.from(r).filter((_, i) => side[i] === want); return x.reduce((a, b) => a + b, 0) / x.length; };
    assert.ok(mean(true) > mean(false) + 0.1, `right ${mean(true)} vs left ${mean(false)}`);
    await rejects(judge.setGoal([held[0]!.frame]), /given in words/);
    await judge.close();
    // No paired text encoder: a clear error.
    writeFileSync(join(dir, 'text-model.json'), readFileSync(files.frameEncoder));
    await rejects(PerceptualJudge.create(validateJudgeConfig({ kind: 'perceptual', mode: 'goal', encoder: { kind: 'tfjs', path: files.frameEncoder },
      goalText: ['x square'] }) as PerceptualJudgeConfig), /goalText needs the frame encoder's paired text encoder: .*not a text encoder/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('config: goals in words need a goal mode, a tfjs encoder and (goal-baseline) baseline texts', () => {
  const v = (o: Record<string, unknown>) => () => validateJudgeConfig({ kind: 'perceptual', encoder: { kind: 'tfjs', path: 'm.json' }, ...o });
  assert.throws(v({ mode: 'steps', goalText: ['a'] }), /need mode 'goal' or 'goal-baseline'/);
  assert.throws(() => validateJudgeConfig({ kind: 'perceptual', goalText: ['a'], baselineText: ['b'] }), /a tfjs encoder/);
  assert.throws(v({ mode: 'goal-baseline', goalText: ['a'] }), /needs 'rewards\.judge\.baselineText' too/);
  assert.throws(v({ mode: 'goal', goalText: [''] }), /'rewards\.judge\.goalText' must be an array of non-empty strings/);
  const c = v({ mode: 'goal', goalText: ['the agent stands on the goal'] })() as PerceptualJudgeConfig;
  assert.equal([c.goalText, c.baselineText, c.encoder.kind === 'tfjs' && c.encoder.textPath], [['the agent stands on the goal'], [], null]);
});

test('KeyDoor: the state descriptions and subgoal stages of a solver demonstration', () => {
  const env = requireGame(makeEnvSync('KeyDoor-v0', { size: 5, tileSize: 4 }), 'KeyDoor-v0');
  const d = solverDemonstration(env, 11)!;
  assert.equal(d.facts[0]!.state, [FACTS.firstRoom, FACTS.noKey, FACTS.doorLocked]);
  assert.equal(d.facts.at(-1)!.state, [FACTS.goalRoom, FACTS.holdsKey, FACTS.doorOpen, FACTS.onGoal]);
  assert.ok(d.facts.at(-1)!.extra.some((m) => /You reach the goal!/.test(m)));
  assert.ok(d.facts.some((f) => f.state[0] === FACTS.doorway));
  for (let t = 1; t < d.stage.length; t++) assert.ok(d.stage[t]! - d.stage[t - 1]! === (d.facts[t]!.extra.some((m) => m.startsWith('You')) ? 1 : 0));
  assert.ok(d.stage.at(-1)! >= 3, `stages ${d.stage}`); // key, unlock, enter the room (+ goal)
  const frames = collectCaptionedFrames(env, { levels: 2, seed: 0, purpose: 't', epsilon: 0.3, noisyEpisodes: 1, randomEpisodes: 1 });
  assert.ok(new Set(frames.map((f) => f.source)).size === 3 && frames.every((f) => f.frame.height === 20));
  assert.throws(() => requireGame(makeEnvSync('Addition-v0', {}), 'Addition-v0'), /needs render\(\) and solve\(\)/);
});

test('train-encoder end to end on a few KeyDoor levels: files, curve, retrieval, and the judge loads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-enc-'));
  try {
    const report = await trainFrameEncoder({ env: 'KeyDoor-v0', envOptions: { size: 5 }, out: dir, steps: 4, logEvery: 2, levels: 3, heldOutLevels: 2,
      model: { batchSize: 16, dim: 8, hidden: 16 } });
    assert.equal(report.envOptions, { size: 5, tileSize: 4 });
    assert.equal(report.curve.map((p) => p.step), [2, 4]);
    assert.ok(report.retrieval.frames > 0 && report.retrieval.frameToTextTop1 !== null);
    const saved = JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'));
    assert.equal(saved.curve.length, 2);
    const judge = await PerceptualJudge.create(validateJudgeConfig({ kind: 'perceptual', mode: 'goal', encoder: { kind: 'tfjs', path: join(dir, 'model.json') },
      goalText: [FACTS.onGoal] }) as PerceptualJudgeConfig);
    const env = requireGame(makeEnvSync('KeyDoor-v0', { size: 5, tileSize: 4 }), 'KeyDoor-v0');
    const demo = solverDemonstration(env, 3)!;
    const r = await judge.scoreFrames(demo.frames as Frame[]);
    assert.is(r.length, demo.frames.length);
    assert.ok(Array.from(r).every(Number.isFinite));
    await judge.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
