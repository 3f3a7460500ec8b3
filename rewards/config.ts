/**
 * The rewards config: which judge labels captions, which reward model is distilled from the labels,
 * how intrinsic and extrinsic rewards combine, and how the annotator queues work.
 *
 * Sources: ONI (Zheng et al., 2024, "Online Intrinsic Rewards for Decision Making Agents from Large
 * Language Model Feedback", facebookresearch/oni); VLM-RM (Rocamonde et al., 2023); Sermanet et al.
 * (2016) "Unsupervised Perceptual Rewards for Imitation Learning". See docs/rewards.md.
 *
 * Every option is declared once, with its default and doc, as a core/schema.ts schema; the judge, reward
 * model and encoder are `union` specs told apart by `kind`, and plug-in kinds (registry.ts) join them
 * through the union's `extra` hook. `validateRewardsConfig(partial)` = parse + the cross-field rules below.
 */
import { ConfigError, joinKey, parse, parseOption, show, type Infer, type Plain, type Schema, type UnionSpec } from '../core/schema.ts';
import { BUILTIN_JUDGE_KINDS, BUILTIN_MODEL_KINDS, ensurePluginFor, judgeKinds, judgePlugin, rewardModelKinds, rewardModelPlugin,
  validatePluginConfig, type PluginConfig } from './registry.ts';
import { ANNOTATOR_FAULT_OPTIONS } from './retry.ts';
import { LLM_LIMIT_OPTIONS } from './judges/llm.ts';
import { CONTROL_JUDGE_KINDS, NOVELTY_OPTIONS, SHUFFLED_OPTIONS, type NoveltyJudgeConfig, type ShuffledJudgeConfig } from './judges/controls.ts';
import { CINT_SCHEDULE_OPTIONS } from './schedule.ts';

export type { NoveltyJudgeConfig, ShuffledJudgeConfig };
export type { CIntSchedule } from './schedule.ts';

// ───────────────────────────── judges ─────────────────────────────

export const RUBRIC_JUDGE_OPTIONS = {
  noise: {
    type: 'number', default: 0, min: 0, max: 1,
    doc: 'Probability of flipping each label (label noise), to study how the pipeline copes with an imperfect judge. Seeded by `seed` and the caption, so a given caption always gets the same (noisy) label.',
  },
  latencyMs: { type: 'number', default: 0, min: 0, doc: 'Simulated judge latency per batch in ms, to study a slow judge. 0 makes the judge sync-capable.' },
  seed: {
    type: 'int', default: 0,
    doc: 'Seed of the label noise. Flips are a hash of (env id, caption, seed): reproducible across batching, order and processes. Any integer; outside the int32 range it is hashed first (see rubric.ts noiseSeed).',
  },
} as const satisfies Schema;

export const LLM_JUDGE_OPTIONS = {
  baseUrl: { type: 'string', default: 'http://127.0.0.1:8000/v1', doc: 'Base URL of an OpenAI-compatible server, up to and including `/v1` (vLLM, llama.cpp server, Ollama, OpenAI); trailing slashes are removed.' },
  model: { type: 'string', default: 'judge', doc: 'The `model` field sent with every request.' },
  apiKeyEnv: {
    type: 'string', default: 'OPENAI_API_KEY', pattern: { re: /^[A-Za-z_][A-Za-z0-9_]*$/, what: 'the NAME of an environment variable: letters, digits, _ — not the key itself' },
    doc: 'NAME of the environment variable holding the API key (sent as `Authorization: Bearer …` when set). The key itself is never part of the config, never logged and never written to runs/.',
  },
  concurrency: { type: 'int', default: 4, min: 1, doc: 'Maximum chat-completion requests in flight at once.' },
  timeoutMs: { type: 'number', default: 30_000, min: 1, doc: 'Per-request timeout in ms (each attempt).' },
  retries: { type: 'int', default: 3, min: 0, doc: 'Retries after the first attempt, for timeouts, network errors, 429 and 5xx (never other 4xx).' },
  backoffMs: { type: 'number', default: 500, min: 0, doc: "First backoff in ms; doubles per retry (full jitter), capped by `maxBackoffMs`. A 429's Retry-After wins when larger." },
  maxBackoffMs: { type: 'number', default: 8_000, min: 0, doc: 'Largest backoff between retries, in ms.' },
  temperature: { type: 'number', default: 0, min: 0, max: 2, doc: 'Sampling temperature sent to the server. ONI labels greedily-ish; 0 makes answers repeatable.' },
  maxTokens: { type: 'int', default: 256, min: 1, doc: 'max_tokens sent to the server (room for the short analysis before the answer line).' },
  answer: { type: 'enum', values: ['label', 'score'], default: 'label', doc: "'label': the model answers \"Label: yes|no\" (ONI's binary helpfulness); 'score': \"Score: x\" with x in [0, 1]." },
  fewShot: { type: 'boolean', default: true, doc: 'Include the worked examples of the env family in the prompt (few-shot).' },
  ...LLM_LIMIT_OPTIONS,
} as const satisfies Schema;

