/**
 * Held-out evaluation of tool-use checkpoints (the tool-reward suites, docs/RESULTS.md §3):
 *   success      greedy, and sampled at the training temperature T (n samples per problem; pass@k by the
 *                unbiased estimator of Chen et al. 2021, eval-text.ts), with 95% bootstrap CIs over problems
 *   components   mean of each per-episode metric of the tool envs (envs/tools/reward.ts: format, toolName,
 *                paramNames, paramValues, tool, args, answered, answer), greedy and sampled
 *   malformed    malformed-call rate = Σ malformed calls / Σ call attempts
 *   by kind      success on calc, lookup and chain (two-call) problems separately
 *   ood          the same on the out-of-distribution problems ({ ood: true, split: 'test' }: an operator
 *                training never shows)
 *   regime       fraction of problems whose n sampled episodes all get the same reward, per reward option
 *                (GRPO learns nothing from such a group: the advantage is 0 for every member)
 * Problems: the 'test' split, reset seeds 0 … problems−1 (ood: 0 … oodProblems−1), the same for every
 * checkpoint. Nothing here feeds back into training.
 *
 *   tsx scripts/experiments/eval-tools.ts --spec spec.json --out eval.json        (the suites; run.ts)
 *   tsx scripts/experiments/eval-tools.ts --checkpoint agents/checkpoints/X.safetensors --env ToolMix-v0 \
 *       --options '{"chainFraction":0.34}' --temperatures 1,0.5,0.3 [--problems 200] [--n 8] [--ood-problems 0] [--out scan.json]
 *                                                     (temperature scan: the regime check of a warm start)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend, policyFromCheckpoint, decodeSafetensors, type TokenPolicy } from '../../agents/index.ts';
import { makeEnvSync, toolReward, TOOL_REWARDS, type TokenEnv, type ToolEnv, type ToolMetrics, type ToolProblemKind } from '../../envs/index.ts';
import { passAtK, rollout, type CheckpointEval, type EvalSpec, type Outcome } from './eval-text.ts';
import { bootstrapMean } from './bootstrap.ts';
import { writeJson } from './json-file.ts';

/** eval-text's spec (problems and n: held-out problems and samples per problem) plus: */
export interface ToolEvalSpec extends EvalSpec {
  /** Sampling temperature of the sampled metrics (the suite's training temperature). */
  temperature: number;
  /** Out-of-distribution problems (0 = skip) and samples per problem. */
  oodProblems: number;
  oodN: number;
}

export interface ModeStats {
  episodes: number;
  success: number;
  /** 95% bootstrap CI of `success` over problems. */
  ci: [number, number];
  /** Mean of each per-episode metric (ToolMetrics). */
  components: Record<string, number>;
  malformedRate: number;
  byKind: Partial<Record<ToolProblemKind, { episodes: number; success: number }>>;
  /** Successes per problem (out of 1 greedy, n sampled), for nested bootstraps over seeds × problems. */
  perProblem: number[];
}

export interface SplitStats {
  greedy: ModeStats;
  sampled: ModeStats;
  /** pass@k from the n sampled episodes per problem. */
  passAtK: Record<string, number>;
  /** Per reward option: fraction of problems whose sampled episodes all got the same reward. */
  zeroVariance: Record<string, number>;
  /** Per problem: distinct correct completions (whole transcripts) among its n sampled episodes. */
  distinctCorrect: number[];
}

/** A CheckpointEval (so the generic report can read it) plus the tool metrics. */
export interface ToolCheckpointEval extends CheckpointEval {
  temperature: number;
  heldOut: SplitStats;
  ood: SplitStats | null;
}

const METRIC_KEYS = ['format', 'toolName', 'paramNames', 'paramValues', 'tool', 'args', 'answered', 'answer'] as const;

/** Evaluation reads metrics, not rewards; 'toolrl-dynamic' needs a training progress evaluation has none of. */
function evalEnvOptions(o: Record<string, unknown>): Record<string, unknown> {
  return o.reward === 'toolrl-dynamic' ? { ...o, reward: 'toolrl' } : { ...o };
}

