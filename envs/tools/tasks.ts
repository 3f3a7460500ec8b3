/**
 * The built-in tool tasks:
 *   ToolCalc-v0    "37*24+5=?"            → <call>calc(37*24+5)</call> <result>893</result> <answer>893</answer>
 *   ToolLookup-v0  "age of guki?"         → <call>lookup(guki.age)</call> <result>15</result> <answer>15</answer>
 *   ToolChain-v0   "(age of guki)*37+5=?" → <call>lookup(guki.age)</call> <result>15</result>
 *                                           <call>calc(15*37+5)</call> <result>560</result> <answer>560</answer>
 *                  two calls, the second built from the first one's result (a multi-turn episode)
 *   ToolMix-v0     calc and lookup half and half; with `chainFraction` c > 0, a chain problem with
 *                  probability c, otherwise calc or lookup half and half.
 * Train/test split by a hash of the prompt, ~1 in 5 held out.
 *
 * Out of distribution (`ood: true`): every calc expression (ToolCalc, the calc part of ToolChain, ToolMix's
 * calc and chain problems) has one operand replaced by a parenthesised sum or difference, '37*(24+5)=?':
 * grouping, an operator training expressions never contain (no prompt or call of train or test has a
 * digit after '('), so ood problems are disjoint from both splits by construction. Every character is
 * one training shows (a char-level policy sees nothing it has no embedding for; an unseen symbol such as
 * '/' derails a small policy before it gets to the operator).
 * ToolMix with ood draws only calc and chain problems; ToolLookup has no ood variant.
 */
