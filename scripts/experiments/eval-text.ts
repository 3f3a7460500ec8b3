/**
 * Held-out evaluation of token-policy checkpoints (text and tool envs) for the experiment suites:
 * greedy success, pass@k from n samples per problem (the unbiased estimator of Chen et al. 2021,
 * "Evaluating Large Language Models Trained on Code": pass@k = 1 − C(n−c, k)/C(n, k)), the number of distinct
 * correct completions per problem among the n samples, and the mean of each reward component (tool envs'
 * info.rewardComponents, ToolRL-style) under greedy decoding. For tasks that list their correct answers
 * (EitherSort-v0: `correctAnswers()`), also the exact probability the policy gives each answer (teacher
 * forcing) and the share of greedy and sampled completions that are each answer. Per-problem values are kept
 * (`perProblem`) so confidence intervals can be taken over problems as well as seeds.
 *
 *   tsx scripts/experiments/eval-text.ts --spec spec.json --out eval.json
 *
 * spec.json: { envId, envOptions, warmStart (safetensors with the policy config in its metadata),
 *   checkpoints: [{ label, update, path | null (null = the warm start itself) }], problems, n, ks, seed,
 *   temperature? (sampling and mass temperature, default 1) }
 * Problems are the env's 'test' split, reset seeds 0 … problems−1 (the same problems for every checkpoint).
 * This file only reads the split; it never feeds anything back into training.
 */
import { readFileSync } from 'node:fs';
import { initBackend, policyFromCheckpoint, decodeSafetensors, correctAnswerMass, type TokenPolicy } from '../../agents/index.ts';
import { makeEnvSync, type TokenEnv } from '../../envs/index.ts';
import { writeJson } from './json-file.ts';

export interface EvalSpec {
  envId: string;
  envOptions: Record<string, unknown>;
  warmStart: string;
  checkpoints: Array<{ label: string; update: number; path: string | null }>;
  problems: number;
  n: number;
  ks: number[];
  seed: number;
  /** Temperature of the samples and of the answer masses. Default 1. */
  temperature?: number;
}

export interface CheckpointEval {
  label: string;
  update: number;
  greedy: number;
  /** Mean sampled success (= pass@1 from the n samples). */
  sampled: number;
  passAtK: Record<string, number>;
  /** Greedy episodes: mean of each reward component (tool envs), and mean episode reward. */
  greedyComponents: Record<string, number>;
  greedyReward: number;
  /** Mean over problems of the number of distinct correct completions among the n samples. */
  distinctCorrect: number;
  /** Tasks with listed answers: mean probability of each answer (index = the env's correctAnswers() order). */
  answerMass?: number[];
  /** … share of greedy completions that are each answer. */
  greedyAnswerShare?: number[];
  /** … share of the n samples per problem that are each answer. */
  sampledAnswerShare?: number[];
  /** Per held-out problem (index = reset seed), for intervals over problems. */
  perProblem: {
    greedy: number[];
    /** Correct samples out of n. */
    correct: number[];
    distinct: number[];
    mass?: number[][];
    /** Samples equal to each answer, out of n. */
    answerCounts?: number[][];
  };
  seconds: number;
}

/** Unbiased pass@k from n samples with c correct: 1 − C(n−c, k)/C(n, k), as a stable product. */
export function passAtK(n: number, c: number, k: number): number {
  if (k > n) throw new Error(`pass@k needs n >= k, got n=${n}, k=${k}`);
  if (n - c < k) return 1;
  let p = 1;
  for (let i = n - c + 1; i <= n; i++) p *= 1 - k / i;
  return 1 - p;
}

export interface Job { problem: number }
export interface Outcome { problem: number; success: boolean; reward: number; completion: string; components?: Record<string, number> }

/** Roll out `jobs` (one episode each, reset with seed = problem) through one batched sampler. */
export function rollout(policy: TokenPolicy, envs: TokenEnv[], jobs: Job[], sampling: Parameters<TokenPolicy['sampler']>[1]): Outcome[] {
  const N = envs.length;
  const s = policy.sampler(N, sampling);
  const out: Outcome[] = [];
  const cur: Array<Job | null> = new Array(N).fill(null);
  const rew = new Array<number>(N).fill(0);
  let next = 0;
  const start = (r: number) => {
    if (next >= jobs.length) { cur[r] = null; s.deactivate(r); return; }
    const j = jobs[next++]!;
    cur[r] = j;
    rew[r] = 0;
    s.reset(r, envs[r]!.reset({ seed: j.problem }).obs);
  };
  for (let r = 0; r < N; r++) start(r);
  while (out.length < jobs.length) {
    const o = s.sample();
    for (const r of o.rows) {
      const st = envs[r]!.step(o.tokens[r]!);
      rew[r]! += st.reward;
      if (st.terminated || st.truncated) {
        out.push({ problem: cur[r]!.problem, success: !!st.info.success, reward: rew[r]!, completion: String(st.info.completion ?? '').trim(), components: st.info.rewardComponents as Record<string, number> | undefined });
        start(r);
        continue;
      }
      const have = s.context(r).length;
      if (st.obs.length > have) s.feed(r, st.obs.slice(have));
    }
  }
  return out;
}