function problemKinds(envId: string, options: Record<string, unknown>, problems: number): ToolProblemKind[] {
  const env = makeEnvSync(envId, options) as unknown as ToolEnv;
  const out: ToolProblemKind[] = [];
  for (let p = 0; p < problems; p++) { env.reset({ seed: p }); out.push(env.currentProblem().kind); }
  env.close();
  return out;
}

export function modeStats(outcomes: Outcome[], problems: number, perProblemN: number, kinds: readonly ToolProblemKind[], seed: number): ModeStats {
  const per = new Array<number>(problems).fill(0);
  const comps: Record<string, number> = {};
  let calls = 0, malformed = 0;
  const byKind: ModeStats['byKind'] = {};
  for (const o of outcomes) {
    if (o.success) per[o.problem]!++;
    const m = o.components as unknown as ToolMetrics | undefined;
    if (!m) throw new Error('eval-tools: an episode ended without info.rewardComponents; is this a tool env?');
    for (const k of METRIC_KEYS) comps[k] = (comps[k] ?? 0) + m[k] / outcomes.length;
    calls += m.calls;
    malformed += m.malformed;
    const kind = kinds[o.problem]!;
    const b = (byKind[kind] ??= { episodes: 0, success: 0 });
    b.episodes++;
    b.success += o.success ? 1 : 0;
  }
  for (const b of Object.values(byKind)) b.success /= b.episodes;
  const ci = bootstrapMean(per.map((c) => c / perProblemN), { seed });
  return { episodes: outcomes.length, success: ci.mean, ci: [ci.lo, ci.hi], components: comps, malformedRate: calls ? malformed / calls : 0, byKind, perProblem: per };
}

/** Greedy and sampled episodes on `problems` problems of one split, and what is computed from them. */
export function evaluateSplit(
  policy: TokenPolicy, envs: TokenEnv[], problems: number, n: number, ks: number[], temperature: number, sampleSeed: number, kinds: readonly ToolProblemKind[],
  greedyOutcomes?: Outcome[],
): SplitStats {
  const ids = Array.from({ length: problems }, (_, i) => i);
  const greedy = greedyOutcomes ?? rollout(policy, envs, ids.map((p) => ({ problem: p })), { greedy: true });
  const jobs = ids.flatMap((p) => Array.from({ length: n }, () => ({ problem: p })));
  const sampled = rollout(policy, envs, jobs, { temperature, seed: sampleSeed });
  const g = modeStats(greedy, problems, 1, kinds, sampleSeed);
  const s = modeStats(sampled, problems, n, kinds, sampleSeed + 1);
  const passAt: Record<string, number> = {};
  for (const k of ks) passAt[String(k)] = s.perProblem.reduce((a, c) => a + passAtK(n, c, k), 0) / problems;
  // Regime: per reward option, the share of problems whose n sampled rewards are all equal.
  const env0 = envs[0] as unknown as ToolEnv;
  const weights = env0.options;
  const byProblem = new Map<number, ToolMetrics[]>();
  for (const o of sampled) {
    const list = byProblem.get(o.problem) ?? [];
    list.push(o.components as unknown as ToolMetrics);
    byProblem.set(o.problem, list);
  }
  const zeroVariance: Record<string, number> = {};
  for (const option of TOOL_REWARDS) {
    let flat = 0;
    for (const list of byProblem.values()) {
      const r = list.map((m) => toolReward(option, m, weights, 0));
      if (r.every((v) => Math.abs(v - r[0]!) < 1e-9)) flat++;
    }
    zeroVariance[option] = flat / byProblem.size;
  }
  const distinct = ids.map(() => new Set<string>());
  for (const o of sampled) if (o.success) distinct[o.problem]!.add(o.completion);
  return { greedy: g, sampled: s, passAtK: passAt, zeroVariance, distinctCorrect: distinct.map((d) => d.size) };
}