export const ENCODER_OPTIONS = {
  type: 'union', default: 'builtin', doc: 'The image encoder that embeds frames.',
  variants: {
    builtin: {
      grid: { type: 'int', default: 4, min: 1, max: 64, doc: 'Side of the colour-layout grid: the embedding is grid×grid×3 block means plus an 8-bin-per-channel histogram.' },
    },
    tfjs: {
      path: { type: 'string', default: null, nonEmpty: true, required: true, doc: 'Path to a TensorFlow.js model.json (graph or layers model) on disk; weights are read from beside it.' },
      inputHeight: { type: 'int', default: null, min: 1, nullable: true, doc: "Input height the frame is resized to; null reads it from the model's input signature." },
      inputWidth: { type: 'int', default: null, min: 1, nullable: true, doc: "Input width the frame is resized to; null reads it from the model's input signature." },
      output: { type: 'string', default: null, nullable: true, doc: 'Output tensor name (graph models); null takes the first output. 4-D outputs are global-average pooled.' },
      scale: { type: 'enum', values: ['0-1', '-1-1', '0-255'], default: '0-1', doc: "Pixel scaling before the model: '0-1' (x/255), '-1-1' (x/127.5 − 1) or '0-255' (raw)." },
      textPath: { type: 'string', default: null, nullable: true, doc: "The paired text encoder's model.json (goals in words); null = the one named in the model's metadata, beside it." },
    },
  },
} as const satisfies UnionSpec;

export const PERCEPTUAL_JUDGE_OPTIONS = {
  encoder: ENCODER_OPTIONS,
  mode: {
    type: 'enum', values: ['goal', 'goal-baseline', 'steps'], default: 'goal-baseline',
    doc: "'goal': R(s) = 1 − ½‖s − g‖² (cosine to the goal embedding); 'goal-baseline': VLM-RM's projection R(s) = 1 − ½‖(s − g)M_α‖², M_α = αP + (1−α)I, P the projection on g − b; 'steps': progress through demonstration steps (Sermanet et al., 2016).",
  },
  alpha: { type: 'number', default: 0.5, min: 0, max: 1, doc: "VLM-RM's α: 0 = plain goal distance, 1 = distance along the baseline→goal direction only." },
  demonstrations: { type: 'string', default: null, nullable: true, doc: 'JSON file with demonstration frames ({ goal, baseline?, demonstration? } of base64 frames); null = set in code (the runner generates them with the env\'s solve()).' },
  goalText: {
    type: 'string[]', default: [], nonEmpty: true,
    doc: "Goals in words ('goal' / 'goal-baseline'; VLM-RM's prompts): g is the normalised mean of these texts' embeddings by the encoder's paired text encoder. Non-empty goalText takes the place of goal frames; needs a tfjs encoder with a text encoder.",
  },
  baselineText: { type: 'string[]', default: [], nonEmpty: true, doc: "The baseline b in words ('goal-baseline' with goalText): the normalised mean of these texts' embeddings." },
  steps: { type: 'int', default: 3, min: 1, doc: "Number of steps a demonstration is segmented into ('steps' mode)." },
  featuresPerStep: { type: 'int', default: 16, min: 1, doc: "Discriminative features kept per step ('steps' mode)." },
  output: { type: 'enum', values: ['score', 'binary'], default: 'score', doc: "'score': the reward itself is the label; 'binary': 1 when the score exceeds `threshold`, else 0." },
  threshold: { type: 'number', default: 0.5, doc: "The score above which 'binary' output labels 1." },
} as const satisfies Schema;

/** The judge: a built-in kind, or a kind registered with registerJudge (its own validate runs). */
export const JUDGE_OPTIONS = {
  type: 'union', default: 'rubric', doc: 'The judge that labels captions (or frames).',
  variants: { rubric: RUBRIC_JUDGE_OPTIONS, llm: LLM_JUDGE_OPTIONS, perceptual: PERCEPTUAL_JUDGE_OPTIONS, novelty: NOVELTY_OPTIONS, shuffled: SHUFFLED_OPTIONS },
  extra: {
    kinds: () => judgeKinds().slice(BUILTIN_JUDGE_KINDS.length),
    parse: (kind, value, key) => validatePluginConfig(judgePlugin(kind)!, value, key),
  },
} as const satisfies UnionSpec;

