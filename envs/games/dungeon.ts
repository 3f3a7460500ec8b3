/**
 * Dungeon-v0 — a sparse-reward dungeon with a NetHack-like message line, for studying intrinsic rewards
 * from judge feedback (ONI, Zheng et al. 2024) where the extrinsic reward is too rare to learn from.
 *
 * Layout: a cols × rows grid of square rooms (roomSize² floor each) joined by doors along a random
 * spanning tree, plus `loops` extra doors. One leaf room is the vault (a treasury, reliquary, …) behind a
 * locked door; the treasure inside is the goal. Its key lies in another room. With `locks: 2` that key is
 * itself locked in a second leaf room whose key lies in the open rooms: key → door → key → vault door →
 * treasure. Other doors are open doorways or closed doors (walk into one to open it). Rooms hold scenery
 * (fountains, altars, statues: passable), items (gems, rings, gold, scrolls: picked up when walked over,
 * with no effect) and harmless wandering monsters (walking into one swaps places with it).
 *
 * Actions: Discrete(4) — 0 north, 1 east, 2 south, 3 west; as in the grid worlds (grid.ts).
 * Observation: Box(0, 1, [11, H, W]) float32, fully observed one-hot planes (DUNGEON_CHANNELS):
 *   0 wall · 1 agent · 2 key · 3 locked door · 4 closed door · 5 open door or doorway · 6 goal (treasure) ·
 *   7 keys carried (the whole plane = keys carried / locks) · 8 scenery · 9 item · 10 monster.
 * H = rows·(roomSize+1)+1, W = cols·(roomSize+1)+1. The obs is ONE reused buffer updated in place.
 * Reward: 1 on claiming the treasure (terminated), else 0 (`timePenalty`: 1 − 0.9·t/T). T = maxSteps truncates.
 * Messages: every step's `info.message` is the NetHack-style message line (./dungeon-text.ts): the names,
 * materials and wording are drawn per level, so captions number in the thousands and most are irrelevant.
 *
 * Split: by a hash of the task's structure (walls, doors, keys, treasure, start; not the decorations),
 * so train and test levels never share a layout. Randomness: the level from reset's seed; monster moves and noises from the same stream as the episode
 * runs, so the same seed and actions replay byte for byte. `chainProgress` counts the progress events of
 * the episode so far (the ground truth the rubric judge's rules reproduce; tests check they agree).
 */
import { Box, Discrete } from '../spaces.ts';
import { Rng } from '../../core/rng.ts';
import { SPLIT_OPTION, splitOfHash, type OptionSchema } from '../options.ts';
import { ConfigError, parse, type Infer, type Schema } from '../../core/schema.ts';
import type { Env, EnvInfo, EnvSpec, Frame, ResetArgs, ResetResult, StepResult } from '../types.ts';
import { CELL, Layout } from './layout.ts';
import { shortestActions } from './solve.ts';
import { checkMove, fillRect, gridText, renderCells, seedReset, type RGB } from './common.ts';
import {
  CLAIM_VERBS, DMSG, DOOR_WOODS, FEATURES, ITEMS, KEY_MATERIALS, KEY_VERBS, LOCK_DOORS, MONSTERS, ORDINARY_ROOMS,
  TREASURES, VAULT_ADJECTIVES, VAULT_KINDS, dir8,
} from './dungeon-text.ts';

export const DUNGEON_ID = 'Dungeon-v0';
/** The task in words (spec.goal). */
export const DUNGEON_GOAL = 'find the key to the locked vault among the rooms of a dungeon, unlock the vault door with it, enter the vault and claim the treasure inside (with two locks, the vault key is itself behind a locked door whose key must be found first)';

