/**
 * The rewards config: which judge labels captions, which reward model is distilled from the labels,
 * how intrinsic and extrinsic rewards combine, and how the annotator queues work.
 *
 * Sources: ONI (Zheng et al., 2024, "Online Intrinsic Rewards for Decision Making Agents from Large
 * Language Model Feedback", facebookresearch/oni); VLM-RM (Rocamonde et al., 2023); Sermanet et al.
 * (2016) "Unsupervised Perceptual Rewards for Imitation Learning". See docs/rewards.md.
 *
 * `validateRewardsConfig(partial)` fills defaults and rejects unknown keys and bad values by name.
 */
import { asObject, bool, num, rejectUnknown, str, strOrNull, type Plain } from './validate.ts';
import { BUILTIN_JUDGE_KINDS, BUILTIN_MODEL_KINDS, ensurePluginFor, judgeKinds, judgePlugin, rewardModelKinds, rewardModelPlugin,
  validatePluginConfig, type PluginConfig } from './registry.ts';

// ───────────────────────────── judges ─────────────────────────────

export interface RubricJudgeConfig {
  kind: 'rubric';
  /**
   * Probability of flipping each label (label noise), to study how the pipeline copes with an imperfect
   * judge. Seeded by `seed` and the caption, so a given caption always gets the same (noisy) label. Default 0.
   */
  noise: number;
  /** Simulated judge latency per batch in ms, to study a slow judge. 0 (default) makes the judge sync-capable. */
  latencyMs: number;
  /**
   * Seed of the label noise. Flips are a hash of (env id, caption, seed): reproducible across batching,
   * order and processes. Any integer; outside the int32 range it is hashed first (see rubric.ts noiseSeed).
   */
  seed: number;
}

export interface LlmJudgeConfig {
  kind: 'llm';
  /** Base URL of an OpenAI-compatible server, up to and including `/v1` (vLLM, llama.cpp server, Ollama, OpenAI). */
  baseUrl: string;
  /** The `model` field sent with every request. */
  model: string;
  /**
   * NAME of the environment variable holding the API key (sent as `Authorization: Bearer …` when set).
   * The key itself is never part of the config, never logged and never written to runs/.
   */
  apiKeyEnv: string;
  /** Maximum chat-completion requests in flight at once. */
  concurrency: number;
  /** Per-request timeout in ms (each attempt). */
  timeoutMs: number;
  /** Retries after the first attempt, for timeouts, network errors, 429 and 5xx (never other 4xx). */
  retries: number;
  /** First backoff in ms; doubles per retry (full jitter), capped by `maxBackoffMs`. A 429's Retry-After wins when larger. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Sampling temperature sent to the server. ONI labels greedily-ish; 0 makes answers repeatable. */
  temperature: number;
  /** max_tokens sent to the server (room for the short analysis before the answer line). */
  maxTokens: number;
  /** 'label': the model answers "Label: yes|no" (ONI's binary helpfulness); 'score': "Score: x" with x in [0, 1]. */
  answer: 'label' | 'score';
  /** Include the worked examples of the env family in the prompt (few-shot). */
  fewShot: boolean;
}

export interface BuiltinEncoderConfig {
  kind: 'builtin';
  /** Side of the colour-layout grid: the embedding is grid×grid×3 block means plus an 8-bin-per-channel histogram. */
  grid: number;
}

export interface TfjsEncoderConfig {
  kind: 'tfjs';
  /** Path to a TensorFlow.js model.json (graph or layers model) on disk; weights are read from beside it. */
  path: string;
  /** Input height × width the frame is resized to; null reads it from the model's input signature. */
  inputHeight: number | null;
  inputWidth: number | null;
  /** Output tensor name (graph models); null takes the first output. 4-D outputs are global-average pooled. */
  output: string | null;
  /** Pixel scaling before the model: '0-1' (x/255), '-1-1' (x/127.5 − 1) or '0-255' (raw). */
  scale: '0-1' | '-1-1' | '0-255';
  /** The paired text encoder's model.json (goals in words); null = the one named in the model's metadata, beside it. */
  textPath: string | null;
}

