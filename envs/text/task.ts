/**
 * Single-turn text tasks with a verifiable reward: a prompt, then a completion generated token by
 * token (one action = one token id of the shared char tokenizer).
 *
 * Observation: TokenSequence(vocabSize, maxLength): [bos, prompt…, completion so far…], a view
 * into a reused buffer (valid until the next step). The episode terminates when the policy emits
 * eos (the eos id is appended to the context) and is truncated after `maxNewTokens` tokens without
 * eos. Reward, on the last step only:
 *   exact — 1 if the completion (whitespace-trimmed) is correct, else 0: equal to one of the problem's
 *   answers (`answers`, or the single `answer`), or accepted by the task's verifier (`verify`, for tasks
 *   whose correct answers are too many to list, e.g. Countdown);
 *   chrf / bleu — the metric of the completion against the answer (partial credit), with option
 *   `reward: 'chrf' | 'bleu'`. A truncated episode (no eos) earns 0.
 * info on the last step: message (a sentence on the outcome), success (= exact match),
 * completion, answer, rewardComponents ({ exact } plus { chrf } or { bleu } when chosen).
 * info at reset: message '', success false, prompt.
 * Group sampling: the same seed gives the same prompt.
 */
import { Discrete, TokenSequence } from '../spaces.ts';
import { Rng } from '../../core/rng.ts';
import { defaultTokenizer } from '../tokenizer.ts';
import { checkTokenStep, startEpisode } from './episode-start.ts';
import type { DemoSegment, EnvInfo, EnvSpec, ResetArgs, ResetResult, StepResult, TokenEnv } from '../types.ts';
import { TokenContext } from './context.ts';
import { chrF, sentenceBleu } from './metrics.ts';

export interface TextProblem {
  prompt: string;
  /** The demonstrated answer (one correct completion). */
  answer: string;
  /** Every correct completion, when there are several and they can be listed; absent = [answer] (or the verifier's). */
  answers?: string[];
  /** What the train/test split hashes (default: the prompt); e.g. the set of digits to sort, whatever their order. */
  splitKey?: string;
}

export interface TextTaskOptions {
  /** 'train' or the disjoint held-out 'test' set of prompts (by a hash of the prompt, ~1 in 5 held out). */
  split: 'train' | 'test';
  /** Tokens the policy may generate before the episode is truncated (0 in the input = longest answer + 2). */
  maxNewTokens: number;
  /** 'exact' match (0/1), or partial credit by chrF (Popović 2015) or sentence BLEU (Papineni et al. 2002). */
  reward: 'exact' | 'chrf' | 'bleu';
}

export interface TextTaskDef<O extends TextTaskOptions> {
  id: string;
  /** The task in words (the env's spec.goal), for an LLM judge. */
  goal?: string;
  /** Draws one problem (any split; the env rejects problems of the other split). */
  generate(rng: Rng, options: O): TextProblem;
  /** Upper bounds over all problems the options allow (size the context). */
  maxPromptChars(options: O): number;
  maxAnswerChars(options: O): number;
  /** Whether a trimmed completion is correct, for tasks whose correct answers cannot be listed. */
  verify?(problem: TextProblem, completion: string): boolean;
}

export class TextTaskEnv<O extends TextTaskOptions = TextTaskOptions> implements TokenEnv {
  readonly observationSpace: TokenSequence;
  readonly actionSpace: Discrete;
  readonly spec: EnvSpec;
  private readonly ctx: TokenContext;
  private readonly rng = new Rng(0);
  private problem: TextProblem = { prompt: '', answer: '' };
  private promptEnd = 0;
  private generated = 0;
  private done = true;
  private started = false;

  constructor(readonly def: TextTaskDef<O>, readonly options: O) {
    const maxLength = 1 + def.maxPromptChars(options) + options.maxNewTokens;
    this.ctx = new TokenContext(maxLength);
    this.observationSpace = new TokenSequence(defaultTokenizer.vocabSize, maxLength, 1);
    this.actionSpace = new Discrete(defaultTokenizer.vocabSize);
    this.spec = { id: def.id, family: 'text', maxEpisodeSteps: options.maxNewTokens, options: { ...options } as Record<string, unknown>, ...(def.goal ? { goal: def.goal } : {}) };
  }

  reset(args: ResetArgs = {}): ResetResult<Int32Array> {
    this.problem = startEpisode(this.spec.id, this.rng, args, !this.started, this.options, (rng, o) => this.def.generate(rng, o));
    this.started = true;
    this.ctx.start(this.problem.prompt);
    this.promptEnd = this.ctx.length;
    this.generated = 0;
    this.done = false;
    return { obs: this.ctx.view(), info: { message: '', success: false, prompt: this.problem.prompt } };
  }

  step(action: number): StepResult<Int32Array> {
    checkTokenStep(this.spec.id, action, this.done, this.started);
    this.ctx.push(action);
    this.generated++;
    const terminated = action === defaultTokenizer.eos;
    const truncated = !terminated && this.generated >= this.options.maxNewTokens;
    if (!terminated && !truncated) return { obs: this.ctx.view(), reward: 0, terminated, truncated, info: { message: '', success: false } };
    this.done = true;
    const completion = this.ctx.decode(this.promptEnd);
    const answer = this.problem.answer;
    const exact = terminated && this.verify(completion) ? 1 : 0;
    const rewardComponents: Record<string, number> = { exact };
    let reward = exact;
    if (this.options.reward === 'chrf') reward = rewardComponents.chrf = terminated ? chrF(completion.trim(), answer) : 0;
    if (this.options.reward === 'bleu') reward = rewardComponents.bleu = terminated ? sentenceBleu(completion.trim(), answer) : 0;
    const expected = this.problem.answers ? this.problem.answers.map((a) => JSON.stringify(a)).join(' or ') : JSON.stringify(answer);
    const message = truncated
      ? `No answer within ${this.options.maxNewTokens} tokens.`
      : exact ? `Answered ${JSON.stringify(completion.trim())}: correct.`
      : `Answered ${JSON.stringify(completion.trim())}, expected ${this.def.verify ? `e.g. ${expected}` : expected}: wrong.`;
    const info: EnvInfo = { message, success: exact === 1, completion, answer, rewardComponents };
    return { obs: this.ctx.view(), reward, terminated, truncated, info };
  }

  /** The correct completion (the policy then ends it with eos). */
  demonstrate(): DemoSegment[] {
    if (!this.started) throw new Error(`${this.spec.id}: demonstrate() needs reset() first`);
    return [{ role: 'policy', text: this.problem.answer }];
  }

  /** The current problem (prompt and answer), for tests and SFT data. */
  currentProblem(): TextProblem {
    return { ...this.problem, ...(this.problem.answers ? { answers: [...this.problem.answers] } : {}) };
  }

  /**
   * Every correct completion of the current problem (what an evaluation scores the policy's probability
   * mass on), or null when the task accepts completions by a verifier and they cannot be listed.
   */
  correctAnswers(): string[] | null {
    if (!this.started) throw new Error(`${this.spec.id}: correctAnswers() needs reset() first`);
    if (this.problem.answers) return [...this.problem.answers];
    return this.def.verify ? null : [this.problem.answer];
  }

  /** Whether `completion` (trimmed) is a correct answer to the current problem — the exact reward without eos. */
  verify(completion: string): boolean {
    if (!this.started) throw new Error(`${this.spec.id}: verify() needs reset() first`);
    const c = completion.trim();
    if (this.def.verify) return this.def.verify(this.problem, c);
    return (this.problem.answers ?? [this.problem.answer]).includes(c);
  }

  close(): void {
    this.done = true;
  }
}
