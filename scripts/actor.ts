/**
 * An actor role of a multi-process run (docs/distributed.md): a pool of actor threads that fetch the
 * newest weights from Redis and send trajectories to the learner. Start any number, on any machine;
 * stops when the learner's run ends (or on Ctrl-C). Thin: the work is runner's runActors.
 *
 *   npm run actor -- --redis redis://LEARNER_HOST:6379 --experiment keydoor-thr --id box2-a
 *
 * --id names the actor; give a restarted actor the same id (its messages then carry a new incarnation).
 */
import { connectRoleTransports, parseRoleCommand, runActors, validateExperimentConfig } from '../runner/index.ts';

const { args, transportConfig, id: actorId } = parseRoleCommand(process.argv.slice(2), 'npm run actor -- [Redis flags] [npm start flags]');
const [transport] = await connectRoleTransports(transportConfig, [`actor-${actorId}`]);
// The learner counts live actor processes and their threads from these heartbeats (its metrics, dashboard).
let threads: number | undefined;
try { threads = validateExperimentConfig(args.config).actors.workers; } catch { /* runActors reports the bad key */ }
transport.announce('actor', actorId, { threads });
const ctrl = new AbortController();
process.on('SIGINT', () => ctrl.abort());
process.on('SIGTERM', () => ctrl.abort());
// A send waiting for queue space (backpressure) would wait for a learner that is gone: closing the
// transport after a grace period rejects it, and the pool winds down.
ctrl.signal.addEventListener('abort', () => setTimeout(() => void transport.close(), 3000).unref());
const watch = setInterval(() => {
  void transport.runState().then((s) => {
    if (s !== null && s !== 'running' && !ctrl.signal.aborted) {
      console.error(`actor ${actorId}: the learner's run ended (${s}); stopping`);
      ctrl.abort();
    }
  }, () => undefined);
}, 1000);
let code = 0;
try {
  const r = await runActors(args.config, transport, { actorId, signal: ctrl.signal, backend: args.backend });
  console.log(`actor ${actorId}: ${r.counters.tasks} tasks, ${r.counters.groups} groups, ${r.counters.workerFaults} worker faults`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  code = 1;
} finally {
  clearInterval(watch);
  await transport.close();
}
process.exit(code);