export interface PerceptualJudgeConfig {
  kind: 'perceptual';
  encoder: BuiltinEncoderConfig | TfjsEncoderConfig;
  /**
   * 'goal': R(s) = 1 − ½‖s − g‖² (cosine to the goal embedding); 'goal-baseline': VLM-RM's projection
   * R(s) = 1 − ½‖(s − g)M_α‖², M_α = αP + (1−α)I, P the projection on g − b; 'steps': progress through
   * demonstration steps (Sermanet et al., 2016).
   */
  mode: 'goal' | 'goal-baseline' | 'steps';
  /** VLM-RM's α in [0, 1]: 0 = plain goal distance, 1 = distance along the baseline→goal direction only. */
  alpha: number;
  /** JSON file with demonstration frames ({ goal, baseline?, demonstration? } of base64 frames); null = set in code. */
  demonstrations: string | null;
  /**
   * Goals in words ('goal' / 'goal-baseline'): g and b are the normalised means of these texts' embeddings
   * by the encoder's paired text encoder (VLM-RM's prompts). Non-empty goalText takes the place of goal frames.
   */
  goalText: string[];
  baselineText: string[];
  /** Number of steps a demonstration is segmented into ('steps' mode). */
  steps: number;
  /** Discriminative features kept per step ('steps' mode). */
  featuresPerStep: number;
  /** 'score': the reward itself is the label; 'binary': 1 when the score exceeds `threshold`, else 0. */
  output: 'score' | 'binary';
  threshold: number;
}

/** The built-in judges' configs. A plug-in judge's config is a `PluginConfig` (see registerJudge). */
export type JudgeConfig = RubricJudgeConfig | LlmJudgeConfig | PerceptualJudgeConfig;

// ─────────────────────────── reward models ───────────────────────────

interface HeldOut {
  /**
   * Share of incoming labels kept aside (by caption hash, so deterministic) and never trained on, to
   * measure accuracy on held-out labels. Default 0.1 for the learned models, 0 for retrieval (a held-out
   * caption would never be rewarded by a lookup table). Every model also reports prequential accuracy:
   * each label is scored before the model learns from it.
   */
  heldOutFraction: number;
}

export interface RetrievalModelConfig extends HeldOut {
  kind: 'retrieval';
}

interface TextNet extends HeldOut {
  /** Hashed character n-gram features (n = 1..ngrams) of the caption, `featureDim` buckets. */
  featureDim: number;
  ngrams: number;
  /** Width of the hidden layer of the MLP. */
  hidden: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Gradient steps taken per `update` call (on minibatches drawn from the replay of all labels). */
  stepsPerUpdate: number;
  batchSize: number;
  /** Labels kept for replay (oldest evicted). */
  replay: number;
  /** Seed of weight init and minibatch draws. */
  seed: number;
}

export interface ClassificationModelConfig extends TextNet {
  kind: 'classification';
  /** ONI: r_int = 1[p(helpful | m) > threshold]. */
  threshold: number;
}

export interface RankingModelConfig extends TextNet {
  kind: 'ranking';
  /** Motif: r_int = 1[r̃ > ε]·r̃ with r̃ the output normalised by running mean/std; this is ε. */
  threshold: number;
}

/** The built-in reward models' configs. A plug-in model's config is a `PluginConfig` (see registerRewardModel). */
export type RewardModelConfig = RetrievalModelConfig | ClassificationModelConfig | RankingModelConfig;

// ───────────────────────────── annotator ─────────────────────────────

