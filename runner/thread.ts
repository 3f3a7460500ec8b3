/**
 * Starting a worker thread on a TypeScript module: Node will not start a worker on a .ts file, so the
 * entry is ts-entry.mjs, which registers tsx's loader in the worker and imports the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startTsWorker(url: URL, options: WorkerOptions & { workerData?: Record<string, unknown> } = {}): Worker {
  return new Worker(new URL('./ts-entry.mjs', import.meta.url), { ...options, workerData: { ...(options.workerData ?? {}), __entry: url.href } });
}
