import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJsonText, writeJson } from '../../scripts/experiments/json-file.ts';

test('toJsonText: series on one line, objects indented; parses back to what JSON.stringify keeps', () => {
  const value = {
    suite: 'x', seeds: [1, 2, 3], empty: [], none: {}, skipped: undefined, when: new Date(0),
    jobs: [{ arm: 'a', metrics: { step: [0, 1], successRate: [0.5, null, -1e-7], extra: { e: [1.5] } } }],
    nested: [[1, 2], [3]], mixed: [1, { a: 2 }],
  };
  const text = toJsonText(value);
  assert.equal(JSON.parse(text), JSON.parse(JSON.stringify(value)));
  const lines = text.split('\n');
  assert.ok(lines.includes(' "seeds": [1,2,3],'), text);
  assert.ok(lines.includes('    "successRate": [0.5,null,-1e-7],'), text);
  assert.ok(lines.includes(' "empty": [],') && lines.includes(' "none": {},'), text);
  assert.not.ok(text.includes('skipped'));
  assert.ok(lines.includes(' "when": "1970-01-01T00:00:00.000Z",'), text);
  // An array holding arrays or objects is indented, one element per line.
  assert.ok(lines.includes('  [1,2],') && lines.includes('  [3]'), text);
  assert.ok(lines.includes('  1,') && lines.includes('   "a": 2'), text);
});

test('writeJson: writes through a .tmp file renamed over the target, folders made', () => {
  const dir = mkdtempSync(join(tmpdir(), 'thrive-json-'));
  try {
    const path = join(dir, 'a', 'b.json');
    writeJson(path, { n: [1, 2] });
    writeJson(path, { n: [3] });
    assert.is(readFileSync(path, 'utf8'), '{\n "n": [3]\n}\n');
    assert.not.ok(existsSync(path + '.tmp'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
