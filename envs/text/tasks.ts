/**
 * The built-in text tasks. Prompts are short (the policies are tiny char-level transformers):
 *   Addition-v0  "12+34="      → "46"
 *   Reverse-v0   "rev:abc="    → "cba"
 *   Sort-v0      "sort:dbca="  → "abcd"
 * Train/test split: by a hash of the prompt (about 1 in 5 prompts is held out for 'test').
 */
import { validateOptions, SPLIT_OPTION, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { TextTaskEnv, type TextTaskDef, type TextTaskOptions } from './task.ts';

/** The options every single-turn text task takes: split, maxNewTokens, reward. */
export function textOptionSchema(): OptionSchema {
  return {
    split: SPLIT_OPTION,
    maxNewTokens: { type: 'int', default: 0, min: 0, max: 256, doc: 'Tokens the policy may generate before truncation. 0 = automatic: the longest answer + 2 (room for eos and one slip).' },
    reward: { type: 'enum', values: ['exact', 'chrf', 'bleu'], default: 'exact', doc: "'exact': 1 for an exact match of the trimmed completion, else 0. 'chrf' (Popović 2015) / 'bleu' (Papineni et al. 2002): partial credit against the reference; rewardComponents always carries exact too." },
  };
}

// ── Addition ─────────────────────────────────────────────────────────────────────────────────────

export interface AdditionOptions extends TextTaskOptions {
  /** Each operand is uniform in [0, 10^digits), 1–9. */
  digits: number;
  /** Numbers to add, 2–4. */
  operands: number;
}

export const ADDITION_OPTIONS: OptionSchema = {
  digits: { type: 'int', default: 2, min: 1, max: 9, doc: 'Each operand is uniform in [0, 10^digits). Difficulty knob.' },
  operands: { type: 'int', default: 2, min: 2, max: 4, doc: 'Numbers to add.' },
  ...textOptionSchema(),
};

/** The tasks in words (spec.goal). */
export const ADDITION_GOAL = 'answer an addition problem with the correct number';
export const REVERSE_GOAL = 'write the given string reversed';
export const SORT_GOAL = 'write the given characters in sorted order';

const additionDef: TextTaskDef<AdditionOptions> = {
  id: 'Addition-v0',
  goal: ADDITION_GOAL,
  generate(rng: Rng, o: AdditionOptions) {
    const xs = Array.from({ length: o.operands }, () => rng.int(10 ** o.digits));
    return { prompt: `${xs.join('+')}=`, answer: String(xs.reduce((a, b) => a + b, 0)) };
  },
  maxPromptChars: (o) => o.operands * o.digits + o.operands,
  maxAnswerChars: (o) => o.digits + 1,
};

export function validateAdditionOptions(partial?: Record<string, unknown>): AdditionOptions {
  const o = validateOptions<AdditionOptions>('Addition-v0', ADDITION_OPTIONS, partial);
  if (o.maxNewTokens === 0) o.maxNewTokens = additionDef.maxAnswerChars(o) + 2;
  return o;
}

export function makeAddition(partial?: Record<string, unknown>): TextTaskEnv<AdditionOptions> {
  return new TextTaskEnv(additionDef, validateAdditionOptions(partial));
}

// ── String tasks (reverse, sort) ───────────────────────────────────────────────────────────────────

const ALPHABETS = { abc: 'abc', letters: 'abcdefghijklmnopqrstuvwxyz', digits: '0123456789' } as const;

export interface StringTaskOptions extends TextTaskOptions {
  /** Shortest input string (1–24). */
  minLength: number;
  /** Longest input string (≥ minLength, ≤ 24). */
  maxLength: number;
  /** Characters of the input: 'abc', 'letters' (a–z) or 'digits'. */
  alphabet: keyof typeof ALPHABETS;
}

export const STRING_TASK_OPTIONS: OptionSchema = {
  minLength: { type: 'int', default: 2, min: 1, max: 24, doc: 'Shortest input string.' },
  maxLength: { type: 'int', default: 5, min: 1, max: 24, doc: 'Longest input string (≥ minLength). Difficulty knob.' },
  alphabet: { type: 'enum', values: Object.keys(ALPHABETS), default: 'letters', doc: "Characters of the input: 'abc', 'letters' (a–z) or 'digits'." },
  ...textOptionSchema(),
};

function stringTaskDef(id: string, goal: string, tag: string, transform: (s: string) => string): TextTaskDef<StringTaskOptions> {
  return {
    id,
    goal,
    generate(rng: Rng, o: StringTaskOptions) {
      const chars = ALPHABETS[o.alphabet];
      const n = rng.range(o.minLength, o.maxLength);
      let s = '';
      for (let i = 0; i < n; i++) s += chars[rng.int(chars.length)];
      return { prompt: `${tag}:${s}=`, answer: transform(s) };
    },
    maxPromptChars: (o) => tag.length + 2 + o.maxLength,
    maxAnswerChars: (o) => o.maxLength,
  };
}

const reverseDef = stringTaskDef('Reverse-v0', REVERSE_GOAL, 'rev', (s) => [...s].reverse().join(''));
const sortDef = stringTaskDef('Sort-v0', SORT_GOAL, 'sort', (s) => [...s].sort().join(''));

function validateStringTask(def: TextTaskDef<StringTaskOptions>, partial?: Record<string, unknown>): StringTaskOptions {
  const o = validateOptions<StringTaskOptions>(def.id, STRING_TASK_OPTIONS, partial);
  if (o.maxLength < o.minLength) throw new Error(`${def.id}: bad value ${o.maxLength} for option 'maxLength'; valid: an integer ≥ minLength = ${o.minLength}`);
  if (o.maxNewTokens === 0) o.maxNewTokens = def.maxAnswerChars(o) + 2;
  return o;
}

export const validateReverseOptions = (partial?: Record<string, unknown>) => validateStringTask(reverseDef, partial);
export const validateSortOptions = (partial?: Record<string, unknown>) => validateStringTask(sortDef, partial);
export const makeReverse = (partial?: Record<string, unknown>) => new TextTaskEnv(reverseDef, validateReverseOptions(partial));
export const makeSort = (partial?: Record<string, unknown>) => new TextTaskEnv(sortDef, validateSortOptions(partial));