export function evaluateToolCheckpoint(policy: TokenPolicy, envs: TokenEnv[], oodEnvs: TokenEnv[] | null, spec: ToolEvalSpec, label: string, update: number): ToolCheckpointEval {
  const t0 = performance.now();
  const kinds = problemKinds(spec.envId, { ...evalEnvOptions(spec.envOptions), split: 'test' }, spec.problems);
  const heldOut = evaluateSplit(policy, envs, spec.problems, spec.n, spec.ks, spec.temperature, spec.seed * 7919 + update, kinds);
  let ood: SplitStats | null = null;
  if (oodEnvs && spec.oodProblems > 0) {
    const oodKinds = problemKinds(spec.envId, { ...evalEnvOptions(spec.envOptions), split: 'test', ood: true }, spec.oodProblems);
    ood = evaluateSplit(policy, oodEnvs, spec.oodProblems, spec.oodN, [1], spec.temperature, spec.seed * 7919 + update + 104729, oodKinds);
  }
  return {
    label, update,
    greedy: heldOut.greedy.success,
    sampled: heldOut.sampled.success,
    passAtK: heldOut.passAtK,
    greedyComponents: heldOut.greedy.components,
    greedyReward: NaN,
    distinctCorrect: heldOut.distinctCorrect.reduce((a, b) => a + b, 0) / Math.max(1, spec.problems),
    perProblem: { greedy: heldOut.greedy.perProblem, correct: heldOut.sampled.perProblem, distinct: heldOut.distinctCorrect },
    seconds: (performance.now() - t0) / 1000,
    temperature: spec.temperature,
    heldOut, ood,
  };
}

/**
 * `count` envs for `policy`. An env whose context limit exceeds the policy's context (ood problems are
 * longer) gets maxLength = the policy's context: a problem the policy cannot hold is truncated, a failure.
 */