export interface AnnotatorConfig {
  /** Items handed to the judge at once (ONI: 100, newest first). */
  batchSize: number;
  /** Maximum pending items. When full, the newest items win: the oldest are dropped and counted. */
  backlog: number;
  /** Directory of the on-disk label cache (kept across runs, keyed by judge id); null disables it. */
  cacheDir: string | null;
  /** How often the cache is written (atomically) while running, in ms; also written on close(). */
  flushEveryMs: number;
  /** Batches in flight at the judge at once. */
  inFlight: number;
  /** 'label': one caption per verdict; 'pair': pairwise preferences (for the ranking model). Default follows model.kind. */
  mode: 'label' | 'pair';
  /** 'auto': label inside request() when the judge is sync-capable (zero latency → reproducible); 'never': always async. */
  sync: 'auto' | 'never';
  /**
   * Keys remembered for deduplication (pending, in flight or labelled), least recently requested forgotten
   * first (LRU), so memory stays flat however many distinct captions a run produces. A forgotten key that
   * comes back is looked up in the label cache (a hit costs no judge call) or judged again. Must be
   * >= `backlog`, so pending items are never forgotten in practice. Default 100 000 (~10 MB).
   */
  maxSeenKeys: number;
  /**
   * Labels kept in the label cache (in memory and in the file), least recently used evicted first.
   * Default 100 000.
   */
  cacheMaxEntries: number;
  /**
   * Labels waiting for `drainLabels()`. When nobody drains, the oldest waiting labels are dropped
   * (counted in `labelsDropped`) and their keys forgotten, so a later request is served from the cache.
   * Default 65 536 (16 s of the fastest judge measured, 4 000 labels/s).
   */
  maxUndrainedLabels: number;
}

export interface RewardsConfig {
  /** A built-in judge's config, or a registered plug-in's (registerJudge). */
  judge: JudgeConfig | PluginConfig;
  /** A built-in reward model's config, or a registered plug-in's (registerRewardModel). */
  model: RewardModelConfig | PluginConfig;
  /** c_ext: weight of the env's reward. ONI uses 10 on sparse-goal tasks and 0.1 on score tasks. */
  cExt: number;
  /** c_int: weight of the intrinsic reward (ONI: 0.4). */
  cInt: number;
  /** β: intrinsic reward is divided by N(m)^β, N the count of the message within the episode (ONI's code: 3). */
  beta: number;
  annotator: AnnotatorConfig;
}

const TOP_KEYS = ['judge', 'model', 'cExt', 'cInt', 'beta', 'annotator'] as const;

