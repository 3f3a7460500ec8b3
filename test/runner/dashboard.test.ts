/**
 * Browser test of the dashboard: Debian's Chromium driven by playwright-core against a live hub fed by
 * a real producer — a small REINFORCE learner (state-free action preferences, a stand-in for the
 * runner's learner) playing KeyDoor-v0 from envs/, plus a Reverse-v0 text episode solved by its
 * demonstration. Checks: the page connects, a chart updates, a game episode replays frame by frame,
 * a text episode shows its completion and transcript, a past run on disk overlays, CSV export works.
 * Saves a screenshot (path printed; THRIVE_SCREENSHOT_DIR overrides the temp dir).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { makeEnvSync, defaultTokenizer } from '../../envs/index.ts';
import type { Env, TokenEnv } from '../../envs/index.ts';
import { MetricsHub, startStreamServer } from '../../runner/stream/index.ts';
import type { StreamServer } from '../../runner/stream/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** mulberry32: a tiny seeded PRNG for the producer's action sampling. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The producer: REINFORCE with a mean-reward baseline over state-free action preferences θ (softmax),
 * a deliberately tiny learner so the test runs in seconds. Each `update()` plays `batch` episodes of
 * KeyDoor-v0, takes one gradient step, and publishes a metrics record and one sample episode.
 */
class ReinforceProducer {
  readonly env: Env<unknown, number>;
  readonly nA: number;
  readonly theta: Float64Array;
  readonly random: () => number;
  step = 0;
  envSteps = 0;
  readonly t0 = Date.now();
  constructor(readonly hub: MetricsHub, readonly cfg = { lr: 0.5, batch: 2, maxSteps: 30, seed: 7 }) {
    this.env = makeEnvSync('KeyDoor-v0', { maxSteps: cfg.maxSteps }) as Env<unknown, number>;
    this.nA = (this.env.actionSpace as unknown as { n: number }).n;
    this.theta = new Float64Array(this.nA);
    this.random = rng(cfg.seed);
  }

