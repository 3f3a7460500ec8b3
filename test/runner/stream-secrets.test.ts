/**
 * Secrets never go into run directories or over the stream: a `server.token` given in the config (as a
 * config file would) reaches neither config.json, the 'config' topic, a later run's /api/runs/NAME/config
 * nor the dashboard's websocket; the run resumes from its config.json (the token is null there, not a
 * "[redacted]" string that would become the token).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from '../../runner/experiment.ts';
import { MetricsHub, connectStream, redactSecrets, startStreamServer } from '../../runner/stream/index.ts';
import type { DataMessage } from '../../runner/stream/index.ts';

const root = mkdtempSync(join(tmpdir(), 'thrive-secrets-'));
const TOKEN = 'tok-0123456789abcdef-secret';

test('redactSecrets: secret keys to null at any depth, URL passwords removed, input untouched', () => {
  const config = { server: { token: TOKEN, host: '0.0.0.0' }, transport: { url: 'redis://:hunter2@10.0.0.5:6379/0' }, judge: { apiKeyEnv: 'OPENAI_API_KEY', apiKey: 'sk-x' }, list: [{ password: 'p' }], n: 1 };
  const out = redactSecrets(config);
  assert.equal(out, { server: { token: null, host: '0.0.0.0' }, transport: { url: 'redis://10.0.0.5:6379/0' }, judge: { apiKeyEnv: 'OPENAI_API_KEY', apiKey: null }, list: [{ password: null }], n: 1 });
  assert.is(config.server.token, TOKEN, 'the input is not changed');
  assert.equal(redactSecrets({ server: { token: null } }), { server: { token: null } });
  assert.is(redactSecrets('redis://user@host:1'), 'redis://user@host:1', 'no password, unchanged');
});

test('a token in the config reaches neither config.json, the config topic nor the stream; the run resumes from config.json', async () => {
  const hub = new MetricsHub();
  const configs: unknown[] = [];
  hub.subscribe(['config'], (m) => configs.push(m.data));
  const config = {
    name: 'secret', seed: 3,
    env: { id: 'KeyDoor-v0', options: { size: 5, maxSteps: 20 }, groupSize: 4 },
    policy: { hidden: [8] },
    groupsPerUpdate: 2, budget: { updates: 2 }, actors: { workers: 1, groupsPerTask: 1 },
    logging: { dir: root, checkpointEvery: 1, episodeEvery: 0, progress: false },
    server: { enabled: true, host: '127.0.0.1', port: 0, token: TOKEN },
  };
  const first = await runExperiment(config, { quiet: true, hub });
  assert.is(first.status, 'completed');
  const saved = readFileSync(join(first.runDir, 'config.json'), 'utf8');
  assert.not.ok(saved.includes(TOKEN), 'config.json holds no token');
  assert.is(JSON.parse(saved).server.token, null);
  assert.ok(configs.length >= 1 && configs.every((c) => (c as { server: { token: unknown } }).server.token === null), 'the config topic carries no token');

  // Resume reads config.json back: the run continues, on loopback without a token.
  const resumed = await runExperiment({ budget: { updates: 3 } }, { quiet: true, resume: first.runDir });
  assert.is(resumed.status, 'completed');
  assert.is(resumed.summary.updates, 3);
  assert.not.ok(readFileSync(join(first.runDir, 'config.json'), 'utf8').includes(TOKEN));
});

test('the server sends configs and serves config.json without secrets, even from a run directory written before the rule', async () => {
  const runsDir = join(root, 'old-runs');
  mkdirSync(join(runsDir, 'old-1'), { recursive: true });
  writeFileSync(join(runsDir, 'old-1', 'config.json'), JSON.stringify({ name: 'old', server: { token: TOKEN } }));
  const hub = new MetricsHub();
  hub.publish('config', { name: 'live', server: { token: TOKEN }, transport: { url: 'redis://:hunter2@h:6379' } });
  const server = await startStreamServer({ hub, runsDir });
  try {
    const served = await (await fetch(`${server.url}api/runs/old-1/config`)).text();
    assert.not.ok(served.includes(TOKEN));
    assert.equal(JSON.parse(served), { name: 'old', server: { token: null } });
    for (const format of ['json', 'msgpack'] as const) {
      const c = await connectStream(server.wsUrl, { format, topics: ['config'], record: true });
      const m = (await c.waitFor((x) => x.type === 'data' && x.topic === 'config')) as DataMessage;
      assert.equal(m.data, { name: 'live', server: { token: null }, transport: { url: 'redis://h:6379' } }, format);
      c.close();
    }
  } finally {
    await server.close();
  }
  assert.ok(readFileSync(join(runsDir, 'old-1', 'config.json'), 'utf8').includes(TOKEN), 'the file itself is left as it is (read-only)');
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
