/**
 * On-disk label cache, kept across runs. One JSON file per judge id (so a changed judge, prompt or
 * noise setting never reuses stale labels), written atomically: temp file, then rename.
 * Bounded: at most `maxEntries` labels, the least recently used (looked up or written) evicted first, so a
 * long run with ever-new captions keeps a constant footprint in memory and on disk. The file keeps the
 * entries in recency order (oldest first), so the order survives a restart; a file holding more than
 * `maxEntries` (the limit was lowered) loads its newest entries and is trimmed at the next flush.
 * Loading is tolerant: a missing file is an empty cache; a corrupt one is reported once and ignored
 * (it is overwritten at the next flush), never a crash.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnnotationLabel } from './types.ts';
import { LruMap } from './lru.ts';

interface CacheFile { version: 1; judgeId: string; labels: AnnotationLabel[] }

export class LabelCache {
  private readonly map: LruMap<string, AnnotationLabel>;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  readonly file: string | null;
  /** Set when the file existed but could not be read (the cache then starts empty). */
  loadError: string | null = null;

  /** `maxEntries`: labels kept (LRU eviction beyond it); see AnnotatorConfig.cacheMaxEntries. */
  constructor(dir: string | null, readonly judgeId: string, readonly maxEntries = 100_000) {
    this.map = new LruMap(maxEntries);
    this.file = dir ? join(dir, `labels-${judgeId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`) : null;
    if (this.file && existsSync(this.file)) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as CacheFile;
        if (parsed.version !== 1 || parsed.judgeId !== judgeId || !Array.isArray(parsed.labels)) {
          throw new Error('unexpected layout');
        }
        for (const l of parsed.labels) {
          if (typeof l?.key === 'string' && typeof l.caption === 'string' && typeof l.label === 'number') this.map.set(l.key, l);
        }
        if (this.map.evicted > 0) this.dirty = true; // trim the file at the next flush
      } catch (err) {
        this.loadError = `label cache ${this.file} unreadable (${(err as Error).message}); starting empty`;
      }
    }
  }

  get size(): number { return this.map.size; }
  /** Labels evicted (least recently used first) to stay within `maxEntries`, loading included. */
  get evicted(): number { return this.map.evicted; }
  /**
   * Looks a label up and marks it most recently used. The new order is written with the next flush that
   * has a label to write; a lookup alone does not make the cache dirty (no disk writes for reads).
   */
  get(key: string): AnnotationLabel | undefined { return this.map.get(key); }
  has(key: string): boolean { return this.map.has(key); }
  set(label: AnnotationLabel): void { this.map.set(label.key, label); this.dirty = true; }
  /** Labels, least recently used first. */
  values(): IterableIterator<AnnotationLabel> { return this.map.values(); }

  /** Writes the cache if it changed (atomic: temp file + rename). Concurrent calls are serialised. */
  flush(): Promise<void> {
    if (!this.file || !this.dirty) return this.writing;
    this.dirty = false;
    const file = this.file;
    const body: CacheFile = { version: 1, judgeId: this.judgeId, labels: [...this.map.values()] };
    const text = JSON.stringify(body);
    this.writing = this.writing.then(async () => {
      const dir = join(file, '..');
      await mkdir(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, file);
    }).catch((err) => {
      this.dirty = true;
      this.loadError = `label cache write failed: ${(err as Error).message}`;
    });
    return this.writing;
  }

  /** Ensures the directory exists (called once at start so a bad path fails early and clearly). */
  static ensureDir(dir: string | null): void {
    if (!dir) return;
    try { mkdirSync(dir, { recursive: true }); } catch (err) {
      throw new Error(`rewards.annotator.cacheDir: cannot create '${dir}': ${(err as Error).message}`);
    }
  }
}
