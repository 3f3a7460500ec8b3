/**
 * The annotator role of a multi-process run (docs/distributed.md): takes annotation requests from Redis,
 * has the experiment's judge label them (rewards/' Annotator: dedup, backlog, batching, label cache), and
 * sends the labels back to the learner. Work held by an annotator that dies is taken over by the next one
 * after --claim-idle-ms. Stops when the learner's run ends (or on Ctrl-C). Thin: runner's createAnnotator.
 *
 *   npm run annotator -- --redis redis://LEARNER_HOST:6379 --experiment keydoor-thr
 *
 * Its metrics (rewards/' Annotator's plus this loop's counts) go out with its heartbeat, so the learner's
 * dashboard shows them in its annotator panel.
 */
import { connectRoleTransports, createAnnotator, parseRoleCommand, serveAnnotations, type AnnotatorServiceStats } from '../runner/index.ts';

const { args, transportConfig, id } = parseRoleCommand(process.argv.slice(2), 'npm run annotator -- [Redis flags] [npm start flags]');
const annotator = await createAnnotator(args.config).catch((err: Error) => {
  console.error(`error: ${err.message}`);
  process.exit(2);
});
if (!annotator) {
  console.error(`error: experiment '${String(args.config.name)}' has no rewards section (rewards: null): there is nothing to annotate`);
  process.exit(2);
}
const [transport] = await connectRoleTransports(transportConfig, [`annotator-${id}`]);
const ctrl = new AbortController();
process.on('SIGINT', () => ctrl.abort());
process.on('SIGTERM', () => ctrl.abort());
const watch = setInterval(() => {
  void transport.runState().then((s) => {
    if (s !== null && s !== 'running' && !ctrl.signal.aborted) {
      console.error(`annotator ${id}: the learner's run ended (${s}); stopping`);
      ctrl.abort();
    }
  }, () => undefined);
}, 1000);
const live = {} as AnnotatorServiceStats;
transport.announce('annotator', id, {}, () => ({ ...annotator.metrics(), requestsReceived: live.received, requestsRepeated: live.repeats, requestsUnanswered: live.unanswered }));
const stats = await serveAnnotations(transport.annotationQueue(id), annotator, {
  signal: ctrl.signal, claimIdleMs: transport.config.claimIdleMs, log: (l) => console.error(`[annotator ${id}] ${l}`), stats: live,
});
clearInterval(watch);
console.log(`annotator ${id}: ${stats.received} requests, ${stats.labelled} labelled, ${stats.repeats} repeats answered, ${stats.unanswered} unanswered`);
await annotator.close?.();
await transport.close();
process.exit(0);
