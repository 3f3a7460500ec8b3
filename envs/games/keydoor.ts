/**
 * KeyDoor-v0 — MiniGrid's DoorKey (Chevalier-Boisvert et al., 2023) without orientation: two rooms
 * split by a wall with one locked door. Pick up the key in the left room, walk into the door to
 * unlock it, reach the goal in the right room. Random exploration solves size 5 often and size ≥ 10
 * rarely (< 7%) within the default budget of 16·size steps.
 */
import { validateOptions, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { CELL, GridEnv, type GridOptions, type Layout } from './grid.ts';
import { borderWalls, gridOptionSchema, markRoom, randomEmpty } from './common.ts';
import { COLORS } from './messages.ts';

export interface KeyDoorOptions extends GridOptions {
  /** Side of the square grid, border walls included (MiniGrid DoorKey-5x5 … 16x16). */
  size: number;
  /** 'any': key anywhere in the left room; 'far': as far (BFS) from the agent's start as the room allows. */
  keyDistance: 'any' | 'far';
}

export const KEYDOOR_OPTIONS: OptionSchema = {
  size: { type: 'int', default: 5, min: 5, max: 32, doc: 'Side of the square grid, border walls included. Difficulty knob: larger is rarer to solve by chance.' },
  keyDistance: { type: 'enum', values: ['any', 'far'], default: 'any', doc: "'any': key anywhere in the left room; 'far': the key is placed as far (BFS) from the agent as possible." },
  ...gridOptionSchema('16·size (MiniGrid DoorKey allows 10·size², far more than a fully observed 4-move agent needs; with 16·size random play solves size 5 about 2 times in 3 and size ≥ 10 under 7% of the time)'),
};

export function validateKeyDoorOptions(partial?: Record<string, unknown>): KeyDoorOptions {
  const o = validateOptions<KeyDoorOptions>('KeyDoor-v0', KEYDOOR_OPTIONS, partial);
  if (o.maxSteps === 0) o.maxSteps = 16 * o.size;
  return o;
}

function generateKeyDoor(L: Layout, rng: Rng, o: KeyDoorOptions): void {
  const n = o.size;
  borderWalls(L);
  const split = rng.range(2, n - 3);
  for (let y = 0; y < n; y++) L.cell[L.idx(split, y)] = CELL.WALL;
  markRoom(L, 0, 1, 1, split - 1, n - 2);
  markRoom(L, 1, split + 1, 1, n - 2, n - 2);
  const door = L.idx(split, rng.range(1, n - 2));
  L.cell[door] = CELL.LOCKED;
  const color = rng.int(COLORS.length);
  L.color[door] = color;
  L.agent = randomEmpty(L, rng, 1, 1, split - 1, n - 2);
  let key: number;
  if (o.keyDistance === 'far') {
    key = farthestInRoom(L, L.agent, 0);
  } else key = randomEmpty(L, rng, 1, 1, split - 1, n - 2, [L.agent]);
  L.cell[key] = CELL.KEY;
  L.color[key] = color;
  const goal = randomEmpty(L, rng, split + 1, 1, n - 2, n - 2);
  L.cell[goal] = CELL.GOAL;
}

/** BFS inside room `room` from `from`: the last cell reached (ties: first in scan order). */
function farthestInRoom(L: Layout, from: number, room: number): number {
  const dist = new Int32Array(L.cell.length).fill(-1);
  const queue = [from];
  dist[from] = 0;
  let last = from;
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    last = i;
    for (const d of [-L.width, 1, L.width, -1]) {
      const j = i + d;
      if (dist[j] < 0 && L.cell[j] === CELL.EMPTY && L.room[j] === room) { dist[j] = dist[i] + 1; queue.push(j); }
    }
  }
  return last;
}

/** The task in words (spec.goal). */
export const KEYDOOR_GOAL = 'pick up the key, unlock the door and reach the goal square in the next room';

export function makeKeyDoor(partial?: Record<string, unknown>): GridEnv<KeyDoorOptions> {
  const o = validateKeyDoorOptions(partial);
  return new GridEnv('KeyDoor-v0', o, o.size, o.size, generateKeyDoor, KEYDOOR_GOAL);
}
