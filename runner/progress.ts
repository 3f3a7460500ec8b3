/**
 * The terminal progress line: budget fraction and ETA, env steps/s, updates, the main metrics (success
 * rate and return, smoothed), policy lag, and every kind of trouble that has happened so far — worker
 * and env faults, stale rollouts dropped, judge errors, skipped updates — so nothing fails silently.
 * On a TTY it redraws one line; otherwise it prints a line every few seconds.
 */
export interface ProgressState {
  fraction: number;
  updates: number;
  envSteps: number;
  stepsPerSec: number;
  successRate: number;
  returnMean: number;
  policyLag: number;
  /** Worker + env faults. */
  faults: number;
  /** Whole-run seconds. */
  elapsed: number;
  /** Seconds to the end of the budget at the current pace (NaN when unknown). */
  eta: number;
  /** Other counts of trouble, shown when non-zero: e.g. { stale: 12, 'judge errors': 3, skipped: 1 }. */
  trouble?: Record<string, number>;
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
    const line = formatProgress(s);
    if (this.tty) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  /** A line of its own (a warning), without breaking the redrawn progress line. */
  note(line: string): void {
    if (!this.enabled) return;
    this.out.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  done(): void {
    if (this.enabled && this.tty) this.out.write('\n');
  }
}

export function formatProgress(s: ProgressState): string {
  const width = 24;
  const f = Math.max(0, Math.min(1, s.fraction));
  const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '·');
  const trouble = Object.entries(s.trouble ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${fmt(n)}`);
  const faults = `faults ${s.faults}${trouble.length ? ` (${trouble.join(', ')})` : ''}`;
  const eta = Number.isFinite(s.eta) && f < 1 ? `, ETA ${duration(s.eta)}` : '';
  return `[${bar}] ${(f * 100).toFixed(0).padStart(3)}% | upd ${s.updates} | ${fmt(s.envSteps)} steps ${fmt(s.stepsPerSec)}/s | success ${(s.successRate * 100).toFixed(1)}% | return ${s.returnMean.toFixed(3)} | lag ${s.policyLag.toFixed(2)} | ${faults} | ${duration(s.elapsed)}${eta}`;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/** 42s, 3m05s, 1h02m. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const t = Math.round(seconds);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}
