/**
 * The grid-world engine shared by KeyDoor, MultiRoom and Maze: a MiniGrid-like world reduced to
 * what a small MLP can learn — fully observed, no orientation, four moves.
 *
 * Actions: Discrete(4) — 0 north, 1 east, 2 south, 3 west. Walking onto a key picks it up (the agent
 * can carry several; keys are not used up). Walking into a locked door carrying the key of its colour
 * unlocks and opens it; walking into a closed (unlocked) door opens it; either way the agent stays
 * put that step and walks through on the next. Walls, and locked doors without the key, block.
 *
 * Observation: Box(0, 1, [C=8, H, W]) float32, one-hot planes, channel order (GRID_CHANNELS):
 *   0 wall · 1 agent · 2 key · 3 locked door · 4 closed door · 5 open door · 6 goal ·
 *   7 carrying (the whole plane is 1 while the agent carries at least one key).
 * Key/door colours are not in the planes (a key opens only the door of its colour; in the built-in
 * layouts the agent can always carry every key, so colour never needs to be seen to solve them).
 *
 * The obs returned by reset() and step() is ONE reused buffer, updated in place (O(1) cells per step,
 * no allocation): copy it if you keep it past the next step.
 *
 * Reward: 1 on reaching the goal, else 0 (`timePenalty: true` gives MiniGrid's 1 − 0.9·t/T instead,
 * t = steps taken, T = maxSteps). The goal terminates the episode; T truncates it.
 */
import { Box, Discrete } from '../spaces.ts';
import { Rng } from '../../core/rng.ts';
import { splitOfHash } from '../options.ts';
import type { Env, EnvInfo, EnvSpec, Frame, ResetArgs, ResetResult, StepResult } from '../types.ts';
import { COLORS, DIRECTIONS, MSG } from './messages.ts';
import { CELL, Layout, type LayoutGenerator } from './layout.ts';
import { shortestActions } from './solve.ts';
import { checkMove, fillRect, gridText, renderCells, seedReset, type RGB } from './common.ts';

export { CELL, Layout, type LayoutGenerator } from './layout.ts';

export const GRID_CHANNELS = ['wall', 'agent', 'key', 'lockedDoor', 'closedDoor', 'openDoor', 'goal', 'carrying'] as const;
const C = GRID_CHANNELS.length;
const CH_AGENT = 1, CH_KEY = 2, CH_LOCKED = 3, CH_CLOSED = 4, CH_OPEN = 5, CH_CARRY = 7;
/** Channel of each cell type (−1: none). */
const CELL_CHANNEL = [-1, 0, CH_KEY, CH_LOCKED, CH_CLOSED, CH_OPEN, 6];

/** Options every grid world takes (schema and defaults: gridOptionSchema in ./common.ts). */
export interface GridOptions {
  /** 'train' or the disjoint held-out 'test' set of levels (by a hash of the level's cells and start). */
  split: 'train' | 'test';
  /** Step limit T; the episode is truncated there (0 in the input = the env's automatic value). */
  maxSteps: number;
  /** false: reward 1 at the goal; true: MiniGrid's 1 − 0.9·t/T (Chevalier-Boisvert et al., 2023). */
  timePenalty: boolean;
  /** A plain move says '' (false) or "You move {direction}." (true). */
  moveMessages: boolean;
  /** Pixels per cell in render(). */
  tileSize: number;
}

export interface GridInfo extends EnvInfo {
  message: string;
  success: boolean;
}

