/**
 * Prompt templates of the LLM judge, per env family, with few-shot worked examples. Shaped after ONI's
 * annotation prompt: the judge is cast as an evaluator of progress in the task, given the task goal and
 * a few worked examples, and must answer in a fixed format — a short analysis, then one answer line:
 *   label mode: "Label: yes" | "Label: no"          score mode: "Score: x" (0 ≤ x ≤ 1)
 *   pair mode:  "Preferred: 1" | "Preferred: 2" | "Preferred: tie"
 * Bump PROMPT_VERSION whenever a template changes: it is part of the judge id that keys the label cache.
 */
import { familyOf, taskGoal, type EnvFamily } from './families.ts';

export const PROMPT_VERSION = 1;

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

const WHAT: Record<EnvFamily, { world: string; item: string }> = {
  games: { world: 'a grid-world game', item: 'game message (what the game printed after one move of the agent)' },
  text: { world: 'a text task solved by a language model', item: 'completion written by the agent' },
  tools: { world: 'a task solved by an agent that can call tools', item: 'tool-use transcript of the agent' },
  generic: { world: 'a reinforcement-learning task', item: 'observation caption' },
};

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
  generic: [],
};

function answerLine(helpful: boolean, mode: 'label' | 'score'): string {
  return mode === 'label' ? `Label: ${helpful ? 'yes' : 'no'}` : `Score: ${helpful ? '0.9' : '0.1'}`;
}

/** Messages asking for a label (or score) of one caption. */
export function labelPrompt(envId: string, caption: string, mode: 'label' | 'score', fewShot: boolean): ChatMessage[] {
  const fam = familyOf(envId);
  const { world, item } = WHAT[fam];
  const format = mode === 'label'
    ? 'Then end with one final line that is exactly "Label: yes" (helpful progress) or "Label: no".'
    : 'Then end with one final line "Score: x" where x is a number from 0 (no progress) to 1 (clear progress).';
  const msgs: ChatMessage[] = [{
    role: 'system',
    content: `You judge the progress of an agent in ${world}. The agent's task: ${taskGoal(envId)}. ` +
      `You are shown one ${item}. Decide whether it shows helpful progress towards the task. ` +
      `First write a short analysis (one or two sentences). ${format}`,
  }];
  if (fewShot) {
    for (const ex of EXAMPLES[fam]) {
      msgs.push({ role: 'user', content: ex.caption });
      msgs.push({ role: 'assistant', content: `${ex.analysis}\n${answerLine(ex.helpful, mode)}` });
    }
  }
  msgs.push({ role: 'user', content: caption === '' ? '(empty)' : caption });
  return msgs;
}

/** Messages asking which of two captions shows more progress. */
export function pairPrompt(envId: string, first: string, second: string, fewShot: boolean): ChatMessage[] {
  const fam = familyOf(envId);
  const { world, item } = WHAT[fam];
  const msgs: ChatMessage[] = [{
    role: 'system',
    content: `You judge the progress of an agent in ${world}. The agent's task: ${taskGoal(envId)}. ` +
      `You are shown two of its outputs, each a ${item}, numbered 1 and 2. Decide which one shows more progress ` +
      `towards the task. First write a short analysis. Then end with one final line that is exactly ` +
      `"Preferred: 1", "Preferred: 2" or "Preferred: tie".`,
  }];
  const ex = EXAMPLES[fam];
  if (fewShot && ex.length >= 2) {
    const good = ex.find((e) => e.helpful)!, bad = ex.find((e) => !e.helpful)!;
    msgs.push({ role: 'user', content: `1: ${bad.caption}\n2: ${good.caption}` });
    msgs.push({ role: 'assistant', content: `${good.analysis} ${bad.analysis}\nPreferred: 2` });
  }
  msgs.push({ role: 'user', content: `1: ${first || '(empty)'}\n2: ${second || '(empty)'}` });
  return msgs;
}
