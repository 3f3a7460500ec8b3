/**
 * The built-in tool tasks:
 *   ToolCalc-v0    "37*24+5=?"     → <call>calc(37*24+5)</call> <result>893</result> <answer>893</answer>
 *   ToolLookup-v0  "age of guki?"  → <call>lookup(guki.age)</call> <result>15</result> <answer>15</answer>
 *   ToolMix-v0     either, half and half.
 * Train/test split by a hash of the prompt (lookup: of the entity.attribute question), ~1 in 5 held out.
 */
import { validateOptions, SPLIT_OPTION, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { ToolEnv, type ToolEnvOptions, type ToolProblem, type ToolTaskDef } from './env.ts';
import { KB_ATTRIBUTES, KNOWLEDGE_BASE, calc } from './tools.ts';

export interface ToolTaskOptions extends ToolEnvOptions {
  /** calc tasks: digits of each operand (1–4). */
  digits: number;
  /** calc tasks: operators (+, −, *) in the expression (1–3). */
  ops: number;
}

export const TOOL_OPTIONS: OptionSchema = {
  split: SPLIT_OPTION,
  digits: { type: 'int', default: 2, min: 1, max: 4, doc: 'calc tasks: digits of each operand. Difficulty knob.' },
  ops: { type: 'int', default: 2, min: 1, max: 3, doc: 'calc tasks: operators (+, −, *) in the expression.' },
  maxTurns: { type: 'int', default: 2, min: 1, max: 8, doc: 'Tool calls allowed; one more ends the episode (truncated).' },
  maxLength: { type: 'int', default: 0, min: 0, max: 1024, doc: 'Context limit in tokens (prompt + policy + inserted results); reaching it truncates. 0 = automatic: max(96, a bound on the demonstration length for these options + 8).' },
  wFormat: { type: 'number', default: 0.25, min: 0, max: 10, doc: 'Weight of the format component (ToolRL).' },
  wTool: { type: 'number', default: 0.25, min: 0, max: 10, doc: 'Weight of the right-tool component.' },
  wArgs: { type: 'number', default: 0.25, min: 0, max: 10, doc: 'Weight of the right-arguments component.' },
  wAnswer: { type: 'number', default: 1, min: 0, max: 10, doc: 'Weight of the right-final-answer component.' },
};

function calcProblem(rng: Rng, o: ToolTaskOptions): ToolProblem {
  const n = () => String(rng.range(o.digits === 1 ? 2 : 10 ** (o.digits - 1), 10 ** o.digits - 1));
  let expr = n();
  for (let i = 0; i < o.ops; i++) expr += rng.pick(['+', '-', '*', '*']) + n();
  return { prompt: `${expr}=?`, answer: calc(expr), tool: 'calc', args: expr };
}

const KB_NAMES = [...KNOWLEDGE_BASE.keys()];

function lookupProblem(rng: Rng): ToolProblem {
  const name = rng.pick(KB_NAMES);
  const attr = rng.pick(KB_ATTRIBUTES);
  return { prompt: `${attr} of ${name}?`, answer: KNOWLEDGE_BASE.get(name)![attr], tool: 'lookup', args: `${name}.${attr}` };
}

const defs: Record<string, ToolTaskDef<ToolTaskOptions>> = {
  'ToolCalc-v0': { id: 'ToolCalc-v0', generate: calcProblem },
  'ToolLookup-v0': { id: 'ToolLookup-v0', generate: lookupProblem },
  'ToolMix-v0': { id: 'ToolMix-v0', generate: (rng, o) => (rng.int(2) === 0 ? calcProblem(rng, o) : lookupProblem(rng)) },
};

export function validateToolOptions(id: string, partial?: Record<string, unknown>): ToolTaskOptions {
  const o = validateOptions<ToolTaskOptions>(id, TOOL_OPTIONS, partial);
  if (o.maxLength === 0) {
    const operands = o.ops + 1;
    const expr = o.digits * operands + o.ops;
    const value = o.digits * operands + 2;
    const demo = 1 + (expr + 2) + (13 + expr) + 2 * (17 + value);
    o.maxLength = Math.max(96, demo + 8);
  }
  if (o.maxLength < 48) throw new Error(`${id}: bad value ${o.maxLength} for option 'maxLength'; valid: 0 (automatic) or an integer ≥ 48`);
  return o;
}

export function makeToolEnv(id: 'ToolCalc-v0' | 'ToolLookup-v0' | 'ToolMix-v0', partial?: Record<string, unknown>): ToolEnv<ToolTaskOptions> {
  const def = defs[id];
  if (!def) throw new Error(`unknown tool env '${id}'; valid: ${Object.keys(defs).join(', ')}`);
  return new ToolEnv(def, validateToolOptions(id, partial));
}
