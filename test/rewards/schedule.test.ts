/** c_int annealing (rewards/schedule.ts): hand-computed values, config defaults and errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scheduledCInt, validateRewardsConfig } from '../../rewards/index.ts';

const close = (a: number, b: number, msg = '') => assert.ok(Math.abs(a - b) < 1e-12, `${msg} ${a} vs ${b}`);
const at = (updates: number, envSteps = 0) => ({ updates, envSteps });

test('default: constant (ONI), the schedule is part of the validated config and idempotent', () => {
  const c = validateRewardsConfig({});
  assert.equal(c.cIntSchedule, { kind: 'constant', final: 0, start: 0, over: 100, unit: 'updates' });
  assert.equal(validateRewardsConfig(c).cIntSchedule, c.cIntSchedule);
  for (const u of [0, 50, 1e6]) assert.is(scheduledCInt(0.4, c.cIntSchedule, at(u)), 0.4);
});

test('linear: c₀ until start, then straight to final over `over`, then final', () => {
  const s = validateRewardsConfig({ cIntSchedule: { kind: 'linear', final: 0.1, start: 20, over: 60 } }).cIntSchedule;
  close(scheduledCInt(0.4, s, at(0)), 0.4);
  close(scheduledCInt(0.4, s, at(20)), 0.4);
  close(scheduledCInt(0.4, s, at(35)), 0.4 - 0.3 * 0.25);
  close(scheduledCInt(0.4, s, at(50)), 0.25);
  close(scheduledCInt(0.4, s, at(80)), 0.1);
  close(scheduledCInt(0.4, s, at(1000)), 0.1);
});

test('cosine: final + (c₀ − final)·½(1 + cos πp); env-step unit reads env steps', () => {
  const s = validateRewardsConfig({ cIntSchedule: { kind: 'cosine', final: 0, over: 1000, unit: 'envSteps' } }).cIntSchedule;
  close(scheduledCInt(0.4, s, at(999, 0)), 0.4, 'updates ignored');
  close(scheduledCInt(0.4, s, at(0, 250)), 0.4 * 0.5 * (1 + Math.cos(Math.PI / 4)));
  close(scheduledCInt(0.4, s, at(0, 500)), 0.2);
  close(scheduledCInt(0.4, s, at(0, 1000)), 0);
  close(scheduledCInt(0.4, s, at(0, 5000)), 0);
});

for (const [name, cfg, re] of [
  ['unknown kind', { kind: 'exp' }, /config key 'rewards\.cIntSchedule\.kind' must be one of 'constant', 'linear', 'cosine', got "exp"/],
  ['zero length', { kind: 'linear', over: 0 }, /'rewards\.cIntSchedule\.over' must be a number > 0/],
  ['unknown key', { kind: 'linear', ovr: 3 }, /unknown config key 'rewards\.cIntSchedule\.ovr' \(did you mean 'rewards\.cIntSchedule\.over'\?\)/],
  ['bad unit', { unit: 'steps' }, /'rewards\.cIntSchedule\.unit' must be one of 'updates', 'envSteps'/],
] as const) {
  test(`rejects ${name}`, () => { assert.throws(() => validateRewardsConfig({ cIntSchedule: cfg }), re); });
}

test.run();