export function evaluateCheckpoint(policy: TokenPolicy, envs: TokenEnv[], spec: EvalSpec, label: string, update: number): CheckpointEval {
  const t0 = performance.now();
  const T = spec.temperature ?? 1;
  const problems = Array.from({ length: spec.problems }, (_, i) => i);
  const greedy = rollout(policy, envs, problems.map((p) => ({ problem: p })), { greedy: true });
  const jobs: Job[] = [];
  for (const p of problems) for (let i = 0; i < spec.n; i++) jobs.push({ problem: p });
  const sampled = rollout(policy, envs, jobs, { temperature: T, seed: spec.seed * 7919 + update });
  const correct = new Array<number>(spec.problems).fill(0);
  const distinct = problems.map(() => new Set<string>());
  for (const o of sampled) if (o.success) { correct[o.problem]!++; distinct[o.problem]!.add(o.completion); }
  const passAt: Record<string, number> = {};
  for (const k of spec.ks) {
    let sum = 0;
    for (const p of problems) sum += passAtK(spec.n, correct[p]!, k);
    passAt[String(k)] = sum / problems.length;
  }
  const comps: Record<string, number> = {};
  for (const o of greedy) for (const [k, v] of Object.entries(o.components ?? {})) comps[k] = (comps[k] ?? 0) + v / greedy.length;
  const greedyOk = new Array<number>(spec.problems).fill(0);
  for (const o of greedy) greedyOk[o.problem] = o.success ? 1 : 0;
  const out: CheckpointEval = {
    label, update,
    greedy: greedy.filter((o) => o.success).length / greedy.length,
    sampled: sampled.filter((o) => o.success).length / sampled.length,
    passAtK: passAt,
    greedyComponents: comps,
    greedyReward: greedy.reduce((a, o) => a + o.reward, 0) / greedy.length,
    distinctCorrect: distinct.reduce((a, d) => a + d.size, 0) / problems.length,
    perProblem: { greedy: greedyOk, correct, distinct: distinct.map((d) => d.size) },
    seconds: 0,
  };
  // Listed answers (EitherSort-v0): exact mass on each, and which answer the greedy and sampled completions are.
  const mass = correctAnswerMass(policy, envs[0]!, problems, { temperature: T });
  if (mass) {
    const lists = problems.map((p) => { envs[0]!.reset({ seed: p }); return (envs[0] as unknown as { correctAnswers(): string[] }).correctAnswers(); });
    const k = Math.max(...lists.map((l) => l.length));
    const counts = problems.map(() => new Array<number>(k).fill(0));
    for (const o of sampled) { const j = lists[o.problem]!.indexOf(o.completion); if (j >= 0) counts[o.problem]![j]!++; }
    const greedyShare = new Array<number>(k).fill(0);
    for (const o of greedy) { const j = lists[o.problem]!.indexOf(o.completion); if (j >= 0) greedyShare[j]! += 1 / greedy.length; }
    out.answerMass = Array.from({ length: k }, (_, j) => mass.reduce((a, m) => a + (m[j] ?? 0), 0) / mass.length);
    out.greedyAnswerShare = greedyShare;
    out.sampledAnswerShare = Array.from({ length: k }, (_, j) => counts.reduce((a, c) => a + c[j]!, 0) / (spec.n * problems.length));
    out.perProblem.mass = mass;
    out.perProblem.answerCounts = counts;
  }
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string) => { const i = argv.indexOf(k); if (i < 0 || !argv[i + 1]) throw new Error(`eval-text: missing ${k} <file>`); return argv[i + 1]!; };
  const spec = JSON.parse(readFileSync(arg('--spec'), 'utf8')) as EvalSpec;
  const out = arg('--out');
  for (const k of spec.ks) if (k > spec.n) throw new Error(`eval-text: k=${k} > n=${spec.n} samples; pass@k needs n >= k`);
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
  const policy = policyFromCheckpoint(spec.warmStart) as TokenPolicy;
  const warm = policy.getWeights();
  const envs = Array.from({ length: 32 }, () => makeEnvSync(spec.envId, { ...spec.envOptions, split: 'test' }) as unknown as TokenEnv);
  const results: CheckpointEval[] = [];
  for (const c of spec.checkpoints) {
    policy.setWeights(c.path ? decodeSafetensors(new Uint8Array(readFileSync(c.path)), c.path).weights : warm);
    const r = evaluateCheckpoint(policy, envs, spec, c.label, c.update);
    results.push(r);
    const mass = r.answerMass ? `  answer mass ${r.answerMass.map((m) => m.toFixed(3)).join(' / ')}` : '';
    console.log(`${c.label}: greedy ${(r.greedy * 100).toFixed(1)}%  pass@1 ${(r.passAtK['1'] ?? r.sampled) * 100 | 0}%  pass@${spec.n} ${((r.passAtK[String(spec.n)] ?? NaN) * 100).toFixed(1)}%  distinct correct ${r.distinctCorrect.toFixed(2)}${mass}  (${r.seconds.toFixed(1)} s)`);
  }
  writeJson(out, results);
}

if (process.argv[1]?.endsWith("eval-text.ts")) {
  main().catch((e) => { console.error(`error: ${(e as Error).stack ?? e}`); process.exit(1); });
}
