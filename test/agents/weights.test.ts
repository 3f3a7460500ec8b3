import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, decodeSafetensors, saveWeights, loadWeights } from '../../agents/index.ts';
import type { NamedWeights } from '../../agents/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'thrive-weights-'));
const sample: NamedWeights = {
  'b.bias': { shape: [3], data: new Float32Array([0.5, -1.25, 3]) },
  'a.weight': { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6e-8]) },
  scalar: { shape: [], data: new Float32Array([7]) },
  empty: { shape: [0, 4], data: new Float32Array(0) },
};

test('encode → decode round-trips data, shapes and metadata', () => {
  const bytes = encodeSafetensors(sample, { config: '{"kind":"game"}', note: 'ü' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is((8 + n) % 8, 0, 'data section aligned to 8 bytes');
  const { weights, metadata } = decodeSafetensors(bytes);
  assert.equal(metadata, { config: '{"kind":"game"}', note: 'ü' });
  for (const [name, t] of Object.entries(sample)) {
    assert.equal(weights[name]!.shape, t.shape, name);
    assert.equal(Array.from(weights[name]!.data), Array.from(t.data), name);
  }
});

test('a file written by thrive is read by an independent Python reader of the spec', () => {
  const path = join(dir, 'w.safetensors');
  saveWeights(path, sample, { who: 'thrive' });
  const out = JSON.parse(execFileSync('python3', [new URL('./safetensors_reader.py', import.meta.url).pathname, path], { encoding: 'utf8' }));
  assert.equal(out.metadata, { who: 'thrive' });
  assert.equal(out.tensors['a.weight'].shape, [2, 3]);
  assert.equal(out.tensors['a.weight'].values.map((v: number) => Math.fround(v)), Array.from(sample['a.weight']!.data));
  assert.equal(out.tensors['b.bias'].values, [0.5, -1.25, 3]);
  assert.equal(out.tensors.scalar.shape, []);
});

test('reads F16 / BF16 / F64 tensors written by other tools', () => {
  const header = JSON.stringify({
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    bf: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
    d: { dtype: 'F64', shape: [1], data_offsets: [6, 14] },
  });
  const hb = Buffer.from(header);
  const buf = Buffer.alloc(8 + hb.length + 14);
  buf.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(buf, 8);
  const base = 8 + hb.length;
  buf.writeUInt16LE(0x3c00, base); // 1.0
  buf.writeUInt16LE(0xc000, base + 2); // -2.0
  buf.writeUInt16LE(0x4040, base + 4); // bf16 3.0
  buf.writeDoubleLE(0.25, base + 6);
  const { weights } = decodeSafetensors(buf);
  assert.equal(Array.from(weights.h!.data), [1, -2]);
  assert.equal(Array.from(weights.bf!.data), [3]);
  assert.equal(Array.from(weights.d!.data), [0.25]);
});

test('corrupt files give errors naming the file and the tensor', () => {
  const good = encodeSafetensors(sample);
  const truncated = join(dir, 'truncated.safetensors');
  writeFileSync(truncated, good.subarray(0, good.length - 4));
  assert.throws(() => loadWeights(truncated), (e: Error) => e.message.includes(truncated) && /tensor '(a.weight|b.bias|scalar)'/.test(e.message));
  assert.throws(() => decodeSafetensors(new Uint8Array(5)), /too short/);
  const badLen = new Uint8Array(good);
  new DataView(badLen.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => decodeSafetensors(badLen), /header length/);
  const badJson = new Uint8Array(good);
  badJson[8] = 0x20; badJson[9] = 0x7b; badJson[10] = 0x7b;
  assert.throws(() => decodeSafetensors(badJson), /not valid JSON/);
  assert.throws(() => loadWeights(join(dir, 'nope.safetensors')), /cannot read weights file '.*nope.safetensors'/);
  assert.throws(() => encodeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } }), /tensor 'x': shape \[2,2\] holds 4 values but data has 3/);
});

test('saveWeights is atomic: no temp files left, overwrite replaces the whole file', () => {
  const path = join(dir, 'sub', 'ckpt.safetensors');
  saveWeights(path, sample);
  saveWeights(path, { only: { shape: [1], data: new Float32Array([1]) } });
  assert.equal(Object.keys(loadWeights(path).weights), ['only']);
  assert.equal(readdirSync(join(dir, 'sub')), ['ckpt.safetensors']);
  assert.ok(existsSync(path) && readFileSync(path).length > 8);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
