// Piscina entry of the actor workers (plain JS: Node will not start a worker on a .ts file, and tsx's
// ESM hooks are not active in worker threads until registered — tsx's public API does that here).
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
