/**
 * Prompt templates of the LLM judge, per env family, with few-shot worked examples. Shaped after ONI's
 * annotation prompt: the judge is cast as an evaluator of progress in the task, given the task goal and
 * a few worked examples, and must answer in a fixed format — a short analysis, then one answer line:
 *   label mode: "Label: yes" | "Label: no"          score mode: "Score: x" (0 ≤ x ≤ 1)
 *   pair mode:  "Preferred: 1" | "Preferred: 2" | "Preferred: tie"
 * The env comes as an EnvContext built from the env's spec: its family picks the wording and the worked
 * examples, its goal (spec.goal) is the task stated to the judge ('make progress in the task {id}' without one).
 * An env known by its id alone (no context, not registered) gets a generic wording and no examples.
 * Bump PROMPT_VERSION whenever a template changes: it is part of the judge id that keys the label cache.
 */
import type { EnvContext, EnvFamily } from '../../core/types.ts';

export const PROMPT_VERSION = 2;

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

/** The env being judged: its EnvContext, or only its id when nothing else is known of it. */
export type JudgedEnv = EnvContext | { id: string; family?: undefined; goal?: undefined };

const WHAT: Record<EnvFamily, { world: string; item: string }> = {
  games: { world: 'a grid-world game', item: 'game message (what the game printed after one move of the agent)' },
  text: { world: 'a text task solved by a language model', item: 'completion written by the agent' },
  tools: { world: 'a task solved by an agent that can call tools', item: 'tool-use transcript of the agent' },
};
const GENERIC = { world: 'a reinforcement-learning task', item: 'observation caption' };

interface Example { caption: string; analysis: string; helpful: boolean }

const EXAMPLES: Record<EnvFamily, Example[]> = {
  games: [
    { caption: 'You pick up the red key.', analysis: 'A key is needed to unlock a door on the way to the goal.', helpful: true },
    { caption: 'You bump into a wall.', analysis: 'Walking into a wall wastes a move.', helpful: false },
    { caption: 'You open the door.', analysis: 'Opening the door gives access to the next room.', helpful: true },
    { caption: 'You move north.', analysis: 'A plain move says nothing about progress.', helpful: false },
  ],
  text: [
    { caption: 'Answered "42": correct.', analysis: 'The task was solved.', helpful: true },
    { caption: 'Answered "32", expected "42": wrong.', analysis: 'The answer is wrong.', helpful: false },
    { caption: 'No answer within 16 tokens.', analysis: 'The agent never finished its answer.', helpful: false },
  ],
  tools: [
    { caption: 'Called calc(12*7) → 84.', analysis: 'A well-formed tool call returned a useful result.', helpful: true },
    { caption: 'Malformed tool call (missing ")").', analysis: 'The tool call was malformed.', helpful: false },
    { caption: 'Answered "84": correct.', analysis: 'The final answer is right.', helpful: true },
  ],
};

/** The family whose wording a system prompt of these templates uses (undefined for another text). */
export function promptFamily(system: string): EnvFamily | undefined {
  return (Object.keys(WHAT) as EnvFamily[]).find((f) => system.startsWith(`You judge the progress of an agent in ${WHAT[f].world}.`));
}

function taskOf(env: JudgedEnv): string {
  return env.goal ?? `make progress in the task ${env.id}`;
}

function answerLine(helpful: boolean, mode: 'label' | 'score'): string {
  return mode === 'label' ? `Label: ${helpful ? 'yes' : 'no'}` : `Score: ${helpful ? '0.9' : '0.1'}`;
}

/** Messages asking for a label (or score) of one caption. */
export function labelPrompt(env: JudgedEnv, caption: string, mode: 'label' | 'score', fewShot: boolean): ChatMessage[] {
  const { world, item } = env.family ? WHAT[env.family] : GENERIC;
  const format = mode === 'label'
    ? 'Then end with one final line that is exactly "Label: yes" (helpful progress) or "Label: no".'
    : 'Then end with one final line "Score: x" where x is a number from 0 (no progress) to 1 (clear progress).';
  const msgs: ChatMessage[] = [{
    role: 'system',
    content: `You judge the progress of an agent in ${world}. The agent's task: ${taskOf(env)}. ` +
      `You are shown one ${item}. Decide whether it shows helpful progress towards the task. ` +
      `First write a short analysis (one or two sentences). ${format}`,
  }];
  if (fewShot) {
    for (const ex of env.family ? EXAMPLES[env.family] : []) {
      msgs.push({ role: 'user', content: ex.caption });
      msgs.push({ role: 'assistant', content: `${ex.analysis}\n${answerLine(ex.helpful, mode)}` });
    }
  }
  msgs.push({ role: 'user', content: caption === '' ? '(empty)' : caption });
  return msgs;
}

/** Messages asking which of two captions shows more progress. */
export function pairPrompt(env: JudgedEnv, first: string, second: string, fewShot: boolean): ChatMessage[] {
  const { world, item } = env.family ? WHAT[env.family] : GENERIC;
  const msgs: ChatMessage[] = [{
    role: 'system',
    content: `You judge the progress of an agent in ${world}. The agent's task: ${taskOf(env)}. ` +
      `You are shown two of its outputs, each a ${item}, numbered 1 and 2. Decide which one shows more progress ` +
      `towards the task. First write a short analysis. Then end with one final line that is exactly ` +
      `"Preferred: 1", "Preferred: 2" or "Preferred: tie".`,
  }];
  const ex = env.family ? EXAMPLES[env.family] : [];
  if (fewShot && ex.length >= 2) {
    const good = ex.find((e) => e.helpful)!, bad = ex.find((e) => !e.helpful)!;
    msgs.push({ role: 'user', content: `1: ${bad.caption}\n2: ${good.caption}` });
    msgs.push({ role: 'assistant', content: `${good.analysis} ${bad.analysis}\nPreferred: 2` });
  }
  msgs.push({ role: 'user', content: `1: ${first || '(empty)'}\n2: ${second || '(empty)'}` });
  return msgs;
}
