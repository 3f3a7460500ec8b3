/**
 * Image encoders for the perceptual judge: frames in, one embedding per frame out.
 *  - BuiltinEncoder: a small fixed (not learned) colour-layout descriptor — block means on a grid×grid
 *    grid plus an 8-bin histogram per channel, centred. Cheap, deterministic, no weights; good enough for
 *    the flat-coloured frames of the grid games, no semantic understanding.
 *  - TfjsModelEncoder: any TensorFlow.js graph or layers model loaded from disk (model.json + weight
 *    files) with a file IO handler, so it works on the wasm backend without network or tfjs-node.
 *    The frame is resized (bilinear) to the model's input size and scaled; a 4-D output is
 *    global-average pooled to a vector. A model trained by the project's contrastive trainer
 *    (rewards/encoders/) records the frame size it was trained on; frames of another size are refused.
 *  - TfjsTextEncoder: the paired caption encoder of such a model (text-model.json beside it), for goals
 *    given in words.
 * `fileSaveHandler` writes a model the same way (model.json + one weights file), since tfjs saves to disk
 * only through tfjs-node, which cannot be installed here.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BuiltinEncoderConfig, TfjsEncoderConfig } from '../config.ts';
import type { Frame } from '../types.ts';
import { CaptionTokenizer, words, type TokenizerJSON } from '../encoders/tokenizer.ts';

export interface ImageEncoder {
  /** Identifies the encoder in the judge id (so the label cache never mixes encoders). */
  readonly name: string;
  encode(frames: Frame[]): Promise<Float32Array[]>;
  dispose(): void;
}

export function checkFrame(f: Frame, who: string): void {
  if (!f || !(f.rgb instanceof Uint8Array) || !Number.isInteger(f.height) || !Number.isInteger(f.width) ||
    f.height < 1 || f.width < 1 || f.rgb.length !== f.height * f.width * 3) {
    throw new Error(`${who}: a frame must be { rgb: Uint8Array of height×width×3 bytes, height, width }; got ` +
      `${f?.height}×${f?.width} with ${f?.rgb?.length} bytes`);
  }
}

export class BuiltinEncoder implements ImageEncoder {
  readonly name: string;
  constructor(readonly config: BuiltinEncoderConfig) { this.name = `builtin-grid${config.grid}`; }

  encodeSync(frame: Frame): Float32Array {
    checkFrame(frame, 'BuiltinEncoder');
    const G = this.config.grid, { height: H, width: W, rgb } = frame;
    const out = new Float32Array(G * G * 3 + 24);
    const counts = new Float32Array(G * G);
    for (let y = 0; y < H; y++) {
      const gy = Math.min(G - 1, Math.floor((y * G) / H));
      for (let x = 0; x < W; x++) {
        const gx = Math.min(G - 1, Math.floor((x * G) / W));
        const cell = gy * G + gx, p = (y * W + x) * 3;
        counts[cell]!++;
        for (let c = 0; c < 3; c++) {
          const v = rgb[p + c]!;
          out[cell * 3 + c]! += v / 255;
          out[G * G * 3 + c * 8 + (v >> 5)]! += 1;
        }
      }
    }
    for (let cell = 0; cell < G * G; cell++) for (let c = 0; c < 3; c++) out[cell * 3 + c] = out[cell * 3 + c]! / counts[cell]! - 0.5;
    const n = H * W;
    for (let j = G * G * 3; j < out.length; j++) out[j] = out[j]! / n - 1 / 8;
    return out;
  }

  async encode(frames: Frame[]): Promise<Float32Array[]> { return frames.map((f) => this.encodeSync(f)); }
  dispose(): void {}
}

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  [k: string]: unknown;
}

/** A tf.io.IOHandler reading model.json and its weight shards from disk. */
export function fileIOHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      let json: ModelJson;
      try { json = JSON.parse(await readFile(modelJsonPath, 'utf8')); } catch (err) {
        throw new Error(`tfjs encoder: cannot read model file '${modelJsonPath}': ${(err as Error).message}`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new Error(`tfjs encoder: '${modelJsonPath}' is not a TensorFlow.js model.json (needs modelTopology and weightsManifest)`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(await readFile(join(dirname(modelJsonPath), p)));
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
      const artifacts = {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs, weightData, format: json.format,
        generatedBy: json.generatedBy as string | undefined, convertedBy: json.convertedBy as string | null | undefined,
        signature: json.signature as object | undefined, userDefinedMetadata: json.userDefinedMetadata as Record<string, unknown> | undefined,
        modelInitializer: json.modelInitializer as object | undefined,
      };
      return artifacts as tf.io.ModelArtifacts;
    },
  };
}

