/**
 * Annealing of the intrinsic coefficient c_int over training (ONI keeps c_int fixed; annealing is the
 * usual remedy when an exploration bonus competes with the task reward late in training). With c₀ =
 * `rewards.cInt`, c₁ = `final`, progress x (updates or env steps done) and p = clamp((x − start)/over, 0, 1):
 *
 *     constant:  c(x) = c₀
 *     linear:    c(x) = c₀ + (c₁ − c₀)·p
 *     cosine:    c(x) = c₁ + (c₀ − c₁)·½(1 + cos(π·p))      (Loshchilov & Hutter's SGDR shape, one cycle)
 *
 * Applied where the learner thread combines rewards, before each update; logged as `cIntNow`.
 */
import { parse, type Infer, type Schema } from '../core/schema.ts';

export const CINT_SCHEDULE_OPTIONS = {
  kind: { type: 'enum', values: ['constant', 'linear', 'cosine'], default: 'constant', doc: "How c_int changes: 'constant' (ONI), 'linear' or 'cosine' decay from rewards.cInt to `final`." },
  final: { type: 'number', default: 0, doc: 'c_int at the end of the decay (and after it).' },
  start: { type: 'number', default: 0, min: 0, doc: 'Progress (in `unit`) before the decay begins; c_int = rewards.cInt until then.' },
  over: { type: 'number', default: 100, min: 0, exclusiveMin: true, doc: 'Length of the decay, in `unit`.' },
  unit: { type: 'enum', values: ['updates', 'envSteps'], default: 'updates', doc: 'What progress counts: learner updates done, or env steps received by the learner.' },
} as const satisfies Schema;

export type CIntSchedule = Infer<typeof CINT_SCHEDULE_OPTIONS>;

export function parseCIntSchedule(partial: unknown, path = 'rewards.cIntSchedule'): CIntSchedule {
  return parse(CINT_SCHEDULE_OPTIONS, partial, path);
}

/** c_int after `progress` (updates and env steps done so far) under `schedule`, starting from `cInt`. */
export function scheduledCInt(cInt: number, schedule: CIntSchedule, progress: { updates: number; envSteps: number }): number {
  if (schedule.kind === 'constant') return cInt;
  const x = schedule.unit === 'updates' ? progress.updates : progress.envSteps;
  const p = Math.min(1, Math.max(0, (x - schedule.start) / schedule.over));
  if (schedule.kind === 'linear') return cInt + (schedule.final - cInt) * p;
  return schedule.final + (cInt - schedule.final) * 0.5 * (1 + Math.cos(Math.PI * p));
}
