/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group of `npm start` (npm, sh and node all
 * receive it), at several moments — right after the run starts, mid-run, during a checkpoint write, and
 * twice in the same instant (a relayed copy). Every time the first Ctrl-C must leave a complete
 * checkpoint, summary.json with status 'interrupted', a final 'end' event and no temporary files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint, loadCheckpoint } from '../../runner/checkpoint.ts';

const repo = new URL('../..', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'thrive-interrupt-'));

interface Exit { code: number | null; signal: NodeJS.Signals | null }

function start(name: string): { child: ChildProcess; exited: Promise<Exit>; runsDir: string } {
  const runsDir = join(root, name);
  const cfg = join(root, `${name}.json`);
  writeFileSync(cfg, JSON.stringify({
    name, seed: 3,
    env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 4 },
    policy: { hidden: [16] },
    rewards: { judge: { kind: 'rubric' }, model: { kind: 'retrieval' }, annotator: { cacheDir: null } },
    groupsPerUpdate: 2, budget: { seconds: 600 }, actors: { workers: 1, groupsPerTask: 1 },
    logging: { dir: runsDir, checkpointEvery: 1, episodeEvery: 0, progress: false },
    server: { enabled: false },
  }));
  // detached: its own process group, like a shell job; the group id is the child's pid.
  const child = spawn('npm', ['start', '--', '--config', cfg], { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => { (child as { output?: string }).output = out; resolve({ code, signal }); }));
  return { child, exited, runsDir };
}

const groupInt = (child: ChildProcess) => process.kill(-child.pid!, 'SIGINT');

async function until<T>(what: string, f: () => T | undefined | null | false, timeoutMs = 240_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const runDirOf = (runsDir: string) => (existsSync(runsDir) ? readdirSync(runsDir).map((d) => join(runsDir, d))[0] : undefined);
const lines = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim().split('\n').filter(Boolean) : []);

function tmpFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n.includes('.tmp-')) out.push(p);
    if (statSync(p).isDirectory()) out.push(...tmpFiles(p));
  }
  return out;
}

async function assertCleanEnd(r: ReturnType<typeof start>, when: string): Promise<void> {
  const exit = await Promise.race([r.exited, new Promise<'hung'>((res) => setTimeout(() => res('hung'), 180_000))]);
  const output = (r.child as { output?: string }).output ?? '';
  // npm re-raises the SIGINT it received once its child has exited, so npm itself ends by that signal;
  // the node process under it ends normally, printing its closing lines (scripts/start.ts).
  assert.ok(exit !== 'hung' && (exit.code === 0 || exit.signal === 'SIGINT'), `${when}: npm start ends after one Ctrl-C (got ${JSON.stringify(exit)})\n${output.slice(-2000)}`);
  assert.match(output, /run interrupted: /, `${when}: the run printed its closing summary`);
  const dir = runDirOf(r.runsDir)!;
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.is(summary.status, 'interrupted', `${when}: summary status`);
  const ckpt = latestCheckpoint(join(dir, 'checkpoints'));
  assert.ok(ckpt, `${when}: a checkpoint exists`);
  const data = loadCheckpoint(ckpt!);
  assert.is(data.counters.updates, summary.updates, `${when}: the last checkpoint holds the final update count`);
  const events = lines(join(dir, 'events.jsonl')).map((l) => JSON.parse(l));
  assert.is(events.at(-1).kind, 'end', `${when}: the last event is 'end'`);
  assert.equal(tmpFiles(dir), [], `${when}: no temporary files are left`);
}

test('Ctrl-C right after the run starts', async () => {
  const r = start('early');
  await until('the start event', () => { const d = runDirOf(r.runsDir); return d && lines(join(d, 'events.jsonl')).length > 0; });
  groupInt(r.child);
  await assertCleanEnd(r, 'early');
});

test('Ctrl-C mid-run', async () => {
  const r = start('mid');
  await until('3 updates', () => { const d = runDirOf(r.runsDir); return d && lines(join(d, 'metrics.jsonl')).length >= 3; });
  groupInt(r.child);
  await assertCleanEnd(r, 'mid-run');
});

test('Ctrl-C during a checkpoint write', async () => {
  const r = start('ckpt');
  const ckdir = await until('the checkpoints directory', () => { const d = runDirOf(r.runsDir); return d && existsSync(join(d, 'checkpoints')) && join(d, 'checkpoints'); });
  await new Promise<void>((resolve) => {
    const w = watch(ckdir, (_e, name) => {
      if (name && String(name).includes('.tmp-')) { w.close(); groupInt(r.child); resolve(); }
    });
  });
  await assertCleanEnd(r, 'during a checkpoint write');
});

test('two Ctrl-C copies in the same instant (a relayed signal) count as one', async () => {
  const r = start('double');
  await until('2 updates', () => { const d = runDirOf(r.runsDir); return d && lines(join(d, 'metrics.jsonl')).length >= 2; });
  groupInt(r.child);
  groupInt(r.child);
  await assertCleanEnd(r, 'double');
});

test('cleanup', () => { rmSync(root, { recursive: true, force: true }); });

test.run();
