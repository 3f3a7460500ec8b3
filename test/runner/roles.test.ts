/**
 * The roles as separate entry points over a transport that is not the in-process one (a test transport
 * with its own weight store, like Redis: bytes per version, no shared buffer): runLearner and runActors
 * cooperate through it only; redelivered messages are not trained on twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLearner, runActors } from '../../runner/roles.ts';
import { BoundedQueue } from '../../runner/transport/inprocess.ts';
import type { Transport, TrajectoryMessage } from '../../runner/transport/types.ts';

class TestTransport implements Transport {
  readonly kind = 'redis' as const; // "not in-process": weights travel as bytes per version
  readonly queue = new BoundedQueue<TrajectoryMessage>(4);
  readonly versions = new Map<number, Uint8Array>();
  latest = -1;
  sent = 0;
  duplicate = true;
  trajectorySink() {
    return {
      send: async (m: TrajectoryMessage) => {
        this.sent++;
        await this.queue.push(m);
        // Simulate one at-least-once redelivery of the first message.
        if (this.duplicate) { this.duplicate = false; await this.queue.push({ ...m, payload: m.payload.slice() }); }
      },
    };
  }
  trajectorySource() {
    return { receive: (n: number, t: number) => this.queue.take(n, t), ack: async (ids: string[]) => this.queue.ack(ids), depth: async () => this.queue.depth };
  }
  weightPublisher() {
    return { publish: async (v: number, b: Uint8Array) => { this.versions.set(v, b.slice()); this.latest = Math.max(this.latest, v); } };
  }
  weightSubscriber() {
    return {
      latestVersion: () => this.latest,
      fetch: async (have: number) => (this.latest > have ? { version: this.latest, bytes: this.versions.get(this.latest)! } : null),
      close: async () => {},
    };
  }
  async close() { this.queue.close(); }
}

const root = mkdtempSync(join(tmpdir(), 'thrive-roles-'));

test('runLearner + runActors over a byte-per-version transport', async () => {
  const config = {
    name: 'roles', seed: 5,
    env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 4 },
    policy: { hidden: [8] }, groupsPerUpdate: 2, budget: { updates: 5 },
    actors: { workers: 1, groupsPerTask: 1 },
    logging: { dir: root, checkpointEvery: 0, episodeEvery: 0 }, server: { enabled: false },
  };
  const t = new TestTransport();
  const stopActors = new AbortController();
  const actors = runActors({ ...config, budget: { seconds: 120 } }, t, { actorId: 'a1', signal: stopActors.signal });
  const learner = await runLearner(config, t, { quiet: true });
  stopActors.abort();
  const a = await actors;
  assert.is(learner.status, 'completed');
  assert.is(learner.metrics.length, 5);
  assert.ok(t.latest >= 5, `every version was published through the transport (latest ${t.latest})`);
  assert.ok(a.counters.tasks >= 5);
  const episodes = learner.metrics.reduce((s, m) => s + m.episodes, 0);
  assert.is(episodes, 5 * 2 * 4, 'each update trained on exactly groupsPerUpdate groups: the duplicate was dropped');
  assert.ok(learner.metrics.slice(2).some((m) => m.policyLag >= 0));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
