import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  Annotator, BuiltinEncoder, PerceptualJudge, TfjsModelEncoder, createJudge, frameKey, frameToJSON, goalBaselineReward,
  segmentByVariance, validateJudgeConfig, type Frame, type PerceptualJudgeConfig,
} from '../../rewards/index.ts';

await tf.setBackend('wasm');
await tf.ready();

const H = 16, W = 16;
/** A frame whose left `share` of columns is green and the rest red (plus a little seeded texture). */
function frame(share: number, seed = 0): Frame {
  const rgb = new Uint8Array(H * W * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = (y * W + x) * 3, green = x < Math.round(share * W), n = ((x * 7 + y * 13 + seed * 5) % 9);
    rgb[p] = green ? 20 + n : 200 + n; rgb[p + 1] = green ? 200 + n : 20 + n; rgb[p + 2] = 30 + n;
  }
  return { rgb, height: H, width: W };
}
const cfg = (o: Record<string, unknown>) => validateJudgeConfig({ kind: 'perceptual', ...o }) as PerceptualJudgeConfig;

test('VLM-RM formula against the explicit matrix form', () => {
  const s = Float32Array.from([0.6, 0.8, 0]), g = Float32Array.from([0, 1, 0]), b = Float32Array.from([1, 0, 0]);
  for (const alpha of [0, 0.3, 1]) {
    const d = [g[0]! - b[0]!, g[1]! - b[1]!, g[2]! - b[2]!], dd = d.reduce((a, x) => a + x * x, 0);
    const M = [0, 1, 2].map((i) => [0, 1, 2].map((j) => alpha * d[i]! * d[j]! / dd + (1 - alpha) * (i === j ? 1 : 0)));
    const v = [0, 1, 2].map((i) => s[i]! - g[i]!);
    const vM = [0, 1, 2].map((j) => v.reduce((a, vi, i) => a + vi * M[i]![j]!, 0));
    const want = 1 - 0.5 * vM.reduce((a, x) => a + x * x, 0);
    assert.ok(Math.abs(goalBaselineReward(s, g, b, alpha) - want) < 1e-6, `alpha=${alpha}`);
  }
  assert.is(goalBaselineReward(g, g, b, 0.5), 1);
});

test('variance segmentation finds the steps', () => {
  const rows = [0, 0, 0, 5, 5, 9, 9, 9, 9].map((v, i) => Float32Array.from([v + (i % 2) * 0.01, -v]));
  assert.equal(segmentByVariance(rows, 3), [0, 3, 5]);
  assert.throws(() => segmentByVariance(rows.slice(0, 2), 3), /at least 3 demonstration frames/);
});

for (const mode of ['goal', 'goal-baseline'] as const) {
  test(`builtin encoder, ${mode}: reward rises towards the goal`, async () => {
    const judge = new PerceptualJudge(cfg({ mode, alpha: 0.5 }), new BuiltinEncoder({ kind: 'builtin', grid: 4 }));
    await judge.setGoal([frame(1, 1), frame(1, 2)], [frame(0, 1), frame(0, 2)]);
    const r = await judge.scoreFrames([0, 0.25, 0.5, 0.75, 1].map((s) => frame(s, 3)));
    for (let i = 1; i < r.length; i++) assert.ok(r[i]! > r[i - 1]!, `R not increasing: ${Array.from(r)}`);
  });
}

test('steps mode (Sermanet-style): later demonstration steps score higher', async () => {
  const judge = new PerceptualJudge(cfg({ mode: 'steps', steps: 3, featuresPerStep: 8 }), new BuiltinEncoder({ kind: 'builtin', grid: 4 }));
  const demo = [0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1].map((s, i) => frame(s, i));
  await judge.setDemonstration(demo);
  const [r0, r1, r2] = await judge.scoreFrames([frame(0, 20), frame(0.5, 20), frame(1, 20)]);
  assert.ok(r0! < r1! && r1! < r2!, `${r0} ${r1} ${r2}`);
});

test('through the annotator: frames labelled, requests without frames counted, binary output', async () => {
  const judge = new PerceptualJudge(cfg({ mode: 'goal', output: 'binary', threshold: 0.8 }), new BuiltinEncoder({ kind: 'builtin', grid: 4 }));
  await judge.setGoal([frame(1)]);
  const a = new Annotator(judge, { cacheDir: null });
  const frames = [frame(1, 9), frame(0, 9)];
  a.request([...frames.map((f) => ({ key: frameKey('KeyDoor-v0', f), envId: 'KeyDoor-v0', caption: '', frame: f })),
    { key: 'no-frame', envId: 'KeyDoor-v0', caption: 'You open the door.' }]);
  await a.idle();
  assert.equal(a.drainLabels().map((l) => l.label), [1, 0]);
  assert.is(a.metrics().judgeErrors.no_frame, 1);
  await a.close();
});

