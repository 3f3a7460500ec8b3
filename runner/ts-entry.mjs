// Worker-thread entry for TypeScript modules. Node refuses a .ts file as a worker's entry point, and
// tsx's ESM loader hooks are not active in worker threads, so this plain-JS entry registers them for the
// worker (tsx's public API) and then imports the module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
