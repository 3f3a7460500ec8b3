/**
 * Types shared inside rewards/: judges, judge results, reward models. The annotation contract
 * (`AnnotationRequest`, `AnnotationLabel`, `AnnotationChannel`) is core/'s, re-exported unchanged.
 */
import type { AnnotationLabel, AnnotationRequest } from '../core/types.ts';

export type { AnnotationChannel, AnnotationLabel, AnnotationRequest, EnvContext } from '../core/types.ts';

/** An RGB frame as `env.render()` returns it: H×W×3 bytes, row-major. */
export interface Frame {
  rgb: Uint8Array;
  height: number;
  width: number;
}

/**
 * Why a judge gave no label. Counted by kind in the annotator's metrics.
 *  - timeout: no answer within `timeoutMs` (after retries)
 *  - http_429 / http_5xx / http_4xx: the server answered with that status (after retries where retried)
 *  - network: connection refused / reset / DNS
 *  - malformed_json: the HTTP body was not the chat-completions JSON shape
 *  - unparseable: the model's text did not end with the required answer line
 *  - invalid_label: the answer line named a label / score / preference outside the allowed set
 *  - no_frame: a perceptual judge was given a request without a frame
 *  - exception: anything else thrown inside a judge (contained, never rethrown)
 *  - response_too_large: the reply body exceeded the judge's size bound (LLM `maxResponseBytes`); abandoned
 *  - budget: the judge's budget of requests is spent (LLM `maxRequests`); nothing was sent
 */
export type JudgeErrorKind =
  | 'timeout' | 'http_429' | 'http_5xx' | 'http_4xx' | 'network' | 'malformed_json'
  | 'unparseable' | 'invalid_label' | 'no_frame' | 'exception' | 'response_too_large' | 'budget';

export const JUDGE_ERROR_KINDS: readonly JudgeErrorKind[] = [
  'timeout', 'http_429', 'http_5xx', 'http_4xx', 'network', 'malformed_json',
  'unparseable', 'invalid_label', 'no_frame', 'exception', 'response_too_large', 'budget',
];

/**
 * Failures of the judge's transport (the server is down, overloaded or broken), as opposed to an answer
 * that could not be used. The annotator retries these with backoff and counts them towards its circuit
 * breaker (rewards/retry.ts); the others are final for that item.
 */
export const TRANSIENT_JUDGE_ERRORS: ReadonlySet<JudgeErrorKind> = new Set<JudgeErrorKind>([
  'timeout', 'http_429', 'http_5xx', 'network', 'malformed_json', 'response_too_large', 'exception',
]);

/** What a judge that makes requests reports about them (the LLM judge; shown in the annotator's metrics). */
export interface JudgeCounters {
  /** HTTP requests made (retries included). */
  attempts: number;
  /** Of which retries. */
  retries: number;
  /** Requests left in the judge's budget (`maxRequests`); NaN when unlimited. */
  budgetLeft: number;
}

/** One judge verdict: a scalar label (1 helpful / 0 not, or a score) or the reason there is none. */
export type JudgeResult = { ok: true; label: number } | { ok: false; error: JudgeErrorKind };

/**
 * A pairwise verdict: 0 = the first item is better, 1 = the second, 0.5 = tie
 * (the convention of `AnnotationLabel.pair.preferred`, where the label's `caption` is the first item).
 */
export type PairResult = { ok: true; preferred: 0 | 0.5 | 1 } | { ok: false; error: JudgeErrorKind };

/** One interface for every judge; chosen by `judge.kind` in the rewards config (built-in or registered). */
export interface Judge {
  /** 'rubric' | 'llm' | 'perceptual', or the kind a plug-in was registered under (registerJudge). */
  readonly kind: string;
  /**
   * A fingerprint of everything that changes the judge's answers (kind, model, prompt version, rules,
   * noise, seed). The label cache on disk is keyed by it, so a changed judge never reuses stale labels.
   * Never contains a secret.
   */
  readonly id: string;
  /** Labels for a batch; one result per item, in order. Must not throw (errors are results). */
  label(items: AnnotationRequest[]): Promise<JudgeResult[]>;
  /** Preferences for pairs (ranking reward model); one result per pair. Must not throw. */
  compare(pairs: Array<[AnnotationRequest, AnnotationRequest]>): Promise<PairResult[]>;
  /** Present when the judge can answer synchronously (rubric with zero latency): reproducible runs. */
  labelSync?(items: AnnotationRequest[]): JudgeResult[];
  compareSync?(pairs: Array<[AnnotationRequest, AnnotationRequest]>): PairResult[];
  close?(): Promise<void>;
  /**
   * false when the judge's answers depend on history, not only on the item (the shuffled-label control):
   * the annotator then keeps no label cache for it. Default true.
   */
  readonly cacheable?: boolean;
  /** Request counters, for judges that make requests (the LLM judge). */
  counters?(): JudgeCounters;
}

/** What `RewardModel.update` reports. */
export interface RewardModelMetrics {
  /** Labels the model has learned from so far (excluding held-out ones). */
  trained: number;
  /** Labels kept aside for evaluation so far. */
  heldOut: number;
  /** Accuracy on the held-out labels (NaN while there are none). */
  heldOutAccuracy: number;
  /** Accuracy of predictions made on each label before learning from it (online / prequential; NaN before any). */
  prequentialAccuracy: number;
  /** Labels of a kind this model cannot use (e.g. pairwise labels given to retrieval), ignored. */
  ignored: number;
  /** Mean training loss of this update (NaN for models without a loss, or when nothing was trained). */
  loss: number;
  /** Plug-in models only: calls that threw or returned a bad shape, contained (rewards/guard.ts). */
  errors?: number;
}

/** A plain JSON-serialisable snapshot of a reward model (for checkpoints, or to cross a thread boundary). */
export interface RewardModelState {
  /** The model kind: 'retrieval' | 'classification' | 'ranking', or a plug-in's registered kind. */
  kind: string;
  version: 1;
  [field: string]: unknown;
}

/**
 * An intrinsic reward model distilled from judge labels. Synchronous on purpose: it lives where the
 * learner lives (a worker thread) and is fed plain serialisable labels.
 */
export interface RewardModel {
  /** 'retrieval' | 'classification' | 'ranking', or the kind a plug-in was registered under (registerRewardModel). */
  readonly kind: string;
  /** r_int for each caption. The empty caption always scores 0. */
  score(captions: string[]): Float32Array;
  /** r_int by annotation key instead of caption (the perceptual judge labels frames by frameKey); the retrieval model has it. */
  scoreKeys?(keys: string[]): Float32Array;
  /** Learns from new labels (scalar or pairwise; models ignore the kind they cannot use, and count it). */
  update(labels: AnnotationLabel[]): RewardModelMetrics;
  metrics(): RewardModelMetrics;
  save(): RewardModelState;
  /** Throws a clear error when the state is of another kind or shape. */
  load(state: RewardModelState): void;
  dispose(): void;
}
