/**
 * Kernel fixes for tfjs-backend-wasm 4.x, installed by agents' initBackend (THRIVE_FAST_MATMUL=0 skips them).
 *
 * 1. Identity without a copy. tfjs saves every tensor a gradient will need by cloning it (an Identity
 *    kernel); the cpu backend's Identity shares the data (a reference count), wasm's copies it — about 150
 *    copies per learner update of the token policy. Here wasm's Identity shares the data as cpu's does
 *    (tfjs tensors are immutable; variables change by pointing at new data, never in place).
 *
 * 2. Slice without a copy of its input. wasm's Slice (a JavaScript kernel) reads its whole input back
 *    (`readSync`, a copy) before copying out the slice; `tf.split` slices once per output, so splitting
 *    the attention's q/k/v copied the full tensor three times. Here the input is read in place.
 *
 * 3. Transposes of tall matrices with a better loop order (installTranspose below).
 *
 * 4. Matrix products kept on the fast (XNNPACK) path.
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
  incRef(d: DataId): void;
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
/** Measured per-element costs (ns) on the project's machine: XNNPACK's packing of a fresh B, and transposeLast2. */
const PACK_NS = 4.5, TRANSPOSE_NS = 1.5;

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

/** Re-registers the wasm kernel `name` with `kernelFunc`, keeping its setup and dispose functions. */
function replaceWasmKernel(name: string, kernelFunc: (args: KernelArgs) => unknown): void {
  const cfg = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: cfg.setupFunc, disposeFunc: cfg.disposeFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * Transpose with a better loop for matrices whose row count has a large power-of-two factor (see 3.
 * above): wasm's 2-D loop writes with a stride of R floats, which thrashes the cache there (measured
 * 7–10 ns per element at R = 2560 against ~1 ns at R = 704); such a [R, C] transpose (any rank whose
 * permutation is one swap of two adjacent blocks of axes after size-1 axes are dropped) goes through the
 * 3-D loop as [R/16, 16, C] → [C, R/16, 16] (short-stride reads, contiguous writes: ~1.5–2 ns).
 */
