/**
 * The dashboard in headless Chromium (fixtures/dashboard-browser.ts), checked against expectations
 * rather than pixels:
 *
 * 1. `npm run view` over a folder of finished runs (scripts/view.ts; no live run): the page opens no
 *    stream and shows the runs; key metrics first and the rest folded; no chart for a metric that is
 *    all null; y-axis labels of values in the tens of thousands not clipped (no ink at the canvas's
 *    left edge); legend values shown before any hover; run names that share a long prefix told apart;
 *    events one line each; the trouble strip with the runs' trouble counts and warnings; annotator
 *    stats from the ann_* metrics; the config's token not shown anywhere.
 * 2. A live run in distributed form: annotator stats only in the metrics, actors "not reported" until
 *    the run reports them; markers only while a line has fewer than 3 points (measured as the line's
 *    thickness in the canvas); a KeyDoor-v0 episode rendered by the env itself, whose locked door is
 *    grey, replays with the door's pixels apart from the wall's, action names, and the row of the step
 *    just replayed highlighted.
 * Screenshots go to THRIVE_SCREENSHOT_DIR (or the temp dir) and their paths are printed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeEnvSync, type Discrete } from '../../envs/index.ts';
import { MetricsHub, startStreamServer } from '../../runner/stream/index.ts';
import { parseViewArgs, startView } from '../../scripts/view.ts';
import { launchBrowser, waitUntil, type Browser } from './fixtures/dashboard-browser.ts';

const work = mkdtempSync(join(tmpdir(), 'thrive-dash-view-'));
const shotDir = process.env.THRIVE_SCREENSHOT_DIR ?? work;
const TOKEN = 'abcdefghijklmnop0123';

const B = suite<{ browser?: Browser }>('dashboard polish and view');

B.before(async (s) => {
  s.browser = await launchBrowser(work);
});

B.after(async (s) => {
  await s.browser?.close();
  if (shotDir !== work) rmSync(work, { recursive: true, force: true });
});

/** Three finished runs whose names share a long prefix; the last written (newest) has trouble. */
function writeRuns(root: string): string[] {
  const names = ['keydoor-thr-20260101-120000', 'keydoor-thr-20260101-130000', 'keydoor-thr-20260101-140000'];
  names.forEach((name, r) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const troubled = r === 2;
    const lines: string[] = [];
    for (let step = 1; step <= 60; step++) {
      lines.push(JSON.stringify({
        step, time: step * 2, envSteps: step * 500, version: step, episodesTotal: step * 8, episodes: 8,
        successRate: Math.min(1, step / (60 - 10 * r)), returnMean: 0.1 * step + r,
        intrinsicMean: null, // no intrinsic rewards in these runs: NaN, written as null
        stepsPerSec: 15_000 + 500 * step + 1000 * r, // tick labels in the tens of thousands
        faults: troubled ? 3 : 0, staleDropped: troubled ? Math.min(40, step) : 0,
        ...(troubled ? { ann_captionsLabelled: 5, ann_judgeErrorsTotal: 17, ann_backlogDepth: step % 7 } : {}),
      }));
    }
    writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'keydoor-thr', seed: r + 1, actors: { workers: 2 }, transport: { kind: 'inprocess', url: null }, server: { enabled: true, host: '127.0.0.1', token: TOKEN } }, null, 2));
    const events = [
      { kind: 'start', message: `run /tmp/thrive-experiments/keydoor/runs/${name} (23,812 parameters, 2 actor worker(s), pipeline lockstep)`, time: 0.5 },
      { kind: 'checkpoint', message: `checkpoint /tmp/thrive-experiments/keydoor/runs/${name}/checkpoints/ckpt-000030-v30.safetensors (every 30)`, time: 60 },
      ...(troubled ? [{ kind: 'warning', warning: 'judge-errors', message: 'the judge failed on 17 captions (timeout 17) and labelled 5: intrinsic rewards are mostly missing — is the judge reachable?', time: 80 }] : []),
      { kind: 'end', message: 'completed after 60 updates', time: 120 },
    ];
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    // Runs are listed newest first by their files' mtime: set it, so the order does not hang on the clock
    // ticking between writes.
    const t = new Date(Date.UTC(2026, 0, 1, 12 + r));
    for (const f of ['metrics.jsonl', 'config.json', 'events.jsonl']) utimesSync(join(dir, f), t, t);
  });
  return names;
}

