/**
 * Multi-turn tool use. The policy writes tool calls (syntax in ./syntax.ts); the env runs the tool
 * and appends the result to the context, and the policy goes on: it may call again (ToolChain-v0's
 * second call uses the first call's result) or end with <answer>…</answer> (terminated), eos
 * (terminated, no answer), the turn limit or the context limit (truncated).
 *
 * Observation: TokenSequence(vocabSize, maxLength): [bos, prompt…, policy tokens and env-inserted
 * results…], a view into a reused buffer (valid until the next step). A step whose token completes a
 * call carries `info.inserted` (the text the env appended); other steps don't.
 *
 * Env-inserted error texts are short codes (the context is small): <error>syntax</error> (malformed
 * call), <error>unknown tool</error>, <error>bad args</error> (the tool failed); the full reason is in
 * info.message. A malformed or unknown call never throws.
 *
 * Reward, on the last step: the option `reward` picks one of the formulas of ./reward.ts (ToolRL's
 * decomposition, answer only, chrF/BLEU of the answer, arguments only, or the weighted components);
 * info.rewardComponents carries every per-episode metric (ToolMetrics) whatever the option, so the
 * learner and the evaluation can report per-component accuracy. info.success = (answer === 1).
 *
 * reset({ seed, options: { progress } }): `progress` ∈ [0, 1] is the fraction of training done, which
 * 'toolrl-dynamic' scales its reward by (required for it, ignored otherwise); it is the only
 * per-episode option.
 */
import { Discrete, TokenSequence } from '../spaces.ts';
import { Rng } from '../../core/rng.ts';
import { defaultTokenizer } from '../tokenizer.ts';
import { checkTokenStep, startEpisode } from '../text/episode-start.ts';
import type { DemoSegment, EnvInfo, EnvSpec, ResetArgs, ResetResult, StepResult, TokenEnv } from '../types.ts';
import { TokenContext } from '../text/context.ts';
import { ANSWER_CLOSE, CALL_CLOSE, answerText, callText, errorText, parseAnswer, parseCall, resultText } from './syntax.ts';
import { TOOLS, ToolError } from './tools.ts';
import { scoreEpisode, toolReward, type ToolCall, type ToolReward } from './reward.ts';

export type ToolProblemKind = 'calc' | 'lookup' | 'chain';

export interface ToolProblem {
  prompt: string;
  answer: string;
  kind: ToolProblemKind;
  /** The reference calls, in order (a chain's second call uses the first call's result). */
  calls: ToolCall[];
}

export interface ToolEnvOptions {
  /** 'train' or the disjoint held-out 'test' set of prompts (by a hash of the prompt). */
  split: 'train' | 'test';
  /** Tool calls allowed; one more ends the episode (truncated). */
  maxTurns: number;
  /** Context limit in tokens (prompt + policy tokens + inserted results); reaching it truncates. */
  maxLength: number;
  /** Reward formula (./reward.ts). */
  reward: ToolReward;
  /** Weights of reward 'weighted': format, right tool, right args, right answer. */
  wFormat: number;
  wTool: number;
  wArgs: number;
  wAnswer: number;
}

export interface ToolTaskDef<O extends ToolEnvOptions> {
  id: string;
  /** The task in words (the env's spec.goal), for an LLM judge. */
  goal?: string;
  generate(rng: Rng, options: O): ToolProblem;
}

export class ToolEnv<O extends ToolEnvOptions = ToolEnvOptions> implements TokenEnv {
  readonly observationSpace: TokenSequence;
  readonly actionSpace: Discrete;
  readonly spec: EnvSpec;
  private readonly ctx: TokenContext;
  private readonly rng = new Rng(0);
  private problem: ToolProblem = { prompt: '', answer: '', kind: 'calc', calls: [] };
  /** Context index where the policy's current turn began (after the prompt or the last insertion). */
  private turnStart = 0;
  private promptEnd = 0;
  private turns = 0;
  private malformed = 0;
  /** Well-formed calls of this episode (known tool or not), in order. */
  private predicted: ToolCall[] = [];
  private progress: number | null = null;
  private done = true;
  private started = false;

  constructor(readonly def: ToolTaskDef<O>, readonly options: O) {
    this.ctx = new TokenContext(options.maxLength);
    this.observationSpace = new TokenSequence(defaultTokenizer.vocabSize, options.maxLength, 1);
    this.actionSpace = new Discrete(defaultTokenizer.vocabSize);
    this.spec = { id: def.id, family: 'tools', maxEpisodeSteps: options.maxLength, options: { ...options } as Record<string, unknown>, ...(def.goal ? { goal: def.goal } : {}) };
  }

