/** Content hashes (annotation keys, cache keys) and the small seeded helpers rewards/ needs. */
import { createHash } from 'node:crypto';

/** The annotation key of a caption: a content hash of env id and text (the annotator deduplicates on it). */
export function captionKey(envId: string, caption: string): string {
  return createHash('sha1').update(envId).update('\u0000').update(caption).digest('hex').slice(0, 20);
}

/** The annotation key of a frame (optionally with its caption): a content hash of the pixels. */
export function frameKey(envId: string, frame: { rgb: Uint8Array; height: number; width: number }, caption = ''): string {
  return createHash('sha1').update(envId).update('\u0000').update(`${frame.height}x${frame.width}`)
    .update(frame.rgb).update('\u0000').update(caption).digest('hex').slice(0, 20);
}

/** FNV-1a 32-bit: a fast, stable string hash for features, held-out splits and per-caption noise. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic uniform in [0, 1) from a string and a seed. */
export function hashUniform(text: string, seed: number): number {
  let h = fnv1a(text, (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0);
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** mulberry32: a small seeded PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