/** A judge config with defaults: a built-in kind, or a kind registered with registerJudge (its own validate runs). */
export function validateJudgeConfig(partial: unknown, path = 'rewards.judge'): JudgeConfig | PluginConfig {
  const o = asObject(partial, path);
  ensurePluginFor(o, BUILTIN_JUDGE_KINDS, 'judge', path);
  const kind = str(o, 'kind', 'rubric', path, judgeKinds());
  const plugin = judgePlugin(kind);
  if (plugin) return validatePluginConfig(plugin, o, path);
  if (kind === 'rubric') {
    rejectUnknown(o, ['kind', 'noise', 'latencyMs', 'seed'], path);
    return {
      kind,
      noise: num(o, 'noise', 0, path, { min: 0, max: 1 }),
      latencyMs: num(o, 'latencyMs', 0, path, { min: 0 }),
      seed: num(o, 'seed', 0, path, { int: true }),
    };
  }
  if (kind === 'llm') {
    rejectUnknown(o, ['kind', 'baseUrl', 'model', 'apiKeyEnv', 'concurrency', 'timeoutMs', 'retries', 'backoffMs',
      'maxBackoffMs', 'temperature', 'maxTokens', 'answer', 'fewShot'], path);
    const baseUrl = str(o, 'baseUrl', 'http://127.0.0.1:8000/v1', path);
    try { const u = new URL(baseUrl); if (!/^https?:$/.test(u.protocol)) throw new Error(); } catch {
      throw new Error(`${path}.baseUrl: '${baseUrl}' is not a valid http(s) URL (e.g. http://127.0.0.1:8000/v1)`);
    }
    const apiKeyEnv = str(o, 'apiKeyEnv', 'OPENAI_API_KEY', path);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) {
      throw new Error(`${path}.apiKeyEnv: must be the NAME of an environment variable (letters, digits, _), not the key itself`);
    }
    return {
      kind, baseUrl: baseUrl.replace(/\/+$/, ''), apiKeyEnv,
      model: str(o, 'model', 'judge', path),
      concurrency: num(o, 'concurrency', 4, path, { int: true, min: 1 }),
      timeoutMs: num(o, 'timeoutMs', 30_000, path, { min: 1 }),
      retries: num(o, 'retries', 3, path, { int: true, min: 0 }),
      backoffMs: num(o, 'backoffMs', 500, path, { min: 0 }),
      maxBackoffMs: num(o, 'maxBackoffMs', 8_000, path, { min: 0 }),
      temperature: num(o, 'temperature', 0, path, { min: 0, max: 2 }),
      maxTokens: num(o, 'maxTokens', 256, path, { int: true, min: 1 }),
      answer: str(o, 'answer', 'label', path, ['label', 'score']) as 'label' | 'score',
      fewShot: bool(o, 'fewShot', true, path),
    };
  }
  rejectUnknown(o, ['kind', 'encoder', 'mode', 'alpha', 'demonstrations', 'goalText', 'baselineText', 'steps', 'featuresPerStep', 'output', 'threshold'], path);
  const ep = `${path}.encoder`;
  const e = asObject(o.encoder, ep);
  const ekind = str(e, 'kind', 'builtin', ep, ['builtin', 'tfjs']);
  let encoder: BuiltinEncoderConfig | TfjsEncoderConfig;
  if (ekind === 'builtin') {
    rejectUnknown(e, ['kind', 'grid'], ep);
    encoder = { kind: 'builtin', grid: num(e, 'grid', 4, ep, { int: true, min: 1, max: 64 }) };
  } else {
    rejectUnknown(e, ['kind', 'path', 'inputHeight', 'inputWidth', 'output', 'scale', 'textPath'], ep);
    const p = str(e, 'path', '', ep);
    if (!p) throw new Error(`${ep}.path: required for a tfjs encoder (path to a model.json on disk)`);
    const dim = (k: string) => (e[k] === undefined || e[k] === null ? null : num(e, k, 0, ep, { int: true, min: 1 }));
    encoder = {
      kind: 'tfjs', path: p, inputHeight: dim('inputHeight'), inputWidth: dim('inputWidth'),
      output: strOrNull(e, 'output', null, ep),
      scale: str(e, 'scale', '0-1', ep, ['0-1', '-1-1', '0-255']) as TfjsEncoderConfig['scale'],
      textPath: strOrNull(e, 'textPath', null, ep),
    };
  }
  const texts = (k: string): string[] => {
    const v = o[k] ?? [];
    if (!Array.isArray(v) || !v.every((t) => typeof t === 'string' && t.trim())) throw new Error(`${path}.${k}: expected an array of non-empty strings, got ${JSON.stringify(v)}`);
    return [...v];
  };
  const goalText = texts('goalText'), baselineText = texts('baselineText');
  const mode = str(o, 'mode', 'goal-baseline', path, ['goal', 'goal-baseline', 'steps']) as PerceptualJudgeConfig['mode'];
  if ((goalText.length || baselineText.length) && (mode === 'steps' || encoder.kind !== 'tfjs')) {
    throw new Error(`${path}.goalText: goals in words need mode 'goal' or 'goal-baseline' and a tfjs encoder with a paired text encoder (got mode '${mode}', encoder '${encoder.kind}')`);
  }
  if (mode === 'goal-baseline' && baselineText.length && !goalText.length) throw new Error(`${path}.baselineText: given without goalText`);
  if (mode === 'goal-baseline' && goalText.length && !baselineText.length) throw new Error(`${path}.goalText: mode 'goal-baseline' needs baselineText too (or use mode 'goal')`);
  return {
    kind: 'perceptual', encoder, mode,
    alpha: num(o, 'alpha', 0.5, path, { min: 0, max: 1 }),
    demonstrations: strOrNull(o, 'demonstrations', null, path),
    goalText, baselineText,
    steps: num(o, 'steps', 3, path, { int: true, min: 1 }),
    featuresPerStep: num(o, 'featuresPerStep', 16, path, { int: true, min: 1 }),
    output: str(o, 'output', 'score', path, ['score', 'binary']) as 'score' | 'binary',
    threshold: num(o, 'threshold', 0.5, path),
  };
}

