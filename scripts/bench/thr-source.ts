/**
 * `npm run bench -- thr-source [--reps N]`: the cost of THR from the behaviour policy (thr.source
 * 'behaviour': a weight swap, one extra no-gradient forward and a second THR per update) against THR from
 * the learner's own first forward, on the project's text policy (the 115k-parameter token transformer of the
 * warm starts, V = 100) and a text-sized batch (8 groups × 8 rollouts, prompt 16 + up to 12 tokens).
 * Updates alternate between the two learners so machine noise hits both alike; the figures are medians of
 * the process CPU time per update and their ratio.
 */
import { initBackend, TokenPolicy, GrpoLearner, type LearnerBatch } from '../../agents/index.ts';
import { mulberry32 } from '../../envs/index.ts';

const args = process.argv.slice(2);
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : 12;
if (!Number.isInteger(REPS) || REPS < 2) throw new Error(`--reps must be an integer ≥ 2, got ${args[repsArg + 1]}`);
process.env.THRIVE_BACKEND_QUIET = '1';
const backend = await initBackend('wasm');
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

const G = 8, groups = 8, B = G * groups, P = 16, L = 12, T = P + L;
const r = mulberry32(7);
const tokens = Int32Array.from({ length: B * T }, () => 5 + Math.floor(r() * 95));
const mask = new Float32Array(B * L);
for (let b = 0; b < B; b++) { const n = 4 + Math.floor(r() * (L - 3)); mask.fill(1, b * L, b * L + n); }
const batch: LearnerBatch<unknown> = {
  inputs: { tokens, B, T, promptLength: P }, B, L,
  actions: Int32Array.from({ length: B * L }, (_, k) => (mask[k] ? tokens[Math.floor(k / L) * T + P + (k % L)]! : 0)),
  mask, behaviourLogp: Float32Array.from(mask, (m) => (m ? -4.6 : 0)),
  rewards: Float32Array.from({ length: B }, () => (r() < 0.5 ? 1 : 0)),
  groups: Int32Array.from({ length: B }, (_, b) => Math.floor(b / G)),
};
const make = (source: 'learner' | 'behaviour') => {
  const policy = new TokenPolicy({ layers: 2, width: 64, heads: 4, context: 32, seed: 1 });
  return { policy, learner: new GrpoLearner(policy as never, { learningRate: 1e-4, thr: { p: 0.5, threshold: 'nthr', tau: 1, source, correctThreshold: 0.5 } }) };
};
const arms = { learner: make('learner'), behaviour: make('behaviour') };
for (let i = 0; i < 2; i++) for (const a of Object.values(arms)) a.learner.update(batch); // warm-up; the behaviour ring fills
const cpu: Record<string, number[]> = { learner: [], behaviour: [] };
const thrMs: Record<string, number[]> = { learner: [], behaviour: [] };
for (let i = 0; i < REPS; i++) {
  const order = i % 2 ? ['behaviour', 'learner'] as const : ['learner', 'behaviour'] as const;
  for (const k of order) {
    const c0 = process.cpuUsage();
    const res = arms[k].learner.update(batch);
    const cu = process.cpuUsage(c0);
    cpu[k]!.push((cu.user + cu.system) / 1000);
    thrMs[k]!.push(res.metrics.thrMs + res.metrics.thrDownloadMs);
  }
}
const params = arms.learner.policy.trainableVariables.reduce((s, v) => s + v.size, 0);
const ml = median(cpu.learner!), mb = median(cpu.behaviour!);
console.log(`token policy ${params} params, B = ${B}, prompt ${P} + L ≤ ${L}: CPU ms per update — THR from the learner ${ml.toFixed(1)}, from the behaviour snapshot ${mb.toFixed(1)} (×${(mb / ml).toFixed(3)}); THR incl. download ${median(thrMs.learner!).toFixed(2)} vs ${median(thrMs.behaviour!).toFixed(2)} ms; extra memory ${(params * 4 / 1024).toFixed(0)} KB per snapshot`);
for (const a of Object.values(arms)) { a.learner.dispose(); a.policy.dispose(); }
console.log(JSON.stringify({ backend, reps: REPS, params, cpuMsLearner: +ml.toFixed(2), cpuMsBehaviour: +mb.toFixed(2), ratio: +(mb / ml).toFixed(4), snapshotBytes: params * 4 }));
