/**
 * STAND-IN OpenAI-compatible chat-completions server, for tests, demos and experiment arms that need an
 * LLM judge in the loop. It is NOT a language model: in 'ok' mode it answers with the RUBRIC judge's
 * verdict (the oracle), optionally flipped with probability `noise` (seeded per caption, as the rubric's
 * own noise), in the LLM judge's answer format, after a per-request latency drawn uniformly from
 * [latencyMs, latencyMaxMs] — so the real HTTP client, the asynchronous path (labels arriving late),
 * retries and parsing are exercised on loopback with the timing of a real model server, not its
 * judgement. Failure modes reproduce a bad judge: 429 / 500 statuses, malformed JSON, nonsense or
 * unparseable answers, a huge reply, a server that hangs, one that fails its first N requests or
 * answers 500 for its first T ms (an outage at start).
 *
 *   npx tsx rewards/testing/standin-openai-server.ts [--port 8089] [--mode ok] [--latency 300-1500]
 *       [--noise 0.1] [--seed 1] [--fail-first N] [--fail-for-ms T]
 *
 * Binds 127.0.0.1 by default; `--port 0` picks a free port. When listening it prints `STANDIN_URL=<base url>`
 * (read by startStandInProcess in standin-process.ts), then a line for people, on stdout.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { listEnvs, mulberry32, registeredEnvContext } from '../../envs/index.ts';
import { RubricJudge, rubricLabel } from '../judges/rubric.ts';
import { promptFamily } from '../judges/prompts.ts';
import type { EnvContext } from '../types.ts';

export type StandInMode = 'ok' | '429' | '500' | 'malformed-json' | 'nonsense' | 'unparseable' | 'hang' | 'empty-choices' | 'huge';

export const STANDIN_MODES: readonly StandInMode[] = ['ok', '429', '500', 'malformed-json', 'nonsense', 'unparseable', 'hang', 'empty-choices', 'huge'];

export interface StandInOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  mode?: StandInMode;
  /** Delay before every answer, ms (the lower end when `latencyMaxMs` is set). */
  latencyMs?: number;
  /** With it, each answer's delay is uniform in [latencyMs, latencyMaxMs] (seeded by `seed`). */
  latencyMaxMs?: number;
  /** 'ok' mode: probability of flipping the rubric's verdict, a hash of (env id, caption, seed) as the rubric's noise. */
  noise?: number;
  /** Seed of the latency draws and of the noise. Default 0. */
  seed?: number;
  /** The first N requests answer 500 regardless of mode (then `mode` applies): a flaky server. */
  failFirst?: number;
  /** Requests arriving in the first T ms after start answer 500 (an outage at start). */
  failForMs?: number;
  /** Retry-After seconds sent with 429 answers. */
  retryAfterSec?: number;
  /** 'huge' mode: bytes of the 200 reply, streamed without a Content-Length (default 8 MiB), to check a client's bound on reply size. */
  hugeBytes?: number;
}

export interface StandInServer {
  /** Base URL including /v1, for `judge.baseUrl`. */
  readonly url: string;
  readonly port: number;
  /** Requests received so far. */
  readonly requests: number;
  /** Authorization headers received (tests check the key is sent, and only there). */
  readonly authorizations: string[];
  /** Bodies of the requests received (parsed JSON). */
  readonly bodies: unknown[];
  /** Most requests being handled at the same moment (checks a client's concurrency limit). */
  readonly maxConcurrent: number;
  setMode(mode: StandInMode): void;
  /** Fixed latency, or uniform in [ms, maxMs]. */
  setLatency(ms: number, maxMs?: number): void;
  close(): Promise<void>;
}

/**
 * The env a system prompt of the LLM judge is about, as the stand-in's oracle needs it: a registered env
 * whose goal (spec.goal, via envs' registry) the prompt states — the longest such goal — else the id the
 * prompt names ('make progress in the task {id}', or 'unknown'), with its registration or, for an env not
 * registered (a plug-in env with a goal of its own), the family the prompt's wording shows.
 */
