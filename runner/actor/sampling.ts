/**
 * The actors' sampling options, derived from the learner config so that there is one temperature per
 * experiment: `learner.temperature` (TRL's `temperature`, used by GRPOTrainer both to sample and to score).
 * Actors sample from softmax(logits / T) and record the log-prob under that distribution as the behaviour
 * log-prob; the learner divides the logits by the same T, so the importance ratio compares like with like.
 * Top-k / top-p are deliberately absent: the learner scores full-vocabulary softmax(logits / T) and cannot
 * reproduce a truncated distribution, so the ratio would be biased (see docs/runner.md).
 */
import type { GrpoConfig } from '../../agents/index.ts';

/** What ActorInit.sampling may hold. */
export interface ActorSampling {
  /** T > 0; 1 = the policy's own distribution. */
  temperature: number;
}

/** The actors' sampling options, derived from the validated learner config (validated there, once). */
export function actorSampling(learner: Pick<GrpoConfig, 'temperature'>): ActorSampling {
  return { temperature: learner.temperature };
}

/**
 * Checks ActorInit.sampling on the actor side: only `temperature` is allowed (top-k/top-p would make the
 * recorded behaviour log-probs disagree with what the learner can compute).
 */
export function checkActorSampling(s: Record<string, unknown> | undefined): ActorSampling {
  for (const key of Object.keys(s ?? {})) {
    if (key !== 'temperature') {
      throw new Error(`actor sampling option '${key}' is not supported: the learner scores softmax(logits / temperature) over the full vocabulary and cannot reproduce a truncated (top-k/top-p) distribution; only 'temperature' (set through learner.temperature) is valid`);
    }
  }
  return { temperature: (s as Partial<ActorSampling> | undefined)?.temperature ?? 1 };
}
