/**
 * The terminal progress line: budget fraction, env steps/s, updates and the main metric (success rate,
 * smoothed). On a TTY it redraws one line; otherwise it prints a line every few seconds.
 */
export interface ProgressState {
  fraction: number;
  updates: number;
  envSteps: number;
  stepsPerSec: number;
  successRate: number;
  returnMean: number;
  policyLag: number;
  faults: number;
  elapsed: number;
}

export class ProgressBar {
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(private readonly enabled: boolean, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  update(s: ProgressState): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!this.tty && now - this.lastPrint < 5000) return;
    this.lastPrint = now;
    const width = 24;
    const f = Math.max(0, Math.min(1, s.fraction));
    const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '·');
    const line = `[${bar}] ${(f * 100).toFixed(0).padStart(3)}% | upd ${s.updates} | ${fmt(s.envSteps)} steps ${fmt(s.stepsPerSec)}/s | success ${(s.successRate * 100).toFixed(1)}% | return ${s.returnMean.toFixed(3)} | lag ${s.policyLag.toFixed(2)} | faults ${s.faults} | ${s.elapsed.toFixed(0)}s`;
    if (this.tty) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  done(): void {
    if (this.enabled && this.tty) this.out.write('\n');
  }
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}
