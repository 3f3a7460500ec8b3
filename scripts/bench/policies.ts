/**
 * `npm run bench -- policies`: the policies' speed figures.
 *   1. Token sampling: tokens/s with the KV-cache sampler vs recomputing the whole prefix every token
 *      (the same TypeScript code fed the full prefix, and a batched tfjs forward over the prefix), at
 *      context 64, N rows in parallel.
 *   2. Game act(): the plain-TypeScript forward vs the tfjs forward (why actImpl defaults to 'js').
 *   3. One training step (forward + backward + Adam) of the default model sizes on wasm vs cpu, and the
 *      same step in PyTorch on this machine when /usr/bin/python3 has torch (a measuring stick only).
 * Options: --quick (fewer repetitions).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { initBackend, TokenPolicy, GamePolicy, makeRng } from '../../agents/index.ts';

process.env.THRIVE_BACKEND_QUIET = '1';
const quick = process.argv.includes('--quick');
const figures: Record<string, unknown> = {};
const now = () => performance.now();

await initBackend('wasm');

// ── 1. token sampling ─────────────────────────────────────────────────────────────────────────────
{
  const CTX = 64, N = 16, PROMPT = 8;
  const policy = new TokenPolicy({ context: CTX, seed: 1 });
  const rng = makeRng(3);
  const prompts = Array.from({ length: N }, () => Int32Array.from({ length: PROMPT }, () => 4 + Math.floor(rng() * 90)));
  const newTokens = (CTX - PROMPT) * N;

  const kv = () => {
    const s = policy.sampler(N, { seed: 1 });
    prompts.forEach((p, r) => s.reset(r, p));
    for (let t = PROMPT; t < CTX; t++) s.sample();
  };
  const recomputeJs = () => {
    const s = policy.sampler(N, { seed: 1 });
    prompts.forEach((p, r) => s.reset(r, p));
    for (let t = PROMPT; t < CTX; t++) {
      s.sample();
      for (let r = 0; r < N; r++) s.reset(r, s.context(r)); // forget the cache: the next call recomputes the prefix
    }
  };
  const recomputeTf = () => {
    const ctx = prompts.map((p) => Array.from(p));
    const srng = makeRng(1);
    for (let t = PROMPT; t < CTX; t++) {
      const tokens = Int32Array.from(ctx.flat());
      const logits = tf.tidy(() => {
        const h = policy.forwardHidden(tokens, N, t).slice([0, t - 1, 0], [N, 1, 64]).reshape([N, 64]);
        return h.matMul(policy.trainableVariables[policy.trainableVariables.length - 1]!);
      });
      const l = logits.dataSync();
      logits.dispose();
      for (let r = 0; r < N; r++) {
        // sample from softmax(l[r])
        let max = -Infinity; for (let j = 0; j < 100; j++) max = Math.max(max, l[r * 100 + j]!);
        let sum = 0; for (let j = 0; j < 100; j++) sum += Math.exp(l[r * 100 + j]! - max);
        let u = srng() * sum, tok = 99;
        for (let j = 0; j < 100; j++) { u -= Math.exp(l[r * 100 + j]! - max); if (u < 0) { tok = j; break; } }
        ctx[r]!.push(tok);
      }
    }
  };
  const time = (f: () => void, reps: number) => { f(); const t0 = now(); for (let i = 0; i < reps; i++) f(); return (now() - t0) / reps; };
  const reps = quick ? 2 : 5;
  const kvMs = time(kv, reps);
  const jsMs = time(recomputeJs, reps);
  const tfMs = time(recomputeTf, quick ? 1 : 2);
  const rate = (ms: number) => newTokens / (ms / 1000);
  console.log(`token sampling, context ${CTX}, ${N} rows, ${newTokens} new tokens per run (model ${policy.parameterCount} params):`);
  console.log(`  KV cache (TypeScript)        ${rate(kvMs).toFixed(0).padStart(8)} tokens/s`);
  console.log(`  recompute prefix (TypeScript) ${rate(jsMs).toFixed(0).padStart(7)} tokens/s   KV speed-up ${(jsMs / kvMs).toFixed(1)}×`);
  console.log(`  recompute prefix (tfjs wasm)  ${rate(tfMs).toFixed(0).padStart(7)} tokens/s   KV speed-up ${(tfMs / kvMs).toFixed(1)}×`);
  Object.assign(figures, {
    sampleContext: CTX, sampleRows: N,
    kvTokensPerSec: rate(kvMs), recomputeJsTokensPerSec: rate(jsMs), recomputeTfjsTokensPerSec: rate(tfMs),
    kvSpeedupVsRecomputeJs: jsMs / kvMs, kvSpeedupVsRecomputeTfjs: tfMs / kvMs,
  });
  policy.dispose();
}

// ── 2. game act ───────────────────────────────────────────────────────────────────────────────────
{
  const N = 16, OBS: [number, number, number] = [3, 7, 7];
  const rng = makeRng(5);
  const obs = Float32Array.from({ length: N * 147 }, () => (rng() < 0.2 ? 1 : 0));
  const per = (policy: GamePolicy) => {
    const reps = quick ? 300 : 1500;
    for (let i = 0; i < 50; i++) policy.act(obs, N);
    const t0 = now();
    for (let i = 0; i < reps; i++) policy.act(obs, N);
    return ((now() - t0) / reps) * 1000;
  };
  for (const arch of ['mlp', 'conv'] as const) {
    const js = new GamePolicy({ obsShape: OBS, numActions: 5, arch, actImpl: 'js' });
    const tfp = new GamePolicy({ obsShape: OBS, numActions: 5, arch, actImpl: 'tfjs' });
    tfp.setWeights(js.getWeights());
    const a = per(js), b = per(tfp);
    console.log(`game act(), ${arch} ${js.parameterCount} params, ${N} envs: TypeScript ${a.toFixed(0)} µs/call, tfjs wasm ${b.toFixed(0)} µs/call (${(b / a).toFixed(1)}×)`);
    figures[`act_${arch}_js_us`] = a;
    figures[`act_${arch}_tfjs_us`] = b;
    js.dispose(); tfp.dispose();
  }
}

// ── 3. training step, wasm vs cpu (vs PyTorch) ──────────────────────────────────────────────────────
const TB = 16, TT = 32, GN = 16 * 32, OBSD = 147;
async function trainStep(backend: string) {
  await initBackend(backend);
  const out: Record<string, number> = {};
  {
    const policy = new TokenPolicy({ seed: 2 });
    const rng = makeRng(1);
    const tokens = Int32Array.from({ length: TB * TT }, () => 4 + Math.floor(rng() * 90));
    const targets = tf.oneHot(tf.tensor2d(tokens, [TB, TT], 'int32').slice([0, 1], [TB, TT - 1]), 100);
    const opt = tf.train.adam(1e-3);
    const step = () => tf.dispose(opt.minimize(() => tf.tidy(() => {
      const { logits } = policy.evaluate({ tokens, B: TB, T: TT, promptLength: 1 });
      return tf.logSoftmax(logits).mul(targets).sum(-1).mean().neg() as tf.Scalar;
    }), true, policy.trainableVariables)!);
    const reps = backend === 'cpu' ? (quick ? 2 : 4) : (quick ? 5 : 15);
    for (let i = 0; i < 2; i++) step();
    const t0 = now();
    for (let i = 0; i < reps; i++) step();
    out.tokenStepMs = (now() - t0) / reps;
    out.tokenParams = policy.parameterCount;
    targets.dispose(); opt.dispose(); policy.dispose();
  }
  {
    const policy = new GamePolicy({ obsShape: [3, 7, 7], numActions: 5 });
    const rng = makeRng(2);
    const obs = Float32Array.from({ length: GN * OBSD }, () => rng());
    const acts = tf.oneHot(tf.tensor1d(Int32Array.from({ length: GN }, () => Math.floor(rng() * 5)), 'int32'), 5).reshape([16, 32, 5]);
    const opt = tf.train.adam(1e-3);
    const step = () => tf.dispose(opt.minimize(() => tf.tidy(() => {
      const { logits } = policy.evaluate({ obs, B: 16, L: 32 });
      return tf.logSoftmax(logits).mul(acts).sum(-1).mean().neg() as tf.Scalar;
    }), true, policy.trainableVariables)!);
    const reps = quick ? 10 : 40;
    for (let i = 0; i < 3; i++) step();
    const t0 = now();
    for (let i = 0; i < reps; i++) step();
    out.gameStepMs = (now() - t0) / reps;
    out.gameParams = policy.parameterCount;
    acts.dispose(); opt.dispose(); policy.dispose();
  }
  return out;
}
const wasm = await trainStep('wasm');
const cpu = await trainStep('cpu');
console.log(`training step (forward + backward + Adam):`);
console.log(`  token transformer ${wasm.tokenParams} params, B=${TB} T=${TT}: wasm ${wasm.tokenStepMs!.toFixed(1)} ms, cpu ${cpu.tokenStepMs!.toFixed(1)} ms (wasm ${(cpu.tokenStepMs! / wasm.tokenStepMs!).toFixed(1)}× faster)`);
console.log(`  game MLP ${wasm.gameParams} params, ${GN} steps: wasm ${wasm.gameStepMs!.toFixed(2)} ms, cpu ${cpu.gameStepMs!.toFixed(2)} ms`);
Object.assign(figures, {
  tokenStepMsWasm: wasm.tokenStepMs, tokenStepMsCpu: cpu.tokenStepMs, gameStepMsWasm: wasm.gameStepMs, gameStepMsCpu: cpu.gameStepMs,
});
for (const threads of [1, 2]) {
  try {
    const res = JSON.parse(execFileSync('/usr/bin/python3', [new URL('./policies_torch.py', import.meta.url).pathname, String(threads), String(TB), String(TT), String(GN), String(OBSD)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!);
    console.log(`  PyTorch ${res.torch}, ${threads} thread(s): token ${res.tokenStepMs.toFixed(1)} ms (wasm/torch ${(wasm.tokenStepMs! / res.tokenStepMs).toFixed(2)}), game ${res.gameStepMs.toFixed(2)} ms (wasm/torch ${(wasm.gameStepMs! / res.gameStepMs).toFixed(2)})`);
    figures[`torch${threads}TokenStepMs`] = res.tokenStepMs;
    figures[`torch${threads}GameStepMs`] = res.gameStepMs;
    if (threads === 1) { figures.wasmOverTorch1Token = wasm.tokenStepMs! / res.tokenStepMs; figures.wasmOverTorch1Game = wasm.gameStepMs! / res.gameStepMs; }
  } catch (e) {
    console.log(`  PyTorch measuring stick unavailable (${(e as Error).message.split('\n')[0]}); install python3-torch to compare`);
    break;
  }
}
console.log(JSON.stringify(figures));