export const DUNGEON_OPTIONS = {
  split: { type: 'enum', values: ['train', 'test'], default: 'train', doc: SPLIT_OPTION.doc },
  cols: { type: 'int', default: 3, min: 1, max: 8, doc: 'Room slots across; the grid is cols·(roomSize+1)+1 cells wide.' },
  rows: { type: 'int', default: 2, min: 1, max: 8, doc: 'Room slots down; the grid is rows·(roomSize+1)+1 cells high. cols·rows ≥ locks + 2.' },
  roomSize: { type: 'int', default: 3, min: 2, max: 10, doc: 'Interior side of each square room, in cells.' },
  locks: { type: 'int', default: 1, min: 1, max: 2, doc: '1: key → vault door → treasure. 2: key → locked side room → its key → vault door → treasure.' },
  loops: { type: 'int', default: 1, min: 0, max: 64, doc: 'Extra doors between neighbouring open rooms beyond the spanning tree (never into a locked room).' },
  closedDoors: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'Probability that a door between open rooms is a closed door (walk into it to open) rather than an open doorway.' },
  features: { type: 'int', default: 4, min: 0, max: 200, doc: 'Pieces of passable scenery (fountains, altars, statues, …) per level, in the open rooms.' },
  items: { type: 'int', default: 6, min: 0, max: 200, doc: 'Items (gems, rings, gold, scrolls, …) per level, in the open rooms; picked up when walked over, no effect.' },
  monsters: { type: 'int', default: 2, min: 0, max: 32, doc: 'Harmless wandering monsters; walking into one swaps places with it.' },
  monsterMove: { type: 'number', default: 0.5, min: 0, max: 1, doc: 'Per-step probability that each monster tries a random move.' },
  noise: { type: 'number', default: 0.05, min: 0, max: 1, doc: 'Per-step probability of an ambient sound ("You hear …") on the message line.' },
  maxSteps: { type: 'int', default: 0, min: 0, max: 1_000_000, doc: 'Step limit T (the episode is truncated there). 0 = automatic: 2·(cols+rows)·(roomSize+1)·locks (40 at the defaults). Levels whose shortest solution exceeds T/2 are never generated.' },
  timePenalty: { type: 'boolean', default: false, doc: "false: reward 1 at the goal. true: MiniGrid's 1 − 0.9·t/T (Chevalier-Boisvert et al., 2023)." },
  view: { type: 'enum', values: ['egocentric', 'full'], default: 'egocentric', doc: "'egocentric': the map planes shifted so the agent is at the centre of an [11, 2H−3, 2W−3] window (still the whole map; outside it reads as wall), so 'a key two cells north' is always the same input — an MLP generalises across levels far better. 'full': the map planes [11, H, W] as in the other grid worlds." },
  tileSize: { type: 'int', default: 8, min: 1, max: 64, doc: 'Pixels per grid cell in render().' },
} as const satisfies Schema;

export type DungeonOptions = Infer<typeof DUNGEON_OPTIONS>;

export const DUNGEON_CHANNELS = ['wall', 'agent', 'key', 'lockedDoor', 'closedDoor', 'openDoor', 'goal', 'carrying', 'feature', 'item', 'monster'] as const;
const C = DUNGEON_CHANNELS.length;
const CH_AGENT = 1, CH_KEY = 2, CH_LOCKED = 3, CH_CLOSED = 4, CH_OPEN = 5, CH_CARRY = 7, CH_FEATURE = 8, CH_ITEM = 9, CH_MONSTER = 10;
/** Channel of each cell type (−1: none), indexed by CELL value. */
const CELL_CHANNEL = Int8Array.from([-1, 0, CH_KEY, CH_LOCKED, CH_CLOSED, CH_OPEN, 6, CH_FEATURE, CH_ITEM]);

export function validateDungeonOptions(partial?: Record<string, unknown>): DungeonOptions {
  let o: DungeonOptions;
  try {
    o = parse(DUNGEON_OPTIONS, partial ?? {}, '');
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`${DUNGEON_ID}: ${e.message.replace(/config key '([^']+)'/, "option '$1'")}`);
    throw e;
  }
  const rooms = o.cols * o.rows;
  if (rooms < o.locks + 2) throw new Error(`${DUNGEON_ID}: cols·rows = ${rooms} rooms is too few for locks = ${o.locks}; need at least ${o.locks + 2} (start, ${o.locks === 2 ? 'side room, ' : ''}vault)`);
  const openCells = (rooms - o.locks) * o.roomSize * o.roomSize;
  const things = o.features + o.items + o.monsters + 2;
  if (things > openCells / 2) throw new Error(`${DUNGEON_ID}: features + items + monsters = ${things - 2} do not fit in the open rooms (${openCells} cells; at most half may be filled, i.e. ${Math.floor(openCells / 2) - 2})`);
  if (o.maxSteps === 0) o.maxSteps = 2 * (o.cols + o.rows) * (o.roomSize + 1) * o.locks;
  return o;
}