import { validateOptions, SPLIT_OPTION, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { ToolEnv, type ToolEnvOptions, type ToolProblem, type ToolTaskDef } from './env.ts';
import { KB_ATTRIBUTES, KNOWLEDGE_BASE, calc } from './tools.ts';
import { TOOL_REWARDS, TOOL_REWARD_DOCS } from './reward.ts';

export type ToolEnvId = 'ToolCalc-v0' | 'ToolLookup-v0' | 'ToolChain-v0' | 'ToolMix-v0';

export interface ToolTaskOptions extends ToolEnvOptions {
  /** calc tasks: digits of each operand (1–4). */
  digits: number;
  /** calc tasks: operators (+, −, *) in the expression (1–3). */
  ops: number;
  /** Out-of-distribution problems (an operator training never shows). */
  ood: boolean;
  /** ToolMix-v0 only (absent elsewhere): probability of a two-call chain problem (0 = the original calc/lookup mix). */
  chainFraction?: number;
}

export const TOOL_OPTIONS: OptionSchema = {
  split: SPLIT_OPTION,
  digits: { type: 'int', default: 2, min: 1, max: 4, doc: 'calc and chain tasks: digits of each operand. Difficulty knob.' },
  ops: { type: 'int', default: 2, min: 1, max: 3, doc: 'calc and chain tasks: operators (+, −, *) in the expression (a chain counts those after the looked-up value).' },
  ood: { type: 'boolean', default: false, doc: "Out-of-distribution problems: every calc expression has one operand replaced by a parenthesised sum or difference, e.g. 37*(24+5): grouping, which training expressions never use. Evaluate with { ood: true, split: 'test' }." },
  maxTurns: { type: 'int', default: 2, min: 1, max: 8, doc: 'Tool calls allowed; one more ends the episode (truncated).' },
  maxLength: { type: 'int', default: 0, min: 0, max: 1024, doc: 'Context limit in tokens (prompt + policy + inserted results); reaching it truncates. 0 = automatic: max(96, a bound on the demonstration length for these options + 8).' },
  reward: {
    type: 'enum', values: TOOL_REWARDS, default: 'weighted',
    doc: `Reward formula: ${TOOL_REWARDS.map((r) => `'${r}': ${TOOL_REWARD_DOCS[r]}`).join('; ')}.`,
  },
  wFormat: { type: 'number', default: 0.25, min: 0, max: 10, doc: "reward 'weighted': weight of the format component." },
  wTool: { type: 'number', default: 0.25, min: 0, max: 10, doc: "reward 'weighted': weight of the right-tool component." },
  wArgs: { type: 'number', default: 0.25, min: 0, max: 10, doc: "reward 'weighted': weight of the right-arguments component." },
  wAnswer: { type: 'number', default: 1, min: 0, max: 10, doc: "reward 'weighted': weight of the right-final-answer component." },
};

export const TOOL_MIX_OPTIONS: OptionSchema = {
  ...TOOL_OPTIONS,
  chainFraction: { type: 'number', default: 0, min: 0, max: 1, doc: 'Probability of a two-call chain problem (lookup, then calc on its result); the rest is calc and lookup half and half. 0 = the original mix.' },
};

const operand = (rng: Rng, digits: number) => String(rng.range(digits === 1 ? 2 : 10 ** (digits - 1), 10 ** digits - 1));

/**
 * An expression of ops + 1 operands of `digits` digits joined by `ops` operators + − * (* twice as likely),
 * starting with `first` when given (a chain's looked-up value). ood: one operand other than the first
 * becomes a parenthesised sum or difference '(b+c)' — grouping, which training expressions never use.
 */
function expression(rng: Rng, o: ToolTaskOptions, first: string | null): string {
  const n = () => operand(rng, o.digits);
  const group = o.ood ? 1 + rng.int(o.ops) : -1;
  let expr = first ?? n();
  for (let t = 1; t <= o.ops; t++) {
    expr += rng.pick(['+', '-', '*', '*']);
    expr += t === group ? `(${n()}${rng.pick(['+', '-'])}${n()})` : n();
  }
  return expr;
}

function calcProblem(rng: Rng, o: ToolTaskOptions): ToolProblem {
  const expr = expression(rng, o, null);
  return { prompt: `${expr}=?`, answer: calc(expr), kind: 'calc', calls: [{ tool: 'calc', args: expr }] };
}

const KB_NAMES = [...KNOWLEDGE_BASE.keys()];

function lookupProblem(rng: Rng): ToolProblem {
  const name = rng.pick(KB_NAMES);
  const attr = rng.pick(KB_ATTRIBUTES);
  return { prompt: `${attr} of ${name}?`, answer: KNOWLEDGE_BASE.get(name)![attr], kind: 'lookup', calls: [{ tool: 'lookup', args: `${name}.${attr}` }] };
}

/** "(age of guki)*37+5=?": look the age up, then calculate with it. */
function chainProblem(rng: Rng, o: ToolTaskOptions): ToolProblem {
  const name = rng.pick(KB_NAMES);
  const age = KNOWLEDGE_BASE.get(name)!.age;
  const tail = expression(rng, o, age).slice(age.length);
  const expr = age + tail;
  return {
    prompt: `(age of ${name})${tail}=?`, answer: calc(expr), kind: 'chain',
    calls: [{ tool: 'lookup', args: `${name}.age` }, { tool: 'calc', args: expr }],
  };
}

function mixProblem(rng: Rng, o: ToolTaskOptions): ToolProblem {
  // chainFraction 0 draws exactly as the original mix did (the same seed gives the same problem).
  const c = o.chainFraction ?? 0;
  if (c > 0 && rng.float() < c) return chainProblem(rng, o);
  if (o.ood) return calcProblem(rng, o);
  return rng.int(2) === 0 ? calcProblem(rng, o) : lookupProblem(rng);
}

const defs: Record<ToolEnvId, ToolTaskDef<ToolTaskOptions>> = {
  'ToolCalc-v0': { id: 'ToolCalc-v0', goal: 'use a calculator tool correctly to answer an arithmetic question', generate: calcProblem },
  'ToolLookup-v0': { id: 'ToolLookup-v0', goal: 'use a lookup tool correctly to answer a question about a small table', generate: lookupProblem },
  'ToolChain-v0': { id: 'ToolChain-v0', goal: 'look up a value with a lookup tool, then use a calculator tool on it correctly to answer an arithmetic question', generate: chainProblem },
  'ToolMix-v0': { id: 'ToolMix-v0', goal: 'use calculator and lookup tools correctly (one or two calls) to answer a question', generate: mixProblem },
};

/** The task of `id` in words (its spec.goal). */
export function toolTaskGoal(id: ToolEnvId): string | undefined {
  return defs[id]?.goal;
}

export function toolOptionSchema(id: ToolEnvId): OptionSchema {
  return id === 'ToolMix-v0' ? TOOL_MIX_OPTIONS : TOOL_OPTIONS;
}

/** Upper bounds on the lengths (characters) of the problems `id` draws with options `o`. */
function lengthBound(id: ToolEnvId, o: ToolTaskOptions): number {
  // An expression: `ops` operators, ops + 1 operands of `digits` digits; ood turns one operand into
  // (b±c) (digits + 3 more characters). Its value has at most digits·(ops + 1) digits plus a sign (ood: one
  // factor may be b + c < 2·10^digits, one more digit).
  const exprLen = o.digits * (o.ops + 1) + o.ops + (o.ood ? o.digits + 3 : 0);
  const valueLen = o.digits * (o.ops + 1) + 2 + (o.ood ? 1 : 0);
  const calcLen = 1 + (exprLen + 2) + (19 + exprLen) + 2 * (17 + valueLen);
  // Lookup: "color of guki?" (≤ 14), call (≤ 31), result and answer (≤ 22 each).
  const lookupLen = 1 + 14 + 31 + 2 * 22;
  // Chain: "(age of guki)" + tail + "=?", the lookup call (29) and result (19), the calc call on the
  // 2-digit age + tail, its result and the answer (the age may have more digits than `digits`).
  const tail = exprLen - o.digits;
  const chainLen = 1 + (13 + tail + 2) + 29 + 19 + (19 + 2 + tail) + 2 * (17 + valueLen + 2);
  switch (id) {
    case 'ToolCalc-v0': return calcLen;
    case 'ToolLookup-v0': return lookupLen;
    case 'ToolChain-v0': return chainLen;
    case 'ToolMix-v0': return Math.max(o.ood ? 0 : lookupLen, calcLen, (o.chainFraction ?? 0) > 0 ? chainLen : 0);
  }
}

export function validateToolOptions(id: ToolEnvId, partial?: Record<string, unknown>): ToolTaskOptions {
  const o = validateOptions<ToolTaskOptions>(id, toolOptionSchema(id), partial);
  if (o.ood && id === 'ToolLookup-v0') throw new Error(`${id}: option 'ood' has no out-of-distribution variant for lookup questions; valid: false (use ToolCalc-v0, ToolChain-v0 or ToolMix-v0 for ood)`);
  if (o.maxLength === 0) o.maxLength = Math.max(96, lengthBound(id, o) + 8);
  if (o.maxLength < 48) throw new Error(`${id}: bad value ${o.maxLength} for option 'maxLength'; valid: 0 (automatic) or an integer ≥ 48`);
  return o;
}

export function makeToolEnv(id: ToolEnvId, partial?: Record<string, unknown>): ToolEnv<ToolTaskOptions> {
  const def = defs[id];
  if (!def) throw new Error(`unknown tool env '${id}'; valid: ${Object.keys(defs).join(', ')}`);
  return new ToolEnv(def, validateToolOptions(id, partial));
}
