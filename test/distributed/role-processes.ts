/**
 * Test helper (not a test file): the role commands (scripts/learner.ts, actor.ts, annotator.ts) as real OS
 * processes against a test Redis, with their output kept for diagnostics when a wait times out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  text: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export class RoleProcesses {
  readonly all: RoleProcess[] = [];
  constructor(private readonly root: string, private readonly redisUrl: () => string, private readonly pollMs = 50) {}

  /** Starts `scripts/<script>` with `args`; `label` names it in diagnostics. */
  start(script: string, args: string[], label = ''): RoleProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(this.root, 'scripts', script), ...args], {
      cwd: this.root, env: { ...process.env, THRIVE_REDIS_URL: this.redisUrl() }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    child.stderr!.on('data', (d) => (text += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const p = { name: `${script} ${label}`.trim(), child, text: () => text, exited };
    this.all.push(p);
    return p;
  }

  /** The tail of every process's output, for assertion messages. */
  diagnostics(): string {
    return this.all.map((p) => `--- ${p.name} (${p.child.exitCode ?? p.child.signalCode ?? 'running'}):\n${p.text().slice(-2000)}`).join('\n');
  }

  /** Polls `cond` until it holds; after `ms` throws naming `what`, with every process's output. */
  async until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${this.diagnostics()}`);
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  async exitOf(p: RoleProcess, what: string): Promise<{ code: number | null; signal: string | null }> {
    let done: { code: number | null; signal: string | null } | undefined;
    void p.exited.then((e) => (done = e));
    await this.until(what, () => done !== undefined);
    return done!;
  }

  killAll(): void {
    for (const p of this.all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  }
}
