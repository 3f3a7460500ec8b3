/**
 * The LLM judge's real HTTP client against the STAND-IN OpenAI-compatible server (rubric answers, not a
 * language model) on 127.0.0.1, port 0: answers, retries, timeouts and every failure mode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Annotator, LlmJudge, captionKey, labelPrompt, pairPrompt, parseLabel, parsePreference, parseScore, promptFamily, rubricLabel, startStandInServer,
  validateJudgeConfig, type AnnotationRequest, type LlmJudgeConfig, type StandInMode, type StandInOptions,
} from '../../rewards/index.ts';
import { envOf } from './fixtures/env-context.ts';

const ENV = 'KeyDoor-v0';
const req = (caption: string): AnnotationRequest => ({ key: captionKey(ENV, caption), envId: ENV, caption });
const captions = ['You pick up the red key.', 'You bump into a wall.', 'You open the door.', 'You move north.', 'You reach the goal!', ''];
const SECRET = 'sk-test-secret-123';
const judgeFor = (url: string, o: Record<string, unknown> = {}) => new LlmJudge(
  validateJudgeConfig({ kind: 'llm', baseUrl: url, model: 'standin', apiKeyEnv: 'THRIVE_TEST_KEY', retries: 2,
    backoffMs: 5, maxBackoffMs: 20, timeoutMs: 2000, ...o }) as LlmJudgeConfig,
  { env: { THRIVE_TEST_KEY: SECRET }, random: () => 0.5 });

async function withServer(opts: StandInOptions, fn: (url: string, s: Awaited<ReturnType<typeof startStandInServer>>) => Promise<void>) {
  const s = await startStandInServer(opts);
  try { await fn(s.url, s); } finally { await s.close(); }
}

test('strict parsing', () => {
  assert.equal(parseLabel('The key helps.\nLabel: yes'), { ok: true, value: 1 });
  assert.equal(parseLabel('**Label:** No.'), { ok: true, value: 0 });
  assert.equal(parseLabel('Label: yes\nI am sure.'), { ok: false, error: 'unparseable' });
  assert.equal(parseLabel('Label: maybe'), { ok: false, error: 'invalid_label' });
  assert.equal(parseLabel(''), { ok: false, error: 'unparseable' });
  assert.equal(parseScore('x\nScore: 0.75'), { ok: true, value: 0.75 });
  assert.equal(parseScore('Score: 7'), { ok: false, error: 'invalid_label' });
  assert.equal(parseScore('Score: 1.5'), { ok: false, error: 'invalid_label' });
  assert.equal(parsePreference('Preferred: 2'), { ok: true, value: 1 });
  assert.equal(parsePreference('Preferred: tie'), { ok: true, value: 0.5 });
  assert.equal(parsePreference('Preferred: both'), { ok: false, error: 'invalid_label' });
});

test("prompts: the context's family picks the wording and examples, its goal is the task stated", () => {
  const tools = { id: 'MyTools-v0', family: 'tools', goal: 'find the cheapest flight with the search tool' } as const;
  const [system, ...rest] = labelPrompt(tools, 'Called search(LHR) → 3 flights.', 'label', true);
  assert.ok(system!.content.startsWith("You judge the progress of an agent in a task solved by an agent that can call tools. The agent's task: find the cheapest flight with the search tool. You are shown one tool-use transcript"), system!.content);
  assert.is(rest[0]!.content, 'Called calc(12*7) → 84.', "the tools family's worked examples");
  assert.is(promptFamily(system!.content), 'tools');
  assert.match(pairPrompt({ id: 'MyGame', family: 'games' }, 'a', 'b', false)[0]!.content, "in a grid-world game. The agent's task: make progress in the task MyGame. ");
  const unknown = labelPrompt({ id: 'Mystery-v0' }, 'x', 'label', true);
  assert.equal(unknown.length, 2, 'an env known only by its id: generic wording, no examples');
  assert.is(promptFamily(unknown[0]!.content), undefined);
});

test('an LlmJudge built with an env context labels items of that env whatever their env id (a path)', async () => {
  await withServer({}, async (url, s) => {
    const judge = new LlmJudge(validateJudgeConfig({ kind: 'llm', baseUrl: url, model: 'standin', apiKeyEnv: 'THRIVE_TEST_KEY' }) as LlmJudgeConfig,
      { env: {}, envContext: { id: 'MyGrid', family: 'games', goal: 'reach the exit of the cave' } });
    const path = '/work/my-envs/grid.ts';
    const res = await judge.label(['You open the door.', 'You move north.'].map((caption) => ({ key: caption, envId: path, caption })));
    assert.equal(res, [{ ok: true, label: 1 }, { ok: true, label: 0 }], "the stand-in's oracle: the games family's generic rules");
    const system = (s.bodies[0] as { messages: Array<{ content: string }> }).messages[0]!.content;
    assert.match(system, "a grid-world game. The agent's task: reach the exit of the cave. ");
  });
});

test('ok: labels match the rubric, key only in the Authorization header, concurrency limited', async () => {
  await withServer({ latencyMs: 30 }, async (url, s) => {
    const judge = judgeFor(url, { concurrency: 2 });
    const res = await judge.label(captions.map(req));
    assert.equal(res, captions.map((c) => ({ ok: true, label: rubricLabel(envOf(ENV), c) })));
    assert.ok(s.authorizations.length === captions.length && s.authorizations.every((a) => a === `Bearer ${SECRET}`));
    assert.ok(s.maxConcurrent <= 2, `max concurrent ${s.maxConcurrent}`);
    assert.is(s.maxConcurrent, 2);
    const body = s.bodies[0] as { model: string; messages: Array<{ role: string; content: string }> };
    assert.is(body.model, 'standin');
    assert.ok(body.messages.length > 2, 'few-shot examples are sent');
    for (const text of [judge.id, judge.describe(), JSON.stringify(judge.config)]) assert.not.match(text, SECRET);
  });
});

test('score answers and pairwise preferences', async () => {
  await withServer({}, async (url) => {
    const judge = judgeFor(url, { answer: 'score' });
    assert.equal(await judge.label([req('You see the goal.'), req('You move west.')]),
      [{ ok: true, label: 0.9 }, { ok: true, label: 0.1 }]);
    const pairs = await judge.compare([[req('You move west.'), req('You see the goal.')], [req('You open the door.'), req('You move east.')],
      [req('You move up.'), req('You move down.')]]);
    assert.equal(pairs, [{ ok: true, preferred: 1 }, { ok: true, preferred: 0 }, { ok: true, preferred: 0.5 }]);
  });
});

const failures: Array<[StandInMode, string, number]> = [
  // mode, error kind, attempts per caption (retries: 2 → 3 attempts when retryable)
  ['429', 'http_429', 3],
  ['500', 'http_5xx', 3],
  ['malformed-json', 'malformed_json', 1],
  ['empty-choices', 'malformed_json', 1],
  ['nonsense', 'invalid_label', 1],
  ['unparseable', 'unparseable', 1],
];
for (const [mode, kind, attempts] of failures) {
  test(`server answers ${mode}: no label, counted as ${kind}, never throws`, async () => {
    await withServer({ mode }, async (url, s) => {
      const judge = judgeFor(url);
      const a = new Annotator(judge, { cacheDir: null, batchSize: 3 });
      a.request(captions.slice(0, 3).map(req));
      await a.idle();
      assert.equal(a.drainLabels(), []);
      const m = a.metrics();
      assert.is((m.judgeErrors as Record<string, number>)[kind], 3);
      assert.is(m.judgeErrorsTotal, 3);
      assert.is(s.requests, 3 * attempts);
      assert.is(judge.stats().retries, 3 * (attempts - 1));
      await a.close();
    });
  });
}

test('flaky server: retries with backoff recover the labels', async () => {
  await withServer({ failFirst: 2 }, async (url) => {
    const judge = judgeFor(url, { concurrency: 1 });
    const res = await judge.label([req('You open the door.'), req('You move north.')]);
    assert.equal(res, [{ ok: true, label: 1 }, { ok: true, label: 0 }]);
    assert.is(judge.stats().retries, 2);
  });
});

test('hanging server: timeouts, then retries, then no label', async () => {
  await withServer({ mode: 'hang' }, async (url, s) => {
    const judge = judgeFor(url, { timeoutMs: 80, retries: 1 });
    const res = await judge.label([req('You open the door.')]);
    assert.equal(res, [{ ok: false, error: 'timeout' }]);
    assert.is(s.requests, 2);
  });
});

test('closing the annotator while the server hangs aborts in-flight requests after the grace period', async () => {
  await withServer({ mode: 'hang' }, async (url) => {
    const a = new Annotator(judgeFor(url, { timeoutMs: 60_000, retries: 0 }), { cacheDir: null });
    a.request([req('You open the door.')]);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(a.metrics().inFlight, 1);
    await a.close(100);
    await new Promise((r) => setImmediate(r));
    assert.is(a.metrics().inFlight, 0);
    assert.is(a.metrics().judgeErrors.network, 1);
  });
});

test('slow but within the timeout still labels', async () => {
  await withServer({ latencyMs: 150 }, async (url) => {
    const judge = judgeFor(url, { timeoutMs: 2000 });
    assert.equal(await judge.label([req('You reach the goal!')]), [{ ok: true, label: 1 }]);
  });
});

test('server down: network errors, counted; the annotator keeps taking requests', async () => {
  const s = await startStandInServer({});
  const url = s.url;
  await s.close();
  const judge = judgeFor(url, { retries: 1 });
  const a = new Annotator(judge, { cacheDir: null });
  a.request(captions.slice(0, 4).map(req));
  await a.idle();
  assert.is(a.metrics().judgeErrors.network, 4);
  // the server comes back on another port: a fresh judge labels the same captions (they were forgotten)
  await withServer({}, async (url2) => {
    const b = new Annotator(judgeFor(url2), { cacheDir: null });
    b.request(captions.slice(0, 4).map(req));
    await b.idle();
    assert.is(b.drainLabels().length, 4);
    await b.close();
  });
  await a.close();
});

test('wrong path: 4xx is not retried', async () => {
  await withServer({}, async (url, s) => {
    const judge = judgeFor(url.replace(/\/v1$/, '/nope'));
    assert.equal(await judge.label([req('You open the door.')]), [{ ok: false, error: 'http_4xx' }]);
    assert.is(s.requests, 1);
  });
});

test('no key in the environment: no Authorization header', async () => {
  await withServer({}, async (url, s) => {
    const judge = new LlmJudge(validateJudgeConfig({ kind: 'llm', baseUrl: url, apiKeyEnv: 'THRIVE_NO_SUCH_KEY' }) as LlmJudgeConfig, { env: {} });
    await judge.label([req('You open the door.')]);
    assert.is(s.authorizations.length, 0);
    assert.match(judge.describe(), /not set/);
  });
});

test('pair mode through the annotator over HTTP', async () => {
  await withServer({}, async (url) => {
    const a = new Annotator(judgeFor(url), { cacheDir: null, mode: 'pair', batchSize: 4 });
    a.request(captions.slice(0, 4).map(req));
    await a.idle();
    const labels = a.drainLabels();
    assert.is(labels.length, 2);
    assert.equal(labels.map((l) => l.pair!.preferred), [0, 0]); // (red key, wall) and (door, move north)
    await a.close();
  });
});

test.run();
