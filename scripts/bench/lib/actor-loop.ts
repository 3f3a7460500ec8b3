/**
 * The game actor's task code against a bare env + policy loop, in one thread, per CPU-second
 * (`npm run bench -- runner`). Both step the same N = groups·G KeyDoor envs with the same policy:
 *   bare  — all N envs every step (autoreset), one batched act(), the observation stored per step;
 *   actor — rolloutGames (runner/actor/worker.ts): groups reset from their seeds, episodes run to their
 *           end, every step recorded (obs, action, log-prob, reward, message), then the batch encoded (frame).
 * CPU time (process.cpuUsage) rather than wall time: the machine is shared.
 */
import { makeEnv } from '../../../envs/index.ts';
import { GamePolicy } from '../../../agents/index.ts';
import { rolloutGames, type ActorTask } from '../../../runner/actor/worker.ts';
import { frame, type TrajectoryBatch } from '../../../runner/trajectory.ts';
import { SeededRng } from '../../../core/rng.ts';

export async function actorLoopComparison(rounds: number, opts: { groups?: number; G?: number; tasksPerRound?: number } = {}) {
  const G = opts.G ?? 8, groups = opts.groups ?? 4, N = G * groups, per = opts.tasksPerRound ?? 20;
  const envOptions = { size: 7, maxSteps: 40 };
  const envs = await Promise.all(Array.from({ length: N }, () => makeEnv('KeyDoor-v0', envOptions)));
  const obsShape = envs[0]!.observationSpace.shape as number[];
  const obsDim = obsShape.reduce((a, b) => a * b, 1);
  const T = envOptions.maxSteps;
  const policy = new GamePolicy({ obsShape, numActions: 4, hidden: [64, 64] });
  let seedBase = 0;
  const obs = new Float32Array(N * obsDim), store = new Float32Array(N * T * obsDim), lens = new Int32Array(N);
  const bare = (steps: number): number => {
    const rng = new SeededRng(seedBase);
    let seed = seedBase, done = 0;
    lens.fill(0);
    for (let n = 0; n < N; n++) obs.set(envs[n]!.reset({ seed: seed++ }).obs as Float32Array, n * obsDim);
    while (done < steps) {
      const { actions } = policy.act(obs, N, { rng: rng.next, hidden: false });
      for (let n = 0; n < N; n++) {
        store.set(obs.subarray(n * obsDim, (n + 1) * obsDim), (n * T + lens[n]!) * obsDim);
        const r = envs[n]!.step(actions[n]!);
        done++;
        lens[n]!++;
        if (r.terminated || r.truncated || lens[n]! >= T) { lens[n] = 0; obs.set(envs[n]!.reset({ seed: seed++ }).obs as Float32Array, n * obsDim); }
        else obs.set(r.obs as Float32Array, n * obsDim);
      }
    }
    return done;
  };
  const actor = (): number => {
    const task = {
      init: { envId: 'KeyDoor-v0', groupSize: G, temperature: 1, greedy: false, policy: { obsShape } },
      groups: Array.from({ length: groups }, (_, g) => ({ group: g, seed: seedBase + g })), wantFrames: false,
    } as unknown as ActorTask;
    const out: TrajectoryBatch = { actorId: 'bench', taskIndex: 0, policyVersion: 0, records: [], faults: [], steps: 0, busyMs: 0, policyMs: 0 };
    rolloutGames({ instances: envs as never, version: 0, frameKey: null }, policy, task, new SeededRng(seedBase), out);
    frame(out);
    return out.steps;
  };
  const cpuRate = (f: () => number): number => {
    let steps = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < per; i++) { seedBase += groups; steps += f(); }
    const c = process.cpuUsage(c0);
    return steps / ((c.user + c.system) / 1e6);
  };
  let lastTaskSteps = N * T;
  cpuRate(() => (lastTaskSteps = actor())); // warm-up (and the bare loop runs as many steps as a task)
  cpuRate(() => bare(lastTaskSteps));
  const bareRates: number[] = [], actorRates: number[] = [], ratio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const b = cpuRate(() => bare(lastTaskSteps));
    const a = cpuRate(() => (lastTaskSteps = actor()));
    bareRates.push(b); actorRates.push(a); ratio.push(a / b);
  }
  for (const e of envs) e.close();
  policy.dispose();
  return { bareRates, actorRates, ratio, N };
}
