/**
 * Guards around plug-in judges and reward models: a fault in user code is contained and counted, never
 * a crash or a stall (the project's rule for plug-ins). Built-in components are trusted and unwrapped.
 *
 * Judge: a throw or rejection, a result array of the wrong shape, or an error kind outside
 * JUDGE_ERROR_KINDS become per-item `exception` results (which the annotator counts in
 * `judgeErrors.exception`); a batch not answered within `timeoutMs` becomes `timeout` results.
 * Reward model: a throwing or ill-shaped `score` gives zeros, a throwing `update`/`metrics` gives the last
 * good metrics; each such fault is counted in `metrics().errors`. `save`/`load` errors are rethrown with
 * the plug-in named (a checkpoint that cannot be written or read must not pass silently).
 */
import { JUDGE_ERROR_KINDS, type AnnotationLabel, type AnnotationRequest, type Judge, type JudgeErrorKind,
  type JudgeResult, type PairResult, type RewardModel, type RewardModelMetrics, type RewardModelState } from './types.ts';

const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));

function judgeResult(r: unknown): JudgeResult {
  if (r && typeof r === 'object') {
    const o = r as Record<string, unknown>;
    if (o.ok === true && typeof o.label === 'number') return { ok: true, label: o.label };
    if (o.ok === false) return { ok: false, error: JUDGE_ERROR_KINDS.includes(o.error as JudgeErrorKind) ? o.error as JudgeErrorKind : 'exception' };
  }
  return { ok: false, error: 'exception' };
}

function pairResult(r: unknown): PairResult {
  if (r && typeof r === 'object') {
    const o = r as Record<string, unknown>;
    if (o.ok === true) return o.preferred === 0 || o.preferred === 0.5 || o.preferred === 1 ? { ok: true, preferred: o.preferred } : { ok: false, error: 'invalid_label' };
    if (o.ok === false) return { ok: false, error: JUDGE_ERROR_KINDS.includes(o.error as JudgeErrorKind) ? o.error as JudgeErrorKind : 'exception' };
  }
  return { ok: false, error: 'exception' };
}

function normalise<R>(raw: unknown, n: number, one: (r: unknown) => R, bad: R): { out: R[]; faulty: boolean } {
  if (!Array.isArray(raw)) return { out: Array.from({ length: n }, () => bad), faulty: true };
  const out = Array.from({ length: n }, (_, i) => (i < raw.length ? one(raw[i]) : bad));
  return { out, faulty: raw.length !== n };
}

export class GuardedJudge implements Judge {
  readonly kind: string;
  readonly id: string;
  /** Calls that threw, rejected, answered with a wrong shape, or timed out (per call, not per item). */
  faults = 0;
  /** The last fault's message, for logs. */
  lastFault: string | null = null;
  labelSync?: (items: AnnotationRequest[]) => JudgeResult[];
  compareSync?: (pairs: Array<[AnnotationRequest, AnnotationRequest]>) => PairResult[];

  constructor(readonly inner: Judge, kind: string, private readonly timeoutMs = 60_000) {
    if (!inner || typeof inner !== 'object') throw new Error(`plug-in judge '${kind}': the factory returned ${JSON.stringify(inner)}, expected a Judge`);
    if (typeof inner.label !== 'function') throw new Error(`plug-in judge '${kind}': the judge has no label(items) method`);
    if (typeof inner.id !== 'string' || !inner.id) {
      throw new Error(`plug-in judge '${kind}': the judge needs a non-empty string id (it keys the label cache; include everything that changes its answers)`);
    }
    this.kind = kind;
    this.id = inner.id.startsWith(`${kind}`) ? inner.id : `${kind}-${inner.id}`;
    if (typeof inner.labelSync === 'function') {
      this.labelSync = (items) => this.sync(items.length, () => inner.labelSync!(items), judgeResult);
    }
    if (typeof inner.compareSync === 'function') {
      this.compareSync = (pairs) => this.sync(pairs.length, () => inner.compareSync!(pairs), pairResult);
    }
  }

  label(items: AnnotationRequest[]): Promise<JudgeResult[]> {
    return this.async(items.length, () => this.inner.label(items), judgeResult);
  }

  compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]> {
    if (typeof this.inner.compare !== 'function') {
      this.fault('the judge has no compare(pairs) method (needed in pair mode)');
      return Promise.resolve(pairs.map(() => ({ ok: false, error: 'exception' as const })));
    }
    return this.async(pairs.length, () => this.inner.compare(pairs), pairResult);
  }

  async close(): Promise<void> {
    try { await this.inner.close?.(); } catch (err) { this.fault(`close() threw: ${msg(err)}`); }
  }

  private fault(text: string): void {
    this.faults++;
    this.lastFault = `plug-in judge '${this.kind}': ${text}`;
  }

  private sync<R extends JudgeResult | PairResult>(n: number, call: () => unknown, one: (r: unknown) => R): R[] {
    let raw: unknown;
    try { raw = call(); } catch (err) {
      this.fault(`threw: ${msg(err)}`);
      return Array.from({ length: n }, () => ({ ok: false, error: 'exception' }) as R);
    }
    const { out, faulty } = normalise(raw, n, one, { ok: false, error: 'exception' } as R);
    if (faulty) this.fault(`answered ${Array.isArray(raw) ? `${raw.length} results for ${n} items` : 'with a non-array'}`);
    return out;
  }

  private async async<R extends JudgeResult | PairResult>(n: number, call: () => unknown, one: (r: unknown) => R): Promise<R[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    try {
      const pending = Promise.resolve().then(call);
      const raw = this.timeoutMs > 0
        ? await Promise.race([pending, new Promise<typeof timedOut>((r) => { timer = setTimeout(() => r(timedOut), this.timeoutMs); })])
        : await pending;
      if (raw === timedOut) {
        pending.catch(() => {}); // a late rejection must not become an unhandled one
        this.fault(`no answer within ${this.timeoutMs} ms`);
        return Array.from({ length: n }, () => ({ ok: false, error: 'timeout' }) as R);
      }
      const { out, faulty } = normalise(raw, n, one, { ok: false, error: 'exception' } as R);
      if (faulty) this.fault(`answered ${Array.isArray(raw) ? `${raw.length} results for ${n} items` : 'with a non-array'}`);
      return out;
    } catch (err) {
      this.fault(`threw: ${msg(err)}`);
      return Array.from({ length: n }, () => ({ ok: false, error: 'exception' }) as R);
    } finally {
      clearTimeout(timer);
    }
  }
}

const NAN_METRICS: RewardModelMetrics = { trained: 0, heldOut: 0, heldOutAccuracy: NaN, prequentialAccuracy: NaN, ignored: 0, loss: NaN };

export class GuardedRewardModel implements RewardModel {
  readonly kind: string;
  /** Calls that threw or returned a bad shape (contained); also reported as `metrics().errors`. */
  faults = 0;
  lastFault: string | null = null;
  private last: RewardModelMetrics = NAN_METRICS;

  constructor(readonly inner: RewardModel, kind: string) {
    if (!inner || typeof inner !== 'object') throw new Error(`plug-in reward model '${kind}': the factory returned ${JSON.stringify(inner)}, expected a RewardModel`);
    for (const m of ['score', 'update', 'metrics', 'save', 'load'] as const) {
      if (typeof inner[m] !== 'function') throw new Error(`plug-in reward model '${kind}': the model has no ${m}() method`);
    }
    this.kind = kind;
  }

  private fault(text: string): void {
    this.faults++;
    this.lastFault = `plug-in reward model '${this.kind}': ${text}`;
  }

  /** Zeros for a throwing or ill-shaped answer; non-finite scores and the empty caption score 0. */
  score(captions: string[]): Float32Array {
    let raw: unknown;
    try { raw = this.inner.score(captions); } catch (err) {
      this.fault(`score() threw: ${msg(err)}`);
      return new Float32Array(captions.length);
    }
    const ok = (raw instanceof Float32Array || Array.isArray(raw) || ArrayBuffer.isView(raw)) && (raw as ArrayLike<number>).length === captions.length;
    if (!ok) {
      this.fault(`score() returned ${raw === null || typeof raw !== 'object' ? String(raw) : `${(raw as ArrayLike<number>).length} values`} for ${captions.length} captions`);
      return new Float32Array(captions.length);
    }
    const out = Float32Array.from(raw as ArrayLike<number>);
    let bad = false;
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) { out[i] = 0; bad = true; }
      if (captions[i] === '') out[i] = 0;
    }
    if (bad) this.fault('score() returned non-finite values (scored 0)');
    return out;
  }

  update(labels: AnnotationLabel[]): RewardModelMetrics {
    try { this.last = { ...this.inner.update(labels) }; } catch (err) { this.fault(`update() threw: ${msg(err)}`); }
    return { ...this.last, errors: this.faults };
  }

  metrics(): RewardModelMetrics {
    try { this.last = { ...this.inner.metrics() }; } catch (err) { this.fault(`metrics() threw: ${msg(err)}`); }
    return { ...this.last, errors: this.faults };
  }

  save(): RewardModelState {
    try { return this.inner.save(); } catch (err) { throw new Error(`plug-in reward model '${this.kind}': save() failed: ${msg(err)}`); }
  }

  load(state: RewardModelState): void {
    try { this.inner.load(state); } catch (err) { throw new Error(`plug-in reward model '${this.kind}': load() failed: ${msg(err)}`); }
  }

  dispose(): void {
    try { this.inner.dispose?.(); } catch (err) { this.fault(`dispose() threw: ${msg(err)}`); }
  }
}
