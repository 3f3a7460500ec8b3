/**
 * Weights shared between threads without a copy per actor: a double-buffered SharedArrayBuffer.
 *
 * Layout: an Int32Array control block, then two data slots of `capacity` bytes each.
 *   ctrl[0] latest published version (-1 before the first), Atomics.notify'd on publish
 *   ctrl[1] index of the slot holding the latest version
 *   ctrl[2 + s] version held by slot s           ctrl[4 + s] byte length in slot s
 *   ctrl[6 + s] seqlock of slot s (odd while being written)
 * The single writer (the learner) always writes the slot that does NOT hold the latest version, so
 * readers of the latest version are never disturbed; a reader still checks the slot's seqlock around its
 * copy and retries if a second publish overwrote the slot meanwhile. Both the latest and the previous
 * version are readable, which lets the lockstep pipeline pin a task to version j − 1 while j exists.
 */

type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };

const CTRL_INTS = 8;
const CTRL_BYTES = CTRL_INTS * 4;

export interface SharedWeightsHandle {
  sab: SharedArrayBuffer;
  capacity: number;
}

export class SharedWeights {
  private readonly ctrl: Int32Array;
  private readonly slots: [Uint8Array, Uint8Array];

  private constructor(readonly handle: SharedWeightsHandle) {
    this.ctrl = new Int32Array(handle.sab, 0, CTRL_INTS);
    this.slots = [
      new Uint8Array(handle.sab, CTRL_BYTES, handle.capacity),
      new Uint8Array(handle.sab, CTRL_BYTES + handle.capacity, handle.capacity),
    ];
  }

  /** Allocates the buffer (main thread); pass `.handle` to workers (postMessage / workerData). */
  static create(capacity: number): SharedWeights {
    const cap = Math.ceil(capacity / 8) * 8;
    const sab = new SharedArrayBuffer(CTRL_BYTES + 2 * cap);
    const w = new SharedWeights({ sab, capacity: cap });
    w.ctrl[0] = -1;
    w.ctrl[2] = -1;
    w.ctrl[3] = -1;
    return w;
  }

  static attach(handle: SharedWeightsHandle): SharedWeights {
    return new SharedWeights(handle);
  }

  latestVersion(): number {
    return Atomics.load(this.ctrl, 0);
  }

  /** Writer side: stores `bytes` as `version` (must increase) and wakes waiting readers. */
  publish(version: number, bytes: Uint8Array): void {
    const latest = this.latestVersion();
    if (version <= latest) throw new Error(`weight version ${version} is not newer than the published ${latest}`);
    if (bytes.byteLength > this.handle.capacity) {
      throw new Error(`weights of ${bytes.byteLength} bytes exceed the shared buffer capacity ${this.handle.capacity}; raise it`);
    }
    const slot = latest < 0 ? 0 : 1 - Atomics.load(this.ctrl, 1);
    Atomics.add(this.ctrl, 6 + slot, 1); // odd: writing
    this.slots[slot].set(bytes);
    Atomics.store(this.ctrl, 4 + slot, bytes.byteLength);
    Atomics.store(this.ctrl, 2 + slot, version);
    Atomics.add(this.ctrl, 6 + slot, 1); // even: stable
    Atomics.store(this.ctrl, 1, slot);
    Atomics.store(this.ctrl, 0, version);
    Atomics.notify(this.ctrl, 0);
  }

  /** Copies out the given version if a slot holds it (the latest or the one before), else null. */
  read(version: number): Uint8Array | null {
    for (let attempt = 0; attempt < 100; attempt++) {
      let slot = -1;
      for (const s of [0, 1]) if (Atomics.load(this.ctrl, 2 + s) === version) slot = s;
      if (slot < 0) return null;
      const seq = Atomics.load(this.ctrl, 6 + slot);
      if (seq & 1) continue;
      const len = Atomics.load(this.ctrl, 4 + slot);
      const out = this.slots[slot].slice(0, len);
      if (Atomics.load(this.ctrl, 6 + slot) === seq && Atomics.load(this.ctrl, 2 + slot) === version) return out;
    }
    return null;
  }

  /** The newest weights if newer than `have`, else null. */
  readLatest(have: number): { version: number; bytes: Uint8Array } | null {
    for (let attempt = 0; attempt < 100; attempt++) {
      const v = this.latestVersion();
      if (v <= have) return null;
      const bytes = this.read(v);
      if (bytes) return { version: v, bytes };
    }
    return null;
  }

  /**
   * Blocks this thread until the published version is >= `version` or `timeoutMs` passes (worker threads
   * only: Atomics.wait is not allowed on the main thread). Returns the version seen.
   */
  waitFor(version: number, timeoutMs: number): number {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = this.latestVersion();
      if (v >= version) return v;
      const left = deadline - Date.now();
      if (left <= 0) return v;
      Atomics.wait(this.ctrl, 0, v, Math.min(left, 250));
    }
  }

  /** Async wait usable on any thread. */
  async waitForAsync(version: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = this.latestVersion();
      if (v >= version) return v;
      const left = deadline - Date.now();
      if (left <= 0) return v;
      const r = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(this.ctrl, 0, v, Math.min(left, 250));
      if (r.async) await r.value;
    }
  }
}
