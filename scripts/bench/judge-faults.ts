/**
 * `npm run bench -- judge-faults [--seconds 3] [--reps 3]`
 *
 * What a failing judge costs the process that hosts the annotator (the runner's main thread). The LLM
 * judge's real HTTP client talks to the STAND-IN server (rubric answers, not a language model) in its own
 * process on loopback; the annotator is fed 200 new unique captions every 50 ms (a stress load: every
 * caption new, as in a run with a large caption space) for `--seconds`. Three cases, interleaved
 * rep by rep (the machine is shared, so separate blocks of runs would drift apart):
 *   - ok:          the server answers (5 ms), for reference
 *   - 500 breaker: the server answers 500 at once; the annotator's circuit breaker is on (default)
 *   - 500 open:    the same with the breaker off (`retry.breakerThreshold: 0`)
 * The judge's own HTTP retries are off (`retries: 0`), so every error reply reaches the annotator at once:
 * the worst case for it (with the judge's default retries, its own backoff and concurrency already hold the
 * request rate to about concurrency / mean backoff, and the annotator sees failures seconds later).
 * Per run: this process's CPU time (user + system, process.cpuUsage) per wall second, which is what a
 * failing judge takes from training on the same cores, and the HTTP requests the judge made per second.
 * The medians over reps are printed; the last line is the JSON of every figure.
 */
import { spawn } from 'node:child_process';
import { Annotator, LlmJudge, captionKey, validateJudgeConfig, type LlmJudgeConfig } from '../../rewards/index.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const SECONDS = arg('seconds', 3);
const REPS = arg('reps', 3);

async function spawnStandIn(mode: string, latencyMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'rewards/testing/standin-openai-server.ts', '--port', '0', '--mode', mode, '--latency', String(latencyMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; const m = out.match(/^STANDIN_URL=(\S+)$/m); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`stand-in server exited with ${code}`)));
  });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill); // never leave the server behind, even when the benchmark fails
  return { url, close: async () => { process.off('exit', kill); kill(); await new Promise((r) => child.once('exit', r)); } };
}

let captionId = 0;
async function run(url: string, breakerThreshold: number) {
  const judge = new LlmJudge(validateJudgeConfig({ kind: 'llm', baseUrl: url, model: 'standin', apiKeyEnv: 'THRIVE_BENCH_NO_KEY',
    concurrency: 8, timeoutMs: 5000, retries: 0 }) as LlmJudgeConfig, { env: {} });
  const a = new Annotator(judge, { cacheDir: null, batchSize: 100, inFlight: 2, backlog: 4096, retry: { breakerThreshold } });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    a.request(Array.from({ length: 200 }, () => { const c = `You move ${captionId++}.`; return { key: captionKey('KeyDoor-v0', c), envId: 'KeyDoor-v0', caption: c }; }));
    await new Promise((r) => setTimeout(r, 50));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const m = a.metrics();
  await a.close(0);
  return { cpuMsPerSec: (cpu.user + cpu.system) / 1000 / wall, requestsPerSec: m.judgeAttempts / wall, labelled: m.captionsLabelled, errors: m.judgeErrorsTotal, judgeDown: m.judgeDown };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const ok = await spawnStandIn('ok', 5);
const failing = await spawnStandIn('500', 0);
const results: Record<string, Array<Awaited<ReturnType<typeof run>>>> = { ok: [], breaker: [], open: [] };
for (let r = 0; r < REPS; r++) {
  results.ok!.push(await run(ok.url, 10));
  results.breaker!.push(await run(failing.url, 10));
  results.open!.push(await run(failing.url, 0));
}
await ok.close();
await failing.close();
const summary: Record<string, { cpuMsPerSec: number; requestsPerSec: number }> = {};
for (const [name, rs] of Object.entries(results)) {
  summary[name] = { cpuMsPerSec: median(rs.map((x) => x.cpuMsPerSec)), requestsPerSec: median(rs.map((x) => x.requestsPerSec)) };
  console.log(`[${name}] CPU ${summary[name]!.cpuMsPerSec.toFixed(0)} ms per s, judge requests ${summary[name]!.requestsPerSec.toFixed(0)}/s ` +
    `(median of ${rs.length}; per run: ${rs.map((x) => `${x.cpuMsPerSec.toFixed(0)} ms/s, ${x.labelled} labelled, ${x.errors} errors`).join('; ')})`);
}
console.log(JSON.stringify({ seconds: SECONDS, reps: REPS, summary, runs: results,
  cpuRatioOpenOverBreaker: summary.open!.cpuMsPerSec / summary.breaker!.cpuMsPerSec }));
