/**
 * On-disk label cache, kept across runs. One JSON file per judge id (so a changed judge, prompt or
 * noise setting never reuses stale labels), written atomically: temp file, then rename.
 * Loading is tolerant: a missing file is an empty cache; a corrupt one is reported once and ignored
 * (it is overwritten at the next flush), never a crash.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnnotationLabel } from './types.ts';

interface CacheFile { version: 1; judgeId: string; labels: AnnotationLabel[] }

export class LabelCache {
  private readonly map = new Map<string, AnnotationLabel>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  readonly file: string | null;
  /** Set when the file existed but could not be read (the cache then starts empty). */
  loadError: string | null = null;

  constructor(dir: string | null, readonly judgeId: string) {
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
      } catch (err) {
        this.loadError = `label cache ${this.file} unreadable (${(err as Error).message}); starting empty`;
      }
    }
  }

  get size(): number { return this.map.size; }
  get(key: string): AnnotationLabel | undefined { return this.map.get(key); }
  has(key: string): boolean { return this.map.has(key); }
  set(label: AnnotationLabel): void { this.map.set(label.key, label); this.dirty = true; }
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
