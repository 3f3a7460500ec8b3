/**
 * The two towers of the contrastive frame encoder, as tfjs layers models (so they save as model.json +
 * weights and load back through the perceptual judge's TfjsModelEncoder like any model from disk).
 *
 * Image tower (frames [H, W, 3] scaled to 0–1 → d): the frame is cut into patch×patch tiles (one grid
 * cell each when patch = the env's tileSize), every tile goes through the same small MLP (a patch
 * embedding, as in ViT, written as reshape → permute → dense so training needs only matMul gradients:
 * the wasm backend has no Conv2DBackpropFilter), the tile features are flattened in place order (so where
 * the agent is relative to the wall and the door is kept) and an MLP maps them to d.
 *
 * Text tower (0/1 bag of word n-grams, ./tokenizer.ts → d): an MLP.
 *
 * Neither tower normalises its output: the contrastive loss and the judge unit-normalise embeddings.
 */
import * as tf from '@tensorflow/tfjs';

export interface ImageTowerOptions {
  height: number;
  width: number;
  /** Side of the square tiles the frame is cut into (must divide height and width). */
  patch: number;
  /** Widths of the per-tile MLP. */
  tileHidden: number[];
  /** Width of the hidden layer after flattening. */
  hidden: number;
  /** Embedding dimension d. */
  dim: number;
  seed: number;
}

export interface TextTowerOptions { vocab: number; hidden: number; dim: number; seed: number }

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

export function buildImageTower(o: ImageTowerOptions): tf.Sequential {
  if (o.height % o.patch || o.width % o.patch) {
    throw new Error(`image encoder: patch ${o.patch} must divide the frame size ${o.height}×${o.width}`);
  }
  const gh = o.height / o.patch, gw = o.width / o.patch;
  const m = tf.sequential({ name: 'frame_encoder' });
  m.add(tf.layers.reshape({ inputShape: [o.height, o.width, 3], targetShape: [gh, o.patch, gw, o.patch, 3] }));
  m.add(tf.layers.permute({ dims: [1, 3, 2, 4, 5] }));
  m.add(tf.layers.reshape({ targetShape: [gh * gw, o.patch * o.patch * 3] }));
  let seed = o.seed;
  for (const units of o.tileHidden) m.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(seed++) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: o.hidden, activation: 'relu', kernelInitializer: init(seed++) }));
  m.add(tf.layers.dense({ units: o.dim, kernelInitializer: init(seed++) }));
  return m;
}

export function buildTextTower(o: TextTowerOptions): tf.Sequential {
  const m = tf.sequential({ name: 'text_encoder' });
  m.add(tf.layers.dense({ inputShape: [o.vocab], units: o.hidden, activation: 'relu', kernelInitializer: init(o.seed) }));
  m.add(tf.layers.dense({ units: o.dim, kernelInitializer: init(o.seed + 1) }));
  return m;
}

/** The trainable variables of a layers model (for optimizer.minimize's varList). */
export function trainableVariables(m: tf.LayersModel): tf.Variable[] {
  return m.trainableWeights.map((w) => w.read() as tf.Variable);
}