/** Per-level data beyond the cells: names and wording (indices into dungeon-text's tables), monsters, and the generator's scratch. */
class Level {
  readonly layout: Layout;
  /** Room name index per room id (vault names ≥ ORDINARY_ROOMS). */
  readonly roomName: Int16Array;
  /** The cell of each room's landmark (its first scenery or item; −1 if none), named on first entry. */
  readonly landmark: Int32Array;
  readonly keyMaterial = new Uint8Array(2);
  readonly lockDoor = new Uint8Array(2);
  keyVerb = 0;
  claimVerb = 0;
  treasure = 0;
  vault = 0;
  readonly monsterPos: Int32Array;
  readonly monsterLook: Uint8Array;
  /** Top-left floor cell of each room. */
  readonly x0: Int16Array;
  readonly y0: Int16Array;
  // Scratch for generate() (typed and reused: a reset allocates almost nothing).
  readonly seen: Uint8Array;
  readonly stack: Int16Array;
  readonly edgeA: Int16Array;
  readonly edgeB: Int16Array;
  readonly degree: Uint8Array;
  readonly locked: Uint8Array;
  readonly inTree: Uint8Array;
  readonly nameUsed = new Uint8Array(ORDINARY_ROOMS);
  readonly free: Int32Array;
  nFree = 0;
  /** Cells of the keys, their locked doors (by lock index) and the treasure. */
  readonly key = new Int32Array(2);
  readonly lockCell = new Int32Array(2);
  goal = 0;
  constructor(width: number, height: number, readonly cols: number, readonly rows: number, readonly roomSize: number, monsters: number) {
    const rooms = cols * rows;
    this.layout = new Layout(width, height);
    this.roomName = new Int16Array(rooms);
    this.landmark = new Int32Array(rooms);
    this.monsterPos = new Int32Array(monsters);
    this.monsterLook = new Uint8Array(monsters);
    this.x0 = Int16Array.from({ length: rooms }, (_, s) => (s % cols) * (roomSize + 1) + 1);
    this.y0 = Int16Array.from({ length: rooms }, (_, s) => Math.floor(s / cols) * (roomSize + 1) + 1);
    this.seen = new Uint8Array(rooms);
    this.stack = new Int16Array(rooms);
    this.edgeA = new Int16Array(2 * rooms);
    this.edgeB = new Int16Array(2 * rooms);
    this.degree = new Uint8Array(rooms);
    this.locked = new Uint8Array(rooms);
    this.inTree = new Uint8Array(rooms * rooms);
    this.free = new Int32Array(rooms * roomSize * roomSize);
  }
  /** A uniformly random cell from the free list, removed from it. */
  take(rng: Rng): number {
    const j = rng.int(this.nFree), c = this.free[j];
    this.free[j] = this.free[--this.nFree];
    return c;
  }
  /** A uniformly random cell of room s (by offset; for rooms still empty). */
  cellOf(s: number, k: number): number {
    return this.layout.idx(this.x0[s] + (k % this.roomSize), this.y0[s] + Math.floor(k / this.roomSize));
  }
}

/**
 * A random spanning tree of the cols × rows slot grid (randomised depth-first search) into
 * level.edgeA/edgeB; returns the number of edges (rooms − 1).
 */
function spanningTree(level: Level, rng: Rng): number {
  const { cols, rows, seen, stack, edgeA, edgeB } = level, n = cols * rows;
  seen.fill(0);
  let top = 0, edges = 0;
  const start = rng.int(n);
  stack[top++] = start;
  seen[start] = 1;
  const next = [0, 0, 0, 0];
  while (top > 0) {
    const s = stack[top - 1], x = s % cols, y = (s - x) / cols;
    let k = 0;
    if (y > 0 && !seen[s - cols]) next[k++] = s - cols;
    if (x < cols - 1 && !seen[s + 1]) next[k++] = s + 1;
    if (y < rows - 1 && !seen[s + cols]) next[k++] = s + cols;
    if (x > 0 && !seen[s - 1]) next[k++] = s - 1;
    if (k === 0) { top--; continue; }
    const t = next[rng.int(k)];
    seen[t] = 1;
    edgeA[edges] = s; edgeB[edges] = t; edges++;
    stack[top++] = t;
  }
  return edges;
}

/** A door cell on the wall between neighbouring rooms a and b, at a random place along it. */
function doorBetween(level: Level, rng: Rng, a: number, b: number): number {
  const s = Math.min(a, b), R = level.roomSize, L = level.layout;
  return Math.abs(a - b) === 1 ? L.idx(level.x0[s] + R, level.y0[s] + rng.int(R)) : L.idx(level.x0[s] + rng.int(R), level.y0[s] + R);
}

function openDoor(level: Level, rng: Rng, a: number, b: number, closedP: number): void {
  const L = level.layout, d = doorBetween(level, rng, a, b);
  L.cell[d] = rng.float() < closedP ? CELL.CLOSED : CELL.OPEN;
  L.color[d] = rng.int(DOOR_WOODS.length);
}

