/**
 * Kernel fixes for tfjs-backend-wasm 4.x, installed by agents' initBackend (THRIVE_FAST_MATMUL=0 skips them).
 *
 * 1. Identity without a copy. tfjs saves every tensor a gradient will need by cloning it (an Identity
 *    kernel); the cpu backend's Identity shares the data (a reference count), wasm's copies it — about 150
 *    copies per learner update of the token policy. Here wasm's Identity shares the data as cpu's does
 *    (tfjs tensors are immutable; variables change by pointing at new data, never in place).
 *
 * 2. Matrix products kept on the fast (XNNPACK) path.
 *
 * tfjs-backend-wasm 4.x runs `BatchMatMul` and `_FusedMatMul` through XNNPACK's fully-connected operator
 * only when neither operand is transposed and both have a batch of 1; anything else — every product of a
 * backward pass (dA = dY·Bᵀ, dB = Aᵀ·dY) and every batched (rank ≥ 3) product — falls back to a scalar
 * blocked loop. Measured on the project's machine: 0.7–2.7 GFLOP/s on the fallback against 8–34 GFLOP/s
 * on the fast path for the same shapes (`npm run bench -- torch` prints the current figures).
 *
 * `installWasmKernels()` re-registers both kernels of the wasm backend with thin wrappers that call the
 * backend's own kernels, arranged so that the fast path applies:
 *   - a transposed operand is materialised first (the backend's Transpose kernel), then multiplied
 *     untransposed; for Aᵀ·B with A larger than B and the result, (Bᵀ·A)ᵀ is computed instead, which
 *     moves fewer elements through the (plain, strided) transpose;
 *   - A [batch, M, K] times a shared B [K, N] is one [batch·M, K]·[K, N] product (a reshape, no copy);
 *   - a batched product of two batched operands (attention's Q·Kᵀ and P·V, and their gradients) runs as
 *     one fast 2-D product per batch entry, each over a view into the operands' memory (no copies).
 * The arithmetic is the backend's own XNNPACK kernel in every case, so results match the unwrapped
 * kernels to float rounding (test/agents/fast-matmul.test.ts compares them). The wrappers use the wasm
 * backend's internals (its tensor table and exported C functions); if those are not as expected (another
 * tfjs-backend-wasm version), `installWasmKernels` leaves the kernels as they are and says why.
 */
import * as tf from '@tensorflow/tfjs';

type DataId = object;
interface TensorInfo { dataId: DataId; shape: number[]; dtype: tf.DataType }
interface TensorData { id: number; memoryOffset: number; shape: number[]; dtype: tf.DataType; refCount: number }
interface WasmBackendInternals {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(d: DataId): TensorData | undefined; set(d: DataId, v: TensorData): void; delete(d: DataId): void };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(d: DataId): void;
}
type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: WasmBackendInternals; attrs: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => TensorInfo;

/**
 * Batches of at least this many entries of at most this many multiply-adds each run as per-entry fast
 * products; smaller ones are cheaper on the fallback loop than the per-call overhead (measured crossover).
 */
const MIN_SLICE_MACS = 8192;

let installed: string | null = null;
let enabled = true;

/** Turn the wrappers off (tfjs' own kernels) or back on, e.g. for before/after measurements in one process. */
export function setWasmKernels(on: boolean): void { enabled = on; }

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The backend's Transpose kernel swapping the last two axes of a [batch, R, C] tensor. */
function transposeLast2(x: TensorInfo, backend: WasmBackendInternals, transpose: KernelFn): TensorInfo {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } });
}

/** A tensor-table entry aliasing `count` floats of existing memory (no allocation, never freed by us). */
function alias(backend: WasmBackendInternals, offset: number, shape: number[]): { info: TensorInfo; release(): void } {
  const id = backend.dataIdNextNumber++;
  const dataId = { id };
  backend.dataIdMap.set(dataId, { id, memoryOffset: offset, shape, dtype: 'float32', refCount: 1 });
  backend.wasm.tfjs.registerTensor(id, size(shape), offset);
  return {
    info: { dataId, shape, dtype: 'float32' },
    // Drop the table entries only: the memory belongs to the tensor this is a view of. The C side's
    // disposal also frees any XNNPACK operator cached for this id.
    release: () => { backend.wasm.tfjs.disposeData(id); backend.dataIdMap.delete(dataId); },
  };
}

