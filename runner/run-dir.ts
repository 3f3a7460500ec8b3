/**
 * The run directory, runs/<name>-<time>/:
 *   config.json      the resolved experiment config (written once, atomically)
 *   metrics.jsonl    one flat JSON record per learner update (same shape as the hub's 'metrics' topic)
 *   episodes.jsonl   sample episodes (frames left out: they go to the live stream only)
 *   events.jsonl     run events (start, checkpoint, fault, end)
 *   summary.json     totals and final figures (rewritten atomically at every checkpoint and at the end)
 *   checkpoints/ckpt-<version>/   see checkpoint.ts
 *   .lock            held by the process writing the run (pid, host): a second run or resume of the same
 *                    directory is refused while that process lives
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** Writes `data` to `path` atomically: a temp file in the same directory, fsync, then rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export class RunDir {
  readonly path: string;
  readonly checkpoints: string;
  private locked = false;

  private constructor(path: string) {
    this.path = path;
    this.checkpoints = join(path, 'checkpoints');
    mkdirSync(this.checkpoints, { recursive: true });
  }

  /** The path a fresh run directory would get now: runs/<name>-<UTC time>[-n] (nothing is created). */
  static nextPath(root: string, name: string): string {
    const base = join(resolve(root), `${name}-${stamp()}`);
    let path = base;
    for (let i = 2; existsSync(path); i++) path = `${base}-${i}`;
    return path;
  }

  /** A fresh directory at `path` (from nextPath), or at the next free path if another run took it meanwhile. */
  static create(root: string, name: string, path = RunDir.nextPath(root, name)): RunDir {
    return new RunDir(existsSync(path) ? RunDir.nextPath(root, name) : path);
  }

  /** An existing run directory (for --resume). */
  static open(path: string): RunDir {
    if (!existsSync(join(path, 'config.json'))) throw new Error(`'${path}' is not a run directory: it has no config.json`);
    return new RunDir(resolve(path));
  }

  /**
   * Takes the directory's lock, or throws naming the process that holds it. A lock left by a process that
   * no longer exists (on this host) is taken over.
   */
  lock(): void {
    const path = join(this.path, '.lock');
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, mine);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: { pid?: number; host?: string } = {};
      try { holder = JSON.parse(readFileSync(path, 'utf8')); } catch { /* a lock cut short: stale */ }
      if (holder.pid && holder.host === hostname() && alive(holder.pid)) {
        throw new Error(`run directory '${this.path}' is in use by process ${holder.pid} (a run or a resume of it is still going): stop that process first`);
      }
      if (holder.pid && holder.host && holder.host !== hostname()) {
        throw new Error(`run directory '${this.path}' is locked by process ${holder.pid} on host '${holder.host}'; if that run is over, delete ${path}`);
      }
      rmSync(path, { force: true });
    }
    throw new Error(`could not lock run directory '${this.path}'`);
  }

  unlock(): void {
    if (this.locked) rmSync(join(this.path, '.lock'), { force: true });
    this.locked = false;
  }

  writeConfig(config: unknown): void {
    writeFileAtomic(join(this.path, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  }

  appendMetrics(record: Record<string, unknown>): void {
    appendFileSync(join(this.path, 'metrics.jsonl'), JSON.stringify(record, finite) + '\n');
  }

  appendEpisode(record: Record<string, unknown>): void {
    appendFileSync(join(this.path, 'episodes.jsonl'), JSON.stringify(record, finite) + '\n');
  }

  appendEvent(record: Record<string, unknown>): void {
    appendFileSync(join(this.path, 'events.jsonl'), JSON.stringify(record, finite) + '\n');
  }

  /**
   * The highest weight version this run recorded (metrics records, start/checkpoint/fork events), or -1.
   * A resumed learner continues above it even when the transport lost its own record (Redis restarted
   * without persistence). A line cut short by a crash is skipped.
   */
  highestVersion(): number {
    let max = -1;
    for (const f of ['metrics.jsonl', 'events.jsonl']) {
      const path = join(this.path, f);
      if (!existsSync(path)) continue;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.includes('"version"')) continue;
        try {
          const v = (JSON.parse(line) as { version?: unknown }).version;
          if (typeof v === 'number' && Number.isSafeInteger(v) && v > max) max = v;
        } catch { /* a partial last line */ }
      }
    }
    return max;
  }

  writeSummary(summary: Record<string, unknown>): void {
    writeFileAtomic(join(this.path, 'summary.json'), JSON.stringify(summary, finite, 2) + '\n');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** JSON has no NaN/Infinity: write them as null. Typed arrays become plain arrays. */
function finite(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}
