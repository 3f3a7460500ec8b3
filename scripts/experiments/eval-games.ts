/**
 * Held-out evaluation of game-policy checkpoints for the experiment suites: greedy success, and sampled
 * success over n samples per level (temperature 1), with pass@k from those samples, on the env's 'test'
 * split (levels generated from reset seeds 0 … problems−1; a level of the test split is never trained on).
 *
 *   tsx scripts/experiments/eval-games.ts --spec spec.json --out eval.json
 *
 * spec.json: the suites' eval spec (scripts/experiments/eval-text.ts's EvalSpec); `warmStart` is unused for
 * policies trained from scratch (a null checkpoint path is an error here); each checkpoint's policy is
 * rebuilt from its run directory's config.json (runner/eval's loadEvalTarget). This file only reads the split; it never feeds anything back.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { initBackend, type GamePolicy } from '../../agents/index.ts';
import { loadEvalTarget } from '../../runner/eval/index.ts';
import { passAtKCurve, rolloutGameEpisodes } from '../../agents/eval/index.ts';
import { makeEnvSync, type Env } from '../../envs/index.ts';
import type { CheckpointEval, EvalSpec } from './eval-text.ts';
import { writeJson } from './json-file.ts';

export function evaluateGameCheckpoint(policy: GamePolicy, envs: Array<Env<Float32Array, number>>, spec: EvalSpec, label: string, update: number): CheckpointEval {
  const t0 = performance.now();
  const seeds = Array.from({ length: spec.problems }, (_, i) => i);
  const greedy = rolloutGameEpisodes(policy, envs, seeds, { greedy: true });
  const greedyOk = greedy.map((o) => (o.success ? 1 : 0));
  const correct = new Array<number>(spec.problems).fill(0);
  let sampledSuccess = 0;
  for (let s = 0; s < spec.n; s++) {
    const out = rolloutGameEpisodes(policy, envs, seeds, { temperature: 1, seed: spec.seed * 1000 + s });
    out.forEach((o, i) => { if (o.success) { correct[i]!++; sampledSuccess++; } });
  }
  return {
    label, update,
    greedy: greedy.filter((o) => o.success).length / greedy.length,
    sampled: sampledSuccess / (spec.problems * spec.n),
    passAtK: passAtKCurve(correct, spec.n, spec.ks.filter((k) => k <= spec.n)),
    greedyComponents: { length: greedy.reduce((a, o) => a + o.length, 0) / greedy.length },
    greedyReward: greedy.reduce((a, o) => a + o.return, 0) / greedy.length,
    // Distinct solutions are a text-task figure; a level solved at all counts one here.
    distinctCorrect: correct.filter((c) => c > 0).length / spec.problems,
    perProblem: { greedy: greedyOk, correct, distinct: correct.map((c) => (c > 0 ? 1 : 0)) },
    seconds: (performance.now() - t0) / 1000,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string) => { const i = argv.indexOf(k); if (i < 0 || !argv[i + 1]) throw new Error(`eval-games: missing ${k} <file>`); return argv[i + 1]!; };
  const spec = JSON.parse(readFileSync(arg('--spec'), 'utf8')) as EvalSpec;
  const out = arg('--out');
  process.env.THRIVE_BACKEND_QUIET = '1';
  await initBackend();
  const envs = Array.from({ length: 32 }, () => makeEnvSync(spec.envId, { ...spec.envOptions, split: 'test' }) as Env<Float32Array, number>);
  const results: CheckpointEval[] = [];
  for (const c of spec.checkpoints) {
    if (!c.path) throw new Error(`eval-games: checkpoint '${c.label}' has no file (game suites train from scratch: no warm start to evaluate)`);
    // Runner checkpoints hold bare weights: the policy is rebuilt from the run's config.json.
    const policy = loadEvalTarget(dirname(c.path)).policy as GamePolicy;
    const r = evaluateGameCheckpoint(policy, envs, spec, c.label, c.update);
    results.push(r);
    console.log(`${c.label}: greedy ${(r.greedy * 100).toFixed(1)}%  sampled ${(r.sampled * 100).toFixed(1)}%  (${spec.problems} held-out levels, ${r.seconds.toFixed(1)} s)`);
  }
  writeJson(out, results);
}

if (process.argv[1]?.endsWith('eval-games.ts')) {
  main().catch((e) => { console.error(`error: ${(e as Error).stack ?? e}`); process.exit(1); });
}
