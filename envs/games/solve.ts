/**
 * Shortest action sequences in a four-move grid world with keys and doors — shared by GridEnv (KeyDoor,
 * MultiRoom, Maze) and Dungeon-v0. Dijkstra over (cell, keys carried): walls block; a locked door
 * passes only with the key of its colour; walking into a closed or a locked door (with its key) costs
 * 2 actions (open, then walk in); stepping onto a key adds it; every other cell costs 1. The search
 * costs a door at 2 each time a path crosses it, though it stays open after the first crossing; the
 * returned actions open each door once (replaying the path's door states), so they are always valid,
 * and shortest up to that overestimate.
 */
import { CELL } from './layout.ts';

/**
 * A shortest action list (0 north, 1 east, 2 south, 3 west) from `start` carrying the key bitmask
 * `carrying` to the first cell of type CELL.GOAL, or null if none is reachable. `color[i]` is the key
 * colour of a KEY or LOCKED cell i (bit index into the mask, < numColors); `delta[a]` the index offset
 * of action a.
 */
export function shortestActions(cell: Uint8Array, color: Uint8Array, delta: Int32Array, start: number, carrying: number, numColors: number): number[] | null {
  const P = cell.length, K = 1 << numColors, N = P * K;
  if (scratch.dist.length < N) scratch = { dist: new Int32Array(N), from: new Int32Array(N), via: new Int8Array(N) };
  const { dist, from, via } = scratch;
  dist.fill(-1, 0, N);
  const buckets = BUCKETS;
  for (const b of buckets) b.length = 0;
  const s0 = start * K + carrying;
  dist[s0] = 0;
  buckets[0].push(s0);
  for (let d = 0, pending = 1; pending > 0; d++) {
    const bucket = buckets[d % 3];
    // Costs are 1 or 2, so nothing is pushed onto the bucket being read.
    for (let bi = 0; bi < bucket.length; bi++) {
      const s = bucket[bi];
      pending--;
      if (dist[s] !== d) continue; // stale entry
      const pos = Math.floor(s / K), keys = s % K;
      if (cell[pos] === CELL.GOAL) {
        const moves: number[] = [];
        for (let t = s; t !== s0; t = from[t]) moves.push(t);
        moves.reverse();
        // Replay the moves: a door takes two actions (open, walk in) only the first time it is crossed.
        const acts: number[] = [];
        const opened = new Set<number>();
        for (const t of moves) {
          const q = Math.floor(t / K), c = cell[q];
          acts.push(via[t]);
          if ((c === CELL.LOCKED || c === CELL.CLOSED) && !opened.has(q)) { opened.add(q); acts.push(via[t]); }
        }
        return acts;
      }
      for (let a = 0; a < 4; a++) {
        const q = pos + delta[a];
        const c = cell[q];
        if (c === CELL.WALL) continue;
        if (c === CELL.LOCKED && !((keys >> color[q]) & 1)) continue;
        const cost = c === CELL.LOCKED || c === CELL.CLOSED ? 2 : 1;
        const nk = c === CELL.KEY ? keys | (1 << color[q]) : keys;
        const n = q * K + nk;
        if (dist[n] >= 0 && dist[n] <= d + cost) continue;
        pending++; // a re-queued state's older, costlier entry is skipped as stale
        dist[n] = d + cost;
        from[n] = s;
        via[n] = a;
        buckets[(d + cost) % 3].push(n);
      }
    }
    bucket.length = 0;
  }
  return null;
}

/** Search arrays reused across calls (a reset-time check runs this on every level). */
let scratch = { dist: new Int32Array(0), from: new Int32Array(0), via: new Int8Array(0) };
const BUCKETS: number[][] = [[], [], []];
