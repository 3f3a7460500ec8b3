/** Options every grid world shares, and small layout helpers. */
import type { OptionSchema } from '../options.ts';
import { SPLIT_OPTION } from '../options.ts';
import type { Rng } from '../../core/rng.ts';
import { CELL, type Layout } from './grid.ts';

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