/** The task's structure: rooms, doors, locks, the start, the keys and the treasure (what the split hash and the length check see). */
function generate(level: Level, rng: Rng, o: DungeonOptions): void {
  const L = level.layout, R = o.roomSize, cols = o.cols, rooms = cols * o.rows;
  L.cell.fill(CELL.WALL);
  for (let s = 0; s < rooms; s++) {
    for (let k = 0; k < R * R; k++) { const c = level.cellOf(s, k); L.cell[c] = CELL.EMPTY; L.room[c] = s; }
  }
  L.numRooms = rooms;
  const { edgeA, edgeB, degree, locked, inTree } = level;
  const edges = spanningTree(level, rng);
  degree.fill(0);
  inTree.fill(0);
  for (let e = 0; e < edges; e++) {
    degree[edgeA[e]]++; degree[edgeB[e]]++;
    inTree[Math.min(edgeA[e], edgeB[e]) * rooms + Math.max(edgeA[e], edgeB[e])] = 1;
  }
  // The vault (and with two locks the side room) are leaves, so their locked door is the only way in.
  let leaves = 0;
  for (let s = 0; s < rooms; s++) if (degree[s] === 1) leaves++;
  const nthLeaf = (n: number) => { for (let s = 0; s < rooms; s++) if (degree[s] === 1 && n-- === 0) return s; return -1; };
  const vaultIdx = rng.int(leaves);
  level.vault = nthLeaf(vaultIdx);
  const side = o.locks === 2 ? nthLeaf((vaultIdx + 1 + rng.int(leaves - 1)) % leaves) : -1;
  locked.fill(0);
  locked[level.vault] = o.locks; // locked[s] = lock index + 1 of the door into room s; the vault's lock is the last
  if (side >= 0) locked[side] = 1;
  for (let e = 0; e < edges; e++) {
    const a = edgeA[e], b = edgeB[e], lock = locked[a] || locked[b];
    if (lock) { const d = doorBetween(level, rng, a, b); L.cell[d] = CELL.LOCKED; L.color[d] = lock - 1; level.lockCell[lock - 1] = d; } else openDoor(level, rng, a, b, o.closedDoors);
  }
  if (o.loops > 0) {
    // Extra doors: a random subset of the neighbouring open-room pairs not joined by the tree.
    let n = 0;
    for (let a = 0; a < rooms; a++) {
      if (locked[a]) continue;
      const right = a + 1, below = a + cols;
      if (a % cols < cols - 1 && !locked[right] && !inTree[a * rooms + right]) { edgeA[edges + n] = a; edgeB[edges + n] = right; n++; }
      if (below < rooms && !locked[below] && !inTree[a * rooms + below]) { edgeA[edges + n] = a; edgeB[edges + n] = below; n++; }
    }
    for (let i = 0; i < Math.min(o.loops, n); i++) {
      const j = i + rng.int(n - i), e = edges + j, f = edges + i;
      const a = edgeA[e], b = edgeB[e];
      edgeA[e] = edgeA[f]; edgeB[e] = edgeB[f]; edgeA[f] = a; edgeB[f] = b;
      openDoor(level, rng, a, b, o.closedDoors);
    }
  }
  // The start, the keys and the treasure, each on a distinct free floor cell of its room(s), drawn
  // uniformly from what is left (swap-remove from the free list; decorate() goes on drawing from it).
  const free = level.free;
  let nFree = 0;
  for (let s = 0; s < rooms; s++) if (!locked[s]) for (let k = 0; k < R * R; k++) free[nFree++] = level.cellOf(s, k);
  level.nFree = nFree;
  L.agent = level.take(rng);
  const key0 = level.take(rng);
  L.cell[key0] = CELL.KEY; L.color[key0] = 0;
  level.key[0] = key0;
  if (side >= 0) { const k1 = level.cellOf(side, rng.int(R * R)); L.cell[k1] = CELL.KEY; L.color[k1] = 1; level.key[1] = k1; }
  level.goal = level.cellOf(level.vault, rng.int(R * R));
  L.cell[level.goal] = CELL.GOAL;
}

/**
 * A lower bound on the actions of any solution: the Manhattan distances along start → key → its door →
 * (key → door) → treasure, plus one action per lock to open it. Cheap; reset skips the solver when it
 * already exceeds the limit.
 */
function chainLowerBound(level: Level, locks: number): number {
  const W = level.layout.width;
  const md = (a: number, b: number) => Math.abs((a % W) - (b % W)) + Math.abs(Math.floor(a / W) - Math.floor(b / W));
  let at = level.layout.agent, n = locks;
  for (let k = 0; k < locks; k++) { n += md(at, level.key[k]) + md(level.key[k], level.lockCell[k]); at = level.lockCell[k]; }
  return n + md(at, level.goal);
}

/** Everything the task does not depend on: names, wording, scenery, items, monsters (after the level is accepted). */
function decorate(level: Level, rng: Rng, o: DungeonOptions): void {
  const L = level.layout, rooms = o.cols * o.rows;
  level.nameUsed.fill(0);
  for (let s = 0; s < rooms; s++) {
    if (s === level.vault) { level.roomName[s] = ORDINARY_ROOMS + rng.int(VAULT_ADJECTIVES.length * VAULT_KINDS.length); continue; }
    let n: number;
    do n = rng.int(ORDINARY_ROOMS); while (level.nameUsed[n]);
    level.nameUsed[n] = 1;
    level.roomName[s] = n;
  }
  const m0 = rng.int(KEY_MATERIALS.length);
  level.keyMaterial[0] = m0;
  level.keyMaterial[1] = (m0 + 1 + rng.int(KEY_MATERIALS.length - 1)) % KEY_MATERIALS.length;
  const d0 = rng.int(LOCK_DOORS.length);
  level.lockDoor[0] = d0;
  level.lockDoor[1] = (d0 + 1 + rng.int(LOCK_DOORS.length - 1)) % LOCK_DOORS.length;
  level.keyVerb = rng.int(KEY_VERBS.length);
  level.claimVerb = rng.int(CLAIM_VERBS.length);
  level.treasure = rng.int(TREASURES.length);
  level.landmark.fill(-1);
  for (let i = 0; i < o.features + o.items; i++) {
    const c = level.take(rng), feature = i < o.features;
    L.cell[c] = feature ? CELL.FEATURE : CELL.ITEM;
    L.color[c] = rng.int(feature ? FEATURES.length : ITEMS.length);
    if (level.landmark[L.room[c]] < 0) level.landmark[L.room[c]] = c;
  }
  for (let m = 0; m < o.monsters; m++) {
    level.monsterPos[m] = level.take(rng);
    level.monsterLook[m] = rng.int(MONSTERS);
  }
}