// ─────────────────────────── reward models ───────────────────────────

const HELD_OUT_DOC = 'Share of incoming labels kept aside (by caption hash, so deterministic) and never trained on, to measure accuracy on held-out labels. Every model also reports prequential accuracy: each label is scored before the model learns from it.';

const TEXT_NET_OPTIONS = {
  heldOutFraction: { type: 'number', default: 0.1, min: 0, max: 0.9, doc: HELD_OUT_DOC },
  featureDim: { type: 'int', default: 512, min: 8, doc: 'Hashed character n-gram features (n = 1..ngrams) of the caption: the number of buckets.' },
  ngrams: { type: 'int', default: 3, min: 1, max: 5, doc: 'Longest character n-gram hashed into the features.' },
  hidden: { type: 'int', default: 32, min: 1, doc: 'Width of the hidden layer of the MLP.' },
  learningRate: { type: 'number', default: 0.01, min: 0, exclusiveMin: true, doc: 'Adam learning rate.' },
  stepsPerUpdate: { type: 'int', default: 4, min: 0, doc: 'Gradient steps taken per `update` call (on minibatches drawn from the replay of all labels).' },
  batchSize: { type: 'int', default: 32, min: 1, doc: 'Labels per gradient step.' },
  replay: { type: 'int', default: 4096, min: 1, doc: 'Labels kept for replay (oldest evicted).' },
  seed: { type: 'int', default: 0, doc: 'Seed of weight init and minibatch draws.' },
} as const satisfies Schema;

/** The reward model: a built-in kind, or one registered with registerRewardModel. */
export const MODEL_OPTIONS = {
  type: 'union', default: 'retrieval', doc: 'The reward model distilled from the labels.',
  variants: {
    retrieval: {
      heldOutFraction: { type: 'number', default: 0, min: 0, max: 0.9, doc: `${HELD_OUT_DOC} 0 for retrieval: a held-out caption would never be rewarded by a lookup table.` },
    },
    classification: {
      ...TEXT_NET_OPTIONS,
      threshold: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'ONI: r_int = 1[p(helpful | m) > threshold].' },
    },
    ranking: {
      ...TEXT_NET_OPTIONS,
      threshold: { type: 'number', default: 0, doc: 'Motif: r_int = 1[r̃ > ε]·r̃ with r̃ the output normalised by running mean/std; this is ε.' },
    },
  },
  extra: {
    kinds: () => rewardModelKinds().slice(BUILTIN_MODEL_KINDS.length),
    parse: (kind, value, key) => validatePluginConfig(rewardModelPlugin(kind)!, value, key),
  },
} as const satisfies UnionSpec;

// ───────────────────────────── annotator ─────────────────────────────

export const ANNOTATOR_OPTIONS = {
  batchSize: { type: 'int', default: 100, min: 1, doc: 'Items handed to the judge at once (ONI: 100, newest first).' },
  backlog: { type: 'int', default: 4096, min: 1, doc: 'Maximum pending items. When full, the newest items win: the oldest are dropped and counted.' },
  cacheDir: { type: 'string', default: 'runs/.label-cache', nullable: true, doc: 'Directory of the on-disk label cache (kept across runs, keyed by judge id); null disables it. Must be creatable and writable (checked before a run starts).' },
  flushEveryMs: { type: 'number', default: 5_000, min: 0, doc: 'How often the cache is written (atomically) while running, in ms; also written on close().' },
  inFlight: { type: 'int', default: 2, min: 1, doc: 'Batches in flight at the judge at once.' },
  mode: {
    type: 'enum', values: ['label', 'pair'], default: 'label',
    doc: "'label': one caption per verdict; 'pair': pairwise preferences (for the ranking model). When not given it follows the model: 'pair' for model.kind 'ranking' or a plug-in registered with annotatorMode 'pair', else 'label'.",
  },
  sync: { type: 'enum', values: ['auto', 'never'], default: 'auto', doc: "'auto': label inside request() when the judge is sync-capable (zero latency → reproducible); 'never': always async." },
  maxSeenKeys: {
    type: 'int', default: 100_000, min: 1,
    doc: 'Keys remembered for deduplication (pending, in flight or labelled), least recently requested forgotten first (LRU), so memory stays flat however many distinct captions a run produces (100 000 ≈ 10 MB). A forgotten key that comes back is looked up in the label cache (a hit costs no judge call) or judged again. Must be >= `backlog`, so pending items are never forgotten in practice; when not given it is raised to `backlog` if that is larger.',
  },
  cacheMaxEntries: { type: 'int', default: 100_000, min: 1, doc: 'Labels kept in the label cache (in memory and in the file), least recently used evicted first.' },
  maxUndrainedLabels: {
    type: 'int', default: 65_536, min: 1,
    doc: 'Labels waiting for `drainLabels()`. When nobody drains, the oldest waiting labels are dropped (counted in `labelsDropped`) and their keys forgotten, so a later request is served from the cache. 65 536 ≈ 16 s of the fastest judge measured (4 000 labels/s).',
  },
  ...ANNOTATOR_FAULT_OPTIONS,
} as const satisfies Schema;

