/**
 * The annotator role as the runner uses it: rewards/' Annotator for the run's judge (built in one place,
 * `createRunAnnotator`, for the in-process run and for the annotator process of a multi-process run), and
 * `AnnotationService`, which answers the learner thread's caption requests with the labels so far.
 */
import { createAnnotator, type Annotator } from '../rewards/index.ts';
import type { AnnotationChannel, AnnotationLabel, AnnotationRequest } from '../core/types.ts';
import type { ResolvedExperiment } from './resolve.ts';
import { setSolverDemonstrations } from './demonstrations.ts';

/**
 * rewards/' Annotator for the resolved config's judge (null when the run has no intrinsic rewards), told
 * the env as its spec describes it (resolved.envContext: the rubric's rules and the LLM prompt use it).
 */
export async function createRunAnnotator(resolved: ResolvedExperiment): Promise<Annotator | null> {
  const rewards = resolved.config.rewards;
  if (!rewards) return null;
  return createAnnotator(rewards, {
    envContext: resolved.envContext,
    prepare: (judge) => setSolverDemonstrations(judge, resolved.config, resolved.envRef),
  });
}

/** What the runner needs of an annotation channel: rewards/' Annotator, or the Redis channel of a remote one. */
export type RunAnnotationChannel = AnnotationChannel & {
  metrics?(): object;
  close?(): Promise<void> | void;
  idle?(): Promise<void>;
};

export class AnnotationService {
  /**
   * Perceptual judge: answer the learner only once the judge is idle. It is local and fast, and unlike
   * captions, frames rarely recur across levels, so labels arriving one update late would score nothing.
   */
  private readonly waitForLabels: boolean;

  constructor(readonly channel: RunAnnotationChannel | null, perceptual = false) {
    this.waitForLabels = perceptual && channel?.idle !== undefined;
  }

  /** New requests in, the labels that arrived so far out (after the judge went idle, for frames). */
  async serve(items: AnnotationRequest[]): Promise<AnnotationLabel[]> {
    if (!this.channel) return [];
    if (items.length > 0) this.channel.request(items);
    if (this.waitForLabels) await this.channel.idle!();
    return this.channel.drainLabels();
  }

  /** The channel's numeric metrics (labels requested, judged, cached, dropped, errors by kind, …). */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.channel?.metrics?.() ?? {})) if (typeof v === 'number') out[k] = v;
    return out;
  }

  async close(): Promise<void> {
    await this.channel?.close?.();
  }
}