export class GridEnv<O extends GridOptions = GridOptions> implements Env<Float32Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(4, 0, DIRECTIONS);
  readonly spec: EnvSpec;
  readonly width: number;
  readonly height: number;
  private readonly level: Layout;
  private readonly cell: Uint8Array;
  private readonly color: Uint8Array;
  private readonly room: Int16Array;
  private readonly visited: Uint8Array;
  private readonly obs: Float32Array;
  private readonly plane: number;
  private readonly delta: Int32Array;
  private readonly rng = new Rng(0);
  private agent = 0;
  private carrying = 0; // bitmask over COLORS
  private t = 0;
  private done = true;
  private started = false;
  private lastMessage = '';

  constructor(id: string, readonly options: O, width: number, height: number, private readonly generate: LayoutGenerator<O>, goal?: string) {
    this.width = width;
    this.height = height;
    this.plane = width * height;
    this.level = new Layout(width, height);
    this.cell = new Uint8Array(this.plane);
    this.color = new Uint8Array(this.plane);
    this.room = new Int16Array(this.plane);
    this.visited = new Uint8Array(this.plane);
    this.obs = new Float32Array(C * this.plane);
    this.observationSpace = new Box(0, 1, [C, height, width]);
    this.delta = Int32Array.from([-width, 1, width, -1]);
    this.spec = { id, family: 'games', maxEpisodeSteps: options.maxSteps, options: { ...options } as Record<string, unknown>, ...(goal ? { goal } : {}) };
  }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    seedReset(this.spec.id, this.rng, args, this.started);
    this.started = true;
    const L = this.level;
    // Rejection sampling keeps the train and test splits disjoint sets of levels.
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 10000) throw new Error(`${this.spec.id}: could not generate a '${this.options.split}' level in 10000 attempts; options ${JSON.stringify(this.options)} allow too few distinct levels`);
      L.clear();
      this.generate(L, this.rng, this.options);
      if (splitOfHash(L.hash()) === this.options.split) break;
    }
    this.cell.set(L.cell);
    this.color.set(L.color);
    this.room.set(L.room);
    this.visited.fill(0);
    this.agent = L.agent;
    if (this.room[this.agent] >= 0) this.visited[this.room[this.agent]] = 1;
    this.carrying = 0;
    this.t = 0;
    this.done = false;
    this.lastMessage = '';
    const obs = this.obs;
    obs.fill(0);
    for (let i = 0; i < this.plane; i++) {
      const ch = CELL_CHANNEL[this.cell[i]];
      if (ch >= 0) obs[ch * this.plane + i] = 1;
    }
    obs[CH_AGENT * this.plane + this.agent] = 1;
    return { obs, info: { message: '', success: false } };
  }

  step(action: number): StepResult<Float32Array> {
    checkMove(this.spec.id, action, this.done, this.started);
    const t = ++this.t;
    const P = this.plane, obs = this.obs, cell = this.cell;
    const target = this.agent + this.delta[action];
    const c = cell[target];
    let msg = MSG.none;
    let reward = 0;
    let terminated = false;
    if (c === CELL.WALL) {
      msg = MSG.bumpWall;
    } else if (c === CELL.LOCKED) {
      const k = this.color[target];
      if ((this.carrying >> k) & 1) {
        cell[target] = CELL.OPEN;
        obs[CH_LOCKED * P + target] = 0;
        obs[CH_OPEN * P + target] = 1;
        msg = MSG.unlock[k];
      } else msg = MSG.doorLocked;
    } else if (c === CELL.CLOSED) {
      cell[target] = CELL.OPEN;
      obs[CH_CLOSED * P + target] = 0;
      obs[CH_OPEN * P + target] = 1;
      msg = MSG.openDoor;
    } else {
      obs[CH_AGENT * P + this.agent] = 0;
      obs[CH_AGENT * P + target] = 1;
      this.agent = target;
      const r = this.room[target];
      let entered = false;
      if (r >= 0 && this.visited[r] === 0) { this.visited[r] = 1; entered = true; }
      if (c === CELL.KEY) {
        const k = this.color[target];
        cell[target] = CELL.EMPTY;
        obs[CH_KEY * P + target] = 0;
        if (this.carrying === 0) obs.fill(1, CH_CARRY * P, (CH_CARRY + 1) * P);
        this.carrying |= 1 << k;
        msg = entered ? MSG.enterThen[k] : MSG.pickUp[k];
      } else if (c === CELL.GOAL) {
        terminated = true;
        reward = this.options.timePenalty ? 1 - 0.9 * (t / this.options.maxSteps) : 1;
        msg = entered ? MSG.enterThen[COLORS.length] : MSG.reachGoal;
      } else if (entered) msg = MSG.enterRoom;
      else if (this.options.moveMessages) msg = MSG.move[action];
    }
    const truncated = !terminated && t >= this.options.maxSteps;
    this.done = terminated || truncated;
    this.lastMessage = msg;
    return { obs, reward, terminated, truncated, info: { message: msg, success: terminated } };
  }

  /**
   * A shortest action sequence from the current state to the goal (null if none), by Dijkstra over
   * (cell, keys carried) (./solve.ts): walking into a closed or a locked door (with its key) costs 2
   * actions — open, then walk in. For tests (every level is solvable) and baselines.
   */
  solve(): number[] | null {
    if (this.done) return null;
    return shortestActions(this.cell, this.color, this.delta, this.agent, this.carrying, COLORS.length);
  }

  /** Agent position as (x, y), for tests and debugging. */
  agentXY(): [number, number] {
    return [this.agent % this.width, Math.floor(this.agent / this.width)];
  }

  /** The current grid as text rows: # wall, A agent, k key, L locked, D closed, / open door, G goal, . floor. */
  toText(): string {
    const ch = ['.', '#', 'k', 'L', 'D', '/', 'G'];
    return gridText(this.width, this.height, (i) => (i === this.agent ? 'A' : ch[this.cell[i]]));
  }

  render(): Frame {
    return renderCells(this.width, this.height, this.options.tileSize, this.lastMessage,
      (rgb, W, x, y, i) => drawTile(rgb, W, x, y, this.options.tileSize, this.cell[i], COLOR_RGB[this.color[i]], i === this.agent));
  }

  close(): void {
    this.done = true;
  }
}

const COLOR_RGB: readonly RGB[] = [
  // 'grey' keys and doors are lighter than the walls ([100, 100, 100]), so a grey locked door shows.
  [255, 0, 0], [0, 255, 0], [0, 0, 255], [112, 39, 195], [255, 255, 0], [170, 170, 170],
];

/** MiniGrid-like palette: grey walls, coloured keys (small square) and doors (full / framed / hollow), green goal, white agent. */
function drawTile(rgb: Uint8Array, W: number, x: number, y: number, ts: number, cell: number, color: RGB, agent: boolean): void {
  const q = Math.max(1, Math.floor(ts / 4));
  fillRect(rgb, W, x, y, ts, ts, [0, 0, 0]);
  switch (cell) {
    case CELL.WALL: fillRect(rgb, W, x, y, ts, ts, [100, 100, 100]); break;
    case CELL.GOAL: fillRect(rgb, W, x, y, ts, ts, [0, 200, 0]); break;
    case CELL.KEY: fillRect(rgb, W, x + q, y + q, ts - 2 * q, ts - 2 * q, color); break;
    case CELL.LOCKED: fillRect(rgb, W, x, y, ts, ts, color); fillRect(rgb, W, x + q, y + q, Math.max(1, q), Math.max(1, q), [0, 0, 0]); break;
    case CELL.CLOSED: fillRect(rgb, W, x, y, ts, ts, color); fillRect(rgb, W, x + 1, y + 1, ts - 2, ts - 2, [40, 40, 40]); break;
    case CELL.OPEN: fillRect(rgb, W, x, y, ts, 1, color); fillRect(rgb, W, x, y + ts - 1, ts, 1, color); break;
  }
  if (agent) fillRect(rgb, W, x + q, y + q, ts - 2 * q, ts - 2 * q, [255, 255, 255]);
}
