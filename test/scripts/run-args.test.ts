import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSeeds } from '../../scripts/experiments/run.ts';

test('parseSeeds: a count is seeds 1..N; lists and ranges are those seeds in order', () => {
  assert.equal(parseSeeds('3'), [1, 2, 3]);
  assert.equal(parseSeeds('4,5'), [4, 5]);
  assert.equal(parseSeeds('2-4'), [2, 3, 4]);
  assert.equal(parseSeeds('5-5'), [5]);
  assert.equal(parseSeeds('7,1-2'), [7, 1, 2]);
});

test('parseSeeds: zero, negative, reversed, repeated or non-numeric seeds are refused, naming the value', () => {
  for (const v of ['0', '', 'x', '1.5', '3-2', '0-2', '1,1', '1-3,2', '4,', '-1']) {
    assert.throws(() => parseSeeds(v), (e: Error) => e.message.includes(`got '${v}'`) && e.message.includes('4,5'), v);
  }
});

test.run();
