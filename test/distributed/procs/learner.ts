/**
 * Transport-test learner (a stand-in, see common.ts). Per batch: "train" (record the ids), checkpoint
 * atomically, request annotations, publish a new weight version, then acknowledge. The checkpoint keeps the
 * ids trained since the last acknowledgement, so a learner restarted after a crash between checkpoint and
 * ack recognises the redelivered messages by id and acknowledges them without training twice — the
 * protocol docs/distributed.md asks of a real learner.
 *   argv: consumerId      env THRIVE_TEST_CRASH=beforeAck:N | afterReceive:N (crash at the N-th batch)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { connect, crash, flagKey, procEnv, writeAtomic } from './common.ts';

interface Checkpoint {
  version: number;
  trained: string[];
  /** Ids in `trained` not yet known to be acknowledged. */
  unacked: string[];
  skippedAsTrained: number;
  requested: string[];
  labels: Record<string, number>;
  duplicateLabels: number;
  restarts: number;
  done?: boolean;
  stats?: unknown;
}

const consumerId = process.argv[2] ?? 'learner';
const env = procEnv();
const [crashAt, crashBatch] = (process.env.THRIVE_TEST_CRASH ?? ':0').split(':');
const file = join(env.out, 'learner.ckpt.json');
const ckpt: Checkpoint = existsSync(file)
  ? JSON.parse(readFileSync(file, 'utf8'))
  : { version: -1, trained: [], unacked: [], skippedAsTrained: 0, requested: [], labels: {}, duplicateLabels: 0, restarts: -1 };
ckpt.restarts++;
const transport = await connect(env, `learner-${consumerId}`, { annotationBacklog: 100_000 });
const source = transport.trajectorySource(consumerId);
const publisher = transport.weightPublisher();
const channel = transport.annotationChannel('learner');
const packr = new Packr({ moreTypes: true });
const trained = new Set(ckpt.trained);
const requested = new Set(ckpt.requested);

const publish = async () => {
  ckpt.version = Math.max(ckpt.version, await publisher.latestPublished()) + 1;
  const biases = Float32Array.from({ length: 4 }, (_, a) => Math.sin(ckpt.version + a));
  await publisher.publish(ckpt.version, new Uint8Array(biases.buffer));
};
if (ckpt.version < 0) await publish();

/** Labels are acknowledged when drained, so they go into the checkpoint right after (no crash point between). */
function takeLabels(): number {
  const labels = channel.drainLabels();
  for (const l of labels) {
    if (l.key in ckpt.labels) ckpt.duplicateLabels++;
    ckpt.labels[l.key] = l.label;
  }
  return labels.length;
}

let batches = 0;
for (;;) {
  const draining = (await transport.cmd.exists(flagKey(env, 'drain'))) === 1;
  const msgs = await source.receive(4, 200);
  if (msgs.length === 0) {
    if (takeLabels() > 0) writeAtomic(file, JSON.stringify(ckpt));
    if (draining && (await source.depth()) === 0 && Object.keys(ckpt.labels).length >= requested.size) break;
    continue;
  }
  batches++;
  if (crashAt === 'afterReceive' && batches === Number(crashBatch)) crash();
  const fresh = msgs.filter((m) => !trained.has(m.id));
  ckpt.skippedAsTrained += msgs.length - fresh.length;
  const keys: { key: string; caption: string }[] = [];
  for (const m of fresh) {
    trained.add(m.id);
    ckpt.trained.push(m.id);
    const { episodes } = packr.unpack(m.payload) as { episodes: { actions: number[]; ret: number }[] };
    episodes.forEach((e, i) => keys.push({ key: `${m.id}/${i}`, caption: `return=${e.ret} moves=${e.actions.length}` }));
  }
  for (const k of keys) requested.add(k.key);
  ckpt.requested = [...requested];
  ckpt.unacked = msgs.map((m) => m.id);
  takeLabels();
  writeAtomic(file, JSON.stringify(ckpt));
  channel.request(keys.map((k) => ({ ...k, envId: 'KeyDoor-v0' })));
  await channel.flushed();
  if (fresh.length > 0) await publish();
  if (crashAt === 'beforeAck' && batches === Number(crashBatch)) crash();
  await source.ack(msgs.map((m) => m.id));
  ckpt.unacked = [];
}
console.error(`learner ${consumerId}: done, trained ${ckpt.trained.length}, labels ${Object.keys(ckpt.labels).length}/${requested.size}`);
ckpt.done = true;
ckpt.stats = { source: source.stats, annotations: channel.stats };
writeAtomic(file, JSON.stringify(ckpt));
await transport.close();
