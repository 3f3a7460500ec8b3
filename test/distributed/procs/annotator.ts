/**
 * Transport-test annotator (a stand-in judge, see common.ts): labels a caption 1 when its episode's return
 * is positive, else 0, and completes (labels + ack) in one step. Runs until the test sets the drain flag and
 * the request stream is empty, or crashes on purpose.
 *   argv: consumerId      env THRIVE_TEST_CRASH=afterReceive:N
 */
import { connect, crash, flagKey, procEnv } from './common.ts';

const consumerId = process.argv[2] ?? 'judge';
const env = procEnv();
const [crashAt, crashBatch] = (process.env.THRIVE_TEST_CRASH ?? ':0').split(':');
const transport = await connect(env, `annotator-${consumerId}`);
const queue = transport.annotationQueue(consumerId);
let batches = 0;
for (;;) {
  const work = await queue.receive(8, 200);
  if (work.length === 0) {
    if ((await transport.cmd.exists(flagKey(env, 'done'))) === 1) break;
    continue;
  }
  batches++;
  if (crashAt === 'afterReceive' && batches === Number(crashBatch)) crash();
  const labels = work.map(({ request }) => ({
    key: request.key,
    caption: request.caption,
    label: Number(/return=([-\d.e]+)/.exec(request.caption)?.[1] ?? 0) > 0 ? 1 : 0,
  }));
  await queue.complete(work.map((w) => w.entryId), labels);
}
await transport.close();
