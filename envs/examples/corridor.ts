/**
 * A complete user env in its own file: Corridor. The agent stands somewhere in a 1-D corridor and
 * must walk to the exit at the right end. Use it as the template for your own env:
 *
 *   npm run check-env -- ./envs/examples/corridor.ts          conformance check
 *   npm start -- --config my.json   with  { "env": { "id": "./envs/examples/corridor.ts", "options": { "length": 12 } } }
 *
 * The module's default export is a factory (options) => Env; a class with a constructor(options)
 * works too. Import only envs/index.ts.
 */
import { Box, Discrete, Rng, splitOf, validateOptions, type Env, type EnvSpec, type Frame, type OptionSchema, type ResetArgs, type ResetResult, type StepResult } from '../index.ts';

export interface CorridorOptions {
  /** Cells in the corridor (the exit is the last one). */
  length: number;
  /** Steps before the episode is truncated. */
  maxSteps: number;
  /** 'train' or 'test': disjoint sets of start cells. */
  split: 'train' | 'test';
}

const SCHEMA: OptionSchema = {
  length: { type: 'int', default: 8, min: 3, max: 1000, doc: 'Cells in the corridor; the exit is the last one.' },
  maxSteps: { type: 'int', default: 50, min: 1, max: 100000, doc: 'Steps before the episode is truncated.' },
  split: { type: 'enum', values: ['train', 'test'], default: 'train', doc: 'Start cells are split by a hash into disjoint train and test sets.' },
};

const LEFT = 0, RIGHT = 1;

export class Corridor implements Env<Float32Array, number> {
  readonly options: CorridorOptions;
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(2);
  readonly spec: EnvSpec;
  private readonly rng = new Rng(0);
  private readonly obs: Float32Array;
  private pos = 0;
  private t = 0;
  private done = true;
  private message = '';

  constructor(options: Record<string, unknown> = {}) {
    // Unknown keys / bad values throw an Error naming them.
    this.options = validateOptions<CorridorOptions>('Corridor', SCHEMA, options);
    this.observationSpace = new Box(0, 1, [this.options.length]);
    this.obs = new Float32Array(this.options.length);
    this.spec = { id: 'Corridor', family: 'games', maxEpisodeSteps: this.options.maxSteps, options: { ...this.options } };
  }

  reset({ seed }: ResetArgs = {}): ResetResult<Float32Array> {
    if (seed !== undefined) this.rng.seed(seed); // same seed → same episode; no seed → continue the stream
    // Draw start cells until one belongs to our split (keeps train and test disjoint).
    do this.pos = this.rng.int(this.options.length - 1);
    while (splitOf(`corridor:${this.options.length}:${this.pos}`) !== this.options.split && this.options.length > 5);
    this.t = 0;
    this.done = false;
    this.message = '';
    this.obs.fill(0);
    this.obs[this.pos] = 1;
    return { obs: this.obs, info: { message: '', success: false } };
  }

  step(action: number): StepResult<Float32Array> {
    if (this.done) throw new Error('Corridor: step() after the episode ended; call reset() first');
    if (action !== LEFT && action !== RIGHT) throw new Error(`Corridor: action must be 0 (left) or 1 (right), got ${String(action)}`);
    this.t++;
    this.obs[this.pos] = 0;
    if (action === LEFT && this.pos === 0) this.message = 'You bump into a wall.';
    else { this.pos += action === RIGHT ? 1 : -1; this.message = ''; }
    this.obs[this.pos] = 1;
    const terminated = this.pos === this.options.length - 1;
    if (terminated) this.message = 'You reach the goal!';
    const truncated = !terminated && this.t >= this.options.maxSteps;
    this.done = terminated || truncated;
    return { obs: this.obs, reward: terminated ? 1 : 0, terminated, truncated, info: { message: this.message, success: terminated } };
  }

  render(): Frame {
    const tile = 4, width = this.options.length * tile, height = tile;
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const cell = Math.floor(x / tile);
        const o = (y * width + x) * 3;
        const c = cell === this.pos ? [255, 255, 255] : cell === this.options.length - 1 ? [0, 200, 0] : [0, 0, 0];
        rgb[o] = c[0]; rgb[o + 1] = c[1]; rgb[o + 2] = c[2];
      }
    }
    return { rgb, height, width, caption: this.message };
  }

  close(): void {
    this.done = true;
  }
}

/** The default export the registry loads by path. */
export default function makeCorridor(options: Record<string, unknown>): Corridor {
  return new Corridor(options);
}
