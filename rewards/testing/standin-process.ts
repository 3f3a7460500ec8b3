/**
 * The STAND-IN OpenAI-compatible judge server (standin-openai-server.ts; rubric answers, not a language
 * model) as its own process on loopback, the way a real model server runs beside a training run: its
 * latency and its request handling cost the training process nothing but the HTTP client's work.
 * Used by experiment arms that put the LLM judge in the loop (scripts/experiments/run.ts `standIn`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StandInMode } from './standin-openai-server.ts';

export interface StandInProcessOptions {
  mode?: StandInMode;
  /** Per-request latency: a fixed ms, or uniform in [min, max] ms. */
  latencyMs?: number | [number, number];
  /** Probability of flipping the rubric's verdict (seeded per caption). */
  noise?: number;
  seed?: number;
  failFirst?: number;
  failForMs?: number;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface StandInProcess {
  /** Base URL including /v1, for `rewards.judge.baseUrl`. */
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s). */
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./standin-openai-server.ts', import.meta.url));

export function standInArgs(o: StandInProcessOptions): string[] {
  const lat = o.latencyMs === undefined ? '0' : Array.isArray(o.latencyMs) ? `${o.latencyMs[0]}-${o.latencyMs[1]}` : String(o.latencyMs);
  const args = ['--port', String(o.port ?? 0), '--mode', o.mode ?? 'ok', '--latency', lat];
  if (o.noise !== undefined) args.push('--noise', String(o.noise));
  if (o.seed !== undefined) args.push('--seed', String(o.seed));
  if (o.failFirst !== undefined) args.push('--fail-first', String(o.failFirst));
  if (o.failForMs !== undefined) args.push('--fail-for-ms', String(o.failForMs));
  return args;
}

/** Starts the stand-in server in a child process and resolves once it listens (rejects after `timeoutMs`). */
export function startStandInProcess(o: StandInProcessOptions = {}, timeoutMs = 30_000): Promise<StandInProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SERVER, ...standInArgs(o)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { void stop(); reject(new Error(`stand-in judge server did not start within ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    const early = (code: number | null) => { clearTimeout(timer); reject(new Error(`stand-in judge server exited with ${code} before listening: ${stderr}`)); };
    child.once('exit', early);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(/^STANDIN_URL=(\S+)$/m);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ url: m[1]!, pid: child.pid!, stop });
    });
  });
}

/**
 * A copy of a judge config (as written in an experiment) with the LLM judge's `baseUrl` set to `url`: the
 * judge itself when it is 'llm', or the inner judge of a 'shuffled' control. Throws when there is none.
 */
export function pointJudgeAt(judge: Record<string, unknown>, url: string): Record<string, unknown> {
  if (judge.kind === 'llm') return { ...judge, baseUrl: url };
  if (judge.kind === 'shuffled' && judge.inner && typeof judge.inner === 'object') {
    return { ...judge, inner: pointJudgeAt(judge.inner as Record<string, unknown>, url) };
  }
  throw new Error(`a stand-in judge server needs an LLM judge (rewards.judge.kind 'llm', or 'shuffled' around one), got kind '${String(judge.kind)}'`);
}