/**
 * Dark pixels (text) of a chart's canvas within the plotting area's rows: in its first 2 px columns
 * (`edge`) and left of the plotting area, where the y labels are (`labels`). No helper functions inside:
 * the page runs this code as given (tsx's function names would not exist there).
 */
async function canvasInk(page: Page, selector: string) {
  return page.$eval(selector, (card) => {
    const canvas = card.querySelector('canvas') as HTMLCanvasElement;
    const over = card.querySelector('.u-over') as HTMLElement;
    const ratio = canvas.width / canvas.clientWidth;
    const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const axis = Math.round(over.offsetLeft * ratio);
    const edgeCols = Math.max(1, Math.round(2 * ratio));
    const top = Math.round(over.offsetTop * ratio);
    const bottom = Math.min(height, top + Math.round(over.clientHeight * ratio));
    let edge = 0;
    let labels = 0;
    for (let y = top; y < bottom; y++) {
      for (let x = 0; x < axis; x++) {
        const i = (y * width + x) * 4;
        if (data[i + 3]! > 128 && data[i]! + data[i + 1]! + data[i + 2]! < 300) {
          labels++;
          if (x < edgeCols) edge++;
        }
      }
    }
    return { axisPx: axis, edge, labels };
  });
}

/**
 * The largest vertical extent (first to last pixel, CSS px) of pixels of colour `rgb` in any column of
 * the chart's plotting area: a line's width, or a marker's diameter where markers are drawn (uPlot's
 * markers are hollow rings, so the extent, not a run of pixels, is what shows them).
 */
async function lineExtent(page: Page, selector: string, rgb: [number, number, number]) {
  return page.$eval(selector, (card, c) => {
    const canvas = card.querySelector('canvas') as HTMLCanvasElement;
    const over = card.querySelector('.u-over') as HTMLElement;
    const ratio = canvas.width / canvas.clientWidth;
    const { data, width } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const x0 = Math.round(over.offsetLeft * ratio);
    const y0 = Math.round(over.offsetTop * ratio);
    const w = Math.round(over.clientWidth * ratio);
    const h = Math.round(over.clientHeight * ratio);
    let best = 0;
    for (let x = x0; x < x0 + w; x++) {
      let first = -1;
      let last = -1;
      for (let y = y0; y < y0 + h; y++) {
        const i = (y * width + x) * 4;
        if (Math.abs(data[i]! - c[0]) + Math.abs(data[i + 1]! - c[1]) + Math.abs(data[i + 2]! - c[2]) < 90 && data[i + 3]! > 200) {
          if (first < 0) first = y;
          last = y;
        }
      }
      if (first >= 0) best = Math.max(best, last - first + 1);
    }
    return best / ratio;
  }, rgb);
}