/** Identity as a shared reference (see 1. above). */
function installAliasingIdentity(): string | null {
  const cfg = tf.getKernel('Identity', 'wasm');
  if (!cfg) return 'the wasm backend has no Identity kernel';
  const copy = cfg.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity', backendName: 'wasm', setupFunc: cfg.setupFunc, disposeFunc: cfg.disposeFunc,
    kernelFunc: ((args: KernelArgs) => {
      const x = args.inputs.x!;
      if (!enabled || x.dtype === 'string') return copy(args);
      (args.backend as unknown as { incRef(d: DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    }) as unknown as tf.KernelFunc,
  });
  return null;
}

/**
 * Re-register the wasm backend's BatchMatMul and _FusedMatMul kernels with the fast-path wrappers.
 * Call once per thread after the wasm backend is initialised (agents' initBackend does). Returns null
 * when installed (or already installed), else the reason it was not.
 */
export function installWasmKernels(): string | null {
  if (installed === 'ok') return null;
  const why = installAliasingIdentity();
  if (why) return why;
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  const tr = tf.getKernel('Transpose', 'wasm');
  let backend: WasmBackendInternals;
  try { backend = tf.findBackend('wasm') as unknown as WasmBackendInternals; } catch { return 'the wasm backend is not registered'; }
  if (!bmm || !fused || !tr || !backend) return 'the wasm backend has no BatchMatMul/_FusedMatMul/Transpose kernel';
  if (typeof backend.wasm?.cwrap !== 'function' || typeof backend.wasm?.tfjs?.registerTensor !== 'function' ||
    typeof backend.wasm?.tfjs?.disposeData !== 'function' || typeof backend.dataIdNextNumber !== 'number' || !backend.dataIdMap) {
    return 'the wasm backend\'s internals are not those of tfjs-backend-wasm 4.x';
  }
  const origBmm = bmm.kernelFunc as unknown as KernelFn;
  const origFused = fused.kernelFunc as unknown as KernelFn;
  const transpose = tr.kernelFunc as unknown as KernelFn;
  // The exported C function both kernels use: (a_id, a_shape, a_rank, b_id, b_shape, b_rank, tA, tB, activation, bias_id, prelu_id, alpha, out_id).
  const cFused = backend.wasm.cwrap('_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']);
  const shapeBytes = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);

  /** out[i] = a[i]·b[i] for every batch entry i, each as one fast 2-D product over views (a, b untransposed, float32). */
  const slicedProduct = (a: TensorInfo, b: TensorInfo, batch: number, M: number, K: number, N: number, outShape: number[]): TensorInfo => {
    const out = backend.makeOutput(outShape, 'float32');
    const aOff = backend.dataIdMap.get(a.dataId)!.memoryOffset;
    const bOff = backend.dataIdMap.get(b.dataId)!.memoryOffset;
    const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset;
    const aShape = [1, M, K], bShape = [1, K, N], oShape = [1, M, N];
    const aB = shapeBytes(aShape), bB = shapeBytes(bShape);
    for (let i = 0; i < batch; i++) {
      const av = alias(backend, aOff + 4 * i * M * K, aShape);
      const bv = alias(backend, bOff + 4 * i * K * N, bShape);
      const ov = alias(backend, oOff + 4 * i * M * N, oShape);
      const ids = [av, bv, ov].map((v) => backend.dataIdMap.get(v.info.dataId)!.id);
      cFused(ids[0], aB, 3, ids[1], bB, 3, 0, 0, 0, 0, 0, 0, ids[2]);
      av.release(); bv.release(); ov.release();
    }
    return out;
  };

  const fast = (orig: KernelFn, fusedKernel: boolean): KernelFn => (args) => {
    const { inputs, backend: be, attrs } = args;
    const a = inputs.a!, b = inputs.b!;
    const tA = attrs.transposeA === true, tB = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return orig(args);
    const ra = a.shape.length, rb = b.shape.length;
    const batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
    const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const N = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const hasExtras = inputs.bias != null || inputs.preluActivationWeights != null || (attrs.activation != null && attrs.activation !== 'linear');
    const fastAlready = !tA && !tB && batchA === 1 && batchB === 1;
    if (fastAlready || !enabled) return orig(args);
    const temps: TensorInfo[] = [];
    const untransposed = (x: TensorInfo, t: boolean) => {
      if (!t) return x;
      const y = transposeLast2(x, be, transpose);
      temps.push(y);
      return y;
    };
    try {
      const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const outShape = [...outBatch, M, N];
      if (!fusedKernel && !hasExtras && batchA === 1 && batchB === 1 && tA && !tB && K * N + M * N < K * M) {
        // Aᵀ·B with A the larger operand (a weight gradient xᵀ·dY over wide inputs): (Bᵀ·A)ᵀ transposes
        // the two smaller matrices instead (wasm's transpose is a plain strided loop: its cost is the elements moved).
        const bT = untransposed(b, true);
        const a3 = { dataId: a.dataId, shape: [1, K, M], dtype: a.dtype };
        const cT = orig({ inputs: { a: { dataId: bT.dataId, shape: [1, N, K], dtype: bT.dtype }, b: a3 }, backend: be, attrs: { transposeA: false, transposeB: false } });
        temps.push(cT);
        const out = transposeLast2({ dataId: cT.dataId, shape: [N, M], dtype: cT.dtype }, be, transpose);
        out.shape = outShape;
        return out;
      }
      if (batchB === 1) {
        // One 2-D product: A's batch folds into its rows when B is shared (a transposed A is materialised
        // per batch entry first, so its rows are contiguous).
        const a2 = untransposed(a, tA), b2 = untransposed(b, tB);
        const a3 = { dataId: a2.dataId, shape: [1, batchA * M, K], dtype: a2.dtype };
        const b3 = { dataId: b2.dataId, shape: [1, K, N], dtype: b2.dtype };
        const out = orig({ inputs: { ...inputs, a: a3, b: b3 }, backend: be, attrs: { ...attrs, transposeA: false, transposeB: false } });
        out.shape = outShape;
        return out;
      }
      if (!fusedKernel && !hasExtras && batchA === batchB && M * K * N >= MIN_SLICE_MACS) {
        const a2 = untransposed(a, tA), b2 = untransposed(b, tB);
        return slicedProduct(a2, b2, batchA, M, K, N, outShape);
      }
      return orig(args);
    } finally {
      for (const t of temps) be.disposeData(t.dataId);
    }
  };

  for (const [name, orig, isFused] of [['BatchMatMul', origBmm, false], ['_FusedMatMul', origFused, true]] as const) {
    const cfg = tf.getKernel(name, 'wasm')!;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: cfg.setupFunc, disposeFunc: cfg.disposeFunc, kernelFunc: fast(orig, isFused) as unknown as tf.KernelFunc });
  }
  installed = 'ok';
  return null;
}
