/**
 * checkEnv: a conformance checker in the spirit of Gymnasium's `check_env`. It runs a few seeded
 * random episodes and reports each contract rule as passed or failed (it never throws for a broken
 * env: exceptions become failures). `assertEnv` throws one Error listing every failure.
 *
 * Rules: spaces are Spaces; spec is well formed (its optional goal a non-empty string); reset/step
 * return the documented shapes; obs ∈ observationSpace; rewards finite; terminated/truncated booleans
 * and the episode ends within spec.maxEpisodeSteps; info is an object with a string `message`,
 * msgpack-serialisable, and `success: boolean` on the last step;
 * same seed + same actions → the same episode byte for byte (also for the unseeded resets that
 * follow); a step after the episode ended throws an Error; render() (if any) gives a well-formed
 * captioned frame; demonstrate() (token envs, if any) replays to a successful episode.
 */
import { Packr } from 'msgpackr';
import { Rng } from '../core/rng.ts';
import { defaultTokenizer } from './tokenizer.ts';
import type { Env, EnvInfo } from './types.ts';

export interface CheckOptions {
  /** Seed of the first reset (default 123). */
  seed?: number;
  /** Seeded random episodes to run (default 3). */
  episodes?: number;
  /** Step cap when spec.maxEpisodeSteps is infinite (default 2000). */
  stepCap?: number;
  /**
   * Makes a fresh instance with the same options. When given, the checker also requires a fresh
   * instance to replay the first seeded episode exactly (actors in other threads rely on it).
   */
  makeAnother?: () => Env<any, any>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckReport {
  id: string;
  ok: boolean;
  results: CheckResult[];
  warnings: string[];
}

const packr = new Packr({ moreTypes: true, structuredClone: false });

interface Episode {
  obs: Uint8Array[];
  rewards: number[];
  flags: string[];
  infos: Uint8Array[];
  steps: number;
}

function obsBytes(obs: unknown): Uint8Array {
  if (typeof obs === 'number') return new Uint8Array(new Float64Array([obs]).buffer);
  if (ArrayBuffer.isView(obs)) return new Uint8Array(obs.buffer.slice(obs.byteOffset, obs.byteOffset + obs.byteLength));
  return new TextEncoder().encode(JSON.stringify(obs));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) return sameBytes(obsBytes(a), obsBytes(b));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function checkEnv(envArg: Env<any, any>, opts: CheckOptions = {}): CheckReport {
  let env = envArg;
  const seed = opts.seed ?? 123;
  const episodes = opts.episodes ?? 3;
  const stepCap = opts.stepCap ?? 2000;
  const results: CheckResult[] = [];
  const warnings: string[] = [];
  const failures = new Map<string, string>();
  const fail = (name: string, detail: string) => { if (!failures.has(name)) failures.set(name, detail); };
  const names: string[] = [];
  const rule = (name: string) => { if (!names.includes(name)) names.push(name); };
  const id = env?.spec?.id ?? '(no spec)';

  rule('spaces');
  for (const key of ['observationSpace', 'actionSpace'] as const) {
    const s = env[key] as unknown as Record<string, unknown> | undefined;
    if (!s || typeof s.contains !== 'function' || typeof s.sample !== 'function') fail('spaces', `${key} is not a Space (needs contains() and sample())`);
  }
  rule('spec');
  const spec = env.spec;
  if (!spec || typeof spec.id !== 'string' || !['text', 'tools', 'games'].includes(spec.family) || !(spec.maxEpisodeSteps > 0)) {
    fail('spec', `env.spec must be { id, family: 'text'|'tools'|'games', maxEpisodeSteps > 0, options }, got ${JSON.stringify(spec)}`);
  } else if (spec.goal !== undefined && (typeof spec.goal !== 'string' || spec.goal.trim() === '')) {
    fail('spec', `env.spec.goal (the task in words, for an LLM judge) must be a non-empty string when given, got ${JSON.stringify(spec.goal)}`);
  }
  if (failures.has('spaces')) return finish();
  const limit = Number.isFinite(spec?.maxEpisodeSteps) ? spec.maxEpisodeSteps : stepCap;
  if (!Number.isFinite(spec?.maxEpisodeSteps)) warnings.push(`spec.maxEpisodeSteps is not finite; episodes capped at ${stepCap} steps by the checker`);

  const checkInfo = (where: string, info: EnvInfo | undefined): Uint8Array => {
    rule('info');
    if (typeof info !== 'object' || info === null) { fail('info', `${where}: info must be an object, got ${String(info)}`); return new Uint8Array(); }
    if (typeof info.message !== 'string') fail('info', `${where}: info.message must be a string, got ${typeof info.message}`);
    rule('info msgpack-serialisable');
    try {
      const packed = packr.pack(info);
      if (!deepEqual(packr.unpack(packed), info)) fail('info msgpack-serialisable', `${where}: info does not survive a msgpack round trip: ${JSON.stringify(info)}`);
      return new Uint8Array(packed);
    } catch (err) {
      fail('info msgpack-serialisable', `${where}: msgpack cannot encode info: ${(err as Error).message}`);
      return new Uint8Array();
    }
  };

  const runEpisode = (label: string, resetSeed: number | undefined, actRng: Rng): Episode => {
    const ep: Episode = { obs: [], rewards: [], flags: [], infos: [], steps: 0 };
    rule('reset');
    const r = env.reset(resetSeed === undefined ? {} : { seed: resetSeed });
    if (!r || typeof r !== 'object' || !('obs' in r) || !('info' in r)) { fail('reset', `${label}: reset() must return { obs, info }`); return ep; }
    rule('obs in observationSpace');
    if (!env.observationSpace.contains(r.obs)) fail('obs in observationSpace', `${label}: reset obs not in ${JSON.stringify(env.observationSpace.toJSON())}`);
    ep.obs.push(obsBytes(r.obs));
    ep.infos.push(checkInfo(`${label} reset`, r.info));
    for (let t = 1; t <= limit; t++) {
      const a = env.actionSpace.sample(actRng);
      rule('step');
      const s = env.step(a);
      ep.steps = t;
      if (!s || typeof s !== 'object') { fail('step', `${label} step ${t}: step() must return an object`); return ep; }
      if (typeof s.reward !== 'number' || !Number.isFinite(s.reward)) fail('step', `${label} step ${t}: reward must be a finite number, got ${String(s.reward)}`);
      if (typeof s.terminated !== 'boolean' || typeof s.truncated !== 'boolean') fail('step', `${label} step ${t}: terminated and truncated must be booleans`);
      if (!env.observationSpace.contains(s.obs)) fail('obs in observationSpace', `${label} step ${t}: obs not in ${JSON.stringify(env.observationSpace.toJSON())}`);
      ep.obs.push(obsBytes(s.obs));
      ep.rewards.push(s.reward);
      ep.flags.push(`${s.terminated}/${s.truncated}`);
      ep.infos.push(checkInfo(`${label} step ${t}`, s.info));
      if (s.terminated && s.truncated) warnings.push(`${label} step ${t}: terminated and truncated both true (allowed, but usually one reason ends an episode)`);
      if (s.terminated || s.truncated) {
        rule('success on last step');
        if (typeof s.info?.success !== 'boolean') fail('success on last step', `${label}: the last step's info.success must be a boolean, got ${String(s.info?.success)}`);
        if (typeof env.render === 'function') rule('render');
        if (typeof env.render === 'function') checkFrame(env, s.info?.message, fail, `${label} last step`);
        return ep;
      }
      if (t === 1 && typeof env.render === 'function') rule('render');
      if (t === 1 && typeof env.render === 'function') checkFrame(env, s.info?.message, fail, `${label} step 1`);
    }
    rule('episode ends within maxEpisodeSteps');
    fail('episode ends within maxEpisodeSteps', `${label}: no terminated/truncated after ${limit} steps`);
    return ep;
  };

  const safely = (name: string, fn: () => void) => {
    rule(name);
    try { fn(); } catch (err) { fail(name, `threw: ${(err as Error).stack ?? String(err)}`); }
  };

  let first: Episode[] = [];
  safely('random episodes', () => {
    const actRng = new Rng(seed + 1);
    first = [runEpisode('episode 1 (seeded)', seed, actRng)];
    for (let e = 1; e < episodes; e++) first.push(runEpisode(`episode ${e + 1} (unseeded reset)`, undefined, actRng));
  });

  safely('step after episode end throws', () => {
    let threw: unknown = null;
    try { env.step(env.actionSpace.sample(new Rng(1))); } catch (err) { threw = err; }
    if (!(threw instanceof Error) || threw.message.length < 10) fail('step after episode end throws', 'stepping a finished episode must throw an Error with a clear message');
  });

  safely('same seed, same episodes (determinism)', () => {
    const actRng = new Rng(seed + 1);
    const again = [runEpisode('replay 1 (seeded)', seed, actRng)];
    for (let e = 1; e < episodes; e++) again.push(runEpisode(`replay ${e + 1} (unseeded reset)`, undefined, actRng));
    for (let e = 0; e < first.length; e++) {
      const a = first[e], b = again[e];
      const where = `episode ${e + 1}`;
      if (a.steps !== b.steps) { fail('same seed, same episodes (determinism)', `${where}: ${a.steps} vs ${b.steps} steps`); return; }
      for (let t = 0; t < a.obs.length; t++) {
        if (!sameBytes(a.obs[t], b.obs[t])) { fail('same seed, same episodes (determinism)', `${where}: obs differs at step ${t}`); return; }
        if (!sameBytes(a.infos[t], b.infos[t])) { fail('same seed, same episodes (determinism)', `${where}: info differs at step ${t}`); return; }
      }
      if (a.rewards.join() !== b.rewards.join() || a.flags.join() !== b.flags.join()) fail('same seed, same episodes (determinism)', `${where}: rewards or flags differ`);
    }
    const other = env.reset({ seed: seed + 7919 });
    if (first[0] && sameBytes(obsBytes(other.obs), first[0].obs[0])) warnings.push('two different seeds gave the same first observation (fine for a fixed-layout env, suspicious otherwise)');
  });

  if (opts.makeAnother) {
    safely('fresh instance, same seed, same episode', () => {
      const other = opts.makeAnother!();
      const saved = env;
      env = other;
      try {
        const replay = runEpisode('fresh instance (seeded)', seed, new Rng(seed + 1));
        const a = first[0];
        const same = a && a.steps === replay.steps && a.obs.every((o, t) => sameBytes(o, replay.obs[t])) && a.rewards.join() === replay.rewards.join();
        if (!same) fail('fresh instance, same seed, same episode', 'a new instance reset with the same seed and given the same actions played a different episode');
      } finally {
        env = saved;
        other.close();
      }
    });
  }

  const demoEnv = env as Env<any, any> & { demonstrate?: () => Array<{ role: string; text: string }> };
  if (typeof demoEnv.demonstrate === 'function') {
    safely('demonstration replays to success', () => {
      for (let e = 0; e < episodes; e++) {
        env.reset({ seed: seed + 100 + e });
        const demo = demoEnv.demonstrate!();
        let last: { terminated: boolean; truncated: boolean; info: EnvInfo } | null = null;
        let context = '';
        for (const seg of demo) {
          if (seg.role === 'env') {
            if (!context.endsWith(seg.text)) fail('demonstration replays to success', `seed ${seed + 100 + e}: the env did not insert ${JSON.stringify(seg.text)} (context ends ${JSON.stringify(context.slice(-40))})`);
            continue;
          }
          for (const id of defaultTokenizer.encode(seg.text)) {
            if (last && (last.terminated || last.truncated)) { fail('demonstration replays to success', `seed ${seed + 100 + e}: the episode ended before the demonstration did`); return; }
            const s = env.step(id);
            last = s;
            context = defaultTokenizer.decode(s.obs as Int32Array);
          }
        }
        if (last && !last.terminated && !last.truncated) last = env.step(defaultTokenizer.eos);
        if (!last || !last.terminated || last.info.success !== true) fail('demonstration replays to success', `seed ${seed + 100 + e}: replaying demonstrate() did not end in success (${JSON.stringify(last?.info)})`);
      }
    });
  }

  safely('close', () => env.close());
  return finish();

  function finish(): CheckReport {
    for (const n of names) results.push({ name: n, ok: !failures.has(n), detail: failures.get(n) ?? '' });
    return { id, ok: failures.size === 0, results, warnings };
  }
}

function checkFrame(env: Env<any, any>, message: unknown, fail: (n: string, d: string) => void, where: string): void {
  const f = env.render!();
  if (!f || !(f.rgb instanceof Uint8Array) || !Number.isInteger(f.height) || !Number.isInteger(f.width) || f.height <= 0 || f.width <= 0) {
    fail('render', `${where}: render() must return { rgb: Uint8Array, height, width, caption }`);
    return;
  }
  if (f.rgb.length !== f.height * f.width * 3) fail('render', `${where}: rgb has ${f.rgb.length} bytes, expected height·width·3 = ${f.height * f.width * 3}`);
  if (typeof f.caption !== 'string') fail('render', `${where}: caption must be a string`);
  else if (typeof message === 'string' && f.caption !== message) fail('render', `${where}: caption ${JSON.stringify(f.caption)} differs from info.message ${JSON.stringify(message)}`);
}

/** Throws one Error listing every failed rule of `checkEnv`. */
export function assertEnv(env: Env<any, any>, opts?: CheckOptions): CheckReport {
  const report = checkEnv(env, opts);
  if (!report.ok) {
    throw new Error(`env '${report.id}' fails the checker:\n${report.results.filter((r) => !r.ok).map((r) => `  ✗ ${r.name}: ${r.detail}`).join('\n')}`);
  }
  return report;
}