B('npm run view over a folder of runs: key metrics first, no clipped labels, names apart, trouble shown, no token', async ({ browser }) => {
  const { page, errors, urls } = browser!;
  const folder = join(work, 'runs');
  const names = writeRuns(folder);
  const args = parseViewArgs([folder]);
  assert.is(args.dirs.length, 3);
  assert.throws(() => parseViewArgs([join(work, 'nope')]), /is not a directory/);
  assert.throws(() => parseViewArgs([]), /at least one run directory/);
  const server = await startView(args);
  try {
    await page.goto(server.url);
    await waitUntil(page, () => document.getElementById('status')?.dataset.state === 'offline', null, 'offline view');
    await waitUntil(page, () => document.querySelectorAll('[data-metric="successRate"] .u-legend .u-series').length >= 4, null, 'three runs charted');
    await page.waitForTimeout(400); // one more redraw

    // Key metrics first, in order; the other groups folded; no chart for the all-null metric.
    const order = await page.$$eval('.chart-card', (cs) => cs.map((c) => (c as HTMLElement).dataset.metric));
    assert.equal(order.slice(0, 3), ['successRate', 'returnMean', 'stepsPerSec'], `chart order ${order}`);
    assert.ok(await page.$eval('details[data-group="key metrics"]', (d) => (d as HTMLDetailsElement).open));
    assert.not.ok(await page.$eval('details[data-group="run"]', (d) => (d as HTMLDetailsElement).open), 'the other metrics start folded');
    assert.is(await page.$('[data-metric="intrinsicMean"]'), null, 'no chart for an all-null metric');
    assert.match(await page.textContent('details[data-group="key metrics"] .chart-note') ?? '', /no values yet: intrinsicMean/);
    const points = await page.$$eval('.chart-card', (cs) => cs.map((c) => Number((c as HTMLElement).dataset.points)));
    assert.ok(points.every((p) => p > 0), `every chart has points: ${points}`);

    // y labels up to ~46,000: the axis is as wide as its labels, nothing is cut at the left edge.
    const ink = await canvasInk(page, '[data-metric="stepsPerSec"]');
    assert.ok(ink.labels > 20, `the y axis has labels (${ink.labels} dark pixels)`);
    assert.is(ink.edge, 0, `no label ink in the first 2 px of the canvas (axis ${ink.axisPx} px)`);

    // Legends show each run's latest value before any hover; run names are told apart.
    const legend = await page.$$eval('[data-metric="successRate"] .u-legend .u-series', (rows) =>
      rows.filter((r) => (r as HTMLElement).style.display !== 'none').slice(1).map((r) => ({ label: r.querySelector('.u-label')?.textContent ?? '', value: r.querySelector('.u-value')?.textContent ?? '' })));
    assert.is(legend.length, 3);
    assert.ok(legend.every((l) => l.value !== '—' && Number.isFinite(Number(l.value))), `legend values before hover: ${JSON.stringify(legend)}`);
    assert.is(new Set(legend.map((l) => l.label)).size, 3, `legend labels differ: ${legend.map((l) => l.label)}`);
    const listed = await page.$$eval('#runs li[data-run] .name', (ns) => ns.map((n) => ({ text: n.textContent ?? '', fits: (n as HTMLElement).scrollWidth <= (n as HTMLElement).clientWidth + 1, title: n.getAttribute('title') })));
    assert.is(new Set(listed.map((l) => l.text)).size, 3, `run names differ: ${listed.map((l) => l.text)}`);
    assert.ok(listed.every((l) => l.fits), `run names fit: ${JSON.stringify(listed)}`);
    assert.equal(listed.map((l) => l.title).sort(), [...names].sort(), 'full names in the titles');

    // Events: one line each, paths shortened (full text in the title).
    const events = await page.$$eval('#events li', (lis) => lis.map((li) => ({ h: (li as HTMLElement).offsetHeight, text: li.textContent ?? '', title: li.getAttribute('title') ?? '' })));
    assert.ok(events.length >= 9, `events of the three runs: ${events.length}`);
    assert.ok(events.every((e) => e.h < 30), `one line each: heights ${events.map((e) => e.h)}`);
    const ckpt = events.find((e) => e.text.includes('checkpoint '))!;
    assert.match(ckpt.text, /…\/checkpoints\/ckpt-000030-v30\.safetensors/);
    assert.match(ckpt.title, /\/tmp\/thrive-experiments\/keydoor\/runs\//);

    // Trouble: the counts of the troubled run and its warning.
    await waitUntil(page, () => !document.getElementById('trouble')!.hidden, null, 'trouble strip');
    assert.is(await page.$eval('#trouble', (t) => (t as HTMLElement).dataset.level), 'bad');
    const trouble = (await page.textContent('#trouble')) ?? '';
    for (const want of ['faults 3', 'stale rollouts dropped 40', 'judge errors 17', 'the judge failed on 17 captions']) assert.ok(trouble.includes(want), `trouble strip has "${want}": ${trouble}`);
    assert.is(await page.$$eval('#trouble .trouble-run', (r) => r.length), 1, 'only the troubled run is listed');

    // Annotator: the newest run's ann_* metrics; its judge errors in red.
    await waitUntil(page, () => /from the ann_\* metrics/.test(document.getElementById('annotator')?.textContent ?? ''), null, 'annotator panel from the ann_* metrics');
    assert.is(await page.$eval('#annotator .stat.warn .stat-value', (v) => v.textContent), '17');

    // The configs' token: served without it, shown nowhere.
    await waitUntil(page, () => document.querySelector('#hparams')?.textContent?.includes('server.token') ?? false, null, 'hparams');
    assert.not.ok((await page.content()).includes(TOKEN), 'the token is not on the page');
    assert.match(await page.textContent('#counters') ?? '', /offline view · 3 of 3 runs shown/);

    mkdirSync(shotDir, { recursive: true });
    await page.screenshot({ path: join(shotDir, 'view-top.png') });
    console.log(`screenshot: ${join(shotDir, 'view-top.png')}`);
    assert.not.ok(urls.some((u) => u.includes('/ws')), 'the offline view opens no stream');
    const origin = new URL(server.url).origin;
    assert.equal(urls.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), [], 'no request leaves the server');
    assert.equal(errors, [], 'no page errors');
  } finally {
    await server.close();
  }
});