function makeEnvs(policy: TokenPolicy, envId: string, options: Record<string, unknown>, count = 32): TokenEnv[] {
  const probe = makeEnvSync(envId, options) as unknown as TokenEnv;
  const envMax = (probe.observationSpace as unknown as { maxLength: number }).maxLength;
  const o = envMax > policy.config.context ? { ...options, maxLength: policy.config.context } : options;
  return Array.from({ length: count }, () => makeEnvSync(envId, o) as unknown as TokenEnv);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function runSpec(specPath: string, out: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as ToolEvalSpec;
  for (const k of spec.ks) if (k > spec.n) throw new Error(`eval-tools: k=${k} > n=${spec.n} samples; pass@k needs n >= k`);
  const policy = policyFromCheckpoint(spec.warmStart) as TokenPolicy;
  const warm = policy.getWeights();
  const base = evalEnvOptions(spec.envOptions);
  const envs = makeEnvs(policy, spec.envId, { ...base, split: 'test' });
  const oodEnvs = spec.oodProblems > 0 ? makeEnvs(policy, spec.envId, { ...base, split: 'test', ood: true }) : null;
  const results: ToolCheckpointEval[] = [];
  for (const c of spec.checkpoints) {
    policy.setWeights(c.path ? decodeSafetensors(new Uint8Array(readFileSync(c.path)), c.path).weights : warm);
    const r = evaluateToolCheckpoint(policy, envs, oodEnvs, spec, c.label, c.update);
    results.push(r);
    console.log(`${c.label}: greedy ${pct(r.greedy)}  sampled@T=${spec.temperature} ${pct(r.sampled)}  ood greedy ${r.ood ? pct(r.ood.greedy.success) : '–'}  malformed ${pct(r.heldOut.sampled.malformedRate)}  (${r.seconds.toFixed(1)} s)`);
  }
  writeJson(out, results);
}

/** Temperature scan of one checkpoint: the warm start's regime check. */
async function runScan(a: Record<string, string | undefined>): Promise<void> {
  const num = (k: string, d: number) => { const v = a[k] === undefined ? d : Number(a[k]); if (!Number.isFinite(v)) throw new Error(`eval-tools: --${k}=${a[k]} is not a number`); return v; };
  if (!a.env) throw new Error('eval-tools: --checkpoint needs --env');
  let options: Record<string, unknown>;
  try { options = JSON.parse(a.options ?? '{}') as Record<string, unknown>; } catch (e) { throw new Error(`eval-tools: --options is not valid JSON: ${(e as Error).message}`); }
  const temps = (a.temperatures ?? '1').split(',').map(Number);
  if (temps.some((t) => !(t > 0))) throw new Error(`eval-tools: --temperatures must be positive numbers, got ${a.temperatures}`);
  const problems = num('problems', 200), n = num('n', 8), oodProblems = num('ood-problems', 0), seed = num('seed', 1);
  const policy = policyFromCheckpoint(a.checkpoint!) as TokenPolicy;
  const base = evalEnvOptions(options);
  const envs = makeEnvs(policy, a.env, { ...base, split: 'test' });
  const kinds = problemKinds(a.env, { ...base, split: 'test' }, problems);
  const t0 = performance.now();
  const greedy = rollout(policy, envs, Array.from({ length: problems }, (_, p) => ({ problem: p })), { greedy: true });
  const g = modeStats(greedy, problems, 1, kinds, seed);
  const kindText = (m: ModeStats) => Object.entries(m.byKind).map(([k, v]) => `${k} ${pct(v!.success)}`).join(', ');
  console.log(`${a.checkpoint} on ${a.env} ${JSON.stringify(options)}, ${problems} held-out problems`);
  console.log(`greedy: ${pct(g.success)} [${pct(g.ci[0])}, ${pct(g.ci[1])}]  (${kindText(g)})  malformed ${pct(g.malformedRate)}`);
  const rows: Array<Record<string, unknown>> = [];
  for (const T of temps) {
    const s = evaluateSplit(policy, envs, problems, n, [1, n], T, seed * 7919 + Math.round(T * 1000), kinds, greedy);
    let oodS: SplitStats | null = null;
    if (oodProblems > 0) {
      const oodEnvs = makeEnvs(policy, a.env, { ...base, split: 'test', ood: true });
      oodS = evaluateSplit(policy, oodEnvs, oodProblems, n, [1], T, seed * 7919 + Math.round(T * 1000) + 104729, problemKinds(a.env, { ...base, split: 'test', ood: true }, oodProblems));
    }
    rows.push({ temperature: T, sampled: s.sampled.success, ci: s.sampled.ci, passAtN: s.passAtK[String(n)], byKind: s.sampled.byKind, malformedRate: s.sampled.malformedRate, zeroVariance: s.zeroVariance, components: s.sampled.components, ood: oodS ? { greedy: oodS.greedy.success, sampled: oodS.sampled.success } : null });
    console.log(`T=${T}: sampled ${pct(s.sampled.success)} [${pct(s.sampled.ci[0])}, ${pct(s.sampled.ci[1])}]  pass@${n} ${pct(s.passAtK[String(n)]!)}  (${kindText(s.sampled)})  malformed ${pct(s.sampled.malformedRate)}` +
      `  zero-variance groups of ${n}: ${Object.entries(s.zeroVariance).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}${oodS ? `  ood greedy ${pct(oodS.greedy.success)} sampled ${pct(oodS.sampled.success)}` : ''}`);
  }
  const result = { checkpoint: a.checkpoint, env: a.env, options, problems, n, greedy: { success: g.success, ci: g.ci, byKind: g.byKind, components: g.components }, temperatures: rows, seconds: (performance.now() - t0) / 1000 };
  if (a.out) writeJson(a.out, result);
  console.log(JSON.stringify({ checkpoint: a.checkpoint, greedy: g.success, sampled: Object.fromEntries(rows.map((r) => [String(r.temperature), r.sampled])), seconds: result.seconds }));
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      spec: { type: 'string' }, out: { type: 'string' }, checkpoint: { type: 'string' }, env: { type: 'string' }, options: { type: 'string' },
      temperatures: { type: 'string' }, problems: { type: 'string' }, n: { type: 'string' }, 'ood-problems': { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' },
    },
  });
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend(a.backend);
  if (a.spec) {
    if (!a.out) throw new Error('eval-tools: --spec needs --out <file>');
    await runSpec(a.spec, a.out);
  } else if (a.checkpoint) {
    await runScan(a);
  } else {
    throw new Error('eval-tools: give --spec spec.json --out eval.json, or --checkpoint FILE --env ID [--temperatures 1,0.5]');
  }
}

if (process.argv[1]?.endsWith('eval-tools.ts')) {
  main().catch((e) => { console.error(`error: ${(e as Error).stack ?? e}`); process.exit(1); });
}
