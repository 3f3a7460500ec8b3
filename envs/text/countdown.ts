/**
 * Countdown-v0: reach a target by combining given numbers with +, − and ×, each number used at most once
 * (the numbers game of the TV show "Countdown"; a common RLVR task with many valid solutions per problem).
 *
 *   "cd:3,5,7,12;41=" → e.g. "3*12+5", "(7-3)*12-7"… any expression the verifier accepts
 *
 * Prompt: `cd:` + the numbers, sorted ascending and comma-separated, `;` + the target, `=`. The problem is
 * drawn as `count` numbers uniform in [1, maxNumber] and a random expression over all of them (random
 * order, random binary tree, random operators, no negative intermediate value, as in the game) whose value
 * lies in [1, maxTarget]; that expression, with only the parentheses it needs, is the demonstration (`answer`). Every correct expression is rewarded,
 * not only the demonstrated one.
 *
 * Verifier (the exact reward): the trimmed completion, spaces removed, must be a well-formed expression
 * over the grammar  expr := term (('+'|'-') term)* ; term := factor ('*' factor)* ;
 * factor := number | '(' expr ')' ; number := [1-9][0-9]*  (no unary minus, no leading zeros, no
 * division), use each given number at most once (as a multiset), and evaluate exactly to the target.
 * Train/test split: a hash of the prompt (the numbers are sorted, so the prompt is canonical).
 */