/** A KeyDoor-v0 episode solved by the env's own solver from a seed whose locked door is grey, with real frames. */
function greyDoorEpisode() {
  const env = makeEnvSync('KeyDoor-v0', { size: 7 }) as ReturnType<typeof makeEnvSync> & { solve(): number[] | null; toText(): string };
  for (let seed = 0; seed < 500; seed++) {
    env.reset({ seed });
    const text = env.toText();
    const plan = env.solve();
    if (!plan) continue;
    const frames = [env.render!()];
    const steps: { action: number; message: string; reward: number }[] = [];
    let reward = 0;
    for (const a of plan) {
      const r = env.step(a);
      reward += r.reward;
      steps.push({ action: a, message: r.info.message, reward: r.reward });
      frames.push(env.render!());
    }
    if (!steps.some((s) => /grey key/.test(s.message))) continue;
    const rows = text.split('\n');
    const doorY = rows.findIndex((r) => r.includes('L'));
    const door = { x: rows[doorY]!.indexOf('L'), y: doorY };
    const tile = Number((env.spec.options as { tileSize: number }).tileSize);
    const names = (env.actionSpace as Discrete).labels;
    return { seed, door, tile, data: { step: 1, envId: 'KeyDoor-v0', family: 'games', seed, reward, success: true, steps, frames, actionNames: names ? [...names] : undefined } };
  }
  throw new Error('no KeyDoor-v0 seed below 500 with a grey door');
}

