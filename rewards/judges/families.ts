/**
 * Env families as rewards/ sees them: which rules (rubric) and which prompt (LLM judge) apply to an env id.
 * Env ids are the envs room's (KeyDoor-v0, MultiRoom-v0, Maze-v0, Dungeon-v0, Addition-v0, Reverse-v0, Sort-v0,
 * ToolCalc-v0, ToolLookup-v0); unknown ids fall back to 'generic', which the rubric never rewards.
 */
export type EnvFamily = 'games' | 'text' | 'tools' | 'generic';

const FAMILY_BY_PREFIX: Array<[RegExp, EnvFamily]> = [
  [/^(KeyDoor|MultiRoom|Maze|Dungeon)(-v\d+)?$/, 'games'],
  [/^(Addition|Reverse|Sort)(-v\d+)?$/, 'text'],
  [/^Tool[A-Za-z]*(-v\d+)?$/, 'tools'],
];

const registered = new Map<string, EnvFamily>();

/** Declares the family of a user env id (so its captions get that family's rubric and prompt). */
export function registerEnvFamily(envId: string, family: EnvFamily): void {
  registered.set(envId, family);
}

export function familyOf(envId: string): EnvFamily {
  const known = registered.get(envId);
  if (known) return known;
  for (const [re, fam] of FAMILY_BY_PREFIX) if (re.test(envId)) return fam;
  return 'generic';
}

/** Task goals per env id, used in the LLM prompt (ONI gives the judge the task goal). */
export const TASK_GOALS: Record<string, string> = {
  'KeyDoor-v0': 'pick up the key, unlock the door and reach the goal square in the next room',
  'MultiRoom-v0': 'walk through a chain of rooms, opening each door, to reach the goal in the last room',
  'Maze-v0': 'find the way through a maze to the goal square',
  'Dungeon-v0': 'find the key to the locked vault among the rooms of a dungeon, unlock the vault door with it, enter the vault and claim the treasure inside (with two locks, the vault key is itself behind a locked door whose key must be found first)',
  'Addition-v0': 'answer an addition problem with the correct number',
  'Reverse-v0': 'write the given string reversed',
  'Sort-v0': 'write the given characters in sorted order',
  'ToolCalc-v0': 'use a calculator tool correctly to answer an arithmetic question',
  'ToolLookup-v0': 'use a lookup tool correctly to answer a question about a small table',
};

export function taskGoal(envId: string): string {
  return TASK_GOALS[envId] ?? `make progress in the task ${envId}`;
}