/**
 * A tf.io.IOHandler writing model.json and one weights file beside it (default `<name>.weights.bin`), the
 * layout fileIOHandler and tfjs's own loaders read. `userDefinedMetadata` is kept.
 */
export function fileSaveHandler(modelJsonPath: string, weightsFile = `${basename(modelJsonPath).replace(/\.json$/, '')}.weights.bin`): tf.io.IOHandler {
  return {
    save: async (a: tf.io.ModelArtifacts) => {
      if (a.modelTopology instanceof ArrayBuffer) throw new Error('fileSaveHandler: binary model topologies are not supported');
      const parts = a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData];
      const weights = Buffer.concat(parts.map((b) => Buffer.from(b)));
      await mkdir(dirname(modelJsonPath), { recursive: true });
      await writeFile(join(dirname(modelJsonPath), weightsFile), weights);
      const json = {
        modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy ?? null,
        weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs ?? [] }],
        ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
      };
      await writeFile(modelJsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

/** What the contrastive trainer (rewards/encoders/) records in a frame encoder's model.json (userDefinedMetadata.thrive). */
export interface TrainedEncoderMetadata {
  role: 'frame-encoder';
  /** The frame size it was trained on (frames of another size are refused). */
  frame: { height: number; width: number };
  scale: TfjsEncoderConfig['scale'];
  dim: number;
  /** The paired text encoder's model.json, relative to this one. */
  text: string;
  env: string;
  envOptions: Record<string, unknown>;
}

function trainedMetadata(raw: ModelJson): TrainedEncoderMetadata | null {
  const m = (raw.userDefinedMetadata as { thrive?: TrainedEncoderMetadata } | undefined)?.thrive;
  return m?.role === 'frame-encoder' ? m : null;
}

export class TfjsModelEncoder implements ImageEncoder {
  readonly name: string;
  private constructor(readonly config: TfjsEncoderConfig, private readonly model: tf.GraphModel | tf.LayersModel,
    readonly inputHeight: number, readonly inputWidth: number, private readonly batchable: boolean,
    /** Set when the model comes from the project's contrastive trainer. */
    readonly trained: TrainedEncoderMetadata | null = null) {
    this.name = `tfjs-${config.path.split('/').slice(-1)[0]}-${config.output ?? 'out0'}-${inputHeight}x${inputWidth}-${config.scale}`;
  }

  static async load(config: TfjsEncoderConfig): Promise<TfjsModelEncoder> {
    const handler = fileIOHandler(config.path);
    const raw = JSON.parse(await readFile(config.path, 'utf8').catch((e) => {
      throw new Error(`rewards.judge.encoder.path: cannot read '${config.path}': ${(e as Error).message}`);
    })) as ModelJson;
    const isGraph = raw.format === 'graph-model' || !!(raw.modelTopology as { node?: unknown })?.node;
    const model = isGraph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    const shape = (isGraph ? (model as tf.GraphModel).inputs[0]!.shape : (model as tf.LayersModel).inputs[0]!.shape) ?? [];
    const h = config.inputHeight ?? (typeof shape[1] === 'number' && shape[1] > 0 ? shape[1] : null);
    const w = config.inputWidth ?? (typeof shape[2] === 'number' && shape[2] > 0 ? shape[2] : null);
    if (!h || !w) {
      throw new Error(`rewards.judge.encoder: the model at '${config.path}' has no fixed input size (${JSON.stringify(shape)}); set inputHeight and inputWidth`);
    }
    const batchable = !(typeof shape[0] === 'number' && shape[0] > 0);
    return new TfjsModelEncoder(config, model, h, w, batchable, trainedMetadata(raw));
  }

  async encode(frames: Frame[]): Promise<Float32Array[]> {
    frames.forEach((f) => checkFrame(f, 'TfjsModelEncoder'));
    const t = this.trained?.frame;
    const bad = t && frames.find((f) => f.height !== t.height || f.width !== t.width);
    if (bad) {
      throw new Error(`TfjsModelEncoder: '${this.config.path}' was trained on ${t.height}×${t.width} frames of ${this.trained!.env} ` +
        `${JSON.stringify(this.trained!.envOptions)}; got a ${bad.height}×${bad.width} frame (render with the same options, or train for these)`);
    }
    const groups = this.batchable ? [frames] : frames.map((f) => [f]);
    const out: Float32Array[] = [];
    for (const group of groups) {
      if (!group.length) continue;
      const input = tf.tidy(() => {
        const xs = group.map((f) => {
          const img = tf.tensor3d(f.rgb, [f.height, f.width, 3], 'int32').toFloat();
          const resized = tf.image.resizeBilinear(img, [this.inputHeight, this.inputWidth]);
          switch (this.config.scale) {
            case '0-1': return resized.div(255);
            case '-1-1': return resized.div(127.5).sub(1);
            default: return resized;
          }
        });
        return tf.stack(xs) as tf.Tensor4D;
      });
      let result: tf.Tensor | tf.Tensor[];
      try {
        if ('execute' in this.model && 'executeAsync' in this.model) {
          result = await (this.model as tf.GraphModel).executeAsync(input, this.config.output ?? undefined);
        } else {
          result = (this.model as tf.LayersModel).predict(input) as tf.Tensor | tf.Tensor[];
        }
      } finally {
        input.dispose();
      }
      const list = Array.isArray(result) ? result : [result];
      const first = list[0]!;
      const flat = tf.tidy(() => {
        const pooled = first.rank === 4 ? first.mean([1, 2]) : first;
        return pooled.reshape([group.length, -1]);
      });
      const data = flat.dataSync() as Float32Array;
      const d = data.length / group.length;
      for (let i = 0; i < group.length; i++) out.push(Float32Array.from(data.subarray(i * d, (i + 1) * d)));
      flat.dispose();
      for (const t of list) t.dispose();
    }
    return out;
  }

  dispose(): void { this.model.dispose(); }
}

/**
 * The caption encoder paired with a contrastively trained frame encoder: a tfjs layers model over the
 * bag-of-n-grams features of its tokenizer (stored in the model's userDefinedMetadata.thrive.tokenizer).
 */
export class TfjsTextEncoder {
  private constructor(readonly path: string, private readonly model: tf.LayersModel, readonly tokenizer: CaptionTokenizer) {}

  static async load(path: string): Promise<TfjsTextEncoder> {
    const raw = JSON.parse(await readFile(path, 'utf8').catch((e) => {
      throw new Error(`text encoder: cannot read '${path}': ${(e as Error).message}`);
    })) as ModelJson;
    const meta = (raw.userDefinedMetadata as { thrive?: { role?: string; tokenizer?: TokenizerJSON } } | undefined)?.thrive;
    if (meta?.role !== 'text-encoder' || !meta.tokenizer) {
      throw new Error(`text encoder: '${path}' is not a text encoder saved by the contrastive trainer (no userDefinedMetadata.thrive.tokenizer)`);
    }
    const tokenizer = CaptionTokenizer.fromJSON(meta.tokenizer, path);
    return new TfjsTextEncoder(path, await tf.loadLayersModel(fileIOHandler(path)), tokenizer);
  }

  /** One embedding per text. A text with no word the tokenizer knows is an error (it would embed as nothing). */
  encode(texts: string[]): Float32Array[] {
    for (const t of texts) {
      if (this.tokenizer.unknownWords(t).length === words(t).length) {
        throw new Error(`text encoder '${this.path}': no word of ${JSON.stringify(t)} is in its vocabulary (${this.tokenizer.vocab.filter((v) => !v.includes(' ')).join(', ')})`);
      }
    }
    const V = this.tokenizer.size;
    const out = tf.tidy(() => this.model.predict(tf.tensor2d(this.tokenizer.features(texts), [texts.length, V])) as tf.Tensor2D);
    const data = out.dataSync() as Float32Array, d = out.shape[1];
    out.dispose();
    return texts.map((_, i) => Float32Array.from(data.subarray(i * d, (i + 1) * d)));
  }

  dispose(): void { this.model.dispose(); }
}

export async function createEncoder(config: BuiltinEncoderConfig | TfjsEncoderConfig): Promise<ImageEncoder> {
  return config.kind === 'builtin' ? new BuiltinEncoder(config) : TfjsModelEncoder.load(config);
}
