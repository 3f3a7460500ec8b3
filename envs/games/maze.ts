/**
 * Maze-v0 — a perfect maze (recursive backtracker, i.e. a randomised depth-first search spanning
 * tree) of size × size cells on a (2·size+1)² grid. The goal is by default the cell farthest from
 * the start. `lockedDoor: true` puts a locked door on the only path to the goal and its key
 * somewhere reachable before it (key → locked door → goal). `loops` knocks extra holes in walls.
 */
import { validateOptions, type OptionSchema } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { CELL, GridEnv, type GridOptions, type Layout } from './grid.ts';
import { gridOptionSchema } from './common.ts';
import { COLORS } from './messages.ts';

export interface MazeOptions extends GridOptions {
  /** Maze cells per side (2–30); the grid is (2·size+1)². */
  size: number;
  /** 'far': the goal is the cell farthest (BFS) from the start; 'random': any other cell. */
  goal: 'far' | 'random';
  /** A locked door on the path to the goal, its key reachable before it. */
  lockedDoor: boolean;
  /** Extra inner walls knocked down (0 = a perfect maze; loops may let the agent bypass a locked door). */
  loops: number;
}

export const MAZE_OPTIONS: OptionSchema = {
  size: { type: 'int', default: 4, min: 2, max: 30, doc: 'Maze cells per side; the grid is (2·size+1)² with walls. Difficulty knob.' },
  goal: { type: 'enum', values: ['far', 'random'], default: 'far', doc: "'far': the goal is the cell farthest (BFS) from the start; 'random': any other cell." },
  lockedDoor: { type: 'boolean', default: false, doc: 'Put a locked door on the path to the goal, and its key where the agent can reach it first.' },
  loops: { type: 'int', default: 0, min: 0, max: 1000, doc: 'Extra inner walls knocked down (creates loops; 0 = a perfect maze).' },
  ...gridOptionSchema('10·size²'),
};

export function validateMazeOptions(partial?: Record<string, unknown>): MazeOptions {
  const o = validateOptions<MazeOptions>('Maze-v0', MAZE_OPTIONS, partial);
  if (o.maxSteps === 0) o.maxSteps = 10 * o.size * o.size;
  return o;
}

function bfs(L: Layout, from: number, passable: (i: number) => boolean): Int32Array {
  const dist = new Int32Array(L.cell.length).fill(-1);
  const queue = new Int32Array(L.cell.length);
  const steps = [-L.width, 1, L.width, -1];
  let head = 0, tail = 0;
  queue[tail++] = from;
  dist[from] = 0;
  while (head < tail) {
    const i = queue[head++];
    for (let k = 0; k < 4; k++) {
      const j = i + steps[k];
      if (dist[j] < 0 && passable(j)) { dist[j] = dist[i] + 1; queue[tail++] = j; }
    }
  }
  return dist;
}

function generateMaze(L: Layout, rng: Rng, o: MazeOptions): void {
  const m = o.size;
  const cellIdx = (cx: number, cy: number) => L.idx(2 * cx + 1, 2 * cy + 1);
  L.cell.fill(CELL.WALL);
  const seen = new Uint8Array(m * m);
  const start = rng.int(m * m);
  const stack = [start];
  seen[start] = 1;
  L.cell[cellIdx(start % m, Math.floor(start / m))] = CELL.EMPTY;
  while (stack.length > 0) {
    const s = stack[stack.length - 1];
    const sx = s % m, sy = Math.floor(s / m);
    const next: number[] = [];
    if (sy > 0 && !seen[s - m]) next.push(s - m);
    if (sx < m - 1 && !seen[s + 1]) next.push(s + 1);
    if (sy < m - 1 && !seen[s + m]) next.push(s + m);
    if (sx > 0 && !seen[s - 1]) next.push(s - 1);
    if (next.length === 0) { stack.pop(); continue; }
    const t = rng.pick(next);
    const tx = t % m, ty = Math.floor(t / m);
    seen[t] = 1;
    L.cell[cellIdx(tx, ty)] = CELL.EMPTY;
    L.cell[L.idx(sx + tx + 1, sy + ty + 1)] = CELL.EMPTY; // the wall between s and t
    stack.push(t);
  }
  for (let i = 0; i < o.loops; i++) {
    // An inner wall cell between two maze cells: one odd and one even coordinate.
    const horizontal = rng.int(2) === 0;
    const x = horizontal ? 2 * rng.range(1, m - 1) : 2 * rng.int(m) + 1;
    const y = horizontal ? 2 * rng.int(m) + 1 : 2 * rng.range(1, m - 1);
    if (x > 0 && y > 0 && x < L.width - 1 && y < L.height - 1) L.cell[L.idx(x, y)] = CELL.EMPTY;
  }
  L.room.fill(-1); // one open space: a maze never says "You enter a new room."
  /** Maze cells sit at odd (x, y); the cells between them are passages or walls. */
  const isFloor = (i: number) => (i % L.width) % 2 === 1 && Math.floor(i / L.width) % 2 === 1;
  const floor: number[] = [];
  for (let cy = 0; cy < m; cy++) for (let cx = 0; cx < m; cx++) floor.push(cellIdx(cx, cy));
  L.agent = rng.pick(floor);
  let goal: number;
  const dist = bfs(L, L.agent, (j) => L.cell[j] === CELL.EMPTY);
  if (o.goal === 'far') {
    goal = floor[0];
    for (const f of floor) if (dist[f] > dist[goal]) goal = f;
  } else {
    goal = rng.pick(floor.filter((f) => f !== L.agent));
  }
  L.cell[goal] = CELL.GOAL;
  if (o.lockedDoor) {
    // Walk back from the goal along decreasing distance: the path's passage cells (between two maze cells).
    const path: number[] = [];
    for (let i = goal; i !== L.agent;) {
      let prev = -1;
      for (const d of [-L.width, 1, L.width, -1]) if (dist[i + d] === dist[i] - 1 && dist[i + d] >= 0) { prev = i + d; break; }
      if (prev < 0) break;
      if (prev !== L.agent && !isFloor(prev)) path.push(prev);
      i = prev;
    }
    if (path.length > 0) {
      const door = rng.pick(path);
      const color = rng.int(COLORS.length);
      L.cell[door] = CELL.LOCKED;
      L.color[door] = color;
      const before = bfs(L, L.agent, (j) => L.cell[j] === CELL.EMPTY);
      const candidates = floor.filter((f) => f !== L.agent && before[f] > 0);
      const key = candidates.length > 0 ? rng.pick(candidates) : -1;
      if (key >= 0) { L.cell[key] = CELL.KEY; L.color[key] = color; }
      else { L.cell[door] = CELL.EMPTY; } // the start cell is a dead end next to the door: no room for a key
    }
  }
}

/** The task in words (spec.goal). */
export const MAZE_GOAL = 'find the way through a maze to the goal square';

export function makeMaze(partial?: Record<string, unknown>): GridEnv<MazeOptions> {
  const o = validateMazeOptions(partial);
  const side = 2 * o.size + 1;
  return new GridEnv('Maze-v0', o, side, side, generateMaze, MAZE_GOAL);
}
