/**
 * Text and tool rollouts: N envs whose actions are tokens, sampled together by the token policy's
 * batched incremental sampler (one forward per step for the rows still generating, KV cache inside).
 *
 * After each env step the env's obs is the full token context; whatever it appended beyond the
 * policy's own token (tool results) is fed to the sampler so the cache stays aligned, and recorded in
 * the continuation with policyMask 0 (the learner does not train on env tokens).
 */
import type { TokenPolicy, TokenSampler } from '../../agents/index.ts';
import type { Env } from '../../envs/index.ts';
import type { SeededRng } from '../../core/rng.ts';
import type { FaultRecord, TrajectoryBatch, TrajectoryRecord } from '../trajectory.ts';
import type { ActorTask } from './worker.ts';

interface Row {
  prompt: Int32Array;
  cont: number[];
  mask: number[];
  contLogp: number[];
  actions: number[];
  logp: number[];
  rewards: number[];
  messages: string[];
  ctxLen: number;
  live: boolean;
  success: boolean;
  terminated: boolean;
  truncated: boolean;
  completion?: string;
  rewardComponents?: Record<string, number>;
}

/**
 * Runs a task's groups of token episodes, one batched sampler call per step. The step loop stays inline
 * (its state lives in locals; a helper would cost a call per token); setup and teardown are helpers below.
 */
export function rolloutTokens(envs: Env[], policy: TokenPolicy, task: ActorTask, rng: SeededRng, out: TrajectoryBatch): void {
  const G = task.init.groupSize;
  const N = task.groups.length * G;
  const temperature = task.init.temperature;
  const sampler: TokenSampler = policy.sampler(N, { temperature, greedy: task.init.greedy, rng: rng.next });
  const rows: Row[] = [];
  const faulted = new Array<boolean>(task.groups.length).fill(false);
  const fault = (n: number, step: number, err: unknown) => {
    const g = Math.floor(n / G);
    const f: FaultRecord = { kind: 'env', episodesLost: G, envId: task.init.envId, seed: task.groups[g].seed, step, message: err instanceof Error ? err.message : String(err) };
    out.faults.push(f);
    faulted[g] = true;
    for (let m = g * G; m < (g + 1) * G; m++) if (rows[m]) { rows[m].live = false; sampler.deactivate(m); }
  };
  resetRows(envs, task, sampler, rows, faulted, fault);
  for (;;) {
    const active: number[] = [];
    for (let n = 0; n < N; n++) if (rows[n].live) active.push(n);
    if (active.length === 0) break;
    const tp = performance.now();
    const res = sampler.sample(active);
    const tokens = res.tokens;
    // Behaviour log-prob = under the distribution sampled from, softmax(logits / T): what the learner scores
    // with the same learner.temperature. At T = 1 (or greedy) keep the model's own log-softmax, bit-identical
    // to before temperature existed.
    const logp = temperature === 1 || task.init.greedy ? (res.modelLogp ?? res.logp) : res.logp;
    out.policyMs += performance.now() - tp;
    for (let j = 0; j < active.length; j++) {
      const n = active[j];
      const row = rows[n];
      if (!row.live) { sampler.deactivate(n); continue; }
      const tok = tokens[n];
      let r;
      try {
        r = envs[n].step(tok);
      } catch (err) {
        fault(n, row.actions.length, err);
        continue;
      }
      out.steps++;
      row.actions.push(tok);
      row.logp.push(logp[n]);
      row.rewards.push(r.reward);
      row.messages.push(r.info.message ?? '');
      row.cont.push(tok);
      row.mask.push(1);
      row.contLogp.push(logp[n]);
      const ctx = r.obs as Int32Array;
      // Everything the env appended after the policy's token (tool results) is context, not action.
      const extra = ctx.length > row.ctxLen + 1 ? ctx.slice(row.ctxLen + 1) : new Int32Array(0);
      row.ctxLen = ctx.length;
      for (const t of extra) { row.cont.push(t); row.mask.push(0); row.contLogp.push(0); }
      if (r.terminated || r.truncated) {
        row.live = false;
        sampler.deactivate(n);
        row.success = r.info.success === true;
        row.terminated = r.terminated;
        row.truncated = r.truncated;
        if (typeof r.info.completion === 'string') row.completion = r.info.completion;
        if (r.info.rewardComponents && typeof r.info.rewardComponents === 'object') row.rewardComponents = r.info.rewardComponents as Record<string, number>;
      } else if (extra.length > 0) {
        // The sampler appended its own token already; env-inserted tokens join the row's context.
        sampler.feed(n, extra);
      }
    }
  }
  pushTokenRecords(rows, faulted, task, out);
}

/** Resets each row's env from its group's seed and gives the sampler its prompt; a throwing reset faults the group. */
function resetRows(envs: Env[], task: ActorTask, sampler: TokenSampler, rows: Row[], faulted: boolean[], fault: (n: number, step: number, err: unknown) => void): void {
  const G = task.init.groupSize;
  const N = task.groups.length * G;
  for (let n = 0; n < N; n++) {
    const row = emptyRow();
    rows.push(row);
    if (faulted[Math.floor(n / G)]) { row.live = false; continue; }
    try {
      // Tool envs scale their reward by training progress (ToolRL's dynamic scaling); text envs take no options.
      const options = task.init.family === 'tools' ? { progress: task.progress } : undefined;
      const r = envs[n].reset({ seed: task.groups[Math.floor(n / G)].seed, options });
      row.prompt = Int32Array.from(r.obs as Int32Array);
      row.ctxLen = row.prompt.length;
      sampler.reset(n, row.prompt);
    } catch (err) {
      fault(n, 0, err);
    }
  }
}

function emptyRow(): Row {
  return { prompt: new Int32Array(0), cont: [], mask: [], contLogp: [], actions: [], logp: [], rewards: [], messages: [], ctxLen: 0, live: true, success: false, terminated: false, truncated: false };
}

/** One record per row of the groups that did not fault (a faulted group is discarded whole). */
function pushTokenRecords(rows: Row[], faulted: boolean[], task: ActorTask, out: TrajectoryBatch): void {
  const G = task.init.groupSize;
  const N = rows.length;
  for (let n = 0; n < N; n++) {
    const g = Math.floor(n / G);
    if (faulted[g]) continue;
    const row = rows[n];
    const rec: TrajectoryRecord = {
      envId: task.init.envId,
      seed: task.groups[g].seed,
      group: task.groups[g].group,
      member: n % G,
      actions: Int32Array.from(row.actions),
      logp: Float32Array.from(row.logp),
      rewards: Float32Array.from(row.rewards),
      messages: row.messages,
      success: row.success,
      terminated: row.terminated,
      truncated: row.truncated,
      policyVersion: out.policyVersion,
      tokens: Int32Array.from([...row.prompt, ...row.cont]),
      promptLength: row.prompt.length,
      policyMask: Uint8Array.from(row.mask),
      contLogp: Float32Array.from(row.contLogp),
    };
    if (row.completion !== undefined) rec.completion = row.completion;
    if (row.rewardComponents) rec.rewardComponents = row.rewardComponents;
    out.records.push(rec);
  }
}