  probs(): number[] {
    const m = Math.max(...this.theta);
    const e = Array.from(this.theta, (t) => Math.exp(t - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  }

  update(): void {
    const p = this.probs();
    const episodes: { actions: number[]; ret: number; success: boolean; steps: { action: number; message: string; reward: number }[]; frames: { rgb: Uint8Array; height: number; width: number }[]; seed: number }[] = [];
    for (let b = 0; b < this.cfg.batch; b++) {
      const seed = this.cfg.seed * 1000 + this.step * this.cfg.batch + b;
      this.env.reset({ seed });
      const ep = { actions: [] as number[], ret: 0, success: false, steps: [] as { action: number; message: string; reward: number }[], frames: [] as { rgb: Uint8Array; height: number; width: number }[], seed };
      const first = this.env.render!();
      ep.frames.push({ rgb: first.rgb, height: first.height, width: first.width });
      for (;;) {
        let u = this.random();
        let a = 0;
        while (a < this.nA - 1 && (u -= p[a]!) > 0) a++;
        const r = this.env.step(a);
        this.envSteps++;
        ep.actions.push(a);
        ep.ret += r.reward;
        ep.steps.push({ action: a, message: r.info.message, reward: r.reward });
        const f = this.env.render!();
        ep.frames.push({ rgb: f.rgb, height: f.height, width: f.width });
        if (r.terminated || r.truncated) {
          ep.success = Boolean(r.info.success);
          break;
        }
      }
      episodes.push(ep);
    }
    // ∇ log π(a) = onehot(a) − p ; REINFORCE: θ += lr · mean_b (R_b − baseline) · Σ_t ∇ log π(a_t)
    const baseline = episodes.reduce((s, e) => s + e.ret, 0) / episodes.length;
    const grad = new Float64Array(this.nA);
    let surrogate = 0;
    for (const e of episodes) {
      const adv = e.ret - baseline;
      for (const a of e.actions) {
        for (let k = 0; k < this.nA; k++) grad[k] += (adv * ((k === a ? 1 : 0) - p[k]!)) / episodes.length;
        surrogate -= (adv * Math.log(p[a]!)) / episodes.length;
      }
    }
    for (let k = 0; k < this.nA; k++) this.theta[k] += this.cfg.lr * grad[k]!;
    const entropy = -p.reduce((s, q) => s + q * Math.log(q), 0);
    this.step++;
    this.hub.publish('metrics', {
      step: this.step,
      time: (Date.now() - this.t0) / 1000,
      envSteps: this.envSteps,
      reward: baseline,
      success: episodes.filter((e) => e.success).length / episodes.length,
      loss: surrogate,
      entropy,
      episodeLength: episodes.reduce((s, e) => s + e.actions.length, 0) / episodes.length,
    });
    const e = episodes[0]!;
    this.hub.publish('episode', {
      step: this.step, envId: 'KeyDoor-v0', family: 'games', seed: e.seed, reward: e.ret,
      rewardComponents: { extrinsic: e.ret, intrinsic: 0 }, success: e.success, steps: e.steps, frames: e.frames,
    });
  }
}

/** A text episode: Reverse-v0 solved by its own demonstration, published with completion and transcript. */
function publishTextEpisode(hub: MetricsHub, step: number): string {
  const env = makeEnvSync('Reverse-v0') as TokenEnv;
  const prompt = defaultTokenizer.decode(env.reset({ seed: 3 }).obs);
  const demo = env.demonstrate();
  const completion = demo.filter((d) => d.role === 'policy').map((d) => d.text).join('');
  const steps: { action: number; message: string; reward: number }[] = [];
  let reward = 0;
  let success = false;
  for (const id of defaultTokenizer.encode(completion, { eos: true })) {
    const r = env.step(id);
    reward += r.reward;
    steps.push({ action: id, message: r.info.message, reward: r.reward });
    if (r.terminated || r.truncated) {
      success = Boolean(r.info.success);
      break;
    }
  }
  hub.publish('episode', {
    step, envId: 'Reverse-v0', family: 'text', seed: 3, reward, success, steps, completion,
    rewardComponents: { correct: reward, format: 0 },
    transcript: [{ role: 'user', content: prompt }, ...demo.map((d) => ({ role: d.role === 'policy' ? 'assistant' : 'env', content: d.text }))],
  });
  return completion;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a predicate in the page. A function, not a string: the page's CSP forbids eval. */
async function waitUntil(page: Page, fn: () => unknown, what: string, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction(fn, undefined, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`page never satisfied: ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

test('dashboard: connects, charts update, episodes render, runs overlay, export, screenshot', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`);
  const work = mkdtempSync(join(tmpdir(), 'thrive-dash-'));
  const runsDir = join(work, 'runs');
  const past = join(runsDir, 'keydoor-20261125T120000');
  mkdirSync(past, { recursive: true });
  writeFileSync(join(past, 'config.json'), JSON.stringify({ env: 'KeyDoor-v0', lr: 0.1, batch: 2 }));
  writeFileSync(join(past, 'metrics.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ step: i + 1, time: i, envSteps: 60 * (i + 1), reward: Math.sin(i / 6), loss: 1 / (i + 1) })).join('\n') + '\n');

  const hub = new MetricsHub();
  const producer = new ReinforceProducer(hub);
  hub.publish('config', { env: 'KeyDoor-v0', lr: producer.cfg.lr, batch: producer.cfg.batch, learner: 'REINFORCE (test stand-in)' });
  hub.publish('event', { kind: 'start', message: 'test run started' });
  for (let i = 0; i < 5; i++) producer.update();

  let server: StreamServer | undefined;
  let ctx: BrowserContext | undefined;
  const profile = join(work, 'chromium-profile');
  try {
    server = await startStreamServer({ hub, runsDir, runName: 'keydoor-live' });
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1360, height: 1500 }, acceptDownloads: true });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // No request may leave loopback (no CDN): record every URL the page asks for.
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));

    await page.goto(server.url);
    await waitUntil(page, () => document.getElementById('status')!.dataset.state === 'open', 'status open');
    assert.is(await page.textContent('#run-name'), 'keydoor-live');
    await waitUntil(page, () => Number((document.querySelector('[data-metric="reward"]') as HTMLElement | null)?.dataset.points) >= 5, 'reward chart has the history');

    // Live updates reach the chart.
    for (let i = 0; i < 4; i++) producer.update();
    await waitUntil(page, () => Number((document.querySelector('[data-metric="reward"]') as HTMLElement | null)?.dataset.points) >= 9, 'reward chart updated live');
    const metrics = await page.$$eval('.chart-card', (cs) => cs.map((c) => (c as HTMLElement).dataset.metric));
    for (const m of ['reward', 'success', 'loss', 'entropy', 'episodeLength']) assert.ok(metrics.includes(m), `chart for ${m}: ${metrics}`);

    // The newest game episode is shown; its frames replay frame by frame.
    await waitUntil(page, () => (document.querySelector('#episode-detail canvas.frame') as HTMLElement | null)?.dataset.frame === '0', 'frame player');
    const frameCount = await page.$eval('#episode-detail input[type=range]', (s) => Number((s as HTMLInputElement).max) + 1);
    assert.ok(frameCount > 2, `frames: ${frameCount}`);
    const nonBlank = await page.$eval('#episode-detail canvas.frame', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return { w: cv.width, colours: seen.size };
    });
    assert.is(nonBlank.w, 40);
    assert.ok(nonBlank.colours >= 3, `the frame shows the grid (${nonBlank.colours} colours)`);
    await page.click('#episode-detail .player-controls button');
    await waitUntil(page, () => Number((document.querySelector('#episode-detail canvas.frame') as HTMLElement).dataset.frame) >= 2, 'replay advances');
    assert.match(await page.textContent('#episode-detail .components') ?? '', /extrinsic/);

