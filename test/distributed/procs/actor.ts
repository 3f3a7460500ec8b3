/**
 * Transport-test actor (a stand-in, see common.ts): plays KeyDoor-v0 episodes with a softmax policy over
 * per-action biases taken from the newest broadcast weights, sends each batch of episodes as one
 * trajectory message, and logs the id of every message whose send resolved (line-by-line, synchronous, so a
 * SIGKILL cannot lose a logged line). Runs until the test sets the stop flag.
 *   argv: actorId
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { makeEnvSync, Rng } from '../../../envs/index.ts';
import { connect, flagKey, procEnv } from './common.ts';

const actorId = process.argv[2];
if (!actorId) throw new Error('usage: actor.ts ACTOR_ID');
const env = procEnv();
const transport = await connect(env, `actor-${actorId}`);
const sink = transport.trajectorySink(actorId);
const weights = transport.weightSubscriber();
const inc = await sink.getIncarnation();
const packr = new Packr({ moreTypes: true });
const game = makeEnvSync('KeyDoor-v0', { size: 5 });
const nActions = 4;
const rng = new Rng(inc * 1000 + actorId.length);
let biases = new Float32Array(nActions);
let version = -1;
const log = join(env.out, `actor-${actorId}.sent`);

function act(): number {
  const p = Array.from(biases, (b) => Math.exp(b));
  let u = rng.float() * p.reduce((s, x) => s + x, 0);
  for (let a = 0; a < nActions; a++) if ((u -= p[a]) <= 0) return a;
  return nActions - 1;
}

for (let seq = 0; ; seq++) {
  if ((await transport.cmd.exists(flagKey(env, 'stop'))) === 1) break;
  const w = await weights.fetch(version);
  if (w) {
    version = w.version;
    biases = new Float32Array(w.bytes.slice().buffer);
  }
  const episodes = [];
  let steps = 0;
  for (let e = 0; e < 2; e++) {
    game.reset({ seed: rng.int(1 << 30) });
    const actions: number[] = [];
    let ret = 0;
    for (let t = 0; t < 40; t++) {
      const a = act();
      const s = game.step(a);
      actions.push(a);
      ret += s.reward;
      if (s.terminated || s.truncated) break;
    }
    steps += actions.length;
    episodes.push({ actions, ret });
  }
  // The learner sees the message under the transport's id, `<actorId>/<incarnation>#<seq>`.
  const id = await sink.send({ id: `${actorId}#${inc}:${seq}`, actorId, policyVersion: version, steps, payload: packr.pack({ episodes }) });
  appendFileSync(log, `${id} ${version}\n`);
}
await transport.close();
