/** The level representation the grid worlds share: cell types and a generated level (Layout). */
import { hashBytes, type Rng } from '../../core/rng.ts';

/** Cell types. GridEnv uses EMPTY…GOAL; Dungeon-v0 adds FEATURE (passable scenery) and ITEM (picked up on entry). */
export const CELL = { EMPTY: 0, WALL: 1, KEY: 2, LOCKED: 3, CLOSED: 4, OPEN: 5, GOAL: 6, FEATURE: 7, ITEM: 8 } as const;

/** A generated level: filled by a layout generator, then copied into the live grid at reset. */
export class Layout {
  readonly cell: Uint8Array;
  /** Colour index (into COLORS) of keys and doors. */
  readonly color: Uint8Array;
  /** Room id of each floor cell (−1 for walls and doorways). Entering a room id first seen says so. */
  readonly room: Int16Array;
  agent = 0;
  numRooms = 1;
  constructor(readonly width: number, readonly height: number) {
    this.cell = new Uint8Array(width * height);
    this.color = new Uint8Array(width * height);
    this.room = new Int16Array(width * height).fill(-1);
  }
  idx(x: number, y: number): number {
    return y * this.width + x;
  }
  clear(): void {
    this.cell.fill(CELL.EMPTY);
    this.color.fill(0);
    this.room.fill(-1);
    this.agent = 0;
    this.numRooms = 1;
  }
  /**
   * Stable hash of what the agent observes of the level (cells and start; not colours, which the
   * observation does not show) — decides its train/test split, so test levels look new.
   */
  hash(): number {
    const h = hashBytes(this.cell);
    return hashBytes([this.agent & 0xff, (this.agent >> 8) & 0xff, (this.agent >> 16) & 0xff], h);
  }
}

/** Fills `layout` (already cleared) from `rng`. Must give every cell of the border CELL.WALL. */
export type LayoutGenerator<O> = (layout: Layout, rng: Rng, options: O) => void;

