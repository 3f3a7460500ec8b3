/**
 * A bounded map that forgets the least recently used entry first. JavaScript's Map iterates in insertion
 * order, so "touching" an entry (delete + set) moves it to the newest end and the first key is always
 * the least recently used: O(1) per operation, no linked list to keep.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries forgotten to keep the size within `capacity`. */
  evicted = 0;

  constructor(readonly capacity: number, private readonly onEvict?: (key: K, value: V) => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`LruMap: capacity must be an integer >= 1, got ${capacity}`);
  }

  get size(): number { return this.map.size; }
  has(key: K): boolean { return this.map.has(key); }
  /** Reads without changing recency. */
  peek(key: K): V | undefined { return this.map.get(key); }

  /** Reads and marks the entry most recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Inserts or replaces (as most recently used), then evicts the least recently used beyond capacity. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const [oldKey, oldValue] = this.map.entries().next().value as [K, V];
      this.map.delete(oldKey);
      this.evicted++;
      this.onEvict?.(oldKey, oldValue);
    }
  }

  /** Replaces the value of an existing entry without changing its recency; false when absent. */
  replace(key: K, value: V): boolean {
    if (!this.map.has(key)) return false;
    this.map.set(key, value);
    return true;
  }

  delete(key: K): boolean { return this.map.delete(key); }
  /** Values, least recently used first. */
  values(): IterableIterator<V> { return this.map.values(); }
  keys(): IterableIterator<K> { return this.map.keys(); }
}