function installTranspose(): string | null {
  const cfg = tf.getKernel('Transpose', 'wasm');
  if (!cfg) return 'the wasm backend has no Transpose kernel';
  const original = cfg.kernelFunc as unknown as KernelFn;
  replaceWasmKernel('Transpose', (args: KernelArgs) => {
    const x = args.inputs.x!;
    const perm = args.attrs.perm as number[];
    if (!enabled) return original(args);
    // As a 2-D transpose: on the axes of size > 1 (numbered 0…n−1 in input order), the output order must
    // be s…n−1 followed by 0…s−1; the input is then [R, C] with R the first s axes' sizes, C the others'.
    const kept = x.shape.map((n, a) => (n > 1 ? a : -1)).filter((a) => a >= 0);
    const order = perm.filter((a) => x.shape[a]! > 1).map((a) => kept.indexOf(a));
    const n = order.length, s = n > 0 ? order[0]! : 0;
    const isSwap = n >= 2 && s > 0 && s < n && order.every((v, i) => v === (i < n - s ? s + i : i - (n - s)));
    if (!isSwap || x.dtype === 'string') return original(args);
    let R = 1, C = 1;
    kept.forEach((a, i) => { if (i < s) R *= x.shape[a]!; else C *= x.shape[a]!; });
    if (R % 256 !== 0 || C < 2) return original(args);
    const out = original({ inputs: { x: { dataId: x.dataId, shape: [R / 16, 16, C], dtype: x.dtype } }, backend: args.backend, attrs: { perm: [2, 0, 1] } });
    out.shape = perm.map((a) => x.shape[a]!);
    return out;
  });
  return null;
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
  replaceWasmKernel('Identity', (args: KernelArgs) => {
    const x = args.inputs.x!;
    if (!enabled || x.dtype === 'string') return copy(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
  return null;
}

type Heap = { typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array };

/** x[begin : begin + size] from a heap view of x: runs of the innermost axis copied out. */
function sliceInPlace(x: TensorInfo, begin: number[], sz: number[], be: WasmBackendInternals & Heap): TensorInfo {
  const out = be.makeOutput(sz, x.dtype);
  // Views taken after the allocation (which may grow the heap and detach older views).
  const xv = be.typedArrayFromHeap(x), ov = be.typedArrayFromHeap(out);
  // The copied runs span the trailing axes taken whole plus the first axis above them.
  let r = x.shape.length;
  while (r > 1 && begin[r - 1] === 0 && sz[r - 1] === x.shape[r - 1]) r--;
  const inner = size(x.shape.slice(r));
  const strides = tf.util.computeStrides(x.shape);
  const unit = r < x.shape.length ? strides[r - 1]! : 1; // elements per step along axis r − 1
  const run = sz[r - 1]! * inner;
  const outer = size(sz.slice(0, r - 1));
  const idx = new Array<number>(Math.max(0, r - 1)).fill(0);
  for (let o = 0; o < outer; o++) {
    let off = begin[r - 1]! * unit;
    for (let k = 0; k < r - 1; k++) off += (begin[k]! + idx[k]!) * strides[k]!;
    ov.set(xv.subarray(off, off + run), o * run);
    for (let k = r - 2; k >= 0; k--) { if (++idx[k]! < sz[k]!) break; idx[k] = 0; }
  }
  return out;
}

/** Slice and SplitV reading their input in place (see 2. above). */
function installInPlaceSlice(): string | null {
  const sl = tf.getKernel('Slice', 'wasm'), sp = tf.getKernel('SplitV', 'wasm');
  if (!sl || !sp) return 'the wasm backend has no Slice/SplitV kernel';
  const origSlice = sl.kernelFunc as unknown as KernelFn;
  const origSplit = sp.kernelFunc as unknown as (args: KernelArgs) => TensorInfo[];
  const plain = (x: TensorInfo) => enabled && x.dtype !== 'string' && x.shape.length > 0 && size(x.shape) > 0;
  replaceWasmKernel('Slice', (args: KernelArgs) => {
    const x = args.inputs.x!;
    if (!plain(x)) return origSlice(args);
    const [begin, sz] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, args.attrs.begin as number[], args.attrs.size as number[]);
    return sliceInPlace(x, begin, sz, args.backend as unknown as WasmBackendInternals & Heap);
  });
  replaceWasmKernel('SplitV', (args: KernelArgs) => {
    const x = args.inputs.x!;
    if (!plain(x)) return origSplit(args);
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs.numOrSizeSplits as number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const sz = [...x.shape];
      sz[axis] = n;
      const piece = sliceInPlace(x, [...begin], sz, args.backend as unknown as WasmBackendInternals & Heap);
      begin[axis]! += n;
      return piece;
    });
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
  const why = installAliasingIdentity() ?? installInPlaceSlice() ?? installTranspose();
  if (why) return why;
  const bmm = tf.getKernel('BatchMatMul', 'wasm');
  const fused = tf.getKernel('_FusedMatMul', 'wasm');
  const tr = tf.getKernel('Transpose', 'wasm'); // the re-registered one (installTranspose runs first)
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
      if (!fusedKernel && !hasExtras && batchA === 1 && batchB === 1 && tA && !tB &&
        TRANSPOSE_NS * (K * N + M * N) + PACK_NS * K * M < TRANSPOSE_NS * K * M + PACK_NS * K * N) {
        // Aᵀ·B (a weight gradient xᵀ·dY) as (Bᵀ·A)ᵀ when that is cheaper: XNNPACK packs its second operand on
        // every call (no reuse for a fresh gradient), which costs more per element than a transpose, so
        // the operand with the narrower rows is the one to pack.
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

  replaceWasmKernel('BatchMatMul', fast(origBmm, false));
  replaceWasmKernel('_FusedMatMul', fast(origFused, true));
  installed = 'ok';
  return null;
}