    // A text episode: completion and transcript.
    const completion = publishTextEpisode(hub, producer.step);
    await waitUntil(page, () => document.querySelector('#episode-detail pre.completion') !== null, 'completion shown');
    assert.is(await page.textContent('#episode-detail pre.completion'), completion);
    assert.ok((await page.$$('#episode-detail .transcript .turn')).length >= 2, 'transcript turns');
    assert.ok(await page.$('#episode-detail .ep-head .badge.ok'), 'the demonstrated answer is shown as a success');

    // Annotator stats and events.
    hub.publish('annotator', { labels: 12, backlog: 3, judgeErrors: 1, judge: 'rubric (test stand-in)' });
    hub.publish('annotator', { labels: 15, backlog: 2, judgeErrors: 1 });
    hub.publish('event', { kind: 'checkpoint', message: 'saved step 9' });
    await waitUntil(page, () => document.querySelector('#annotator .stat-value')?.textContent === '15', 'annotator panel');
    await waitUntil(page, () => document.querySelectorAll('#events li').length >= 2, 'events');

    // Overlay the run on disk: its name appears in a chart legend and in the hyperparameter table.
    await page.check('[data-run="keydoor-20261125T120000"] input');
    await waitUntil(page, () => Array.from(document.querySelectorAll('[data-metric="loss"] .u-legend th')).some((t) => t.textContent!.includes('keydoor-20261125T120000')), 'overlay in legend');
    await waitUntil(page, () => document.querySelector('#hparams thead')?.textContent?.includes('keydoor-20261125T120000'), 'overlay in hparams');
    assert.match(await page.textContent('#hparams tr.differs') ?? '', /lr|batch|learner/);

    // CSV export of the visible runs.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
    assert.match(csv[0]!, /^run,step,time,envSteps,/);
    assert.ok(csv.some((l) => l.startsWith('keydoor-live,')) && csv.some((l) => l.startsWith('keydoor-20261125T120000,')), 'both runs exported');

    // Wait one redraw so the screenshot shows the overlay, then save it.
    await sleep(400);
    const shotDir = process.env.THRIVE_SCREENSHOT_DIR ?? work;
    mkdirSync(shotDir, { recursive: true });
    const shot = join(shotDir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);

    const origin = new URL(server.url).origin;
    assert.equal(urls.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [], 'no request leaves the server');
    assert.equal(errors, [], 'no page errors');

    // The run ends: the page says so.
    hub.publish('event', { kind: 'end', message: 'done' });
    await server.close();
    server = undefined;
    await waitUntil(page, () => document.getElementById('status')!.dataset.state === 'ended', 'status ended');
  } finally {
    await ctx?.close();
    await server?.close();
    if (!process.env.THRIVE_SCREENSHOT_DIR) rmSync(profile, { recursive: true, force: true });
    else rmSync(work, { recursive: true, force: true });
  }
});

test.run();
