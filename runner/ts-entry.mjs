// Worker-thread entry for TypeScript modules: Node refuses a .ts file as a worker's entry point, and in
// worker threads only tsx's require() hook is active, so the module is loaded with require (it must not
// use top-level await).
import { workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
createRequire(import.meta.url)(fileURLToPath(workerData.__entry));
