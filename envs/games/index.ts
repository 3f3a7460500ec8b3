/** The sparse-reward grid worlds: KeyDoor-v0, MultiRoom-v0, Maze-v0, Dungeon-v0. */
import { registerEnv } from '../registry.ts';
import { makeKeyDoor, validateKeyDoorOptions, KEYDOOR_OPTIONS, KEYDOOR_GOAL } from './keydoor.ts';
import { makeMultiRoom, validateMultiRoomOptions, MULTIROOM_OPTIONS, MULTIROOM_GOAL } from './multiroom.ts';
import { makeMaze, validateMazeOptions, MAZE_OPTIONS, MAZE_GOAL } from './maze.ts';
import { makeDungeon, validateDungeonOptions, DUNGEON_OPTION_SCHEMA, DUNGEON_GOAL } from './dungeon.ts';

export { GridEnv, GRID_CHANNELS, CELL, Layout, type GridOptions, type GridInfo, type LayoutGenerator } from './grid.ts';
export { GAME_MESSAGES, GAME_ENV_MESSAGES, COLORS, DIRECTIONS, fillTemplate, type GameMessageKind, type Color } from './messages.ts';
export { makeKeyDoor, validateKeyDoorOptions, KEYDOOR_OPTIONS, type KeyDoorOptions } from './keydoor.ts';
export { makeMultiRoom, validateMultiRoomOptions, MULTIROOM_OPTIONS, type MultiRoomOptions } from './multiroom.ts';
export { makeMaze, validateMazeOptions, MAZE_OPTIONS, type MazeOptions } from './maze.ts';
export {
  DungeonEnv, makeDungeon, validateDungeonOptions, DUNGEON_OPTIONS, DUNGEON_CHANNELS, DUNGEON_PALETTE, DUNGEON_ID,
  type DungeonOptions, type DungeonInfo,
} from './dungeon.ts';
export { DMSG as DUNGEON_MESSAGES, ORDINARY_ROOMS as DUNGEON_ORDINARY_ROOMS } from './dungeon-text.ts';

export function registerGameEnvs(): void {
  registerEnv('KeyDoor-v0', {
    family: 'games',
    description: 'Two rooms: pick up the key, unlock the door, reach the goal (MiniGrid DoorKey without orientation).',
    goal: KEYDOOR_GOAL,
    make: makeKeyDoor,
    validateOptions: (o) => ({ ...validateKeyDoorOptions(o) }),
    optionSchema: KEYDOOR_OPTIONS,
  }, { overwrite: true });
  registerEnv('MultiRoom-v0', {
    family: 'games',
    description: 'A chain of rooms joined by doors (optionally locked, keys in the room before); the goal is in the last room.',
    goal: MULTIROOM_GOAL,
    make: makeMultiRoom,
    validateOptions: (o) => ({ ...validateMultiRoomOptions(o) }),
    optionSchema: MULTIROOM_OPTIONS,
  }, { overwrite: true });
  registerEnv('Maze-v0', {
    family: 'games',
    description: 'A random perfect maze; the goal is the farthest cell; optionally a locked door on the way and its key.',
    goal: MAZE_GOAL,
    make: makeMaze,
    validateOptions: (o) => ({ ...validateMazeOptions(o) }),
    optionSchema: MAZE_OPTIONS,
  }, { overwrite: true });
  registerEnv('Dungeon-v0', {
    family: 'games',
    description: 'Rooms with a NetHack-like message line: find the key, unlock the vault, claim the treasure (random play ≤ 0.5%).',
    goal: DUNGEON_GOAL,
    make: makeDungeon,
    validateOptions: (o) => ({ ...validateDungeonOptions(o) }),
    optionSchema: DUNGEON_OPTION_SCHEMA,
  }, { overwrite: true });
}