function envFromSystemPrompt(system: string): { id: string; context?: EnvContext } {
  let best: { id: string; goal?: string } | undefined;
  for (const e of listEnvs()) if (e.goal && system.includes(e.goal) && e.goal.length > (best?.goal?.length ?? 0)) best = e;
  if (best) return { id: best.id, context: registeredEnvContext(best.id) };
  const id = system.match(/the task (\S+?)\./)?.[1] ?? 'unknown';
  const family = promptFamily(system);
  const context = registeredEnvContext(id) ?? (family ? { id, family } : undefined);
  return context ? { id, context } : { id };
}

/** The stand-in's oracle: the label of a caption of env `id` (its context, when known). */
export type StandInLabel = (id: string, context: EnvContext | undefined, caption: string) => number;

const cleanRubric: StandInLabel = (_id, context, caption) => (context ? rubricLabel(context, caption) : 0);

/**
 * The answer text the stand-in gives in 'ok' mode (rubric verdicts in the judge's format). `labelOf`
 * replaces the rubric's noiseless label (the server passes a noisy rubric when `noise` is set).
 */
export function standInAnswer(messages: Array<{ role: string; content: string }>, labelOf: StandInLabel = cleanRubric): string {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const { id, context } = envFromSystemPrompt(system);
  const clean = (s: string) => (s === '(empty)' ? '' : s);
  if (system.includes('Preferred:')) {
    const m = last.match(/^1: (.*)\n2: (.*)$/s);
    if (!m) return 'I cannot tell.\nPreferred: tie';
    const a = labelOf(id, context, clean(m[1]!)), b = labelOf(id, context, clean(m[2]!));
    return `Stand-in verdict by rubric.\nPreferred: ${a === b ? 'tie' : a > b ? '1' : '2'}`;
  }
  const helpful = labelOf(id, context, clean(last)) === 1;
  if (system.includes('Score:')) return `Stand-in verdict by rubric.\nScore: ${helpful ? '0.9' : '0.1'}`;
  return `Stand-in verdict by rubric.\nLabel: ${helpful ? 'yes' : 'no'}`;
}

