/**
 * The stand-in learner workload the stream benchmarks run on the main thread, beside the hub and the
 * server: a small tfjs MLP regression step with Adam on the wasm backend. A stand-in (not the GRPO
 * learner): it only has to be a fixed amount of CPU work per "update" whose rate drops when the stream
 * takes the CPU.
 */
import type * as TF from '@tensorflow/tfjs';

/** Loads tfjs on the wasm backend and returns one training step (the loss), warmed up. */
export async function standInLearner(): Promise<{ step: () => number; backend: string }> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const w1 = tf.variable(tf.randomNormal([64, 256], 0, 0.1, 'float32', 1));
  const w2 = tf.variable(tf.randomNormal([256, 256], 0, 0.1, 'float32', 2));
  const w3 = tf.variable(tf.randomNormal([256, 8], 0, 0.1, 'float32', 3));
  const x = tf.randomNormal([128, 64], 0, 1, 'float32', 4);
  const y = tf.randomNormal([128, 8], 0, 1, 'float32', 5);
  const opt = tf.train.adam(1e-3);
  const step = (): number => {
    const loss = opt.minimize(() => tf.losses.meanSquaredError(y, x.matMul(w1).relu().matMul(w2).relu().matMul(w3)) as TF.Scalar, true)!;
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  for (let i = 0; i < 3; i++) step();
  return { step, backend: tf.getBackend() };
}

/** 30 frames of 40×40 RGB (144 kB), what a KeyDoor-v0 sample episode carries. */
export const FRAMES = Array.from({ length: 30 }, (_, i) => ({ rgb: new Uint8Array(40 * 40 * 3).fill(i * 8), height: 40, width: 40 }));

/** A metrics record of ~15 numbers. */
export function metricsRecord(step: number, t0: number): Record<string, number> {
  const r: Record<string, number> = { step, time: (Date.now() - t0) / 1000, envSteps: step * 64 };
  for (let k = 0; k < 12; k++) r[`m${k}`] = Math.sin(step / (k + 3)) * (k + 1);
  return r;
}
