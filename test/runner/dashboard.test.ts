/**
 * Browser test of the dashboard: Debian's Chromium driven by playwright-core (never downloads a browser).
 *
 * 1. Against a real short run (runner's runExperiment, KeyDoor-v0, tiny budget): the page is connected
 *    before the run starts, charts fill live, a game episode replays frame by frame, annotator stats and
 *    events show, an earlier real run on disk overlays, CSV export works; a screenshot is saved.
 * 2. Text episodes (completion + transcript): a Reverse-v0 episode solved by the env's own
 *    demonstration, published by the test (the runner's short runs are games).
 * The screenshot path is printed; THRIVE_SCREENSHOT_DIR keeps it somewhere of your choosing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeEnvSync, defaultTokenizer } from '../../envs/index.ts';
import type { TokenEnv } from '../../envs/index.ts';
import { MetricsHub, runExperiment, startStreamServer } from '../../runner/index.ts';
import { launchBrowser, waitUntil, type Browser } from './fixtures/dashboard-browser.ts';

const work = mkdtempSync(join(tmpdir(), 'thrive-dash-'));
const runsDir = join(work, 'runs');
const shotDir = process.env.THRIVE_SCREENSHOT_DIR ?? work;

/** A tiny real experiment: KeyDoor-v0, small MLP policy, rubric judge, a dozen updates. */
const runConfig = (seed: number, updates: number) => ({
  name: 'dash',
  seed,
  env: { id: 'KeyDoor-v0', options: { size: 6, maxSteps: 30 }, groupSize: 4 },
  policy: { hidden: [16] },
  rewards: { judge: { kind: 'rubric' }, model: { kind: 'retrieval' }, annotator: { cacheDir: null } },
  groupsPerUpdate: 2,
  budget: { updates },
  actors: { workers: 1, groupsPerTask: 2 },
  logging: { dir: runsDir, checkpointEvery: 0, episodeEvery: 3, frames: true, progress: false },
  server: { enabled: false },
});

const B = suite<{ browser?: Browser; page?: Page; errors: string[]; urls: string[] }>('dashboard', { errors: [], urls: [] });

B.before(async (s) => {
  s.browser = await launchBrowser(work);
  s.page = s.browser.page;
  s.errors = s.browser.errors;
  s.urls = s.browser.urls;
});

B.after(async (s) => {
  await s.browser?.close();
  rmSync(runsDir, { recursive: true, force: true });
  if (shotDir !== work) rmSync(work, { recursive: true, force: true });
});

