/**
 * Backend selection for TensorFlow.js. Every thread that runs tfjs (main, each actor worker, the learner
 * worker) calls `initBackend()` once before building a policy: backends are per thread.
 *
 * Preference order: tfjs-node-gpu, tfjs-node (native libtensorflow; optional dependencies whose install
 * fails on this machine, so they are imported dynamically and skipped when missing), then wasm (SIMD,
 * single-threaded on Node — the default here), then the pure-JS cpu backend.
 * `initBackend(name)` or the env var THRIVE_BACKEND forces one; THRIVE_BACKEND_QUIET=1 silences the
 * one-line report.
 *
 * On wasm the matrix-product kernels are re-registered so that transposed and batched products stay on
 * XNNPACK's fast path (./wasm-kernels.ts: the backward pass is several times faster, results equal to float
 * rounding). THRIVE_FAST_MATMUL=0 keeps tfjs' own kernels (for before/after measurements).
 */
import * as tf from '@tensorflow/tfjs';
import { installWasmKernels } from './wasm-kernels.ts';

/** Names accepted by `initBackend` / THRIVE_BACKEND. 'tensorflow' is tfjs-node's backend name. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

const ALIASES: Record<string, BackendName> = {
  'tfjs-node-gpu': 'tfjs-node-gpu', 'node-gpu': 'tfjs-node-gpu', gpu: 'tfjs-node-gpu',
  'tfjs-node': 'tfjs-node', node: 'tfjs-node', tensorflow: 'tfjs-node',
  wasm: 'wasm', cpu: 'cpu',
};

let announced = false;
let current: Promise<string> | undefined;
let currentRequest: string | undefined;

/** Dynamic import of an optional package; a variable specifier keeps TypeScript from resolving it. */
async function tryImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      // Both register a backend called 'tensorflow'.
      if (!(await tryImport(`@tensorflow/${name}`))) return undefined;
      return (await tf.setBackend('tensorflow')) ? name : undefined;
    }
    case 'wasm': {
      if (!(await tryImport('@tensorflow/tfjs-backend-wasm'))) return undefined;
      if (!(await tf.setBackend('wasm'))) return undefined;
      if (process.env.THRIVE_FAST_MATMUL !== '0') {
        const why = installWasmKernels();
        if (why && !process.env.THRIVE_BACKEND_QUIET) console.warn(`[thrive] wasm kernel fixes not installed: ${why}`);
      }
      return 'wasm';
    }
    case 'cpu':
      return (await tf.setBackend('cpu')) ? 'cpu' : undefined;
  }
}

/** Parse a backend name (flag or env var); unknown names are an error listing the valid ones. */
export function parseBackendName(name: string): BackendName {
  const key = name.trim().toLowerCase();
  const hit = ALIASES[key];
  if (!hit) throw new Error(`unknown backend '${name}': valid are ${BACKEND_NAMES.join(', ')} (THRIVE_BACKEND or initBackend(name))`);
  return hit;
}

/**
 * Pick and initialise the tfjs backend for this thread; returns the chosen name
 * ('tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'). A forced backend that cannot load is an error
 * (silently falling back would make benchmarks lie). Idempotent per thread for the same request.
 */
export function initBackend(name?: string): Promise<string> {
  const request = name ?? process.env.THRIVE_BACKEND ?? '';
  if (current && currentRequest === request) return current;
  currentRequest = request;
  current = (async () => {
    let chosen: string | undefined;
    if (request) {
      const forced = parseBackendName(request);
      chosen = await tryBackend(forced);
      if (!chosen) throw new Error(`backend '${request}' was forced but could not be initialised (is its package installed?)`);
    } else {
      for (const candidate of BACKEND_NAMES) {
        chosen = await tryBackend(candidate);
        if (chosen) break;
      }
      if (!chosen) throw new Error('no TensorFlow.js backend could be initialised');
    }
    await tf.ready();
    if (!announced && !process.env.THRIVE_BACKEND_QUIET) {
      announced = true;
      console.log(`[thrive] tfjs backend: ${chosen}${request ? ' (forced)' : ''}`);
    }
    return chosen;
  })();
  current.catch(() => { current = undefined; currentRequest = undefined; });
  return current;
}

/** The backend currently active in this thread (tfjs' own name, e.g. 'wasm', 'cpu', 'tensorflow'). */
export function activeBackend(): string {
  return tf.getBackend();
}

/**
 * A float32 tensor's values copied into `out` (reused when it has the right length), for read-backs in
 * hot loops: on wasm it copies from a view of the heap, with no new buffer per read (allocating large
 * typed arrays per call costs far more there than the copy itself); elsewhere it goes through dataSync.
 */
export function readInto(t: tf.Tensor, out?: Float32Array): Float32Array {
  const buf = out && out.length === t.size ? out : new Float32Array(t.size);
  const be = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.Tensor): Float32Array };
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm' && typeof be.typedArrayFromHeap === 'function') buf.set(be.typedArrayFromHeap(t));
  else buf.set(t.dataSync() as Float32Array);
  return buf;
}
