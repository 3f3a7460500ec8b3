/**
 * Multi-turn tool use. The policy writes tool calls (syntax in ./syntax.ts); the env runs the tool
 * and appends the result to the context; the episode ends with <answer>…</answer> (terminated),
 * eos (terminated, no answer), the turn limit or the context limit (truncated).
 *
 * Observation: TokenSequence(vocabSize, maxLength): [bos, prompt…, policy tokens and env-inserted
 * results…], a view into a reused buffer (valid until the next step). A step whose token completes a
 * call carries `info.inserted` (the text the env appended); other steps don't.
 *
 * Env-inserted error texts are short codes (the context is small): <error>syntax</error> (malformed
 * call), <error>unknown tool</error>, <error>bad args</error> (the tool failed); the full reason is in
 * info.message. A malformed or unknown call never throws.
 *
 * Reward — separate components as in ToolRL (Qian et al., 2025, "ToolRL: Reward is All Tool Learning
 * Needs"), on the last step, info.rewardComponents:
 *   format ∈ [−1, 1]: +1 if the episode ends with a well-formed <answer> and every call was well formed
 *                     with a known tool; else 0; minus 0.5 per malformed or unknown-tool call; floor −1.
 *   tool   ∈ {0, 1}: some well-formed call used the tool the task needs.
 *   args   ∈ {0, 1}: some call to that tool had right arguments (calc: evaluates to the answer;
 *                     lookup: exactly the key asked about).
 *   answer ∈ {0, 1}: the final answer (trimmed) equals the reference.
 * reward = wFormat·format + wTool·tool + wArgs·args + wAnswer·answer (weights are options; the answer
 * dominates by default, as ToolRL's correctness range [−3, 3] dominates its format range [0, 1]).
 * info.success = (answer === 1).
 */
import { Discrete, TokenSequence } from '../spaces.ts';
import { Rng } from '../../core/rng.ts';
import { defaultTokenizer } from '../tokenizer.ts';
import { checkTokenStep, startEpisode } from '../text/episode-start.ts';
import type { DemoSegment, EnvInfo, EnvSpec, ResetArgs, ResetResult, StepResult, TokenEnv } from '../types.ts';
import { TokenContext } from '../text/context.ts';
import { ANSWER_CLOSE, CALL_CLOSE, answerText, callText, errorText, parseAnswer, parseCall, resultText } from './syntax.ts';
import { TOOLS, ToolError, calc } from './tools.ts';

export interface ToolProblem {
  prompt: string;
  answer: string;
  /** The tool the task needs, with the reference arguments. */
  tool: string;
  args: string;
}

export interface ToolEnvOptions {
  /** 'train' or the disjoint held-out 'test' set of prompts (by a hash of the prompt). */
  split: 'train' | 'test';
  /** Tool calls allowed; one more ends the episode (truncated). */
  maxTurns: number;
  /** Context limit in tokens (prompt + policy tokens + inserted results); reaching it truncates. */
  maxLength: number;
  /** Weights of the ToolRL reward components (Qian et al., 2025): format, right tool, right args, right answer. */
  wFormat: number;
  wTool: number;
  wArgs: number;
  wAnswer: number;
}

export interface ToolTaskDef<O extends ToolEnvOptions> {
  id: string;
  generate(rng: Rng, options: O): ToolProblem;
}

export class ToolEnv<O extends ToolEnvOptions = ToolEnvOptions> implements TokenEnv {
  readonly observationSpace: TokenSequence;
  readonly actionSpace: Discrete;
  readonly spec: EnvSpec;
  private readonly ctx: TokenContext;
  private readonly rng = new Rng(0);
  private problem: ToolProblem = { prompt: '', answer: '', tool: '', args: '' };
  /** Context index where the policy's current turn began (after the prompt or the last insertion). */
  private turnStart = 0;
  private promptEnd = 0;
  private turns = 0;
  private malformed = 0;
  private rightTool = 0;
  private rightArgs = 0;
  private done = true;
  private started = false;

