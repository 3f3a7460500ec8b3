/**
 * SyncVectorEnv: N instances of one env stepped in one thread, observations written into one batch
 * buffer [N, ...obsShape].
 *
 * Autoreset mode: 'next-step' (Gymnasium 1.x's default). When sub-env i ends (terminated or
 * truncated) at step t, step t returns its final obs/reward/flags/info as usual; at step t+1 its
 * action is IGNORED, the sub-env is reset, and step t+1 returns the reset obs with reward 0,
 * terminated = truncated = 0 and the reset info (with `autoreset: true`). Training code must drop
 * the transition (obs_t → obs_{t+1}) of such an env: `autoresetMask[i] === 1` marks it.
 *
 * Batch layouts (all buffers reused every call: copy what you keep):
 *   Box float32          → obs: Float32Array [N · size]
 *   TokenSequence        → obs: Int32Array [N · maxLength], right-padded with 0 (pad); `lengths` [N]
 *   Discrete / Box int32 / MultiDiscrete / MultiBinary → obs: Int32Array [N · size]
 */
import type { Env, EnvInfo, ResetArgs } from './types.ts';
import type { Space } from './spaces.ts';
import { makeEnv, makeEnvSync } from './registry.ts';

export type AutoresetMode = 'next-step' | 'same-step';

export interface VectorStepResult {
  obs: Float32Array | Int32Array;
  /** Token-sequence envs: the length of each row of `obs`. */
  lengths: Int32Array | null;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** 1 where this step was an autoreset (the action was ignored; obs is a fresh episode's first). */
  autoresetMask: Uint8Array;
  infos: EnvInfo[];
}

function obsSize(space: Space<unknown>): number {
  if (space.kind === 'discrete') return 1;
  return space.shape.reduce((a, b) => a * b, 1);
}

export class SyncVectorEnv {
  readonly autoresetMode: AutoresetMode = 'next-step';
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  /** Elements of one observation in the batch buffer (maxLength for token sequences). */
  readonly obsSize: number;
  private readonly result: VectorStepResult;
  private readonly needsReset: Uint8Array;

  constructor(readonly envs: Env<any, number>[]) {
    if (envs.length === 0) throw new Error('SyncVectorEnv needs at least one env');
    this.numEnvs = envs.length;
    this.singleObservationSpace = envs[0].observationSpace;
    this.singleActionSpace = envs[0].actionSpace;
    const kind = this.singleObservationSpace.kind;
    const sig = JSON.stringify(this.singleObservationSpace.toJSON());
    envs.forEach((e, i) => {
      if (JSON.stringify(e.observationSpace.toJSON()) !== sig) throw new Error(`SyncVectorEnv: env ${i} has observation space ${JSON.stringify(e.observationSpace.toJSON())}, env 0 has ${sig}; all must match`);
    });
    this.obsSize = obsSize(this.singleObservationSpace);
    const n = this.numEnvs;
    const floatObs = kind === 'box' && (this.singleObservationSpace.toJSON().dtype ?? 'float32') === 'float32';
    this.result = {
      obs: floatObs ? new Float32Array(n * this.obsSize) : new Int32Array(n * this.obsSize),
      lengths: kind === 'token-sequence' ? new Int32Array(n) : null,
      rewards: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      autoresetMask: new Uint8Array(n),
      infos: new Array(n),
    };
    this.needsReset = new Uint8Array(n);
  }

  /** N instances of a registered id or a module path. */
  static async make(idOrPath: string, numEnvs: number, options?: Record<string, unknown>): Promise<SyncVectorEnv> {
    const envs: Env<any, number>[] = [];
    for (let i = 0; i < numEnvs; i++) envs.push(await makeEnv(idOrPath, options));
    return new SyncVectorEnv(envs);
  }

  static makeSync(id: string, numEnvs: number, options?: Record<string, unknown>): SyncVectorEnv {
    return new SyncVectorEnv(Array.from({ length: numEnvs }, () => makeEnvSync<Env<any, number>>(id, options)));
  }

  private write(i: number, obs: unknown): void {
    const buf = this.result.obs, size = this.obsSize, off = i * size;
    if (typeof obs === 'number') { buf[off] = obs; return; }
    const arr = obs as ArrayLike<number>;
    if (this.result.lengths) {
      const len = Math.min(arr.length, size);
      (buf as Int32Array).set(len === arr.length ? (arr as Int32Array) : (arr as Int32Array).subarray(0, len), off);
      buf.fill(0, off + len, off + size);
      this.result.lengths[i] = len;
    } else buf.set(arr, off);
  }

  /** Resets every sub-env; with a seed, sub-env i gets seed + i. */
  reset(args: ResetArgs = {}): VectorStepResult {
    const r = this.result;
    for (let i = 0; i < this.numEnvs; i++) {
      const out = this.envs[i].reset({ ...args, seed: args.seed === undefined ? undefined : args.seed + i });
      this.write(i, out.obs);
      r.infos[i] = out.info;
    }
    r.rewards.fill(0); r.terminated.fill(0); r.truncated.fill(0); r.autoresetMask.fill(0);
    this.needsReset.fill(0);
    return r;
  }

  /** One step of every sub-env (next-step autoreset, see the file comment). */
  step(actions: ArrayLike<number>): VectorStepResult {
    if (actions.length !== this.numEnvs) throw new Error(`SyncVectorEnv.step: expected ${this.numEnvs} actions, got ${actions.length}`);
    const r = this.result;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      if (this.needsReset[i]) {
        const out = env.reset();
        this.write(i, out.obs);
        r.rewards[i] = 0; r.terminated[i] = 0; r.truncated[i] = 0; r.autoresetMask[i] = 1;
        out.info.autoreset = true;
        r.infos[i] = out.info;
        this.needsReset[i] = 0;
      } else {
        const out = env.step(actions[i]);
        this.write(i, out.obs);
        r.rewards[i] = out.reward;
        r.terminated[i] = out.terminated ? 1 : 0;
        r.truncated[i] = out.truncated ? 1 : 0;
        r.autoresetMask[i] = 0;
        r.infos[i] = out.info;
        this.needsReset[i] = out.terminated || out.truncated ? 1 : 0;
      }
    }
    return r;
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}

/** Alias with the generic name other rooms may expect. */
export { SyncVectorEnv as VectorEnv };
