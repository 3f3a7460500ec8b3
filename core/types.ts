/**
 * The contract types shared by several rooms — types only, no code. Every room may import this file;
 * no room imports another room's internal files. What lives here:
 *   - the env family and the pixel frame (envs produce them; the runner and rewards consume them),
 *   - the policy ↔ learner contract (`NamedWeights`, `LearnerBatch`),
 *   - the annotation contract (`AnnotationRequest`, `AnnotationLabel`, `AnnotationChannel`): what the
 *     learner asks of a judge and what comes back, in one process or across machines.
 * Rooms re-export what their users need (e.g. `envs/` re-exports `EnvFamily`), so users never import core/.
 */

/** The env families: each has its own policy kind (games: GamePolicy; text and tools: TokenPolicy). */
export type EnvFamily = 'text' | 'tools' | 'games';

/** An RGB image: `rgb` is row-major height × width × 3 bytes. */
export interface Pixels {
  rgb: Uint8Array;
  height: number;
  width: number;
}

/** A flat, named set of float32 tensors: the unit of saving (safetensors), loading and broadcasting. */
export type NamedWeights = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * A batch of B rollouts for one learner update, padded to L actions. Arrays are row-major [B, L].
 * Rollouts that share `groups[b]` were sampled from the same prompt (text, tools) or start seed (games).
 * One layout serves every env family: for text and tools an action is a generated token and V the
 * vocabulary; for games an action is one move and V the action set.
 */
export interface LearnerBatch<I = unknown> {
  /** The policy-specific input layout (token ids, observations). */
  inputs: I;
  B: number;
  L: number;
  /** [B*L] the action taken at each position (0 where mask is 0). */
  actions: Int32Array;
  /** [B*L] 1 for a real action of the rollout, 0 for padding. */
  mask: Float32Array;
  /** [B*L] log π_old(action) recorded by the actor that sampled it (the behaviour policy). */
  behaviourLogp: Float32Array;
  /** [B] the rollout's return (extrinsic + intrinsic, already combined). */
  rewards: Float32Array;
  /** [B*L] optional per-step rewards, for process advantages. */
  stepRewards?: Float32Array;
  /**
   * [B*L] optional intrinsic part of each step's reward (c_int·r_int(m_t)·N(m_t)^(−β), already inside
   * `rewards` and `stepRewards`), for advantageMode 'outcome+intrinsic-to-go'.
   */
  intrinsicStepRewards?: Float32Array;
  /** [B] group index of each rollout. */
  groups: Int32Array;
  /** [B] optional explicit correctness for THR's set C (1 = correct); otherwise the learner's threshold rule. */
  correct?: Uint8Array;
  /** [B] optional per-rollout loss weight (e.g. staleness down-weighting); 1 when absent. */
  sampleWeights?: Float32Array;
}

/**
 * What a judge knows of the env whose captions it labels, taken from the env's spec when the run starts
 * (never guessed from the id): its family decides the rubric's rules and the LLM prompt's wording.
 */
export interface EnvContext {
  id: string;
  family: EnvFamily;
  /** The task in words, for the judge's prompt (the env spec's `goal`; absent: a generic phrase). */
  goal?: string;
}

/** A caption (and optionally a frame) to be judged; deduplicated by the annotator on `key`. */
export interface AnnotationRequest {
  key: string;
  envId: string;
  caption: string;
  frame?: Pixels;
}

/** A judge's verdict, as it travels back to whoever holds the reward model. */
export interface AnnotationLabel {
  key: string;
  caption: string;
  /** Scalar label or score (e.g. 1 helpful / 0 not), or a preference for a pair. */
  label: number;
  /** For ranking judges: the other caption of the pair and which one was preferred (0, 1, or 0.5 for a tie). */
  pair?: { other: string; preferred: 0 | 0.5 | 1 };
}

/** Annotation requests out, labels back; never blocks the caller. */
export interface AnnotationChannel {
  /** Fire and forget: the channel may drop requests when its backlog is full (and counts the drops). */
  request(items: AnnotationRequest[]): void;
  /** Labels that arrived since the last call. */
  drainLabels(): AnnotationLabel[];
}