// ───────────────────────────── the section ─────────────────────────────

/** The experiment's `rewards` section. */
export const REWARDS_OPTIONS = {
  judge: JUDGE_OPTIONS,
  model: MODEL_OPTIONS,
  cExt: { type: 'number', default: 10, doc: "c_ext: weight of the env's reward. ONI uses 10 on sparse-goal tasks and 0.1 on score tasks." },
  cInt: { type: 'number', default: 0.4, doc: 'c_int: weight of the intrinsic reward (ONI: 0.4).' },
  beta: { type: 'number', default: 3, min: 0, doc: "β: intrinsic reward is divided by N(m)^β, N the count of the message within the episode (ONI's code: 3)." },
  cIntSchedule: { type: 'object', schema: CINT_SCHEDULE_OPTIONS, doc: 'Annealing of c_int over training (rewards/schedule.ts); constant by default (ONI).' },
  annotator: { type: 'object', schema: ANNOTATOR_OPTIONS, doc: 'The annotator queues, the label cache, retries and budgets.' },
} as const satisfies Schema;

type Variants<U> = U extends { variants: infer V } ? V : never;
type VariantConfig<U, K extends keyof Variants<U>> = { kind: K } & (Variants<U>[K] extends Schema ? Infer<Variants<U>[K]> : never);

export type RubricJudgeConfig = VariantConfig<typeof JUDGE_OPTIONS, 'rubric'>;
export type LlmJudgeConfig = VariantConfig<typeof JUDGE_OPTIONS, 'llm'>;
export type PerceptualJudgeConfig = VariantConfig<typeof JUDGE_OPTIONS, 'perceptual'>;
export type BuiltinEncoderConfig = VariantConfig<typeof ENCODER_OPTIONS, 'builtin'>;
export type TfjsEncoderConfig = VariantConfig<typeof ENCODER_OPTIONS, 'tfjs'>;
/** The built-in judges' configs. A plug-in judge's config is a `PluginConfig` (see registerJudge). */
export type JudgeConfig = RubricJudgeConfig | LlmJudgeConfig | PerceptualJudgeConfig | NoveltyJudgeConfig | ShuffledJudgeConfig;

export type RetrievalModelConfig = VariantConfig<typeof MODEL_OPTIONS, 'retrieval'>;
export type ClassificationModelConfig = VariantConfig<typeof MODEL_OPTIONS, 'classification'>;
export type RankingModelConfig = VariantConfig<typeof MODEL_OPTIONS, 'ranking'>;
/** The built-in reward models' configs. A plug-in model's config is a `PluginConfig` (see registerRewardModel). */
export type RewardModelConfig = RetrievalModelConfig | ClassificationModelConfig | RankingModelConfig;

export type AnnotatorConfig = Infer<typeof ANNOTATOR_OPTIONS>;

export interface RewardsConfig extends Omit<Infer<typeof REWARDS_OPTIONS>, 'judge' | 'model'> {
  /** A built-in judge's config, or a registered plug-in's (registerJudge). */
  judge: JudgeConfig | PluginConfig;
  /** A built-in reward model's config, or a registered plug-in's (registerRewardModel). */
  model: RewardModelConfig | PluginConfig;
}

/** What users write: every key optional. */
export type RewardsConfigInput = Partial<Record<keyof typeof REWARDS_OPTIONS, unknown>> & {
  judge?: Plain; model?: Plain; cExt?: number; cInt?: number; beta?: number; annotator?: Partial<AnnotatorConfig>;
};

function plain(v: unknown): Plain | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Plain) : undefined;
}