  constructor(readonly def: ToolTaskDef<O>, readonly options: O) {
    this.ctx = new TokenContext(options.maxLength);
    this.observationSpace = new TokenSequence(defaultTokenizer.vocabSize, options.maxLength, 1);
    this.actionSpace = new Discrete(defaultTokenizer.vocabSize);
    this.spec = { id: def.id, family: 'tools', maxEpisodeSteps: options.maxLength, options: { ...options } as Record<string, unknown> };
  }

  reset(args: ResetArgs = {}): ResetResult<Int32Array> {
    this.problem = startEpisode(this.spec.id, this.rng, args, !this.started, this.options, (rng, o) => this.def.generate(rng, o));
    this.started = true;
    this.ctx.start(this.problem.prompt);
    this.promptEnd = this.turnStart = this.ctx.length;
    this.turns = this.malformed = this.rightTool = this.rightArgs = 0;
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
    } else if (!(parsed.tool in TOOLS)) {
      this.malformed++;
      inserted = errorText('unknown tool');
      message = `Unknown tool '${parsed.tool}'; tools: ${Object.keys(TOOLS).join(', ')}.`;
    } else {
      const expected = parsed.tool === this.problem.tool;
      if (expected) this.rightTool = 1;
      try {
        const value = TOOLS[parsed.tool](parsed.args);
        if (expected && this.argsRight(parsed.args, value)) this.rightArgs = 1;
        inserted = resultText(value);
        message = `Called ${parsed.tool}(${parsed.args}) → ${value}.`;
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        inserted = errorText('bad args');
        message = `Tool ${parsed.tool} failed: ${err.message}.`;
      }
    }
    const written = this.ctx.appendText(inserted);
    this.turnStart = this.ctx.length;
    if (written < inserted.length || this.ctx.free === 0) return this.finish(null, false, `${message} Context limit of ${this.options.maxLength} tokens reached.`, inserted);
    return { obs: this.ctx.view(), reward: 0, terminated: false, truncated: false, info: { message, success: false, inserted } };
  }

  private argsRight(args: string, value: string): boolean {
    if (this.problem.tool === 'calc') return value === this.problem.answer;
    return args.trim() === this.problem.args;
  }

  private finish(answer: string | null, terminated: boolean, why: string, inserted?: string): StepResult<Int32Array> {
    this.done = true;
    const correct = answer !== null && answer === this.problem.answer ? 1 : 0;
    const format = Math.max(-1, (answer !== null && this.malformed === 0 ? 1 : 0) - 0.5 * this.malformed);
    const rewardComponents = { format, tool: this.rightTool, args: this.rightArgs, answer: correct };
    const o = this.options;
    const reward = o.wFormat * format + o.wTool * this.rightTool + o.wArgs * this.rightArgs + o.wAnswer * correct;
    const message = answer !== null
      ? correct ? `Answered ${JSON.stringify(answer)}: correct.` : `Answered ${JSON.stringify(answer)}, expected ${JSON.stringify(this.problem.answer)}: wrong.`
      : why;
    const info: EnvInfo = { message, success: correct === 1, completion: this.ctx.decode(this.promptEnd), answer: this.problem.answer, rewardComponents };
    if (inserted !== undefined) info.inserted = inserted;
    return { obs: this.ctx.view(), reward, terminated, truncated: !terminated, info };
  }

  /** A correct solution: call the right tool, read the result, answer. */
  demonstrate(): DemoSegment[] {
    if (!this.started) throw new Error(`${this.spec.id}: demonstrate() needs reset() first`);
    const p = this.problem;
    const value = p.tool === 'calc' ? calc(p.args) : TOOLS[p.tool](p.args);
    return [
      { role: 'policy', text: callText(p.tool, p.args) },
      { role: 'env', text: resultText(value) },
      { role: 'policy', text: answerText(p.answer) },
    ];
  }

  currentProblem(): ToolProblem {
    return { ...this.problem };
  }

  close(): void {
    this.done = true;
  }
}
