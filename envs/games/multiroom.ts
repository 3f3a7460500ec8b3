/**
 * MultiRoom-v0 — after MiniGrid's MultiRoom (Chevalier-Boisvert et al., 2023): a chain of rooms laid
 * out by a random self-avoiding walk on a k×k grid of room slots (k = ⌈√numRooms⌉), each room joined
 * to the next by a door. Start in the first room, the goal is in the last. Doors are closed (walk into
 * one to open it); the last `lockedDoors` doors are locked, each with its key somewhere in the room
 * before it. Difficulty knobs: numRooms, roomSize, lockedDoors.
 */
import { validateOptions, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { CELL, GridEnv, type GridOptions, type Layout } from './grid.ts';
import { gridOptionSchema, markRoom, randomEmpty } from './common.ts';
import { COLORS } from './messages.ts';

export interface MultiRoomOptions extends GridOptions {
  /** Rooms in the chain, 1–9 (MiniGrid MultiRoom-N2/N4/N6 use 2, 4, 6); the goal is in the last. */
  numRooms: number;
  /** Interior side of each square room, 2–10 cells. */
  roomSize: number;
  /** How many of the last doors are locked (≤ numRooms − 1); each key lies in the room before its door. */
  lockedDoors: number;
}

export const MULTIROOM_OPTIONS: OptionSchema = {
  numRooms: { type: 'int', default: 2, min: 1, max: 9, doc: 'Rooms in the chain (the goal is in the last one).' },
  roomSize: { type: 'int', default: 3, min: 2, max: 10, doc: 'Interior side of each (square) room, in cells.' },
  lockedDoors: { type: 'int', default: 0, min: 0, max: 8, doc: 'How many of the last doors are locked (≤ numRooms − 1); each key lies in the room before its door.' },
  ...gridOptionSchema('8·numRooms·roomSize²'),
};

export function validateMultiRoomOptions(partial?: Record<string, unknown>): MultiRoomOptions {
  const o = validateOptions<MultiRoomOptions>('MultiRoom-v0', MULTIROOM_OPTIONS, partial);
  if (o.lockedDoors > o.numRooms - 1) {
    throw new Error(`MultiRoom-v0: bad value ${o.lockedDoors} for option 'lockedDoors'; valid: an integer ≤ numRooms − 1 = ${o.numRooms - 1}`);
  }
  if (o.maxSteps === 0) o.maxSteps = 8 * o.numRooms * o.roomSize * o.roomSize;
  return o;
}

function slotsPerSide(numRooms: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(numRooms)));
}

export function multiRoomSide(o: Pick<MultiRoomOptions, 'numRooms' | 'roomSize'>): number {
  return slotsPerSide(o.numRooms) * (o.roomSize + 1) + 1;
}

/** A random self-avoiding walk of `n` slots on a k×k grid (restarts when stuck). */
function roomPath(rng: Rng, k: number, n: number): number[] {
  for (;;) {
    const path = [rng.int(k * k)];
    const used = new Set(path);
    while (path.length < n) {
      const s = path[path.length - 1];
      const sx = s % k, sy = Math.floor(s / k);
      const next: number[] = [];
      if (sy > 0) next.push(s - k);
      if (sx < k - 1) next.push(s + 1);
      if (sy < k - 1) next.push(s + k);
      if (sx > 0) next.push(s - 1);
      const free = next.filter((t) => !used.has(t));
      if (free.length === 0) break;
      const t = rng.pick(free);
      path.push(t);
      used.add(t);
    }
    if (path.length === n) return path;
  }
}

function generateMultiRoom(L: Layout, rng: Rng, o: MultiRoomOptions): void {
  const k = slotsPerSide(o.numRooms);
  const r = o.roomSize;
  L.cell.fill(CELL.WALL);
  const path = roomPath(rng, k, o.numRooms);
  const box = (slot: number) => {
    const x0 = (slot % k) * (r + 1) + 1, y0 = Math.floor(slot / k) * (r + 1) + 1;
    return [x0, y0, x0 + r - 1, y0 + r - 1] as const;
  };
  path.forEach((slot, id) => {
    const [x0, y0, x1, y1] = box(slot);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) L.cell[L.idx(x, y)] = CELL.EMPTY;
    markRoom(L, id, x0, y0, x1, y1);
  });
  L.numRooms = o.numRooms;
  const colors = rng.shuffle(COLORS.map((_, i) => i));
  const [ax0, ay0, ax1, ay1] = box(path[0]);
  L.agent = randomEmpty(L, rng, ax0, ay0, ax1, ay1);
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i], b = path[i + 1];
    const [x0, y0] = box(Math.min(a, b));
    let door: number;
    if (Math.abs(a - b) === 1) door = L.idx(x0 + r, y0 + rng.int(r)); // side by side: the wall column right of the left room
    else door = L.idx(x0 + rng.int(r), y0 + r); // stacked: the wall row below the upper room
    const locked = i >= o.numRooms - 1 - o.lockedDoors;
    L.cell[door] = locked ? CELL.LOCKED : CELL.CLOSED;
    L.color[door] = colors[i % colors.length];
    if (locked) {
      const [kx0, ky0, kx1, ky1] = box(a);
      const key = randomEmpty(L, rng, kx0, ky0, kx1, ky1, [L.agent]);
      L.cell[key] = CELL.KEY;
      L.color[key] = colors[i % colors.length];
    }
  }
  const [gx0, gy0, gx1, gy1] = box(path[path.length - 1]);
  L.cell[randomEmpty(L, rng, gx0, gy0, gx1, gy1, [L.agent])] = CELL.GOAL;
}

/** The task in words (spec.goal). */
export const MULTIROOM_GOAL = 'walk through a chain of rooms, opening each door, to reach the goal in the last room';

export function makeMultiRoom(partial?: Record<string, unknown>): GridEnv<MultiRoomOptions> {
  const o = validateMultiRoomOptions(partial);
  const side = multiRoomSide(o);
  return new GridEnv('MultiRoom-v0', o, side, side, generateMultiRoom, MULTIROOM_GOAL);
}
