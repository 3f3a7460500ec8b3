/**
 * The actors' sampling options, derived from the learner config so that there is one temperature per
 * experiment: `learner.temperature` (TRL's `temperature`, used by GRPOTrainer both to sample and to score).
 * Actors sample from softmax(logits / T) and record the log-prob under that distribution as the behaviour
 * log-prob; the learner divides the logits by the same T, so the importance ratio compares like with like.
 * Top-k / top-p are deliberately absent: the learner scores full-vocabulary softmax(logits / T) and cannot
 * reproduce a truncated distribution, so the ratio would be biased (see docs/runner.md).
 */

/** What ActorInit.sampling may hold. */
export interface ActorSampling {
  /** T > 0; 1 = the policy's own distribution. */
  temperature: number;
}

/** The actors' sampling options for a (validated) learner config; absent temperature = 1. */
export function actorSampling(learner: Record<string, unknown>): ActorSampling {
  const T = learner.temperature ?? 1;
  if (typeof T !== 'number' || !(T > 0) || !Number.isFinite(T)) {
    throw new Error(`learner.temperature = ${JSON.stringify(T)}: expected a finite number > 0 (the actors' sampling temperature)`);
  }
  return { temperature: T };
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
  return actorSampling(s ?? {});
}
