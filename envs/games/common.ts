/** What every grid world shares: options, the reset/step contract, text and RGB drawing, layout helpers. */
import type { OptionSchema } from '../options.ts';
import { SPLIT_OPTION } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import type { Frame, ResetArgs } from '../types.ts';
import { CELL, type Layout } from './layout.ts';

export function gridOptionSchema(defaultMaxStepsDoc: string): OptionSchema {
  return {
    split: SPLIT_OPTION,
    maxSteps: { type: 'int', default: 0, min: 0, max: 1_000_000, doc: `Step limit T (the episode is truncated there). 0 = automatic: ${defaultMaxStepsDoc}.` },
    timePenalty: { type: 'boolean', default: false, doc: "false: reward 1 at the goal. true: MiniGrid's 1 − 0.9·t/T (Chevalier-Boisvert et al., 2023), rewarding speed." },
    moveMessages: { type: 'boolean', default: false, doc: "A plain move's message: false → '' (nothing worth saying), true → 'You move {direction}.'." },
    tileSize: { type: 'int', default: 8, min: 1, max: 64, doc: 'Pixels per grid cell in render().' },
  };
}

/** Walls around the border of the layout. */
export function borderWalls(L: Layout): void {
  for (let x = 0; x < L.width; x++) { L.cell[L.idx(x, 0)] = CELL.WALL; L.cell[L.idx(x, L.height - 1)] = CELL.WALL; }
  for (let y = 0; y < L.height; y++) { L.cell[L.idx(0, y)] = CELL.WALL; L.cell[L.idx(L.width - 1, y)] = CELL.WALL; }
}

/** Marks the rectangle [x0, x1] × [y0, y1] (inclusive) as room `id`. */
export function markRoom(L: Layout, id: number, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) L.room[L.idx(x, y)] = id;
}

/** A uniformly random empty floor cell inside the rectangle (inclusive), excluding `avoid`. */
export function randomEmpty(L: Layout, rng: Rng, x0: number, y0: number, x1: number, y1: number, avoid: readonly number[] = []): number {
  const free: number[] = [];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const i = L.idx(x, y);
      if (L.cell[i] === CELL.EMPTY && !avoid.includes(i)) free.push(i);
    }
  }
  if (free.length === 0) throw new Error(`layout generator: no free cell in [${x0},${x1}]×[${y0},${y1}]`);
  return free[rng.int(free.length)];
}

/** reset()'s prelude: no per-episode options; a given seed reseeds `rng`, the first reset of a fresh env uses seed 0. */
export function seedReset(id: string, rng: Rng, args: ResetArgs, started: boolean): void {
  if (args.options !== undefined && Object.keys(args.options).length > 0) {
    throw new Error(`${id}: reset() takes no per-episode options (got ${Object.keys(args.options).join(', ')}); pass options to makeEnv instead`);
  }
  if (args.seed !== undefined) rng.seed(args.seed);
  else if (!started) rng.seed(0);
}

/** step()'s contract for the four-move grid worlds: no step before reset or after the end, and a move 0–3. */
export function checkMove(id: string, action: number, done: boolean, started: boolean): void {
  if (done) throw new Error(`${id}: step() called ${started ? 'after the episode ended (terminated or truncated)' : 'before reset()'}; call reset() first`);
  if (action !== 0 && action !== 1 && action !== 2 && action !== 3) {
    throw new Error(`${id}: action must be 0 (north), 1 (east), 2 (south) or 3 (west), got ${String(action)}`);
  }
}

/** The grid as text rows, one character per cell. */
export function gridText(width: number, height: number, charAt: (i: number) => string): string {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let s = '';
    for (let x = 0; x < width; x++) s += charAt(y * width + x);
    rows.push(s);
  }
  return rows.join('\n');
}

export type RGB = readonly [number, number, number];

export function fillRect(rgb: Uint8Array, W: number, x0: number, y0: number, w: number, h: number, c: RGB): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * W + x) * 3;
      rgb[o] = c[0]; rgb[o + 1] = c[1]; rgb[o + 2] = c[2];
    }
  }
}

/** An RGB frame of width × height cells of ts × ts pixels, each drawn by `tile(rgb, frameWidth, x, y, cell index)`. */
export function renderCells(width: number, height: number, ts: number, caption: string, tile: (rgb: Uint8Array, W: number, x: number, y: number, i: number) => void): Frame {
  const W = width * ts, H = height * ts;
  const rgb = new Uint8Array(W * H * 3);
  for (let gy = 0; gy < height; gy++) for (let gx = 0; gx < width; gx++) tile(rgb, W, gx * ts, gy * ts, gy * width + gx);
  return { rgb, height: H, width: W, caption };
}