  reset(args: ResetArgs = {}): ResetResult<Int32Array> {
    const { progress, ...rest } = args.options ?? {};
    if (progress !== undefined && (typeof progress !== 'number' || !(progress >= 0 && progress <= 1))) {
      throw new Error(`${this.spec.id}: reset option 'progress' must be a number in [0, 1] (the fraction of training done), got ${JSON.stringify(progress)}`);
    }
    if (progress === undefined && this.options.reward === 'toolrl-dynamic') {
      throw new Error(`${this.spec.id}: reward 'toolrl-dynamic' scales with training progress; pass it at every reset: reset({ seed, options: { progress } }) with progress ∈ [0, 1]`);
    }
    this.progress = progress ?? null;
    this.problem = startEpisode(this.spec.id, this.rng, { seed: args.seed, options: rest }, !this.started, this.options, (rng, o) => this.def.generate(rng, o));
    this.started = true;
    this.ctx.start(this.problem.prompt);
    this.promptEnd = this.turnStart = this.ctx.length;
    this.turns = this.malformed = 0;
    this.predicted = [];
    this.done = false;
    return { obs: this.ctx.view(), info: { message: '', success: false, prompt: this.problem.prompt } };
  }

  step(action: number): StepResult<Int32Array> {
    checkTokenStep(this.spec.id, action, this.done, this.started);
    this.ctx.push(action);
    if (action === defaultTokenizer.eos) return this.finish(null, true, 'Stopped without an answer.');
    const c = defaultTokenizer.idToText(action);
    if (c === '>') {
      const turn = this.ctx.decode(this.turnStart);
      if (turn.endsWith(ANSWER_CLOSE)) {
        const answer = parseAnswer(turn);
        if (answer !== null) return this.finish(answer, true, '');
      }
      if (turn.endsWith(CALL_CLOSE)) return this.call(turn);
    }
    if (this.ctx.free === 0) return this.finish(null, false, `Context limit of ${this.options.maxLength} tokens reached.`);
    return { obs: this.ctx.view(), reward: 0, terminated: false, truncated: false, info: { message: '', success: false } };
  }

  private call(turn: string): StepResult<Int32Array> {
    this.turns++;
    if (this.turns > this.options.maxTurns) return this.finish(null, false, `Turn limit of ${this.options.maxTurns} tool calls reached.`);
    const parsed = parseCall(turn);
    let inserted: string;
    let message: string;
    if (!parsed.ok) {
      this.malformed++;
      inserted = errorText('syntax');
      message = `Malformed tool call (${parsed.error}).`;
    } else {
      this.predicted.push({ tool: parsed.tool, args: parsed.args });
      if (!(parsed.tool in TOOLS)) {
        this.malformed++;
        inserted = errorText('unknown tool');
        message = `Unknown tool '${parsed.tool}'; tools: ${Object.keys(TOOLS).join(', ')}.`;
      } else {
        try {
          const value = TOOLS[parsed.tool](parsed.args);
          inserted = resultText(value);
          message = `Called ${parsed.tool}(${parsed.args}) → ${value}.`;
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          inserted = errorText('bad args');
          message = `Tool ${parsed.tool} failed: ${err.message}.`;
        }
      }
    }
    const written = this.ctx.appendText(inserted);
    this.turnStart = this.ctx.length;
    if (written < inserted.length || this.ctx.free === 0) return this.finish(null, false, `${message} Context limit of ${this.options.maxLength} tokens reached.`, inserted);
    return { obs: this.ctx.view(), reward: 0, terminated: false, truncated: false, info: { message, success: false, inserted } };
  }

  private finish(answer: string | null, terminated: boolean, why: string, inserted?: string): StepResult<Int32Array> {
    this.done = true;
    const p = this.problem;
    const metrics = scoreEpisode(p.calls, this.predicted, this.turns, this.malformed, answer, p.answer);
    const reward = toolReward(this.options.reward, metrics, this.options, this.progress);
    const message = answer !== null
      ? metrics.answer ? `Answered ${JSON.stringify(answer)}: correct.` : `Answered ${JSON.stringify(answer)}, expected ${JSON.stringify(p.answer)}: wrong.`
      : why;
    const info: EnvInfo = { message, success: metrics.answer === 1, completion: this.ctx.decode(this.promptEnd), answer: p.answer, rewardComponents: { ...metrics } };
    if (inserted !== undefined) info.inserted = inserted;
    return { obs: this.ctx.view(), reward, terminated, truncated: !terminated, info };
  }

  /** A correct solution: each reference call and its result, then the answer. */
  demonstrate(): DemoSegment[] {
    if (!this.started) throw new Error(`${this.spec.id}: demonstrate() needs reset() first`);
    const out: DemoSegment[] = [];
    for (const c of this.problem.calls) {
      out.push({ role: 'policy', text: callText(c.tool, c.args) }, { role: 'env', text: resultText(TOOLS[c.tool](c.args)) });
    }
    out.push({ role: 'policy', text: answerText(this.problem.answer) });
    return out;
  }

  currentProblem(): ToolProblem {
    return { ...this.problem, calls: this.problem.calls.map((c) => ({ ...c })) };
  }

  close(): void {
    this.done = true;
  }
}
