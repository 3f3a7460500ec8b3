/**
 * Starting a worker thread on a TypeScript module. Node refuses a .ts file as a worker's entry point, so
 * the entry is ts-entry.mjs, which imports the module through the tsx loader the worker inherits.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(url: URL, options: WorkerOptions & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(new URL('./ts-entry.mjs', import.meta.url), { ...options, workerData: { ...(options.workerData ?? {}), __entry: url.href } });
}
