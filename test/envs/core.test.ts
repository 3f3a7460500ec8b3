import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Rng, Discrete, Box, MultiDiscrete, MultiBinary, TokenSequence, CharTokenizer, defaultTokenizer,
  validateOptions, splitOf, type OptionSchema,
} from '../../envs/index.ts';

test('Rng: same seed → same stream; state round-trips; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 20 }, () => a.u32());
  const xb = Array.from({ length: 20 }, () => b.u32());
  const xc = Array.from({ length: 20 }, () => c.u32());
  assert.equal(xa, xb);
  assert.not.equal(xa, xc);
  const st = a.state();
  const restored = Rng.fromState(JSON.parse(JSON.stringify(st)));
  assert.equal(Array.from({ length: 10 }, () => restored.u32()), Array.from({ length: 10 }, () => a.u32()));
  assert.equal(new Rng('hello').u32(), new Rng('hello').u32());
  assert.throws(() => new Rng(1.5), /integer or a string/);
  assert.throws(() => Rng.fromState([1, 2, 3] as never), /4 unsigned/);
});

test('Rng.int is in range and roughly uniform', () => {
  const r = new Rng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(c > 9000 && c < 11000, `bucket count ${c}`);
  for (let i = 0; i < 1000; i++) { const f = r.float(); assert.ok(f >= 0 && f < 1); }
  assert.throws(() => r.int(0), /1 ≤ n/);
});

const spaces = [
  ['Discrete', new Discrete(5, 2), 6, 7],
  ['Box', new Box(0, 1, [2, 3]), new Float32Array(6), new Float32Array(5)],
  ['MultiDiscrete', new MultiDiscrete([2, 3]), Int32Array.from([1, 2]), Int32Array.from([2, 0])],
  ['MultiBinary', new MultiBinary(3), Uint8Array.from([0, 1, 1]), Uint8Array.from([0, 2, 1])],
  ['TokenSequence', new TokenSequence(10, 4), Int32Array.from([1, 9]), Int32Array.from([1, 10])],
] as const;

for (const [name, space, good, bad] of spaces) {
  test(`${name}: samples are contained, bad values are not, sampling is seeded`, () => {
    const r1 = new Rng(1), r2 = new Rng(1);
    for (let i = 0; i < 50; i++) {
      const s = (space as { sample(r: Rng): unknown }).sample(r1);
      assert.ok(space.contains(s), `${name} sample ${String(s)} not contained`);
      assert.equal(s, (space as { sample(r: Rng): unknown }).sample(r2));
    }
    assert.ok(space.contains(good));
    assert.not.ok(space.contains(bad));
    assert.not.ok(space.contains('nope'));
    assert.ok(typeof space.toJSON().kind === 'string');
  });
}

test('Box rejects NaN and out-of-range values', () => {
  const b = new Box(-1, 1, [2]);
  assert.not.ok(b.contains(Float32Array.from([0, NaN])));
  assert.not.ok(b.contains(Float32Array.from([0, 2])));
  assert.throws(() => new Box(1, 0, [1]), /low ≤ high/);
});

test('CharTokenizer: round trip, specials, unknown chars', () => {
  const t = defaultTokenizer;
  assert.is(t.vocabSize, 100);
  assert.equal([t.pad, t.bos, t.eos], [0, 1, 2]);
  const text = '12+34=46 <call>calc(1*2)</call>\n';
  const ids = t.encode(text);
  assert.ok(ids instanceof Int32Array);
  assert.is(t.decode(ids), text);
  const wrapped = t.encode('ab', { bos: true, eos: true });
  assert.equal(Array.from(wrapped), [t.bos, ids.length ? t.charId('a') : -1, t.charId('b'), t.eos]);
  assert.is(t.decode(wrapped), 'ab');
  assert.is(t.encode('é')[0], t.unk);
  assert.throws(() => t.decode([100]), /outside the vocabulary/);
  assert.throws(() => new CharTokenizer('aa'), /duplicate/);
});

test('validateOptions: defaults, unknown key, bad value', () => {
  const schema: OptionSchema = {
    n: { type: 'int', default: 3, min: 1, max: 5, doc: '' },
    mode: { type: 'enum', values: ['a', 'b'], default: 'a', doc: '' },
  };
  assert.equal(validateOptions('X', schema, {}), { n: 3, mode: 'a' });
  assert.throws(() => validateOptions('X', schema, { m: 1 }), /^X: unknown config key 'm' \(did you mean 'n'\?\). Valid keys: n, mode/);
  assert.throws(() => validateOptions('X', schema, { n: 9 }), /^X: config key 'n' must be an integer >= 1 and <= 5, got 9/);
  assert.throws(() => validateOptions('X', schema, { mode: 'c' }), /one of 'a', 'b'/);
  // A schema built at run time (a user's JavaScript env) with a spec type that does not exist is an error, not ignored.
  const typo = { n: { type: 'integer', default: 3, doc: '' } } as unknown as OptionSchema;
  assert.throws(() => validateOptions('X', typo, {}), /option 'n' declares type "integer"; valid types: int, number/);
});

test('splitOf puts about a fifth of problems in test', () => {
  let test = 0;
  for (let i = 0; i < 5000; i++) if (splitOf(`${i}+${i * 7}=`) === 'test') test++;
  assert.ok(test > 850 && test < 1150, `test count ${test}`);
});

test.run();
