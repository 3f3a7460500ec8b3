/**
 * The learner role of a multi-process run (docs/distributed.md): the learner thread, run directory,
 * checkpoints, metrics and dashboard, fed by actor processes through Redis.
 *
 *   npm run learner -- --redis redis://127.0.0.1:6379 --experiment keydoor-thr [--purge]
 *   npm run learner -- --redis ... --resume runs/keydoor-thr-...     (after a crash)
 *
 * Annotation requests go to Redis for scripts/annotator.ts (when the experiment has a judge);
 * --local-annotator keeps the annotator in this process instead. Thin: the work is runner's runLearner.
 */
import { connectRoleTransports, interruptSignal, parseRoleCommand, redactUrl, runLearner } from '../runner/index.ts';

const argv = process.argv.slice(2);
const localAnnotator = argv.includes('--local-annotator');
const { role, args, transportConfig, runConfig } = parseRoleCommand(argv.filter((a) => a !== '--local-annotator'), 'npm run learner -- [Redis flags] [--local-annotator] [npm start flags]');
// The run directory's config.json records the transport, never the password (a resumed run keeps its own).
if (!args.resume) args.config.transport = { kind: 'redis', url: redactUrl(String(transportConfig.url)) };

// Two transports: the run's (closed by the runner when the run ends) and a control one for run state.
const [control, transport] = await connectRoleTransports(transportConfig, ['learner-control', 'learner']);
const ns = transport.config.namespace;
if (role.purge) console.error(`namespace ${ns}: deleted ${await control.purge()} keys of a previous run`);
// A resumed learner continues its version numbers above every version published in the namespace (the
// runner reads latestPublished() itself), so running actor processes take its weights at once.
const previous = await control.weightPublisher().latestPublished();
if (!args.resume && previous >= 0) {
  console.error(`error: namespace ${ns} holds weights of a previous run (version ${previous}). Use --resume RUN_DIR to continue it, --purge to start over, or --namespace for a separate run.`);
  await transport.close();
  await control.close();
  process.exit(2);
}

const signal = interruptSignal();

// Whether the run has a judge is the run's config's (a resumed run's saved config.json), not the flags'.
const channel = localAnnotator ? undefined : (runConfig.rewards ? transport.annotationChannel('learner') : undefined);
if (channel) console.error(`annotation requests go to ${ns} in Redis: start "npm run annotator" with the same experiment`);
await control.setRunState('running');
let status = 'failed';
try {
  const r = await runLearner(args.config, transport, { resume: args.resume, server: args.server, quiet: args.quiet, signal, backend: args.backend, annotationChannel: channel });
  status = r.status;
  const s = r.summary as Record<string, number | string | null>;
  console.log(`run ${r.status}: ${r.runDir}`);
  console.log(`  updates ${s.updates}, env steps ${s.envSteps}, ${Number(s.stepsPerSec).toFixed(0)} steps/s, ${Number(s.elapsedSeconds).toFixed(0)} s`);
  if (channel) console.log(`  annotation requests ${channel.stats.requested} (dropped ${channel.stats.dropped}), labels ${channel.stats.labels}`);
} catch (err) {
  const e = err as Error;
  console.error(`error: ${e.name === 'ConfigError' ? e.message : e.stack ?? e.message}`);
} finally {
  // Actor and annotator processes of this namespace stop when they see a final state.
  await control.setRunState(status).catch(() => undefined);
  await transport.close();
  await control.close();
}
process.exit(status === 'completed' || status === 'interrupted' ? 0 : 1);