import { validateOptions, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { TextTaskEnv, type TextProblem, type TextTaskDef, type TextTaskOptions } from './task.ts';
import { textOptionSchema } from './tasks.ts';

export interface CountdownOptions extends TextTaskOptions {
  /** How many numbers are given (2–6). */
  count: number;
  /** Numbers are uniform in [1, maxNumber] (2–99). */
  maxNumber: number;
  /** Targets lie in [1, maxTarget]. */
  maxTarget: number;
}

export const COUNTDOWN_OPTIONS: OptionSchema = {
  count: { type: 'int', default: 4, min: 2, max: 6, doc: 'How many numbers are given; the demonstrated expression uses all of them. Difficulty knob.' },
  maxNumber: { type: 'int', default: 12, min: 2, max: 99, doc: 'Each number is uniform in [1, maxNumber].' },
  maxTarget: { type: 'int', default: 100, min: 1, max: 100000, doc: 'Targets lie in [1, maxTarget] (problems whose random expression falls outside are redrawn).' },
  ...textOptionSchema(),
};

type Node = { value: number; text: string; prec: number };
const PREC: Record<string, number> = { '+': 1, '-': 1, '*': 2 };
const ATOM = 3;

/** a op b with only the parentheses the precedence rules need (− is not associative on its right). */
function combine(a: Node, op: string, b: Node): Node {
  const p = PREC[op];
  const left = a.prec < p ? `(${a.text})` : a.text;
  const right = b.prec < p || (op === '-' && b.prec === p) ? `(${b.text})` : b.text;
  const value = op === '+' ? a.value + b.value : op === '-' ? a.value - b.value : a.value * b.value;
  return { value, text: `${left}${op}${right}`, prec: p };
}

/** A random expression over `nums` in order; null if some subexpression would be negative (as in the game). */
function randomExpression(rng: Rng, nums: number[]): Node | null {
  if (nums.length === 1) return { value: nums[0], text: String(nums[0]), prec: ATOM };
  const cut = 1 + rng.int(nums.length - 1);
  const a = randomExpression(rng, nums.slice(0, cut)), b = randomExpression(rng, nums.slice(cut));
  if (!a || !b) return null;
  const e = combine(a, rng.pick(['+', '-', '*']), b);
  return e.value < 0 ? null : e;
}

/** Parses and evaluates an expression of the grammar above; null if malformed. `used` lists its numbers. */
export function evaluateCountdown(expression: string): { value: number; used: number[] } | null {
  const s = expression.replace(/ /g, '');
  let i = 0;
  const used: number[] = [];
  const number = (): number | null => {
    if (!(s[i] >= '1' && s[i] <= '9')) return null;
    let j = i;
    while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
    const v = Number(s.slice(i, j));
    i = j;
    used.push(v);
    return v;
  };
  const factor = (): number | null => {
    if (s[i] === '(') {
      i++;
      const v = expr();
      if (v === null || s[i] !== ')') return null;
      i++;
      return v;
    }
    return number();
  };
  const term = (): number | null => {
    let v = factor();
    while (v !== null && s[i] === '*') { i++; const r = factor(); v = r === null ? null : v * r; }
    return v;
  };
  function expr(): number | null {
    let v = term();
    while (v !== null && (s[i] === '+' || s[i] === '-')) { const op = s[i++]; const r = term(); v = r === null ? null : op === '+' ? v + r : v - r; }
    return v;
  }
  if (s.length === 0 || s.length > 200) return null;
  const value = expr();
  return value === null || i !== s.length ? null : { value, used };
}

/** The problem's numbers and target, read back from its prompt. */
export function parseCountdownPrompt(prompt: string): { numbers: number[]; target: number } {
  const m = /^cd:([0-9,]+);([0-9]+)=$/.exec(prompt);
  if (!m) throw new Error(`Countdown-v0: not a Countdown prompt: ${JSON.stringify(prompt)}`);
  return { numbers: m[1].split(',').map(Number), target: Number(m[2]) };
}

/** Whether `expression` reaches the target using the given numbers at most once each. */
export function verifyCountdown(numbers: readonly number[], target: number, expression: string): boolean {
  const r = evaluateCountdown(expression);
  if (!r || r.value !== target) return false;
  const left = new Map<number, number>();
  for (const n of numbers) left.set(n, (left.get(n) ?? 0) + 1);
  for (const n of r.used) {
    const c = left.get(n) ?? 0;
    if (c === 0) return false;
    left.set(n, c - 1);
  }
  return true;
}

const MAX_TRIES = 1000;

/** The task in words (spec.goal). */
export const COUNTDOWN_GOAL = 'write an expression with +, - and * over the given numbers, each used at most once, whose value is the target';

const countdownDef: TextTaskDef<CountdownOptions> = {
  id: 'Countdown-v0',
  goal: COUNTDOWN_GOAL,
  generate(rng: Rng, o: CountdownOptions) {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const nums = Array.from({ length: o.count }, () => 1 + rng.int(o.maxNumber));
      const e = randomExpression(rng, nums);
      if (!e || e.value < 1 || e.value > o.maxTarget) continue;
      const sorted = [...nums].sort((a, b) => a - b);
      return { prompt: `cd:${sorted.join(',')};${e.value}=`, answer: e.text };
    }
    throw new Error(`Countdown-v0: no expression with a value in [1, ${o.maxTarget}] in ${MAX_TRIES} draws; raise maxTarget`);
  },
  maxPromptChars: (o) => 5 + o.count * (String(o.maxNumber).length + 1) + String(o.maxTarget).length,
  // count numbers, count − 1 operators, and at most count − 1 pairs of parentheses.
  maxAnswerChars: (o) => o.count * String(o.maxNumber).length + 3 * (o.count - 1),
  verify(problem: TextProblem, completion: string) {
    const { numbers, target } = parseCountdownPrompt(problem.prompt);
    return verifyCountdown(numbers, target, completion);
  },
};

export function validateCountdownOptions(partial?: Record<string, unknown>): CountdownOptions {
  const o = validateOptions<CountdownOptions>('Countdown-v0', COUNTDOWN_OPTIONS, partial);
  if (o.maxNewTokens === 0) o.maxNewTokens = countdownDef.maxAnswerChars(o) + 2;
  return o;
}

export function makeCountdown(partial?: Record<string, unknown>): TextTaskEnv<CountdownOptions> {
  return new TextTaskEnv(countdownDef, validateCountdownOptions(partial));
}
