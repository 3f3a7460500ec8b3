/**
 * The Redis transport's connection behaviour: password auth (requirepass), TLS (rediss:// with a
 * throwaway self-signed certificate, when this redis-server build has TLS), an unreachable server
 * (clear error after backoff, no crash loop), and an outage mid-run (calls wait, then carry on).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedisTransport } from '../../runner/transport/redis/index.ts';
import { freePort, redisSupportsTls, rejects, startRedis, type RedisServer } from './redis-server.ts';

const servers: RedisServer[] = [];
const transports: RedisTransport[] = [];
const quiet = { log: () => undefined };

async function server(opts: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const s = await startRedis(opts);
  servers.push(s);
  return s;
}

async function connect(config: Record<string, unknown>, log: (l: string) => void = () => undefined): Promise<RedisTransport> {
  const t = await RedisTransport.connect(config, { log });
  transports.push(t);
  return t;
}

/** One message through the trajectory stream and one weight version: the connection really works. */
async function roundTrip(t: RedisTransport): Promise<void> {
  await t.trajectorySink('a').send({ id: 'a:0', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([42]) });
  const src = t.trajectorySource('learner');
  const got = await src.receive(1, 1000);
  assert.equal(got.map((m) => [...m.payload]), [[42]]);
  await src.ack(['a:0']);
  await t.weightPublisher().publish(1, new Uint8Array([7, 7]));
  const w = await t.weightSubscriber().fetch(-1);
  assert.equal([...w!.bytes], [7, 7]);
}

test.after(async () => {
  for (const t of transports) await t.close().catch(() => undefined);
  for (const s of servers) await s.stop();
});

test('password: the right one works; a wrong or missing one fails at once, naming the cause but not the password', async () => {
  const s = await server({ password: 'pa ss/w0rd' });
  await roundTrip(await connect({ url: s.url, namespace: 'auth' }));
  const wrong = s.url.replace(encodeURIComponent('pa ss/w0rd'), 'not-it');
  const e = await rejects(connect({ url: wrong, namespace: 'auth', connectTimeoutMs: 60_000 }), /cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1.*(WRONGPASS|invalid).*check the password/);
  assert.not.ok(e.message.includes('not-it'));
  await rejects(connect({ url: `redis://127.0.0.1:${s.port}`, namespace: 'auth', connectTimeoutMs: 60_000 }), /NOAUTH/);
});

test('unreachable: retries with backoff, then a clear error naming the URL', async () => {
  const port = await freePort();
  await rejects(connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 400, maxBackoffMs: 100 }), new RegExp(`cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED.*is redis-server running`));
});

test('outage mid-run: an actor waits, reconnects and carries on; give-up turns into a clear error', async () => {
  const s = await server();
  const lines: string[] = [];
  const t = await connect({ url: s.url, namespace: 'outage', maxBackoffMs: 100 }, (l) => lines.push(l));
  const sink = t.trajectorySink('a');
  await sink.send({ id: 'a:0', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([0]) });
  await s.stop();
  const during = sink.send({ id: 'a:1', actorId: 'a', policyVersion: 0, steps: 1, payload: new Uint8Array([1]) });
  await new Promise((r) => setTimeout(r, 300));
  // Same port, fresh memory (no persistence): the first message is gone with the old server, the second waits for the new one.
  await server({ port: s.port });
  await during;
  const src = t.trajectorySource('learner');
  const got = await src.receive(5, 1000);
  assert.equal(got.map((m) => m.id), ['a/1#1']);
  assert.ok(lines.some((l) => /unreachable .*reconnecting with backoff/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /is back after/.test(l)), lines.join('\n'));

  const s2 = await server();
  const t2 = await connect({ url: s2.url, namespace: 'outage', maxBackoffMs: 100, reconnectGiveUpMs: 300 });
  await s2.stop();
  await rejects(t2.trajectorySink('b').send({ id: 'b:0', actorId: 'b', policyVersion: 0, steps: 1, payload: new Uint8Array([0]) }), /unreachable for more than 300 ms/);
});

const tls = redisSupportsTls();
(tls ? test : test.skip)('TLS: rediss:// with the server CA works (with a password too); without the CA it is refused', async () => {
  const s = await server({ tls: true, password: 'tls-pw' });
  await roundTrip(await connect({ url: s.url, namespace: 'tls', tls: { caFile: s.caFile } }));
  await rejects(connect({ url: s.url, namespace: 'tls', connectTimeoutMs: 60_000 }), /self[- ]signed|certificate.*check tls\.caFile/);
  // A plain redis:// client against the TLS port gets no answer it can read: a clear error, not a hang.
  await rejects(connect({ url: s.url.replace('rediss:', 'redis:'), namespace: 'tls', connectTimeoutMs: 1000, maxBackoffMs: 100 }), /cannot connect to Redis/);
});

test.run();