test('goals from a demonstrations file; bad files named in the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-demo-'));
  try {
    const file = join(dir, 'demo.json');
    writeFileSync(file, JSON.stringify({ goal: [frameToJSON(frame(1))], baseline: [frameToJSON(frame(0))] }));
    const judge = await createJudge(cfg({ mode: 'goal-baseline', demonstrations: file }));
    const [hi, lo] = await (judge as PerceptualJudge).scoreFrames([frame(1), frame(0)]);
    assert.ok(Math.abs(hi! - 1) < 1e-6 && lo! < hi!);
    writeFileSync(file, JSON.stringify({ goals: [] }));
    try { await createJudge(cfg({ demonstrations: file })); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /unknown key 'goals'/); }
    try { await createJudge(cfg({ demonstrations: join(dir, 'missing.json') })); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /cannot read .*missing\.json/); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('any TensorFlow.js layers model from disk works as an encoder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-layers-'));
  try {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    ] });
    await model.save({ save: async (art) => {
      writeFileSync(join(dir, 'w.bin'), Buffer.from(art.weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: art.modelTopology,
        weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    } });
    model.dispose();
    const enc = await TfjsModelEncoder.load({ kind: 'tfjs', path: join(dir, 'model.json'), inputHeight: null, inputWidth: null, output: null, scale: '0-1', textPath: null });
    assert.equal([enc.inputHeight, enc.inputWidth], [8, 8]);
    const [e1, e2] = await enc.encode([frame(1), frame(0)]);
    assert.is(e1!.length, 4); // conv output [6,6,4] pooled to 4
    assert.ok(e1!.some((v, i) => Math.abs(v - e2![i]!) > 1e-4));
    enc.dispose();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('frames from a real env render() are judged', async () => {
  const { makeEnvSync } = await import('../../envs/index.ts');
  const env = makeEnvSync('KeyDoor-v0', {});
  env.reset({ seed: 3 });
  const start = env.render!();
  let later = start;
  for (let t = 0; t < 30; t++) {
    const r = env.step(t % 4);
    if (r.terminated || r.truncated) break;
    later = env.render!();
  }
  assert.ok(start.rgb.length === start.height * start.width * 3);
  const judge = new PerceptualJudge(cfg({ mode: 'goal' }), new BuiltinEncoder({ kind: 'builtin', grid: 8 }));
  await judge.setGoal([later]);
  const [rStart, rLater] = await judge.scoreFrames([start, later]);
  assert.ok(Math.abs(rLater! - 1) < 1e-6, `R(goal frame)=${rLater}`);
  assert.ok(start.rgb.some((v, i) => v !== later.rgb[i]), 'the agent should have moved');
  assert.ok(rStart! < rLater!, `R(start)=${rStart}`);
  env.close();
});

/**
 * A real pretrained graph model from disk: @vladmandic/human's face-description model (1024-d pooled
 * features, 224×224 input). It proves any tfjs model loads as an encoder; it is a face model, not a
 * general feature extractor, so only properties that hold for any deterministic encoder are asserted.
 */
test('pretrained graph model from disk (@vladmandic/human faceres) as the perceptual encoder', async () => {
  const before = tf.memory().numTensors;
  const judge = await createJudge(cfg({
    mode: 'goal-baseline', alpha: 0.5,
    encoder: { kind: 'tfjs', path: 'node_modules/@vladmandic/human/models/faceres.json', output: 'global_pooling/Mean' },
  })) as PerceptualJudge;
  const enc = judge.encoder as TfjsModelEncoder;
  assert.equal([enc.inputHeight, enc.inputWidth], [224, 224]);
  const [a, a2, b] = await enc.encode([frame(1), frame(1), frame(0)]);
  assert.is(a!.length, 1024);
  assert.equal(Array.from(a!), Array.from(a2!));
  assert.ok(a!.some((v, i) => Math.abs(v - b![i]!) > 1e-4));
  await judge.setGoal([frame(1)], [frame(0)]);
  const [rGoal, rBase] = await judge.scoreFrames([frame(1), frame(0)]);
  assert.ok(Math.abs(rGoal! - 1) < 1e-5, `R(goal)=${rGoal}`);
  assert.ok(rBase! < rGoal!);
  await judge.close();
  assert.is(tf.memory().numTensors, before);
});

test.run();