/** A judge config with defaults: a built-in kind, or a kind registered with registerJudge (its own validate runs). */
export function validateJudgeConfig(partial: unknown, path = 'rewards.judge'): JudgeConfig | PluginConfig {
  const o = plain(partial);
  if (o) ensurePluginFor(o, BUILTIN_JUDGE_KINDS, 'judge', path);
  const judge = parseOption(JUDGE_OPTIONS, partial ?? {}, path) as JudgeConfig | PluginConfig;
  if (judge.kind === 'llm') {
    const llm = judge as LlmJudgeConfig;
    let ok = false;
    try { ok = /^https?:$/.test(new URL(llm.baseUrl).protocol); } catch { /* not a URL */ }
    if (!ok) throw new ConfigError(`config key '${joinKey(path, 'baseUrl')}' must be an http(s) URL (e.g. http://127.0.0.1:8000/v1), got ${show(llm.baseUrl)}`);
    llm.baseUrl = llm.baseUrl.replace(/\/+$/, '');
  }
  if (judge.kind === 'perceptual') {
    const pj = judge as PerceptualJudgeConfig;
    if ((pj.goalText.length || pj.baselineText.length) && (pj.mode === 'steps' || pj.encoder.kind !== 'tfjs')) {
      throw new ConfigError(`config key '${joinKey(path, 'goalText')}': goals in words need mode 'goal' or 'goal-baseline' and a tfjs encoder with a paired text encoder (got mode '${pj.mode}', encoder '${pj.encoder.kind}')`);
    }
    if (pj.mode === 'goal-baseline' && pj.baselineText.length && !pj.goalText.length) throw new ConfigError(`config key '${joinKey(path, 'baselineText')}' is given without '${joinKey(path, 'goalText')}'`);
    if (pj.mode === 'goal-baseline' && pj.goalText.length && !pj.baselineText.length) throw new ConfigError(`config key '${joinKey(path, 'goalText')}': mode 'goal-baseline' needs '${joinKey(path, 'baselineText')}' too (or use mode 'goal')`);
  }
  if (judge.kind === 'shuffled') {
    // The control's inner judge is a judge config of its own (any kind but perceptual and the controls).
    const sh = judge as unknown as ShuffledJudgeConfig;
    const innerPath = joinKey(path, 'inner');
    sh.inner = validateJudgeConfig(sh.inner, innerPath);
    if (sh.inner.kind === 'perceptual' || (CONTROL_JUDGE_KINDS as readonly string[]).includes(sh.inner.kind)) {
      throw new ConfigError(`config key '${joinKey(innerPath, 'kind')}' must be 'rubric', 'llm' or a plug-in judge: '${sh.inner.kind}' cannot be shuffled (perceptual labels are keyed by frame; the controls have nothing to shuffle)`);
    }
  }
  return judge;
}

/** A reward model config with defaults: a built-in kind, or one registered with registerRewardModel. */
export function validateModelConfig(partial: unknown, path = 'rewards.model'): RewardModelConfig | PluginConfig {
  const o = plain(partial);
  if (o) ensurePluginFor(o, BUILTIN_MODEL_KINDS, 'model', path);
  return parseOption(MODEL_OPTIONS, partial ?? {}, path) as RewardModelConfig | PluginConfig;
}

/** The annotator's config; `modelKind` sets the default `mode` (see ANNOTATOR_OPTIONS.mode). */
export function validateAnnotatorConfig(partial: unknown, modelKind: string = 'retrieval', path = 'rewards.annotator'): AnnotatorConfig {
  const c = parse(ANNOTATOR_OPTIONS, partial, path);
  const given = plain(partial) ?? {};
  if (given.mode === undefined) c.mode = modelKind === 'ranking' || rewardModelPlugin(modelKind)?.options.annotatorMode === 'pair' ? 'pair' : 'label';
  if (given.maxSeenKeys === undefined) c.maxSeenKeys = Math.max(c.maxSeenKeys, c.backlog);
  else if (c.maxSeenKeys < c.backlog) {
    throw new ConfigError(`config key '${joinKey(path, 'maxSeenKeys')}' must be >= '${joinKey(path, 'backlog')}' (${c.backlog}) so pending items stay deduplicated, got ${c.maxSeenKeys}`);
  }
  return c;
}

/** Full rewards config from a partial one: parse + the cross-field rules of each section. */
export function validateRewardsConfig(partial: unknown = {}, path = 'rewards'): RewardsConfig {
  const o = plain(partial);
  if (!o) throw new ConfigError(`config key '${path}' must be an object (or null for extrinsic rewards only), got ${show(partial)}`);
  // The judge and model sections have cross-field rules of their own: parse them with those, the rest here.
  const { judge, model, annotator, ...rest } = o;
  const base = parse(REWARDS_OPTIONS, rest, path);
  const m = validateModelConfig(model, joinKey(path, 'model'));
  return {
    ...base,
    judge: validateJudgeConfig(judge, joinKey(path, 'judge')),
    model: m,
    annotator: validateAnnotatorConfig(annotator, m.kind, joinKey(path, 'annotator')),
  };
}
