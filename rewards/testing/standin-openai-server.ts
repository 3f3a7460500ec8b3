/**
 * STAND-IN OpenAI-compatible chat-completions server, for tests and demos only. It is not a language
 * model: in 'ok' mode it answers with the RUBRIC judge's verdict in the LLM judge's answer format, so the
 * real HTTP client, retries and parsing can be exercised on loopback without any model. Failure modes
 * reproduce a bad judge: slow answers, 429 / 500 statuses, malformed JSON, nonsense or unparseable
 * answers, a server that hangs, or one that fails its first N requests.
 *
 *   npx tsx rewards/testing/standin-openai-server.ts [--port 8089] [--mode ok] [--latency 0]
 *
 * Binds 127.0.0.1 by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { rubricLabel } from '../judges/rubric.ts';
import { TASK_GOALS } from '../judges/families.ts';

export type StandInMode = 'ok' | '429' | '500' | 'malformed-json' | 'nonsense' | 'unparseable' | 'hang' | 'empty-choices';

export const STANDIN_MODES: readonly StandInMode[] = ['ok', '429', '500', 'malformed-json', 'nonsense', 'unparseable', 'hang', 'empty-choices'];

export interface StandInOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  mode?: StandInMode;
  /** Delay before every answer, ms. */
  latencyMs?: number;
  /** The first N requests answer 500 regardless of mode (then `mode` applies): a flaky server. */
  failFirst?: number;
  /** Retry-After seconds sent with 429 answers. */
  retryAfterSec?: number;
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
  setLatency(ms: number): void;
  close(): Promise<void>;
}

function envFromSystemPrompt(system: string): string {
  for (const [envId, goal] of Object.entries(TASK_GOALS)) if (system.includes(goal)) return envId;
  const m = system.match(/the task (\S+?)\./);
  return m?.[1] ?? 'unknown';
}

/** The answer text the stand-in gives in 'ok' mode (rubric verdicts in the judge's format). */
export function standInAnswer(messages: Array<{ role: string; content: string }>): string {
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const envId = envFromSystemPrompt(system);
  const clean = (s: string) => (s === '(empty)' ? '' : s);
  if (system.includes('Preferred:')) {
    const m = last.match(/^1: (.*)\n2: (.*)$/s);
    if (!m) return 'I cannot tell.\nPreferred: tie';
    const a = rubricLabel(envId, clean(m[1]!)), b = rubricLabel(envId, clean(m[2]!));
    return `Stand-in verdict by rubric.\nPreferred: ${a === b ? 'tie' : a > b ? '1' : '2'}`;
  }
  const helpful = rubricLabel(envId, clean(last)) === 1;
  if (system.includes('Score:')) return `Stand-in verdict by rubric.\nScore: ${helpful ? '0.9' : '0.1'}`;
  return `Stand-in verdict by rubric.\nLabel: ${helpful ? 'yes' : 'no'}`;
}

export async function startStandInServer(options: StandInOptions = {}): Promise<StandInServer> {
  let mode: StandInMode = options.mode ?? 'ok';
  let latency = options.latencyMs ?? 0;
  let failFirst = options.failFirst ?? 0;
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
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (failFirst > 0) { failFirst--; return reply(res, 500, JSON.stringify({ error: { message: 'stand-in: flaky start' } })); }
    const completion = (content: string) => JSON.stringify({
      id: `standin-${requests}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model ?? 'standin',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    });
    switch (mode) {
      case 'ok': return reply(res, 200, completion(standInAnswer(body.messages ?? [])));
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
    setLatency(ms) { latency = ms; },
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
  const mode = (arg('mode') ?? 'ok') as StandInMode;
  if (!STANDIN_MODES.includes(mode)) { console.error(`--mode '${mode}' is not valid. Valid: ${STANDIN_MODES.join(', ')}`); process.exit(2); }
  const s = await startStandInServer({ port: Number(arg('port') ?? 8089), mode, latencyMs: Number(arg('latency') ?? 0) });
  console.log(`STAND-IN OpenAI-compatible judge server (rubric answers, not a language model) at ${s.url} mode=${mode}`);
}
