/**
 * The learner's version lineage (runner/learner/lineage.ts): policy lag counts updates along the learner's
 * own history when a resume continued above versions it published before it died; versions of the lost
 * stretch are off the lineage.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VersionLineage } from '../../runner/learner/lineage.ts';

test('without forks, lag is the difference of version numbers; newer than current is off the lineage', () => {
  const l = new VersionLineage();
  assert.is(l.lag(7, 7), 0);
  assert.is(l.lag(7, 3), 4);
  assert.is(l.lag(7, 8), null);
  assert.is(l.lag(7, -1), null);
});

test('resume of checkpoint 4 as version 10 (9 was published): 5..9 abandoned, lag counts along 0..4, 10..', () => {
  const l = new VersionLineage();
  l.fork(4, 10);
  for (const v of [5, 6, 9]) assert.is(l.lag(12, v), null, `version ${v} is abandoned`);
  assert.is(l.lag(10, 10), 0);
  assert.is(l.lag(10, 4), 0, 'version 10 holds the weights of 4');
  assert.is(l.lag(12, 4), 2);
  assert.is(l.lag(12, 3), 3);
  assert.is(l.lag(12, 11), 1);
  // Nothing published after the checkpoint: the resumed version is a copy, no version is abandoned.
  const copy = new VersionLineage();
  copy.fork(4, 5);
  assert.is(copy.lag(6, 4), 1);
  assert.is(copy.lag(6, 5), 1);
});

test('two resumes; a resume from before an earlier fork drops that fork; the lineage round-trips', () => {
  const l = new VersionLineage();
  l.fork(4, 10);
  l.fork(12, 20); // checkpoint 12 (after the first resume), 13..19 published then lost
  assert.is(l.lag(21, 3), 21 - 3 - 6 - 8);
  assert.is(l.lag(21, 11), 2);
  assert.is(l.lag(21, 15), null);
  assert.is(l.lag(21, 7), null);
  const restored = new VersionLineage(l.toJSON());
  assert.is(restored.lag(21, 3), l.lag(21, 3));
  restored.fork(2, 30); // back to checkpoint 2 (older than both forks): both forks' histories are abandoned
  assert.equal(restored.toJSON(), [{ parent: 2, version: 30 }]);
  assert.is(restored.lag(31, 1), 2);
  assert.is(restored.lag(31, 11), null);
  assert.throws(() => new VersionLineage([{ parent: 5, version: 9 }, { parent: 3, version: 12 }]), /previous fork/);
  assert.throws(() => l.fork(21, 21), /must be higher/);
});

test('a fresh start above versions of another run (parent -1): nothing before it is on the lineage', () => {
  const l = new VersionLineage();
  l.fork(-1, 6);
  assert.is(l.lag(8, 6), 2);
  assert.is(l.lag(8, 5), null);
  assert.is(l.lag(8, 0), null);
});

test.run();