B('live, distributed: annotator from metrics, actors not reported then reported, markers only for short lines, grey door replay', async ({ browser }) => {
  const { page, errors } = browser!;
  const hub = new MetricsHub();
  hub.publish('config', { name: 'dist', actors: { workers: 1 }, transport: { kind: 'redis', url: 'redis://:hunter2hunter2@10.0.0.5:6379' } });
  const rec = (step: number, extra: Record<string, number> = {}) => ({ step, time: step, envSteps: step * 100, successRate: step / 100, episodeLength: 30, ann_captionsLabelled: 3 * step, ann_judgeDown: 1, ...extra });
  hub.publish('metrics', rec(1));
  const server = await startStreamServer({ hub, runName: 'dist-learner' });
  try {
    await page.goto(server.url);
    await waitUntil(page, () => document.querySelector('[data-metric="episodeLength"]')?.getAttribute('data-points') === '1', null, 'first record charted');
    assert.is(await page.$eval('[data-counter="actors"] b', (b) => b.textContent), 'not reported', 'a distributed run without an actor count');
    await waitUntil(page, () => /from the ann_\* metrics/.test(document.getElementById('annotator')?.textContent ?? ''), null, 'annotator panel from the ann_* metrics');
    assert.match((await page.textContent('#trouble')) ?? '', /judge down/);
    assert.not.ok((await page.content()).includes('hunter2'), 'the Redis password is not shown');
    // One point: drawn as a marker (thick); the measure sees markers when there are some.
    const blue: [number, number, number] = [0, 114, 178];
    const single = await lineExtent(page, '[data-metric="episodeLength"]', blue);
    assert.ok(single >= 4, `a lone point is drawn as a marker (${single} px across)`);

    for (let s = 2; s <= 60; s++) hub.publish('metrics', rec(s, s === 60 ? { actors: 3 } : {}));
    await waitUntil(page, () => document.querySelector('[data-metric="episodeLength"]')?.getAttribute('data-points') === '60', null, 'all records charted');
    await page.waitForTimeout(400);
    const line = await lineExtent(page, '[data-metric="episodeLength"]', blue);
    assert.ok(line > 0 && line < 3.5, `a 60-point line has no markers (${line} px across)`);
    assert.is(await page.$eval('[data-counter="actors"] b', (b) => b.textContent), '3', 'the reported actor count');

    // The episode replay of a real KeyDoor-v0 episode with a grey locked door.
    const ep = greyDoorEpisode();
    hub.publish('episode', ep.data);
    await waitUntil(page, () => (document.querySelector('#episode-detail canvas.frame') as HTMLElement | null)?.dataset.frame === '0', null, 'frame player');
    const px = await page.$eval('#episode-detail canvas.frame', (c, at) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d')!;
      // Away from the keyhole (drawn at a quarter of the tile): the door's bottom-right area; a border wall.
      return {
        door: Array.from(ctx.getImageData(at.x * at.t + at.t - 2, at.y * at.t + at.t - 2, 1, 1).data.slice(0, 3)),
        wall: Array.from(ctx.getImageData(1, 1, 1, 1).data.slice(0, 3)),
      };
    }, { x: ep.door.x, y: ep.door.y, t: ep.tile });
    const dist = px.door.reduce((a, v, i) => a + Math.abs(v - px.wall[i]!), 0);
    assert.ok(dist > 60, `the grey locked door ${px.door} is drawn apart from the wall ${px.wall} (seed ${ep.seed})`);
    const actions = await page.$$eval('#episode-detail td.action', (tds) => tds.map((t) => t.textContent ?? ''));
    assert.ok(actions.length === ep.data.steps.length && actions.every((a) => ['north', 'east', 'south', 'west'].includes(a)), `actions by name: ${actions.join(', ')}`);
    await page.$eval('#episode-detail .player-controls input[type=range]', (s) => {
      (s as HTMLInputElement).value = '3';
      s.dispatchEvent(new Event('input'));
    });
    assert.is(await page.$eval('#episode-detail tr.current', (tr) => tr.getAttribute('data-step')), '2', 'frame 3 shows the state after step 2: its row is highlighted');
    assert.match((await page.textContent('#episode-detail .frame-label')) ?? '', /after step 2: (north|east|south|west)/);
    assert.is(await page.$$eval('#episode-detail tr.current', (t) => t.length), 1);
    await (await page.$('.episodes-panel'))!.screenshot({ path: join(shotDir, 'live-episode.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shotDir, 'live-top.png') });
    console.log(`screenshots: ${join(shotDir, 'live-episode.png')}, ${join(shotDir, 'live-top.png')}`);
    assert.equal(errors, [], 'no page errors');
  } finally {
    await server.close();
  }
});

B.run();