B('a real short run: live charts, frames, annotator, events, overlay of a run on disk, export', async ({ page, errors, urls }) => {
  page = page!;
  // An earlier run, finished, on disk.
  const past = await runExperiment(runConfig(11, 6), { quiet: true });
  assert.is(past.status, 'completed');
  const pastName = basename(past.runDir);

  // The live run publishes on our hub; the page is connected before it starts.
  const hub = new MetricsHub();
  const server = await startStreamServer({ hub, runsDir, runName: 'dash-live' });
  try {
    await page.goto(server.url);
    await waitUntil(page, () => document.getElementById('status')!.dataset.state === 'open', null, 'status open');
    assert.is(await page.$('.chart-card'), null, 'no chart before the run');
    await waitUntil(page, (n) => document.querySelectorAll('#runs [data-run]').length >= 1 && document.querySelector(`[data-run="${n}"]`) !== null, pastName, 'the past run is listed');

    const updates = 12;
    const seen: number[] = [];
    hub.subscribe(['metrics'], (m) => seen.push((m.data as { step: number }).step));
    const live = await runExperiment(runConfig(12, updates), { quiet: true, hub });
    assert.is(live.status, 'completed');
    assert.is(seen.length, updates);

    // Every record reached the chart (live: nothing existed when the page loaded).
    await waitUntil(page, (n) => Number((document.querySelector('[data-metric="returnMean"]') as HTMLElement | null)?.dataset.points) === n, updates, 'returnMean chart has every update');
    const metrics = await page.$$eval('.chart-card', (cs) => cs.map((c) => (c as HTMLElement).dataset.metric));
    for (const m of ['returnMean', 'successRate']) assert.ok(metrics.includes(m), `chart for ${m}: ${metrics}`);
    assert.match((await page.textContent('#counters')) ?? '', new RegExp(`step ${updates}(?!\\d)`));

    // A game episode: frames replay one by one.
    await waitUntil(page, () => (document.querySelector('#episode-detail canvas.frame') as HTMLElement | null)?.dataset.frame === '0', null, 'frame player');
    const frame = await page.$eval('#episode-detail canvas.frame', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < d.length; i += 4) colours.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return { w: cv.width, h: cv.height, colours: colours.size };
    });
    assert.ok(frame.w > 8 && frame.h > 8, `frame ${frame.w}×${frame.h}`);
    assert.ok(frame.colours >= 3, `the frame shows the grid (${frame.colours} colours)`);
    // The env names its actions (Discrete labels): the step table shows the names, not the numbers.
    const actions = await page.$$eval('#episode-detail td.action', (tds) => tds.map((t) => t.textContent ?? ''));
    assert.ok(actions.length > 0 && actions.every((a) => ['north', 'east', 'south', 'west'].includes(a)), `actions by name: ${actions.slice(0, 5).join(', ')}`);
    await page.click('#episode-detail .player-controls button');
    await waitUntil(page, () => Number((document.querySelector('#episode-detail canvas.frame') as HTMLElement).dataset.frame) >= 2, null, 'replay advances');
    await waitUntil(page, () => {
      const f = Number((document.querySelector('#episode-detail canvas.frame') as HTMLElement).dataset.frame);
      return document.querySelector('#episode-detail tr.current')?.getAttribute('data-step') === String(f - 1);
    }, null, 'the step just replayed is highlighted');
    assert.ok((await page.$$('#episode-list li')).length >= 3, 'episodes listed');

    // Annotator panel (the run's rubric judge), events.
    const lastAnn = hub.latest('annotator')!.data as Record<string, number>;
    await waitUntil(page, (v) => document.querySelector('#annotator .stat-value')?.textContent === v, String(lastAnn.labelsDelivered ?? lastAnn.labels), 'annotator labels');
    const kinds = await page.$$eval('#events .kind', (ks) => ks.map((k) => k.textContent));
    for (const k of ['start', 'end']) assert.ok(kinds.includes(k), `event ${k} in ${kinds}`);

    // Hyperparameters of the live run; then overlay the past run.
    await waitUntil(page, () => document.querySelector('#hparams')?.textContent?.includes('env.id'), null, 'hparams');
    await page.check(`[data-run="${pastName}"] input`);
    await waitUntil(page, (n) => Array.from(document.querySelectorAll('[data-metric="returnMean"] .u-legend th')).some((t) => t.textContent!.includes(n)), pastName, 'overlay in legend');
    await waitUntil(page, (n) => document.querySelector('#hparams thead')?.textContent?.includes(n), pastName, 'overlay in hparams');
    await waitUntil(page, (n) => Array.from(document.querySelectorAll('#episode-list li')).some((li) => li.getAttribute('title')?.startsWith(n)), pastName, "the past run's episodes listed");
    const differs = await page.$$eval('#hparams tr.differs th', (ths) => ths.map((t) => t.textContent));
    assert.ok(differs.includes('seed') && differs.includes('budget.updates'), `differing rows: ${differs}`);

    // Metric groups fold: the learner's charts appear when its group is opened.
    assert.is(await page.$('[data-metric="learner_entropy"]'), null, 'learner group starts folded');
    await page.click('details[data-group="learner"] > summary');
    await waitUntil(page, () => Number((document.querySelector('[data-metric="learner_entropy"]') as HTMLElement | null)?.dataset.points) === 12, null, 'learner_entropy chart');
    await page.click('details[data-group="learner"] > summary');
    await waitUntil(page, () => document.querySelector('[data-metric="learner_entropy"]') === null, null, 'learner group folded again');

    // The chart filter.
    await page.fill('#metric-filter', '^returnMean$');
    await waitUntil(page, () => document.querySelectorAll('.chart-card').length === 1, null, 'filter to one chart');
    await page.fill('#metric-filter', '');
    await waitUntil(page, (n) => document.querySelectorAll('.chart-card').length === n, metrics.length, 'all charts back');

    // CSV export of both runs.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
    assert.match(csv[0]!, /^run,step,time,envSteps,/);
    assert.is(csv.filter((l) => l.startsWith('dash-live,')).length, updates);
    assert.is(csv.filter((l) => l.startsWith(`${pastName},`)).length, 6);

    // Pick an episode with frames for the picture, then save it.
    await page.click('#episode-list li[title^="dash-live"] >> nth=1');
    await page.waitForTimeout(400); // one redraw (the page redraws at most every 250 ms)
    mkdirSync(shotDir, { recursive: true });
    const shot = join(shotDir, 'dashboard-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    await (await page.$('.episodes-panel'))!.screenshot({ path: join(shotDir, 'dashboard-episode.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shotDir, 'dashboard-top.png') });
    console.log(`screenshots: ${shot}, and dashboard-top.png, dashboard-episode.png, dashboard-text.png beside it`);

    const origin = new URL(server.url).origin;
    assert.equal(urls.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [], 'no request leaves the server');
    assert.equal(errors, [], 'no page errors');
  } finally {
    await server.close();
  }
  await waitUntil(page, () => document.getElementById('status')!.dataset.state === 'ended', null, 'status ended');
});