export interface DungeonInfo extends EnvInfo {
  message: string;
  success: boolean;
}

export class DungeonEnv implements Env<Float32Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(4);
  readonly spec: EnvSpec;
  readonly width: number;
  readonly height: number;
  /** Progress events in a full solution: each key picked up, each lock opened, the vault entered, the treasure claimed. */
  readonly chainLength: number;
  private readonly level: Level;
  private readonly cell: Uint8Array;
  private readonly color: Uint8Array;
  private readonly room: Int16Array;
  private readonly visited: Uint8Array;
  private readonly monsterAt: Int16Array; // monster index + 1 per cell, 0 = none
  private readonly monsterPos: Int32Array;
  /** The full-map planes [C, H, W], updated in place; the observation itself when view = 'full'. */
  private readonly grid: Float32Array;
  /** The observation buffer: `grid`, or the egocentric view [C, 2H−3, 2W−3] rebuilt from it each step. */
  private readonly obs: Float32Array;
  private readonly egocentric: boolean;
  private readonly plane: number;
  private readonly delta: Int32Array;
  private readonly rng = new Rng(0);
  private agent = 0;
  private currentRoom = -1;
  private carrying = 0; // bitmask over locks
  private t = 0;
  private done = true;
  private started = false;
  private lastMessage = '';
  private progress = 0;
  private lastProgress = false;
  private startRoom = -1;

  constructor(readonly options: DungeonOptions) {
    const R = options.roomSize;
    this.width = options.cols * (R + 1) + 1;
    this.height = options.rows * (R + 1) + 1;
    this.plane = this.width * this.height;
    const rooms = options.cols * options.rows;
    this.level = new Level(this.width, this.height, options.cols, options.rows, R, options.monsters);
    this.cell = new Uint8Array(this.plane);
    this.color = new Uint8Array(this.plane);
    this.room = new Int16Array(this.plane);
    this.visited = new Uint8Array(rooms);
    this.monsterAt = new Int16Array(this.plane);
    this.monsterPos = new Int32Array(options.monsters);
    this.grid = new Float32Array(C * this.plane);
    this.egocentric = options.view === 'egocentric';
    const shape = this.egocentric ? [C, 2 * this.height - 3, 2 * this.width - 3] : [C, this.height, this.width];
    this.obs = this.egocentric ? new Float32Array(shape[0] * shape[1] * shape[2]) : this.grid;
    this.observationSpace = new Box(0, 1, shape);
    this.delta = Int32Array.from([-this.width, 1, this.width, -1]);
    this.chainLength = 2 * options.locks + 2;
    this.spec = { id: DUNGEON_ID, family: 'games', maxEpisodeSteps: options.maxSteps, options: { ...options }, goal: DUNGEON_GOAL };
  }

  /** Progress events so far this episode (0 … chainLength): keys picked up, locks opened, vault entered, treasure claimed. */
  get chainProgress(): number { return this.progress; }
  /** Whether the last step made progress on the chain (the ground truth of the rubric judge's "helpful"). */
  get lastStepProgress(): boolean { return this.lastProgress; }

  reset(args: ResetArgs = {}): ResetResult<Float32Array> {
    seedReset(DUNGEON_ID, this.rng, args, this.started);
    this.started = true;
    const lv = this.level, L = lv.layout;
    // Rejection sampling keeps the train and test splits disjoint sets of levels (by the task's structure:
    // walls, doors, keys, treasure, start — not the scenery, items and monsters placed after), and every
    // level short enough.
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 10000) throw new Error(`${DUNGEON_ID}: could not generate a '${this.options.split}' level in 10000 attempts; options ${JSON.stringify(this.options)} allow too few distinct levels`);
      L.clear();
      generate(lv, this.rng, this.options);
      if (splitOfHash(L.hash()) !== this.options.split) continue;
      // Every level is solvable in half the step limit, so a good policy has room for detours.
      if (2 * chainLowerBound(lv, this.options.locks) > this.options.maxSteps) continue;
      const solution = shortestActions(L.cell, L.color, this.delta, L.agent, 0, this.options.locks);
      if (solution !== null && 2 * solution.length <= this.options.maxSteps) break;
    }
    decorate(lv, this.rng, this.options);
    this.cell.set(L.cell);
    this.color.set(L.color);
    this.room.set(L.room);
    this.visited.fill(0);
    this.agent = L.agent;
    this.currentRoom = this.room[this.agent];
    this.startRoom = this.currentRoom;
    this.visited[this.currentRoom] = 1;
    this.carrying = 0;
    this.t = 0;
    this.done = false;
    this.lastMessage = '';
    this.progress = 0;
    this.lastProgress = false;
    const obs = this.grid, P = this.plane;
    obs.fill(0);
    for (let i = 0; i < P; i++) {
      const ch = CELL_CHANNEL[this.cell[i]];
      if (ch >= 0) obs[ch * P + i] = 1;
    }
    obs[CH_AGENT * P + this.agent] = 1;
    this.monsterAt.fill(0);
    for (let m = 0; m < this.monsterPos.length; m++) {
      const c = lv.monsterPos[m];
      this.monsterPos[m] = c;
      this.monsterAt[c] = m + 1;
      obs[CH_MONSTER * P + c] = 1;
    }
    if (this.egocentric) this.writeEgocentric();
    return { obs: this.obs, info: { message: '', success: false } };
  }

  step(action: number): StepResult<Float32Array> {
    checkMove(DUNGEON_ID, action, this.done, this.started);
    const t = ++this.t;
    const P = this.plane, obs = this.grid, cell = this.cell, lv = this.level;
    const target = this.agent + this.delta[action];
    const c = cell[target];
    let msg = '';
    let events = 0; // progress events this step
    let reward = 0;
    let terminated = false;
    if (c === CELL.WALL) {
      const r = this.room[this.agent];
      msg = r >= 0 ? DMSG.bump[lv.roomName[r] * 4 + action] : DMSG.bumpDoorway;
    } else if (c === CELL.LOCKED) {
      const k = this.color[target];
      if ((this.carrying >> k) & 1) {
        cell[target] = CELL.OPEN;
        obs[CH_LOCKED * P + target] = 0;
        obs[CH_OPEN * P + target] = 1;
        msg = DMSG.unlock[lv.lockDoor[k] * KEY_MATERIALS.length + lv.keyMaterial[k]];
        events++;
      } else msg = DMSG.locked[lv.lockDoor[k]];
    } else if (c === CELL.CLOSED) {
      cell[target] = CELL.OPEN;
      obs[CH_CLOSED * P + target] = 0;
      obs[CH_OPEN * P + target] = 1;
      msg = DMSG.openDoor[this.color[target]];
    } else {
      const from = this.agent;
      const mon = this.monsterAt[target];
      if (mon > 0) { // trade places with the monster
        this.monsterAt[target] = 0;
        this.monsterAt[from] = mon;
        this.monsterPos[mon - 1] = from;
        obs[CH_MONSTER * P + target] = 0;
        obs[CH_MONSTER * P + from] = 1;
        msg = DMSG.swap[lv.monsterLook[mon - 1]];
      }
      obs[CH_AGENT * P + from] = 0;
      obs[CH_AGENT * P + target] = 1;
      this.agent = target;
      const r = this.room[target];
      if (r >= 0 && r !== this.currentRoom) {
        this.currentRoom = r;
        let enter: string;
        if (this.visited[r] === 0) {
          this.visited[r] = 1;
          enter = DMSG.enter[lv.roomName[r]];
          if (r === lv.vault) events++;
          const lm = lv.landmark[r];
          if (lm >= 0 && lm !== target && (cell[lm] === CELL.FEATURE || cell[lm] === CELL.ITEM)) {
            const kind = cell[lm] === CELL.FEATURE ? this.color[lm] : FEATURES.length + this.color[lm];
            const dx = (lm % this.width) - (target % this.width), dy = Math.floor(lm / this.width) - Math.floor(target / this.width);
            enter = `${enter} ${DMSG.see[kind * 8 + dir8(dx, dy)]}`;
          }
        } else enter = DMSG.back[lv.roomName[r]];
        msg = msg ? `${msg} ${enter}` : enter;
      }
      let event = '';
      if (c === CELL.KEY) {
        const k = this.color[target];
        cell[target] = CELL.EMPTY;
        obs[CH_KEY * P + target] = 0;
        this.carrying |= 1 << k;
        obs.fill(popcount(this.carrying) / this.options.locks, CH_CARRY * P, (CH_CARRY + 1) * P);
        event = DMSG.keyPickup[lv.keyVerb * KEY_MATERIALS.length + lv.keyMaterial[k]];
        events++;
      } else if (c === CELL.ITEM) {
        cell[target] = CELL.EMPTY;
        obs[CH_ITEM * P + target] = 0;
        event = DMSG.itemPickup[this.color[target]];
      } else if (c === CELL.FEATURE) {
        event = DMSG.featureHere[this.color[target]];
      } else if (c === CELL.GOAL) {
        terminated = true;
        reward = this.options.timePenalty ? 1 - 0.9 * (t / this.options.maxSteps) : 1;
        event = DMSG.claim[lv.claimVerb * TREASURES.length + lv.treasure];
        events++;
      }
      if (event) msg = msg ? `${msg} ${event}` : event;
    }
    if (!terminated) {
      // The world moves on; what it does is said only on a step the agent's own doings left silent
      // (one line, most important first), so ambient sentences rarely pair with others.
      const seen = this.moveMonsters();
      const heard = this.options.noise > 0 && this.rng.float() < this.options.noise ? DMSG.noises[this.rng.int(DMSG.noises.length)] : '';
      if (!msg) msg = seen || heard;
    }
    this.progress += events;
    this.lastProgress = events > 0;
    const truncated = !terminated && t >= this.options.maxSteps;
    this.done = terminated || truncated;
    this.lastMessage = msg;
    if (this.egocentric) this.writeEgocentric();
    return { obs: this.obs, reward, terminated, truncated, info: { message: msg, success: terminated } };
  }

  /**
   * The egocentric view: the map planes shifted so the agent sits at the centre (row H−2, column W−2)
   * of a [2H−3, 2W−3] window — the smallest that holds the whole map from any cell the agent can stand
   * on (never the border); the rest of the window reads as wall.
   */
  private writeEgocentric(): void {
    const H = this.height, W = this.width, EW = 2 * W - 3, EP = (2 * H - 3) * EW;
    const obs = this.obs, cell = this.cell, monsterAt = this.monsterAt;
    const ax = this.agent % W, ay = Math.floor(this.agent / W);
    obs.fill(1, 0, EP); // wall plane: outside the map is wall
    obs.fill(0, EP);
    obs.fill(this.grid[CH_CARRY * this.plane], CH_CARRY * EP, (CH_CARRY + 1) * EP);
    // From the cells (the planes are sparse: one pass over the map, a write per thing), not by copying planes.
    const dx = W - 2 - ax, dy = H - 2 - ay;
    for (let y = 0, i = 0; y < H; y++) {
      for (let x = 0, d = (y + dy) * EW + dx; x < W; x++, i++, d++) {
        const ch = CELL_CHANNEL[cell[i]];
        if (ch !== 0) { obs[d] = 0; if (ch > 0) obs[ch * EP + d] = 1; }
        if (monsterAt[i] !== 0) obs[CH_MONSTER * EP + d] = 1;
      }
    }
    obs[CH_AGENT * EP + (H - 2) * EW + (W - 2)] = 1;
  }

  /** Each monster tries a random move onto free floor; returns the sentence for the first one moving in the agent's room. */
  private moveMonsters(): string {
    let said = '';
    const p = this.options.monsterMove, P = this.plane, obs = this.grid, cell = this.cell;
    for (let m = 0; m < this.monsterPos.length; m++) {
      if (this.rng.float() >= p) continue;
      const d = this.rng.int(4);
      const from = this.monsterPos[m], to = from + this.delta[d];
      const c = cell[to];
      if ((c !== CELL.EMPTY && c !== CELL.OPEN) || to === this.agent || this.monsterAt[to] !== 0) continue;
      this.monsterAt[from] = 0;
      this.monsterAt[to] = m + 1;
      this.monsterPos[m] = to;
      obs[CH_MONSTER * P + from] = 0;
      obs[CH_MONSTER * P + to] = 1;
      if (!said && this.room[to] >= 0 && this.room[to] === this.room[this.agent]) said = DMSG.monsterMove[this.level.monsterLook[m] * 4 + d];
    }
    return said;
  }

  /**
   * A shortest action sequence from the current state to the treasure (null if none), by Dijkstra over
   * (cell, keys carried) (./solve.ts). Monsters never block (walking into one swaps places), so the
   * sequence stays valid however they move. For tests, demonstrations and baselines.
   */
  solve(): number[] | null {
    if (this.done) return null;
    return shortestActions(this.cell, this.color, this.delta, this.agent, this.carrying, this.options.locks);
  }

  /**
   * The state in words (the contrastive encoder's captions, rewards/encoders/describe.ts): keys carried,
   * the locked doors, where the agent is, and whether the treasure is claimed. Lock 0 is the vault's with
   * one lock; with two, lock 0 is the side room's and lock 1 the vault's. Task facts only: the scenery,
   * items and monsters are left to the step message.
   */
  describe(): string[] {
    const locks = this.options.locks, lv = this.level;
    const held = popcount(this.carrying);
    const keys = held === 0 ? 'no key' : held < locks ? 'one key' : locks === 1 ? 'the key' : 'both keys';
    const facts = [`the agent holds ${keys}`];
    for (let k = 0; k < locks; k++) {
      const name = k === locks - 1 ? 'the vault door' : 'the side-room door';
      facts.push(`${name} is ${this.cell[lv.lockCell[k]] === CELL.LOCKED ? 'locked' : 'open'}`);
    }
    const r = this.room[this.agent];
    facts.push(r < 0 ? 'the agent stands in a doorway' : r === lv.vault ? 'the agent is in the vault'
      : r === this.startRoom ? 'the agent is in the first room' : 'the agent is in another room');
    if (this.done && this.cell[this.agent] === CELL.GOAL) facts.push('the agent has claimed the treasure');
    return facts;
  }

  agentXY(): [number, number] {
    return [this.agent % this.width, Math.floor(this.agent / this.width)];
  }

  /** The grid as text: # wall, A agent, m monster, k key, L locked, D closed, / open door, G treasure, f scenery, i item, . floor. */
  toText(): string {
    const ch = ['.', '#', 'k', 'L', 'D', '/', 'G', 'f', 'i'];
    return gridText(this.width, this.height, (i) => (i === this.agent ? 'A' : this.monsterAt[i] ? 'm' : ch[this.cell[i]]));
  }

  render(): Frame {
    const ts = this.options.tileSize;
    return renderCells(this.width, this.height, ts, this.lastMessage, (rgb, W, x, y, i) => {
      const r = this.room[i];
      const floor = r >= 0 ? FLOOR_TINT[this.level.roomName[r] % FLOOR_TINT.length] : DUNGEON_PALETTE.floor;
      drawTile(rgb, W, x, y, ts, this.cell[i], this.color[i], floor, this.monsterAt[i] > 0, i === this.agent);
    });
  }

  close(): void {
    this.done = true;
  }
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/** render() colours: each thing its own colour, none equal to the wall's or a floor's (tested). */
export const DUNGEON_PALETTE = {
  wall: [110, 110, 110] as RGB,
  floor: [0, 0, 0] as RGB,
  /** Key and locked door of lock 0 and lock 1 (a key has its door's colour). */
  lock: [[255, 200, 0], [0, 210, 255]] as readonly RGB[],
  door: [150, 90, 40] as RGB,
  goal: [0, 220, 0] as RGB,
  feature: [70, 70, 255] as RGB,
  item: [255, 110, 200] as RGB,
  monster: [220, 30, 30] as RGB,
  agent: [255, 255, 255] as RGB,
};

