/**
 * The message line of the grid worlds (in the spirit of NetHack's): one caption per step, the exact
 * strings the rubric judge in rewards/ matches. Built once and interned, so a step never builds a string.
 *
 * A plain move says '' by default (nothing worth saying), or "You move {direction}." with the
 * option `moveMessages: true`. When two things happen in one step (you enter a new room and pick up
 * a key there), the messages are joined with one space, "You enter a new room." first.
 */
export const COLORS = ['red', 'green', 'blue', 'purple', 'yellow', 'grey'] as const;
export type Color = (typeof COLORS)[number];
export const DIRECTIONS = ['north', 'east', 'south', 'west'] as const;

/** The message templates every grid world uses ({color} ∈ COLORS, {direction} ∈ DIRECTIONS). */
export const GAME_MESSAGES = {
  pickUpKey: 'You pick up the {color} key.',
  doorLocked: 'The door is locked.',
  unlockDoor: 'You unlock the door with the {color} key.',
  openDoor: 'You open the door.',
  enterRoom: 'You enter a new room.',
  bumpWall: 'You bump into a wall.',
  reachGoal: 'You reach the goal!',
  move: 'You move {direction}.',
} as const;

export type GameMessageKind = keyof typeof GAME_MESSAGES;

/** Templates per game env id (which messages each env can emit). */
export const GAME_ENV_MESSAGES: Record<string, readonly GameMessageKind[]> = {
  'KeyDoor-v0': ['pickUpKey', 'doorLocked', 'unlockDoor', 'enterRoom', 'bumpWall', 'reachGoal', 'move'],
  'MultiRoom-v0': ['pickUpKey', 'doorLocked', 'unlockDoor', 'openDoor', 'enterRoom', 'bumpWall', 'reachGoal', 'move'],
  'Maze-v0': ['pickUpKey', 'doorLocked', 'unlockDoor', 'bumpWall', 'reachGoal', 'move'],
};

export function fillTemplate(template: string, vars: { color?: string; direction?: string }): string {
  return template.replace('{color}', vars.color ?? '{color}').replace('{direction}', vars.direction ?? '{direction}');
}

/** Interned strings, built once at module load. */
export const MSG = {
  none: '',
  doorLocked: GAME_MESSAGES.doorLocked,
  openDoor: GAME_MESSAGES.openDoor,
  enterRoom: GAME_MESSAGES.enterRoom,
  bumpWall: GAME_MESSAGES.bumpWall,
  reachGoal: GAME_MESSAGES.reachGoal,
  pickUp: COLORS.map((color) => fillTemplate(GAME_MESSAGES.pickUpKey, { color })),
  unlock: COLORS.map((color) => fillTemplate(GAME_MESSAGES.unlockDoor, { color })),
  move: DIRECTIONS.map((direction) => fillTemplate(GAME_MESSAGES.move, { direction })),
  /** enterThen[k]: "You enter a new room." + ' ' + pickUp[k] for k < COLORS.length; last entry: + reachGoal. */
  enterThen: [
    ...COLORS.map((color) => `${GAME_MESSAGES.enterRoom} ${fillTemplate(GAME_MESSAGES.pickUpKey, { color })}`),
    `${GAME_MESSAGES.enterRoom} ${GAME_MESSAGES.reachGoal}`,
  ],
};