B('text episodes render (completion, transcript, reward breakdown); another live run overlays by URL', async ({ page, errors }) => {
  page = page!;
  const hub = new MetricsHub();
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
    step: 1, envId: 'Reverse-v0', family: 'text', seed: 3, reward, success, steps, completion,
    rewardComponents: { correct: reward, format: -0.25 },
    transcript: [{ role: 'user', content: prompt }, { role: 'assistant', content: completion }, { role: 'tool', tool: 'check', args: { answer: completion }, result: success ? 'correct' : 'wrong' }],
  });
  const server = await startStreamServer({ hub });
  try {
    await page.goto(server.url);
    await waitUntil(page, () => document.querySelector('#episode-detail pre.completion') !== null, null, 'completion shown');
    assert.is(await page.textContent('#episode-detail pre.completion'), completion);
    assert.is((await page.$$('#episode-detail .transcript .turn')).length, 3);
    assert.match((await page.textContent('#episode-detail .turn.role-tool')) ?? '', /check\(\{"answer":/);
    assert.ok(await page.$('#episode-detail .ep-head .badge.ok'), 'the demonstrated answer is a success');
    assert.is(await page.$$eval('#episode-detail .components .bar.neg', (b) => b.length), 1, 'negative component drawn as such');

    // Another live run (its own server) added by its stream URL: its metrics overlay live.
    const otherHub = new MetricsHub();
    otherHub.publish('config', { env: 'Reverse-v0', lr: 0.01 });
    for (let i = 1; i <= 3; i++) otherHub.publish('metrics', { step: i, time: i, envSteps: 10 * i, returnMean: steps.length / i });
    const other = await startStreamServer({ hub: otherHub, runName: 'reverse-other' });
    try {
      await page.fill('#add-live-url', other.url); // the page URL works too
      await page.click('#add-live button');
      await waitUntil(page, () => Number((document.querySelector('[data-metric="returnMean"]') as HTMLElement | null)?.dataset.points) === 3, null, 'other run charted');
      assert.match((await page.textContent('[data-metric="returnMean"] .u-legend')) ?? '', /reverse-other/);
      assert.match((await page.textContent('#runs')) ?? '', /reverse-other/);
      otherHub.publish('metrics', { step: 4, time: 4, envSteps: 40, returnMean: 0.5 });
      await waitUntil(page, () => Number((document.querySelector('[data-metric="returnMean"]') as HTMLElement | null)?.dataset.points) === 4, null, 'other run updates live');
      await page.fill('#add-live-url', 'not a url');
      await page.click('#add-live button');
      assert.match((await page.textContent('#add-live-error')) ?? '', /not a stream URL/);
      await page.screenshot({ path: join(shotDir, 'dashboard-text.png') });
    } finally {
      await other.close();
    }
    await waitUntil(page, () => document.querySelector('#runs [data-remote] .tag')?.textContent === 'ended', null, 'other run ended');
    assert.equal(errors, []);
  } finally {
    await server.close();
  }
});

B.run();