/** Dark per-room floor tints (by room name), so rooms are told apart in frames as in words. */
const FLOOR_TINT: readonly RGB[] = [[0, 0, 0], [24, 16, 8], [8, 20, 12], [10, 12, 28], [26, 10, 20], [18, 18, 18]];

function drawTile(rgb: Uint8Array, W: number, x: number, y: number, ts: number, cell: number, color: number, floor: RGB, monster: boolean, agent: boolean): void {
  const P = DUNGEON_PALETTE;
  const q = Math.max(1, Math.floor(ts / 4));
  const inner = Math.max(1, ts - 2 * q);
  fillRect(rgb, W, x, y, ts, ts, floor);
  switch (cell) {
    case CELL.WALL: fillRect(rgb, W, x, y, ts, ts, P.wall); break;
    case CELL.GOAL: fillRect(rgb, W, x, y, ts, ts, P.goal); break;
    case CELL.KEY: fillRect(rgb, W, x + q, y + q, inner, inner, P.lock[color]); break;
    case CELL.LOCKED: fillRect(rgb, W, x, y, ts, ts, P.lock[color]); if (ts >= 4) fillRect(rgb, W, x + q, y + q, q, q, P.floor); break;
    case CELL.CLOSED: fillRect(rgb, W, x, y, ts, ts, P.door); if (ts >= 3) fillRect(rgb, W, x + 1, y + 1, ts - 2, ts - 2, [60, 36, 16]); break;
    case CELL.OPEN: fillRect(rgb, W, x, y, ts, 1, P.door); if (ts > 1) fillRect(rgb, W, x, y + ts - 1, ts, 1, P.door); break;
    case CELL.FEATURE: fillRect(rgb, W, x + q, y + q, inner, inner, P.feature); break;
    case CELL.ITEM: fillRect(rgb, W, x + q, y + q, inner, inner, P.item); break;
  }
  if (monster) fillRect(rgb, W, x + q, y + q, inner, inner, P.monster);
  if (agent) fillRect(rgb, W, x + q, y + q, inner, inner, P.agent);
}

export function makeDungeon(partial?: Record<string, unknown>): DungeonEnv {
  return new DungeonEnv(validateDungeonOptions(partial));
}

/** The option schema in the envs room's registry form (the same declaration). */
export const DUNGEON_OPTION_SCHEMA: OptionSchema = DUNGEON_OPTIONS;
