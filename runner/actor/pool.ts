/**
 * The actor pool: piscina worker threads running `runActorTask` (worker.ts). A worker that throws, dies,
 * runs out of its heap limit or is stopped at its task's deadline makes its task reject: piscina starts a
 * replacement thread, so the run goes on; the task's episodes are discarded (counted by the caller).
 */
import { Piscina } from 'piscina';
import type { ActorTask } from './worker.ts';

export class ActorPool {
  private readonly pool: Piscina;
  constructor(readonly workers: number, memoryMB?: number) {
    this.pool = new Piscina({
      // The heap is bounded by V8; external memory (Buffers, ArrayBuffers) by the worker itself (worker.ts).
      ...(memoryMB ? { resourceLimits: { maxOldGenerationSizeMb: memoryMB }, workerData: { memoryMB } } : {}),
      filename: new URL('./entry.mjs', import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60 * 60_000,
      // Tasks wait in our dispatcher, not in piscina's queue.
      maxQueue: workers * 4,
      concurrentTasksPerWorker: 1,
      // Idle workers wait on their message port, not in Atomics.wait: a worker's own timers then run between
      // tasks (worker.ts retires a worker over its memory limit that way). Tasks are long; dispatch cost is noise.
      atomics: 'async',
    });
  }

  /** Runs one task; resolves with the encoded TrajectoryBatch bytes. */
  run(task: ActorTask, signal?: AbortSignal): Promise<Uint8Array> {
    return this.pool.run(task, { signal }) as Promise<Uint8Array>;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
