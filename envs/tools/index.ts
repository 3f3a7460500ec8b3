/** Multi-turn tool use: ToolCalc-v0, ToolLookup-v0, ToolChain-v0, ToolMix-v0. */
import { registerEnv } from '../registry.ts';
import { makeToolEnv, validateToolOptions, toolOptionSchema, toolTaskGoal } from './tasks.ts';

export { ToolEnv, type ToolEnvOptions, type ToolProblem, type ToolProblemKind, type ToolTaskDef } from './env.ts';
export { calc, lookup, formatNumber, ToolError, TOOLS, KNOWLEDGE_BASE, KB_ATTRIBUTES, type KnowledgeBase, type KbAttribute } from './tools.ts';
export { parseCall, parseAnswer, callText, resultText, errorText, answerText, CALL_OPEN, CALL_CLOSE, ANSWER_OPEN, ANSWER_CLOSE, type ParsedCall } from './syntax.ts';
export { makeToolEnv, validateToolOptions, toolOptionSchema, TOOL_OPTIONS, TOOL_MIX_OPTIONS, type ToolTaskOptions, type ToolEnvId } from './tasks.ts';
export {
  TOOL_REWARDS, TOOL_REWARD_DOCS, callSlots, matchCalls, multisetJaccard, scoreEpisode, toolReward, toolrlScales,
  type ToolCall, type ToolReward, type ToolMetrics, type RewardWeights,
} from './reward.ts';

export function registerToolEnvs(): void {
  const entries = [
    ['ToolCalc-v0', "Arithmetic with a calculator tool: '37*24+5=?' → <call>calc(37*24+5)</call> … <answer>893</answer>."],
    ['ToolLookup-v0', "Questions over a small fictional knowledge base: 'age of guki?' → <call>lookup(guki.age)</call> … <answer>15</answer>."],
    ['ToolChain-v0', "Two calls, the second on the first one's result: '(age of guki)*37+5=?' → <call>lookup(guki.age)</call> … <call>calc(15*37+5)</call> … <answer>560</answer>."],
    ['ToolMix-v0', 'Calculator and lookup questions, half and half; chainFraction adds two-call chain problems.'],
  ] as const;
  for (const [id, description] of entries) {
    registerEnv(id, {
      family: 'tools', description, goal: toolTaskGoal(id),
      make: (o) => makeToolEnv(id, o), validateOptions: (o) => ({ ...validateToolOptions(id, o) }), optionSchema: toolOptionSchema(id),
    }, { overwrite: true });
  }
}