export async function startStandInServer(options: StandInOptions = {}): Promise<StandInServer> {
  let mode: StandInMode = options.mode ?? 'ok';
  let latency = options.latencyMs ?? 0;
  let latencyMax = options.latencyMaxMs ?? latency;
  let failFirst = options.failFirst ?? 0;
  const started = Date.now();
  const draw = mulberry32((options.seed ?? 0) ^ 0x57a1d);
  const noisy = options.noise ? new RubricJudge({ kind: 'rubric', noise: options.noise, seed: options.seed ?? 0, latencyMs: 0 }) : null;
  const labelOf: StandInLabel = noisy ? (envId, context, caption) => noisy.labelOf({ key: '', envId, caption }, context) : cleanRubric;
  let requests = 0;
  let active = 0;
  let maxConcurrent = 0;
  const authorizations: string[] = [];
  const bodies: unknown[] = [];
  const hanging = new Set<ServerResponse>();

  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    requests++;
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return reply(res, 404, JSON.stringify({ error: { message: `stand-in serves only POST /v1/chat/completions, not ${req.method} ${req.url}` } }));
    }
    let body: { model?: string; messages?: Array<{ role: string; content: string }> };
    try { body = JSON.parse(raw); } catch { return reply(res, 400, JSON.stringify({ error: { message: 'invalid JSON body' } })); }
    bodies.push(body);
    const outage = options.failForMs !== undefined && Date.now() - started < options.failForMs;
    const wait = latencyMax > latency ? latency + draw() * (latencyMax - latency) : latency;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (failFirst > 0) { failFirst--; return reply(res, 500, JSON.stringify({ error: { message: 'stand-in: flaky start' } })); }
    if (outage) return reply(res, 500, JSON.stringify({ error: { message: 'stand-in: outage at start' } }));
    const completion = (content: string) => JSON.stringify({
      id: `standin-${requests}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model ?? 'standin',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    });
    switch (mode) {
      case 'ok': return reply(res, 200, completion(standInAnswer(body.messages ?? [], labelOf)));
      case 'huge': { // streamed in 64 KiB chunks without a Content-Length, as a runaway generation would be
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(64 * 1024);
        for (let left = options.hugeBytes ?? 8 * 2 ** 20; left > 0 && !res.destroyed; left -= chunk.length) {
          if (res.write(left >= chunk.length ? chunk : chunk.slice(0, left))) continue;
          await new Promise<void>((r) => { const done = () => { res.off('drain', done); res.off('close', done); r(); }; res.on('drain', done); res.on('close', done); });
        }
        if (!res.destroyed) res.end();
        return;
      }
      case '429': return reply(res, 429, JSON.stringify({ error: { message: 'rate limited' } }), { 'retry-after': String(options.retryAfterSec ?? 0) });
      case '500': return reply(res, 500, JSON.stringify({ error: { message: 'internal error' } }));
      case 'malformed-json': return reply(res, 200, '{"choices": [{"message": {"content": "Label: y');
      case 'empty-choices': return reply(res, 200, JSON.stringify({ choices: [] }));
      case 'nonsense': return reply(res, 200, completion('Looks fine.\nLabel: banana'));
      case 'unparseable': return reply(res, 200, completion('I think this message is quite helpful overall.'));
      case 'hang': hanging.add(res); res.on('close', () => hanging.delete(res)); return;
    }
  };

  const server = createServer((req, res) => {
    active++;
    maxConcurrent = Math.max(maxConcurrent, active);
    res.on('close', () => { active--; });
    handle(req, res).catch(() => reply(res, 500, '{}'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${addr.port}/v1`,
    port: addr.port,
    get requests() { return requests; },
    get maxConcurrent() { return maxConcurrent; },
    authorizations, bodies,
    setMode(m) { mode = m; },
    setLatency(ms, maxMs = ms) { latency = ms; latencyMax = maxMs; },
    close: () => new Promise<void>((resolve) => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const runAsScript = (() => {
  try { return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href; } catch { return false; }
})();
if (runAsScript) {
  const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
  const fail = (m: string) => { console.error(m); process.exit(2); };
  const number = (name: string, def: number) => {
    const v = arg(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) fail(`--${name} '${v}' must be a number >= 0`);
    return n;
  };
  const mode = (arg('mode') ?? 'ok') as StandInMode;
  if (!STANDIN_MODES.includes(mode)) fail(`--mode '${mode}' is not valid. Valid: ${STANDIN_MODES.join(', ')}`);
  const lat = (arg('latency') ?? '0').split('-').map(Number);
  if (lat.length > 2 || lat.some((x) => !Number.isFinite(x) || x < 0) || (lat[1] ?? lat[0]!) < lat[0]!) fail(`--latency '${arg('latency')}' must be MS or MIN-MAX (e.g. 300-1500)`);
  const noise = number('noise', 0);
  if (noise > 1) fail(`--noise ${noise} must be in [0, 1]`);
  const s = await startStandInServer({
    port: number('port', 8089), mode, latencyMs: lat[0], latencyMaxMs: lat[1] ?? lat[0], noise, seed: number('seed', 0),
    failFirst: number('fail-first', 0), failForMs: arg('fail-for-ms') === undefined ? undefined : number('fail-for-ms', 0),
  });
  console.log(`STANDIN_URL=${s.url}`);
  console.log(`STAND-IN OpenAI-compatible judge server (rubric answers${noise ? `, ${noise} flipped` : ''}; not a language model) at ${s.url} mode=${mode} latency=${lat.join('-')} ms`);
  const stop = () => { void s.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