/** A reward model config with defaults: a built-in kind, or one registered with registerRewardModel. */
export function validateModelConfig(partial: unknown, path = 'rewards.model'): RewardModelConfig | PluginConfig {
  const o = asObject(partial, path);
  ensurePluginFor(o, BUILTIN_MODEL_KINDS, 'model', path);
  const kind = str(o, 'kind', 'retrieval', path, rewardModelKinds());
  const plugin = rewardModelPlugin(kind);
  if (plugin) return validatePluginConfig(plugin, o, path);
  const heldOutFraction = num(o, 'heldOutFraction', kind === 'retrieval' ? 0 : 0.1, path, { min: 0, max: 0.9 });
  if (kind === 'retrieval') {
    rejectUnknown(o, ['kind', 'heldOutFraction'], path);
    return { kind, heldOutFraction };
  }
  rejectUnknown(o, ['kind', 'heldOutFraction', 'featureDim', 'ngrams', 'hidden', 'learningRate', 'stepsPerUpdate',
    'batchSize', 'replay', 'seed', 'threshold'], path);
  const net = {
    heldOutFraction,
    featureDim: num(o, 'featureDim', 512, path, { int: true, min: 8 }),
    ngrams: num(o, 'ngrams', 3, path, { int: true, min: 1, max: 5 }),
    hidden: num(o, 'hidden', 32, path, { int: true, min: 1 }),
    learningRate: num(o, 'learningRate', 0.01, path, { min: 0, exclusiveMin: true }),
    stepsPerUpdate: num(o, 'stepsPerUpdate', 4, path, { int: true, min: 0 }),
    batchSize: num(o, 'batchSize', 32, path, { int: true, min: 1 }),
    replay: num(o, 'replay', 4096, path, { int: true, min: 1 }),
    seed: num(o, 'seed', 0, path, { int: true }),
  };
  if (kind === 'classification') return { kind, ...net, threshold: num(o, 'threshold', 0.5, path, { min: 0, max: 1 }) };
  return { kind: 'ranking', ...net, threshold: num(o, 'threshold', 0, path) };
}

export function validateAnnotatorConfig(partial: unknown, modelKind: string = 'retrieval',
  path = 'rewards.annotator'): AnnotatorConfig {
  const defaultMode = modelKind === 'ranking' || rewardModelPlugin(modelKind)?.options.annotatorMode === 'pair' ? 'pair' : 'label';
  const o = asObject(partial, path);
  rejectUnknown(o, ['batchSize', 'backlog', 'cacheDir', 'flushEveryMs', 'inFlight', 'mode', 'sync', 'maxSeenKeys',
    'cacheMaxEntries', 'maxUndrainedLabels'], path);
  const backlog = num(o, 'backlog', 4096, path, { int: true, min: 1 });
  const maxSeenKeys = num(o, 'maxSeenKeys', Math.max(100_000, backlog), path, { int: true, min: 1 });
  if (maxSeenKeys < backlog) {
    throw new Error(`${path}.maxSeenKeys: must be >= backlog (${backlog}) so pending items stay deduplicated, got ${maxSeenKeys}`);
  }
  return {
    batchSize: num(o, 'batchSize', 100, path, { int: true, min: 1 }),
    backlog,
    maxSeenKeys,
    cacheMaxEntries: num(o, 'cacheMaxEntries', 100_000, path, { int: true, min: 1 }),
    maxUndrainedLabels: num(o, 'maxUndrainedLabels', 65_536, path, { int: true, min: 1 }),
    cacheDir: strOrNull(o, 'cacheDir', 'runs/.label-cache', path),
    flushEveryMs: num(o, 'flushEveryMs', 5_000, path, { min: 0 }),
    inFlight: num(o, 'inFlight', 2, path, { int: true, min: 1 }),
    mode: str(o, 'mode', defaultMode, path, ['label', 'pair']) as 'label' | 'pair',
    sync: str(o, 'sync', 'auto', path, ['auto', 'never']) as 'auto' | 'never',
  };
}

/** Full rewards config from a partial one; throws an Error naming any unknown key or bad value. */
export function validateRewardsConfig(partial: unknown = {}): RewardsConfig {
  const o: Plain = asObject(partial, 'rewards');
  rejectUnknown(o, TOP_KEYS, 'rewards');
  const model = validateModelConfig(o.model);
  return {
    judge: validateJudgeConfig(o.judge),
    model,
    cExt: num(o, 'cExt', 10, 'rewards'),
    cInt: num(o, 'cInt', 0.4, 'rewards'),
    beta: num(o, 'beta', 3, 'rewards', { min: 0 }),
    annotator: validateAnnotatorConfig(o.annotator, model.kind),
  };
}
