/**
 * `npm start`: runs an experiment (the default one, a named one, or a config file) with the live stream
 * server, a progress line and a run directory under runs/. Ctrl-C writes a checkpoint and exits cleanly;
 * a second Ctrl-C exits at once. See docs/runner.md.
 */
import { interruptSignal, parseArgs, runExperiment, USAGE } from '../runner/index.ts';

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`error: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const signal = interruptSignal();
try {
  const r = await runExperiment(args.config, { resume: args.resume, server: args.server, quiet: args.quiet, signal, backend: args.backend });
  const s = r.summary as Record<string, unknown>;
  const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '-');
  const ann = (s.annotator ?? null) as Record<string, number> | null;
  console.log(`run ${r.status}: ${r.runDir}`);
  console.log(`  updates ${s.updates}, env steps ${s.envSteps}, ${Number(s.stepsPerSec).toFixed(0)} steps/s, ${Number(s.elapsedSeconds).toFixed(0)} s`);
  console.log(`  success rate: first 10% of updates ${pct(s.successRateFirst)} → last 10% ${pct(s.successRateLast)}`);
  console.log(`  faults: ${s.workerFaults} worker, ${s.envFaults} env (${s.discardedEpisodes} episodes discarded); stale dropped ${s.staleDropped}; skipped updates ${s.skippedUpdates}` +
    (ann ? `; judge: ${ann.captionsLabelled ?? 0} labelled, ${ann.cacheHits ?? 0} from the label cache, ${ann.judgeErrorsTotal ?? 0} errors` : ''));
  for (const w of (s.warnings ?? []) as string[]) console.log(`  warning: ${w}`);
  process.exit(r.status === 'completed' || r.status === 'interrupted' ? 0 : 1);
} catch (err) {
  const e = err as Error;
  console.error(`error: ${e.name === 'ConfigError' ? e.message : e.stack ?? e.message}`);
  process.exit(e.name === 'ConfigError' ? 2 : 1);
}
