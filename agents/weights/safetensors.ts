/**
 * Weights in the safetensors format (https://github.com/huggingface/safetensors, "Format"):
 *
 *   [8 bytes: N, unsigned little-endian u64] [N bytes: UTF-8 JSON header] [raw tensor bytes]
 *
 * The header maps each tensor name to { dtype, shape, data_offsets: [begin, end) } with offsets relative
 * to the start of the byte buffer after the header; the optional key "__metadata__" holds a string→string
 * map. thrive writes only F32 (little-endian, row-major), pads the header with spaces to a multiple of 8
 * (as the reference writer does, so data is aligned), and stores tensors sorted by name.
 * Reading accepts F32, F16, BF16 and F64 (converted to float32) so files from Python tools load too.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NamedWeights } from '../types.ts';

/** String→string metadata stored in the header's `__metadata__` (safetensors allows only strings). */
export type WeightsMetadata = Record<string, string>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** Serialise named float32 tensors (and optional metadata) to safetensors bytes. */
export function encodeSafetensors(weights: NamedWeights, metadata?: WeightsMetadata): Uint8Array {
  const names = Object.keys(weights).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`'__metadata__' is reserved and cannot name a tensor`);
    const { shape, data } = weights[name]!;
    if (!(data instanceof Float32Array)) throw new Error(`tensor '${name}': data must be a Float32Array`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((s) => Number.isInteger(s) && s >= 0) || count !== data.length) {
      throw new Error(`tensor '${name}': shape [${shape}] holds ${count} values but data has ${data.length}`);
    }
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  const rawLen = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + rawLen) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const data = weights[name]!.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i]!, true);
    }
    pos += data.byteLength;
  }
  return out;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Parse safetensors bytes. Any inconsistency (short file, bad header, overlapping or out-of-range
 * offsets, unsupported dtype) is an error naming `source` and the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): { weights: NamedWeights; metadata: WeightsMetadata } {
  const fail = (msg: string): never => { throw new Error(`safetensors ${source}: ${msg}`); };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) fail(`header length ${n} exceeds the file size ${bytes.byteLength}`);
  const headerLen = Number(n);
  let header: Record<string, any>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: WeightsMetadata = {};
  const weights: NamedWeights = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') for (const [k, v] of Object.entries(entry)) metadata[k] = String(v);
      continue;
    }
    const { dtype, shape, data_offsets: off } = entry ?? {};
    const width = DTYPE_BYTES[dtype as string];
    if (!width) fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    if (!Array.isArray(shape) || !shape.every((s: unknown) => Number.isInteger(s) && (s as number) >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o: unknown) => Number.isInteger(o))) fail(`tensor '${name}' has bad data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (begin < 0 || end > dataLen || end - begin !== count * width!) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}) do not match shape [${shape}] × ${dtype} within ${dataLen} data bytes (truncated or corrupt file?)`);
    }
    ranges.push([begin, end, name]);
    const data = new Float32Array(count);
    const base = dataStart + begin;
    if (dtype === 'F32' && LITTLE_ENDIAN) {
      // Copy into a fresh, aligned buffer (a Node Buffer may be a view into a shared pool).
      new Uint8Array(data.buffer).set(bytes.subarray(base, base + 4 * count));
    } else if (dtype === 'F32') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + 4 * i, true);
    } else if (dtype === 'F64') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(base + 8 * i, true);
    } else if (dtype === 'F16') {
      for (let i = 0; i < count; i++) data[i] = f16ToF32(view.getUint16(base + 2 * i, true));
    } else {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) { tmp.setUint32(0, view.getUint16(base + 2 * i, true) << 16, true); data[i] = tmp.getFloat32(0, true); }
    }
    weights[name] = { shape: [...(shape as number[])], data };
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) fail(`tensors '${ranges[i - 1]![2]}' and '${ranges[i]![2]}' overlap`);
  }
  return { weights, metadata };
}

/** Write bytes atomically: a temp file in the same directory, then rename over the target. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

/** Save weights as a .safetensors file (atomic). */
export function saveWeights(path: string, weights: NamedWeights, metadata?: WeightsMetadata): void {
  writeFileAtomic(path, encodeSafetensors(weights, metadata));
}

/** Load a .safetensors file; errors name the file. */
export function loadWeights(path: string): { weights: NamedWeights; metadata: WeightsMetadata } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read weights file '${path}': ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, `'${path}'`);
}

/**
 * Check `incoming` against the names and shapes a policy expects; the error names the tensor.
 * Shared by every policy's `setWeights`.
 */
export function checkWeightsMatch(expected: Record<string, number[]>, incoming: NamedWeights, owner: string): void {
  for (const [name, shape] of Object.entries(expected)) {
    const w = incoming[name];
    if (!w) throw new Error(`${owner}.setWeights: missing tensor '${name}' (expected shape [${shape}])`);
    if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${owner}.setWeights: tensor '${name}' has shape [${w.shape}], expected [${shape}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== count) throw new Error(`${owner}.setWeights: tensor '${name}' has ${w.data.length} values, expected ${count}`);
  }
  for (const name of Object.keys(incoming)) {
    if (!(name in expected)) throw new Error(`${owner}.setWeights: unexpected tensor '${name}'; expected: ${Object.keys(expected).join(', ')}`);
  }
}
